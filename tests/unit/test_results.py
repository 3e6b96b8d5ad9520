"""save_results: one atomic JSON write per notebook, plain JSON types, nothing written when run by hand."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbook.results import save_results


def test_save_results_writes_plain_json_and_returns_it(tmp_path: Path) -> None:
    path = tmp_path / "run" / "04.results.json"
    path.parent.mkdir()
    table = pd.DataFrame({"model": ["forest", "boosting"], "MAE": [np.float64(603.5), np.float64(625.0)]})
    returned = save_results(path, rows=np.int64(10465), shape=(7848, 24), table=table, ok=np.bool_(True),
                            counts=pd.Series({"IndiGo": 2053}), missing=float("nan"))
    expected = {"rows": 10465, "shape": [7848, 24], "ok": True, "counts": {"IndiGo": 2053}, "missing": None,
                "table": [{"model": "forest", "MAE": 603.5}, {"model": "boosting", "MAE": 625.0}]}
    assert returned == expected
    assert json.loads(path.read_text()) == expected
    assert [p.name for p in path.parent.iterdir()] == ["04.results.json"]  # no temporary file left behind


def test_save_results_without_a_path_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert save_results(None, rows=3) == {"rows": 3}
    assert list(tmp_path.iterdir()) == []


def test_save_results_replaces_a_previous_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    save_results(path, old=1, kept=2)
    save_results(path, new=3)
    assert json.loads(path.read_text()) == {"new": 3}


def test_save_results_refuses_nothing_and_values_json_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one result"):
        save_results(tmp_path / "r.json")
    with pytest.raises(TypeError, match="cannot record a value of type object"):
        save_results(tmp_path / "r.json", thing=object())
    assert not (tmp_path / "r.json").exists()
