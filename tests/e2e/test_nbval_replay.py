"""nbval's checks of the workbook's notebooks, replayed from the session's one default run (conftest.py).

A test session in a small project of its own: the project's conftest.py over three notebooks with committed
outputs. The replay must pass what matches, fail a changed output with nbval's own message, and report a cell
that raised, and the cells after it, as failures: a replay that passes everything would hide every drift.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

pytestmark = pytest.mark.e2e

ROOT_CONFTEST = Path(__file__).resolve().parents[2] / "conftest.py"
PARAMETERS = "results_path = None  # set by the runner"


def notebook(*cells: tuple[str, list]) -> nbformat.NotebookNode:
    """A committed notebook: a parameters cell, then each (source, outputs) as an executed cell."""
    nb = new_notebook(cells=[new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}, execution_count=1)])
    for number, (source, outputs) in enumerate(cells, start=2):
        nb.cells.append(new_code_cell(source, execution_count=number, outputs=outputs))
    nb.metadata["kernelspec"] = {"name": "workbook", "display_name": "workbook", "language": "python"}
    return nb


def stdout(text: str) -> nbformat.NotebookNode:
    return new_output("stream", name="stdout", text=text)


def result(text: str, count: int) -> nbformat.NotebookNode:
    return new_output("execute_result", data={"text/plain": text}, execution_count=count)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    project = tmp_path_factory.mktemp("replay")
    shutil.copy(ROOT_CONFTEST, project / "conftest.py")
    options = "-p no:cacheprovider --nbval --nbval-kernel-name workbook"
    (project / "pytest.ini").write_text(f"[pytest]\naddopts = {options}\n")
    notebooks = project / "notebooks"
    notebooks.mkdir()
    committed = {
        "01_same.ipynb": notebook(("print('total', 2 + 2)", [stdout("total 4\n")]), ("'text'", [result("'text'", 3)])),
        "02_changed.ipynb": notebook(("print('kept')", [stdout("kept\n")]),
                                     ("print('MAE', 1463)", [stdout("MAE 1464\n")])),  # the stale committed number
        "03_raises.ipynb": notebook(("raise ValueError('on purpose')", []), ("print('after')", [stdout("after\n")])),
    }
    for name, nb in committed.items():
        nbformat.write(nb, notebooks / name)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "WORKBOOK_NBVAL"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-rfE", "--color=no", "notebooks"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


def test_matching_outputs_pass_and_a_changed_one_fails_with_nbvals_message(session) -> None:
    report = session.stdout
    assert "6 passed" in report and "3 failed" in report, report[-3000:]
    assert "FAILED notebooks/02_changed.ipynb::Cell 2" in report
    assert "Cell outputs differ" in report and "MAE 1464" in report and "MAE 1463" in report


def test_a_cell_that_raised_and_the_cells_after_it_fail(session) -> None:
    report = session.stdout
    assert "FAILED notebooks/03_raises.ipynb::Cell 1" in report
    assert "Cell execution caused an exception" in report and "on purpose" in report
    assert "FAILED notebooks/03_raises.ipynb::Cell 2" in report
    assert "an earlier cell failed" in report
