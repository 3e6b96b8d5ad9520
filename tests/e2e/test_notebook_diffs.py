"""`git diff` of a notebook shows changed cells, not JSON, once `make setup` has configured nbdime (issue 15)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workbook.paths import PROJECT_ROOT

pytestmark = pytest.mark.e2e
DRIVER = Path(sys.executable).parent / "git-nbdiffdriver"


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=folder,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def test_the_projects_attributes_and_driver_give_a_cell_level_diff(tmp_path: Path) -> None:
    assert DRIVER.is_file(), "nbdime is not installed in this environment (it is in the lock)"
    shutil.copy(PROJECT_ROOT / ".gitattributes", tmp_path / ".gitattributes")
    git(tmp_path, "init", "-q")
    # What make setup does: the driver by absolute path.
    git(tmp_path, "config", "diff.jupyternotebook.command", f"{DRIVER} diff")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fare = 100\nprint(fare)")])
    nbformat.write(nb, tmp_path / "demo.ipynb")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    nb.cells[0].source = "fare = 120\nprint(fare)"
    nbformat.write(nb, tmp_path / "demo.ipynb")
    shown = git(tmp_path, "diff")
    assert "modified /cells/0/source" in shown and "fare = 120" in shown
    assert '"cell_type"' not in shown  # not the JSON
    plain = git(tmp_path, "diff", "--no-ext-diff")
    assert '"fare = 120\\n",' in plain or "fare = 120" in plain  # the raw diff is still there when asked for
