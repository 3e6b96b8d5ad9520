"""The versions that made a notebook's outputs, and the one-line notice when the kernel's differ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbook import made_with
from workbook.execution import discover_notebooks
from workbook.made_with import VersionNotice, installed_versions, record_made_with, version_notice
from workbook.paths import NOTEBOOKS_DIR


def write_notebook(folder: Path, name: str, made: dict[str, str] | None) -> None:
    metadata = {"kernelspec": {"name": "workbook"}}
    if made is not None:
        metadata["workbook"] = {"made_with": made}
    (folder / f"{name}.ipynb").write_text(json.dumps({"cells": [], "metadata": metadata, "nbformat": 4,
                                                       "nbformat_minor": 5}))


@pytest.fixture(autouse=True)
def notice_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(made_with.SWITCH, raising=False)


def test_no_notice_when_the_kernel_has_the_versions_that_made_the_outputs(tmp_path: Path) -> None:
    write_notebook(tmp_path, "01_same", installed_versions())
    assert version_notice("01_same", tmp_path) is None


def test_one_line_names_each_package_that_differs(tmp_path: Path) -> None:
    made = installed_versions() | {"pandas": "2.0.0", "scikit-learn": "1.0"}
    write_notebook(tmp_path, "04_other", made)
    notice = version_notice("04_other", tmp_path)
    assert isinstance(notice, VersionNotice)
    now = installed_versions()
    assert notice.differences == (("pandas", "2.0.0", now["pandas"]), ("scikit-learn", "1.0", now["scikit-learn"]))
    line = repr(notice)
    assert line == str(notice) and "\n" not in line
    assert line == (f"Note: these outputs were made with pandas 2.0.0, scikit-learn 1.0; this kernel has "
                    f"pandas {now['pandas']}, scikit-learn {now['scikit-learn']}. Numbers may differ slightly.")


def test_a_missing_package_is_named_as_not_installed(tmp_path: Path) -> None:
    write_notebook(tmp_path, "05_x", {"no-such-package-42": "1.0"})
    assert version_notice("05_x", tmp_path).differences == (("no-such-package-42", "1.0", "not installed"),)


@pytest.mark.parametrize("made", [None, {}])
def test_no_record_or_no_file_means_no_notice(tmp_path: Path, made) -> None:
    write_notebook(tmp_path, "02_old", made)
    assert version_notice("02_old", tmp_path) is None
    assert version_notice("09_missing", tmp_path) is None
    (tmp_path / "03_broken.ipynb").write_text("{not json")
    assert version_notice("03_broken", tmp_path) is None


def test_the_switch_turns_the_notice_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_notebook(tmp_path, "06_y", {"pandas": "0.1"})
    assert version_notice("06_y", tmp_path) is not None
    monkeypatch.setenv(made_with.SWITCH, "off")
    assert version_notice("06_y", tmp_path) is None


def test_record_made_with_stamps_the_metadata() -> None:
    metadata = {"kernelspec": {"name": "workbook"}, "workbook": {"needs": ["05_mlflow_tracking"]}}
    record_made_with(metadata)
    assert metadata["workbook"] == {"needs": ["05_mlflow_tracking"], "made_with": installed_versions()}
    assert set(installed_versions()) == set(made_with.OUTPUT_PACKAGES)


@pytest.mark.parametrize("path", discover_notebooks(NOTEBOOKS_DIR), ids=lambda path: path.stem)
def test_every_committed_notebook_records_its_versions_and_calls_the_notice(path: Path) -> None:
    nb = json.loads(path.read_text())
    assert set(nb["metadata"]["workbook"]["made_with"]) == set(made_with.OUTPUT_PACKAGES)
    first_code = next(cell for cell in nb["cells"] if cell["cell_type"] == "code" and
                      "parameters" not in cell.get("metadata", {}).get("tags", []))
    assert f'version_notice("{path.stem}")' in "".join(first_code["source"])
