"""Executing one point of a sweep, in a pool worker or on a Dask worker: the task in, the outcome out.

A task carries the notebook itself (a Dask worker may be another machine); an outcome carries the point's
files back as bytes, so the sweep folder is written by the sweep alone.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbook import provenance
from workbook.execution import pool, warm
from workbook.execution.catalog import NotebookInfo, read_notebook_info
from workbook.execution.kernel import environment_set, execute_one, quiet_papermill
from workbook.execution.params import folder_parameters
from workbook.results import write_json_atomic
from workbook.sweep.store import POINT_FILE, RESULTS_FILE

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

PointStatus = Literal["ok", "failed", "interrupted"]


@dataclass(frozen=True)
class PointTask:
    """Everything a worker needs to execute one point, including the notebook itself (it may be remote)."""

    index: int
    key: str
    notebook_name: str  # file name, e.g. 05_mlflow_tracking.ipynb
    notebook_text: str  # the notebook as the sweep read it: every point runs the same version
    notebook_dir: str  # where the kernel runs when this folder exists on the worker
    params: dict[str, Any]
    kernel_name: str
    env: dict[str, str]  # WORKBOOK_RUN_TAGS and MLFLOW_TRACKING_URI for the kernel
    record: dict[str, Any]  # what point.json says about the request: params, data, sweep key
    # Set by the local pool (execution.warm): what a kernel started early imports (None: none is), and whether
    # more points follow on this worker, so that the next point's kernel starts while this one runs.
    imports: tuple[str, ...] | None = None
    warm_next: bool = False


@dataclass(frozen=True)
class PointOutcome:
    """What a worker sends back: status, error, results and the point's files (relative path -> bytes)."""

    index: int
    key: str
    status: PointStatus  # "ok", "failed" or "interrupted"
    seconds: float | None = None
    error: str | None = None
    notebook_file: str | None = None  # the executed notebook among `files`
    results: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


# A Dask worker runs tasks in threads; the environment is per process, so points on one worker process take
# turns (pool workers run one point at a time anyway).
_POINT_LOCK = threading.Lock()


def execute_point(task: PointTask) -> PointOutcome:
    """Execute one point with papermill in a scratch folder and return its files; never raises for the notebook."""
    with _POINT_LOCK, tempfile.TemporaryDirectory(prefix="workbook-point-") as scratch:
        if pool.interrupt_requested():
            return PointOutcome(task.index, task.key, "interrupted")
        source, folder = Path(scratch) / "source" / task.notebook_name, Path(scratch) / "point"
        source.parent.mkdir()
        folder.mkdir()
        source.write_text(task.notebook_text, encoding="utf-8")
        nb = read_notebook_info(source)
        # The kernel runs where the notebook lives, as in `workbook run`, when that folder is on this machine.
        cwd = Path(task.notebook_dir) if Path(task.notebook_dir).is_dir() else source.parent
        try:
            began = time.monotonic()
            kernel = _warm_kernel(task, cwd)
            waited = time.monotonic() - began  # for a warm kernel to finish its imports: this point's time too
            with environment_set(task.env), quiet_papermill(), pool.interruptible():
                # Killing the kernel after its last cell saves ~0.8 s a point: a point's notebook ends its
                # own MLflow runs in its cells, and a rerun deletes any run an unfinished point left behind.
                run = execute_one(nb, folder / task.notebook_name, point_parameters(nb, task.params, folder),
                                 task.kernel_name, cwd, None, shutdown="immediate", kernel=kernel)
        except KeyboardInterrupt:
            return PointOutcome(task.index, task.key, "interrupted")
        results = run.results if run.status == "ok" else {}
        if run.seconds is not None:
            run.seconds = round(run.seconds + waited, 1)
        record = {**task.record, "index": task.index, "key": task.key, "status": run.status,
                  "seconds": run.seconds, "error": run.error, "notebook": run.output, "results": results,
                  "warm_kernel": kernel is not None,  # started while the previous point ran (execution.warm)
                  "packages": provenance.package_versions()}  # the worker's: on Dask it may not be ours
        write_json_atomic(folder / POINT_FILE, record)
        return PointOutcome(task.index, task.key, run.status, run.seconds, run.error, run.output, results,
                            _read_tree(folder))


def _warm_kernel(task: PointTask, cwd: Path) -> AsyncKernelManager | None:
    """The kernel started for this point while the previous one ran, if any; and, when more points follow,
    the next point's kernel started now (in the notebook's folder, or a lasting one: this scratch folder goes)."""
    if task.imports is None:
        return None
    recipe = warm.recipe_for(task.imports, task.kernel_name, task.env)
    next_cwd = cwd if cwd == Path(task.notebook_dir) else Path(tempfile.gettempdir())
    return warm.kernel_for(recipe, task.env, cwd, next_cwd if task.warm_next else None)


def point_parameters(nb: NotebookInfo, params: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """The point's values plus what the sweep sets: its results file and, when declared, its output folder."""
    return dict(params) | folder_parameters(nb, folder / RESULTS_FILE, folder, params)


def _read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative POSIX path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}

