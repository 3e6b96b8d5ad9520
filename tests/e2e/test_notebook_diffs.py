"""`git diff` of a notebook shows changed cells, not JSON, once `make setup` has configured nbdime (issue 15)."""

from __future__ import annotations

import re
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
    project = tmp_path / "clone"
    (project / "notebooks").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / ".gitattributes", project / ".gitattributes")
    (project / ".venv").symlink_to(DRIVER.parents[1], target_is_directory=True)  # this environment as the clone's
    (project / ".gitignore").write_text(".venv\n")
    git(project, "init", "-q")
    git(project, "config", "diff.jupyternotebook.command", setup_driver_command())
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fare = 100\nprint(fare)")])
    nbformat.write(nb, project / "notebooks" / "demo.ipynb")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "first")
    nb.cells[0].source = "fare = 120\nprint(fare)"
    nbformat.write(nb, project / "notebooks" / "demo.ipynb")
    shown = git(project, "diff")
    assert "modified /cells/0/source" in shown and "fare = 120" in shown
    assert '"cell_type"' not in shown  # not the JSON
    plain = git(project, "diff", "--no-ext-diff")
    assert '"fare = 120\\n",' in plain or "fare = 120" in plain  # the raw diff is still there when asked for
    # From a subfolder, and after the whole folder moved: git runs the driver from the top of the working tree.
    assert "modified /cells/0/source" in git(project / "notebooks", "diff", "demo.ipynb")
    moved = project.rename(tmp_path / "moved")
    assert "modified /cells/0/source" in git(moved, "diff")


def setup_driver_command() -> str:
    """The driver command `make setup` configures, read from the Makefile (its $(BIN) is .venv/bin)."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    match = re.search(r'git config diff\.jupyternotebook\.command "([^"]+)"', makefile)
    assert match, "make setup no longer configures the notebook diff driver"
    return match.group(1).replace("$(BIN)", ".venv/bin")
