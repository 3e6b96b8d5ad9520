"""End to end: `workbook run` and `workbook sweep` with kernels forked from a fork server (WORKBOOK_FORK_KERNELS=1).

Each notebook reports what its kernel's parent process is: with the switch on, the fork server (which imported
the notebooks' modules once), not the run's worker. At the end no server or kernel is left running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from cli_outcomes import processes_with_env

from workbook.execution import QUIET_MLFLOW, forked

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")

MARK = "WORKBOOK_TEST_FORK_MARK"
# The kernel's parent: the fork server runs `python -c <forked.SERVER_CODE>`, which calls os.fork().
PARENT_PROBE = ("import json, os, sys\n"
                "parent = open(f'/proc/{os.getppid()}/cmdline', 'rb').read()\n"
                "print(json.dumps({'forked': b'os.fork()' in parent, 'wave': 'wave' in sys.modules}))")


def toy_notebooks(folder: Path, count: int) -> Path:
    """`count` notebooks that import `wave` and report their kernel's parent."""
    folder.mkdir()
    for number in range(1, count + 1):
        cells = [nbformat.v4.new_code_cell("import wave"), nbformat.v4.new_code_cell(PARENT_PROBE)]
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "workbook", "display_name": "Workbook", "language": "python"}
        nbformat.write(nb, folder / f"0{number}_probe.ipynb")
    return folder


def workbook(*args: str | Path, mark: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **QUIET_MLFLOW, forked.SWITCH: "1", MARK: mark,
           "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    return subprocess.run([sys.executable, "-m", "workbook.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300, check=False)


def probe_of(executed: Path) -> dict:
    return json.loads(nbformat.read(executed, as_version=4).cells[1].outputs[0]["text"])


def test_a_parallel_run_forks_every_kernel_and_leaves_nothing_running(tmp_path: Path) -> None:
    notebooks = toy_notebooks(tmp_path / "nbs", 3)
    out = tmp_path / "run"
    done = workbook("run", "--jobs", "2", "--out", out, "--no-progress", "--notebooks-dir", notebooks,
                    mark=str(tmp_path), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    probes = [probe_of(out / f"0{number}_probe.ipynb") for number in (1, 2, 3)]
    assert probes == [{"forked": True, "wave": True}] * 3  # the server imported the run's modules
    assert processes_with_env(MARK, str(tmp_path), settle_s=5) == []


def test_a_sweep_forks_every_points_kernel_and_leaves_nothing_running(tmp_path: Path) -> None:
    toy = Path(__file__).resolve().parents[1] / "fixtures" / "sweep_notebooks" / "01_toy.ipynb"
    out = tmp_path / "sweep"
    done = workbook("sweep", toy, "--grid", "x=1,2,3", "--workers", "2", "--out", out, "--no-progress",
                    mark=str(tmp_path), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    points = [json.loads(path.read_text()) for path in sorted(out.glob("points/*/point.json"))]
    assert [(point["status"], point["warm_kernel"]) for point in points] == [("ok", True)] * 3
    assert processes_with_env(MARK, str(tmp_path), settle_s=5) == []
