"""The worked solutions: one notebook per numbered notebook, outside the workbook's run, solving every exercise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbook import execution
from workbook.paths import NOTEBOOKS_DIR, SOLUTIONS_DIR

CHECK_CALL = re.compile(r"\b(check_\w+)\(")


def _solution_for(numbered: Path) -> Path:
    return SOLUTIONS_DIR / f"{numbered.stem}_solutions.ipynb"


def _code_cells(path: Path) -> list[dict]:
    return [cell for cell in execution.read_notebook(path)["cells"] if cell.get("cell_type") == "code"]


def checks_called(path: Path) -> set[str]:
    """The exercise checks a notebook's code cells call."""
    return {name for cell in _code_cells(path) for name in CHECK_CALL.findall(execution.cell_source(cell))}


def test_workbook_run_never_picks_up_the_solutions():
    found = execution.discover_notebooks(NOTEBOOKS_DIR)
    assert found, "no numbered notebooks found"
    assert not any(SOLUTIONS_DIR in path.parents or "solutions" in path.stem for path in found)


def test_the_solutions_folder_is_a_notebooks_folder_of_its_own():
    # `workbook run --in-place --notebooks-dir notebooks/solutions` (make solutions) refreshes exactly these.
    numbered = execution.discover_notebooks(NOTEBOOKS_DIR)
    assert execution.discover_notebooks(SOLUTIONS_DIR) == sorted(_solution_for(path) for path in numbered)


@pytest.mark.parametrize("numbered", execution.discover_notebooks(NOTEBOOKS_DIR), ids=lambda path: path.stem)
def test_every_exercise_check_has_a_worked_solution(numbered):
    # The numbered notebooks are read where the workbook keeps them, so new exercises need new solutions.
    asked = checks_called(numbered)
    assert asked, f"{numbered.name} calls no exercise check"
    missing = asked - checks_called(_solution_for(numbered))
    assert not missing, f"{_solution_for(numbered).name} has no worked solution calling {sorted(missing)}"


@pytest.mark.parametrize("solution", sorted(SOLUTIONS_DIR.glob("*.ipynb")), ids=lambda path: path.stem)
def test_every_check_in_a_solution_shows_correct_in_its_committed_output(solution):
    nb = execution.read_notebook(solution)
    assert nb["metadata"]["kernelspec"]["name"] == "workbook"
    checked = [cell for cell in _code_cells(solution) if CHECK_CALL.search(execution.cell_source(cell))]
    assert checked
    for cell in checked:
        results = [output for output in cell.get("outputs", []) if output.get("output_type") == "execute_result"]
        shown = "".join(execution.cell_source({"source": out["data"]["text/plain"]}) for out in results)
        assert shown.startswith("Correct:"), f"{solution.name}: {execution.cell_source(cell)!r} shows {shown!r}"
