"""End-to-end: `workbook setup`, the step after `pip install -e .` on a machine without `make` (Windows too)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbook.execution import MALLOC_REUSE, QUIET_MLFLOW

pytestmark = pytest.mark.e2e


def test_setup_registers_the_workbook_kernel_for_this_interpreter(tmp_path):
    done = subprocess.run([sys.executable, "-m", "workbook.cli", "setup", "--prefix", str(tmp_path),
                           "--display-name", "Python (MLOps workbook, latest)"],  # as make test-latest does
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    kernel = tmp_path / "share" / "jupyter" / "kernels" / "workbook"
    assert done.stdout.splitlines() == [f"kernel 'workbook' installed in {kernel}; next: jupyter lab notebooks "
                                        "(or workbook run)"]
    spec = json.loads((kernel / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and spec["display_name"] == "Python (MLOps workbook, latest)"
    # JupyterLab's kernels reuse big blocks and hide MLflow's download bars, as batch kernels do.
    assert spec["env"] == MALLOC_REUSE | QUIET_MLFLOW


def test_a_setup_that_cannot_write_its_kernel_says_so_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run([sys.executable, "-m", "workbook.cli", "setup", "--prefix", str(blocker)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("error: installing the Jupyter kernel failed (exit 1): ")


def test_pip_install_then_workbook_setup_works_without_make(tmp_path):
    """The route for a laptop without `make` (README, Windows): `pip install -e .` into a fresh venv, then
    `workbook setup`. The new venv sees this one's packages (a .pth file), so pip installs only the workbook
    itself; it builds it as pip does, in an isolated environment with setuptools from the index."""
    from workbook import lockfile
    from workbook.paths import PROJECT_ROOT

    if not lockfile.index_reachable():
        pytest.skip("pip builds the workbook with setuptools from the package index, which is not reachable")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = [path for path in sys.path if path.endswith("site-packages")]
    (Path(site) / "ours.pth").write_text("\n".join(ours) + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                                "--disable-pip-version-check", "-e", str(PROJECT_ROOT)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert "Successfully" not in installed.stdout  # --quiet: nothing but problems
    workbook = venv / ("Scripts/workbook.exe" if sys.platform == "win32" else "bin/workbook")
    done = subprocess.run([str(workbook), "setup", "--prefix", str(tmp_path / "prefix")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    spec = json.loads((tmp_path / "prefix" / "share" / "jupyter" / "kernels" / "workbook" / "kernel.json").read_text())
    assert spec["argv"][0] == str(python)  # the new venv's interpreter runs the notebooks
    assert spec["display_name"] == "Python (MLOps workbook)"
    listed = subprocess.run([str(workbook), "list"], capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "01_motivation" in listed.stdout, listed.stderr
