"""End-to-end: `workbook setup`, the step after `pip install -e .` on a machine without `make` (Windows too)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_setup_registers_the_workbook_kernel_for_this_interpreter(tmp_path):
    done = subprocess.run([sys.executable, "-m", "workbook.cli", "setup", "--prefix", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    kernel = tmp_path / "share" / "jupyter" / "kernels" / "workbook"
    assert done.stdout.splitlines() == [f"kernel 'workbook' installed in {kernel}; next: jupyter lab notebooks "
                                        "(or workbook run)"]
    spec = json.loads((kernel / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and spec["display_name"] == "Python (MLOps workbook)"


def test_a_setup_that_cannot_write_its_kernel_says_so_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run([sys.executable, "-m", "workbook.cli", "setup", "--prefix", str(blocker)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("error: installing the Jupyter kernel failed (exit 1): ")
