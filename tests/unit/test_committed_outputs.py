"""The committed notebooks' outputs hold nothing of the machine that made them.

nbval compares these outputs on every clone: a path of the author's machine in one (a warning's file name, a
store's location) fails the suite anywhere else, and shows a learner someone's home folder. Found once: an
MLflow UserWarning whose first line named /work/main/.venv/lib/python3.11/site-packages/...
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workbook.paths import NOTEBOOKS_DIR, PROJECT_ROOT

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb")) + sorted((NOTEBOOKS_DIR / "solutions").glob("*.ipynb"))
# A file of an installed package, or an absolute path under the usual roots of a home, a container or a CI.
MACHINE_PATH = re.compile(r"site-packages|/\.venv/|(?<![\w.:/])/(?:home|root|Users|tmp|work|var|opt|private)/"
                          r"|[A-Za-z]:\\\\(?:Users|home)\\\\")


def output_texts(path: Path) -> list[tuple[int, str]]:
    """(cell index, text) of every text an output of the notebook shows."""
    texts = []
    for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        for output in cell.get("outputs", []):
            parts = [output.get("text", "")] + [output.get("data", {}).get(kind, "")
                                                for kind in ("text/plain", "text/html", "text/markdown")]
            texts += [(index, "".join(part) if isinstance(part, list) else str(part)) for part in parts if part]
    return texts


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_no_output_names_a_path_of_the_machine_that_made_it(path: Path) -> None:
    found = [(index, match.group(0), text[max(0, match.start() - 60):match.end() + 60])
             for index, text in output_texts(path) for match in [MACHINE_PATH.search(text)] if match]
    assert found == [], f"{path.name}: cell {found[0][0]} shows {found[0][2]!r}" if found else ""
    assert all(str(PROJECT_ROOT) not in text for _, text in output_texts(path))


def test_the_pattern_catches_what_it_is_for() -> None:
    warning = ("/work/main/.venv/lib/python3.11/site-packages/mlflow/data/dataset_source_registry.py:148: "
               "UserWarning: The specified dataset source can be interpreted in multiple ways")
    assert MACHINE_PATH.search(warning)
    assert MACHINE_PATH.search("saved to /home/alice/mlops/runs")
    assert not MACHINE_PATH.search("run folder runs/20261206-090012, models:/flights@champion, sqlite:///mlruns/x.db")
