"""Parameter sweeps: one papermill execution per point of a grid, logged to MLflow, summarised, resumable.

A sweep checks every point against the notebook's `parameters` cell before any kernel starts, executes each
point in its own kernel (locally in a process pool, or as Dask tasks), and leaves in its folder:

    sweep.json               what was asked (notebook, grid, fixed parameters, points and their keys)
    points/<i>-<key8>/       one complete point: executed notebook, results.json, point.json
    failed/<i>-<key8>/       one failed point: <stem>.FAILED.ipynb and point.json with the error
    summary.csv, summary.html  one row per point; the best points and the metric against each parameter
    .partial/                points being written; a point appears in points/ only once it is complete

A point's key is a SHA-256 of the notebook, its parameters and a fingerprint of its data, so rerunning a
sweep into the same folder skips every point already complete with the same parameters and data.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import itertools
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml
from filelock import FileLock, Timeout

from workbook import pool, provenance, runner
from workbook.errors import SweepError, SweepUsageError
from workbook.messages import first_line
from workbook.paths import KERNEL_NAME, NOTEBOOKS_DIR, RUNS_DIR
from workbook.results import to_jsonable, write_json_atomic
from workbook.runner import NotebookInfo, Param, WorkbookError, check_declared

if TYPE_CHECKING:
    import pandas as pd

# pandas, matplotlib, MLflow and distributed are imported where they are used: pool workers import this
# module, and a bad request should fail within a second.

SWEEP_EXPERIMENT = "sweeps"
# Set by the sweep for every point: each point writes its own results and files in its own folder.
SWEEP_RESERVED = ("results_path", "output_dir")
GOALS = ("min", "max")
EXECUTORS = ("local", "dask")
DEFAULT_SEED = 42
MAX_POINTS = 10_000  # a bigger grid is a mistake or a job for --sample
DASK_CONNECT_TIMEOUT_S = 5
BEST_ROWS = 5

POINTS_DIR, FAILED_DIR, PARTIAL_DIR = "points", "failed", ".partial"
SWEEP_FILE, POINT_FILE, RESULTS_FILE = "sweep.json", "point.json", "results.json"
SUMMARY_CSV, SUMMARY_HTML, LOCK_FILE = "summary.csv", "summary.html", ".sweep.lock"
GRID_FILE_KEYS = ("grid", "params", "sample", "seed", "metric", "goal")

SWEEP_TAG = "workbook.sweep_key"
POINT_TAG = "workbook.point_key"
ROLE_TAG = "workbook.sweep_role"  # "sweep" on the parent run, "point" on each child the sweep logs
PARENT_TAG = "mlflow.parentRunId"  # MLflow's own key: the UI nests children under their parent
POOL_PRELOAD = ("workbook.sweep", "papermill")  # what pool workers import once, in the forkserver
MLFLOW_PARAM_LIMIT = 6000  # characters MLflow keeps of a parameter value


# ---------------------------------------------------------------------------------------------------------
# The request: grid options, a grid file, fixed parameters


@dataclass(frozen=True)
class SweepRequest:
    """What the user asked for, before it is checked against the notebook (values as typed or as YAML)."""

    notebook: str  # a selector (number, stem) or a path to an .ipynb file
    grid: dict[str, list[Any]]
    fixed: dict[str, Any] = field(default_factory=dict)
    sample: int | None = None  # run this many distinct points of the grid instead of all of them
    seed: int = DEFAULT_SEED
    metric: str | None = None  # None: the first numeric result
    goal: str = "min"


def parse_grid_option(text: str) -> tuple[str, list[Any]]:
    """`NAME=V1,V2,...` -> (name, values as text); `NAME=[...]` is read as a YAML list (for commas, lists)."""
    name, equals, values = text.partition("=")
    name = name.strip()
    if not equals or not name.isidentifier():
        raise SweepUsageError(f"--grid {text!r}: expected NAME=V1,V2,..., e.g. --grid alpha=0.1,0.5")
    values = values.strip()
    if values.startswith("["):
        try:
            parsed = yaml.safe_load(values)
        except yaml.YAMLError as error:
            raise SweepUsageError(f"--grid {name}: {values!r} is not a YAML list: {first_line(error)}") from None
        if not isinstance(parsed, list):
            raise SweepUsageError(f"--grid {name}: {values!r} is not a YAML list")
        return name, parsed
    return name, [item.strip() for item in values.split(",")] if values else []


def load_grid_file(path: str | Path) -> dict[str, Any]:
    """Read `{grid: {name: [values]}, params: {name: value}, sample, seed, metric, goal}` from a YAML file."""
    path = Path(path)
    data = runner.read_yaml_mapping(path, "grid file", SweepUsageError)
    unknown = [str(key) for key in data if key not in GRID_FILE_KEYS]
    if unknown:
        raise SweepUsageError(f"grid file {path}: unknown key '{unknown[0]}'; expected {', '.join(GRID_FILE_KEYS)}")
    _check_grid_file_sections(data, path)
    return data


def _check_grid_file_sections(data: Mapping[str, Any], path: Path) -> None:
    """The shape of each section of a grid file, with the section named in the error."""
    for section in ("grid", "params"):
        if not isinstance(data.get(section, {}), dict):
            raise SweepUsageError(f"grid file {path}: '{section}' must map parameter names to values")
    for name, values in data.get("grid", {}).items():
        if not isinstance(values, list):
            raise SweepUsageError(f"grid file {path}: grid.{name} must be a list of values, got {values!r}")
    both = sorted(set(data.get("grid", {})) & set(data.get("params", {})))
    if both:
        raise SweepUsageError(f"grid file {path}: '{both[0]}' is both in grid and in params")
    for key in ("sample", "seed"):
        if key in data and not _is_int(data[key]):
            raise SweepUsageError(f"grid file {path}: {key} must be a whole number, got {data[key]!r}")
    for key in ("metric", "goal"):
        if key in data and not isinstance(data[key], str):
            raise SweepUsageError(f"grid file {path}: {key} must be text, got {data[key]!r}")


def build_request(
    notebook: str,
    grid_options: Sequence[str] = (),
    fixed_options: Mapping[str, Any] | None = None,
    grid_file: str | Path | None = None,
    sample: int | None = None,
    seed: int | None = None,
    metric: str | None = None,
    goal: str | None = None,
) -> SweepRequest:
    """Merge a grid file with command-line options (the command line wins, name by name)."""
    spec = load_grid_file(grid_file) if grid_file else {}
    grid = {str(name): list(values) for name, values in spec.get("grid", {}).items()}
    fixed = {str(name): value for name, value in spec.get("params", {}).items()}
    seen: set[str] = set()
    for name, values in map(parse_grid_option, grid_options):
        if name in seen:
            raise SweepUsageError(f"--grid {name} is given twice; list all its values in one option")
        seen.add(name)
        grid[name] = values
        fixed.pop(name, None)
    for name, value in (fixed_options or {}).items():
        if name in seen:
            raise SweepUsageError(f"parameter '{name}' is both in --grid and fixed with -p; choose one")
        fixed[name] = value
        grid.pop(name, None)
    goal = goal if goal is not None else spec.get("goal", "min")
    if goal not in GOALS:
        raise SweepUsageError(f"--goal must be min or max, got {goal!r}")
    if not grid:
        raise SweepUsageError("empty grid: give at least one --grid NAME=V1,V2,... (or a grid: section in -f FILE)")
    return SweepRequest(
        notebook=notebook,
        grid=grid,
        fixed=fixed,
        sample=sample if sample is not None else spec.get("sample"),
        seed=seed if seed is not None else spec.get("seed", DEFAULT_SEED),
        metric=metric if metric is not None else spec.get("metric"),
        goal=goal,
    )


# ---------------------------------------------------------------------------------------------------------
# The grid: cartesian product in a fixed order, or a seeded sample of it


def grid_size(grid: Mapping[str, Sequence[Any]]) -> int:
    """How many points the cartesian product of the grid has."""
    return math.prod(len(values) for values in grid.values())


def grid_point(grid: Mapping[str, Sequence[Any]], index: int) -> dict[str, Any]:
    """The `index`-th point of the product (0-based), in itertools.product's order: the last name varies fastest."""
    values: dict[str, Any] = {}
    for name in reversed(list(grid)):
        index, position = divmod(index, len(grid[name]))
        values[name] = grid[name][position]
    return {name: values[name] for name in grid}


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every point of the grid as {name: value}, in a deterministic order."""
    names = list(grid)
    return [dict(zip(names, combination)) for combination in itertools.product(*grid.values())]


def sample_indices(total: int, n: int, seed: int = DEFAULT_SEED) -> list[int]:
    """`n` distinct positions out of `total`, drawn with `seed`, in increasing order."""
    if not _is_int(n) or n < 1:
        raise SweepUsageError(f"--sample must be a whole number of points >= 1, got {n!r}")
    if n > total:
        raise SweepUsageError(f"--sample {n} is more than the grid's {total} point{'s' if total != 1 else ''}; "
                              "drop --sample to run them all")
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(total, size=n, replace=False))


def select_points(grid: Mapping[str, Sequence[Any]], sample: int | None = None,
                  seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """The grid's points: all of them, or `sample` distinct ones drawn with `seed` (kept in grid order)."""
    total = grid_size(grid)
    if sample is None:
        if total > MAX_POINTS:
            raise SweepUsageError(f"the grid has {total:,} points (more than {MAX_POINTS:,}); use --sample N")
        return expand_grid(grid)
    return [grid_point(grid, index) for index in sample_indices(total, sample, seed)]


# ---------------------------------------------------------------------------------------------------------
# The plan: checked values, points and their keys


@dataclass(frozen=True)
class Point:
    """One point of a sweep: the parameters it sets and the key that identifies its parameters and data."""

    index: int  # 1-based position in the sweep
    params: dict[str, Any]  # fixed and grid values, typed as the notebook declares them
    grid_values: dict[str, Any]  # the grid part only: what varies from point to point
    key: str  # sha256 hex of notebook stem + parameters + data fingerprint
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def key8(self) -> str:
        return self.key[:8]

    @property
    def folder(self) -> str:
        """`<i>-<key8>`: the point's folder name under points/ or failed/."""
        return f"{self.index:03d}-{self.key8}"

    @property
    def label(self) -> str:
        """`alpha=0.1, l1_ratio=0.5`: the grid values as a reader wants to see them."""
        return ", ".join(f"{name}={short_text(value)}" for name, value in self.grid_values.items())


@dataclass(frozen=True)
class SweepPlan:
    """A checked sweep: the notebook, the typed grid and fixed values, and the points to run."""

    notebook: NotebookInfo
    request: SweepRequest
    grid: dict[str, list[Any]]
    fixed: dict[str, Any]
    points: list[Point]
    total: int  # points in the full grid (more than len(points) when sampling)

    @property
    def stem(self) -> str:
        return self.notebook.stem


def resolve_notebook(selector: str, notebooks_dir: str | Path = NOTEBOOKS_DIR) -> Path:
    """A notebook chosen as `workbook run` chooses one (number, stem), or a path to an .ipynb file."""
    path = Path(selector).expanduser()
    if selector.endswith(".ipynb") and (path.is_file() or len(path.parts) > 1):
        if not path.is_file():
            raise SweepUsageError(f"notebook file not found: {path}")
        return path.resolve()
    try:
        return runner.resolve_notebooks([selector], notebooks_dir)[0]
    except WorkbookError as error:
        raise SweepUsageError(str(error)) from None


def plan_sweep(request: SweepRequest, notebooks_dir: str | Path = NOTEBOOKS_DIR,
               base_dir: Path | None = None) -> SweepPlan:
    """Check every grid value and fixed value against the notebook, then list the points with their keys.

    Relative values of path parameters are resolved against `base_dir` (default: the current folder).
    Raises SweepUsageError, naming the parameter and the notebook, before anything runs.
    """
    try:
        nb = runner.read_notebook_info(resolve_notebook(request.notebook, notebooks_dir))
    except SweepUsageError:
        raise
    except WorkbookError as error:
        raise SweepUsageError(str(error)) from None
    base_dir = Path.cwd() if base_dir is None else base_dir
    grid = {name: check_grid_values(nb, name, values, base_dir) for name, values in request.grid.items()}
    fixed = {name: check_value(nb, name, value, base_dir, "fixed parameters") for name, value in request.fixed.items()}
    if not grid:
        raise SweepUsageError("empty grid: give at least one --grid NAME=V1,V2,... (or a grid: section in -f FILE)")
    selected = select_points(grid, request.sample, request.seed)
    points = [make_point(nb, index, fixed, values) for index, values in enumerate(selected, 1)]
    return SweepPlan(nb, request, grid, fixed, points, grid_size(grid))


def check_name(nb: NotebookInfo, name: str, where: str) -> Param:
    """The declared parameter `name`, or SweepUsageError for a reserved or unknown name."""
    if name in SWEEP_RESERVED:
        raise SweepUsageError(f"parameter '{name}' is set by the sweep (each point has its own); do not pass it")
    if name not in nb.parameters:
        known = [n for n in nb.parameters if n not in SWEEP_RESERVED]
        raise SweepUsageError(
            f"unknown parameter '{name}' in the {where}: {nb.stem} does not declare it; "
            f"known: {', '.join(known) or 'none'}"
        )
    return nb.parameters[name]


def check_value(nb: NotebookInfo, name: str, value: Any, base_dir: Path, where: str) -> Any:
    """One value read as the parameter's type, made absolute if it is a path, and within declared bounds."""
    param = check_name(nb, name, where)
    try:
        typed = runner.absolute_if_path(name, runner.coerce_value(param, value, nb.stem), base_dir)
        check_declared(param, typed, nb.stem)
    except WorkbookError as error:
        raise SweepUsageError(str(error)) from None
    return typed


def check_grid_values(nb: NotebookInfo, name: str, values: Sequence[Any], base_dir: Path) -> list[Any]:
    """Every value of one grid parameter, checked; an empty list or a repeated value is an error."""
    check_name(nb, name, "grid")
    if not values:
        raise SweepUsageError(f"empty grid: '{name}' has no values; give them as --grid {name}=V1,V2,...")
    typed: list[Any] = []
    for value in values:
        checked = check_value(nb, name, value, base_dir, "grid")
        if any(checked == seen and type(checked) is type(seen) for seen in typed):
            raise SweepUsageError(f"grid '{name}' lists {checked!r} twice")
        typed.append(checked)
    return typed


def make_point(nb: NotebookInfo, index: int, fixed: Mapping[str, Any], grid_values: Mapping[str, Any]) -> Point:
    """A point with its key: the fixed values and this point's grid values, and the data they name."""
    params = {**fixed, **grid_values}
    data = data_fingerprint(nb, params)
    return Point(index, params, dict(grid_values), point_key(nb.stem, effective_parameters(nb, params), data), data)


def effective_parameters(nb: NotebookInfo, params: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter the notebook runs with: its defaults, overridden by `params` (reserved ones left out).

    Keys built from these treat `n_rows=10_683` spelt out like the default, and change when a default does.
    """
    defaults = {name: _literal_default(param) for name, param in nb.parameters.items() if name not in SWEEP_RESERVED}
    return defaults | dict(params)


def point_key(stem: str, params: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """SHA-256 of the notebook stem, the canonical (effective) parameters and the data fingerprint."""
    payload = canonical_json({"notebook": stem, "params": params, "data": data})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def data_fingerprint(nb: NotebookInfo, params: Mapping[str, Any]) -> dict[str, Any]:
    """What a point's data is: a content hash of each file a path parameter names, or the twin's size and seed.

    Path parameters (`*_path`, `*_dir`, `*_file`, `*_csv`) use the point's value or the notebook's default
    (relative defaults are relative to the notebook's folder, where its kernel runs). With `data_path`
    None the notebook makes the synthetic twin, which `n_rows` and `random_state` decide.
    """
    fingerprint: dict[str, Any] = {}
    for name, param in nb.parameters.items():
        if name in SWEEP_RESERVED or not name.endswith(runner.PATH_SUFFIXES):
            continue
        value = params[name] if name in params else _literal_default(param)
        fingerprint[name] = _file_fingerprint(value, nb.path.parent)
    if "data_path" in nb.parameters and fingerprint.get("data_path") is None:
        fingerprint["twin"] = {
            name: params[name] if name in params else _literal_default(nb.parameters[name])
            for name in ("n_rows", "random_state")
            if name in nb.parameters
        }
    return fingerprint


def _literal_default(param: Param) -> Any:
    """A parameter's default as a Python value; the source text when it is an expression."""
    try:
        return ast.literal_eval(param.default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return param.default


def _file_fingerprint(value: Any, base_dir: Path) -> Any:
    """`sha256:<hex>` of a file's content; URLs, folders and missing files by their name; None stays None."""
    if not isinstance(value, str) or not value:
        return value
    if "://" in value:
        return f"url:{value}"
    path = Path(value).expanduser()
    path = path if path.is_absolute() else (base_dir / path)
    if path.is_file():
        stat = path.stat()
        return f"sha256:{_file_sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)}"
    return f"{'folder' if path.is_dir() else 'missing'}:{value}"


@lru_cache(maxsize=64)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file, cached while its size and modification time stay the same."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Executing one point (in a pool worker or on a Dask worker)


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


@dataclass(frozen=True)
class PointOutcome:
    """What a worker sends back: status, error, results and the point's files (relative path -> bytes)."""

    index: int
    key: str
    status: str  # "ok", "failed" or "interrupted"
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
        nb = runner.read_notebook_info(source)
        # The kernel runs where the notebook lives, as in `workbook run`, when that folder is on this machine.
        cwd = Path(task.notebook_dir) if Path(task.notebook_dir).is_dir() else source.parent
        try:
            with runner.environment_set(task.env), runner.quiet_papermill(), pool.interruptible():
                # Killing the kernel after its last cell saves ~0.8 s a point: a point's notebook ends its
                # own MLflow runs in its cells, and a rerun deletes any run an unfinished point left behind.
                run = runner.execute_one(nb, folder / task.notebook_name, point_parameters(nb, task.params, folder),
                                         task.kernel_name, cwd, None, shutdown="immediate")
        except KeyboardInterrupt:
            return PointOutcome(task.index, task.key, "interrupted")
        results = run.results if run.status == "ok" else {}
        record = {**task.record, "index": task.index, "key": task.key, "status": run.status,
                  "seconds": run.seconds, "error": run.error, "notebook": run.output, "results": results,
                  "packages": provenance.package_versions()}  # the worker's: on Dask it may not be ours
        write_json_atomic(folder / POINT_FILE, record)
        return PointOutcome(task.index, task.key, run.status, run.seconds, run.error, run.output, results,
                            _read_tree(folder))


def point_parameters(nb: NotebookInfo, params: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """The point's values plus what the sweep sets: its results file and, when declared, its output folder."""
    parameters = dict(params)
    if "results_path" in nb.parameters:
        parameters["results_path"] = str(folder / RESULTS_FILE)
    if "output_dir" in nb.parameters:
        parameters["output_dir"] = str(folder)
    return parameters


def _read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative POSIX path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


# ---------------------------------------------------------------------------------------------------------
# The sweep folder


def default_out_dir(stem: str, runs_dir: str | Path = RUNS_DIR, now: datetime | None = None) -> Path:
    """`runs/sweep-<stem>-<YYYYmmdd-HHMMSS>` (`-2`, `-3`, ... when taken)."""
    base = Path(runs_dir) / f"sweep-{stem}-{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}"
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


def check_out_dir(out_dir: str | Path, notebooks_dir: str | Path = NOTEBOOKS_DIR) -> Path:
    """The resolved sweep folder if it can be created and written; nothing is created here."""
    path = Path(out_dir).expanduser().resolve()
    if path == Path(notebooks_dir).resolve():
        raise SweepError(f"out dir {path} is the notebooks folder; choose another --out")
    if path.exists() and not path.is_dir():
        raise SweepError(f"out dir {path} is a file, not a folder")
    if (path / "run.json").exists():
        raise SweepError(f"out dir {path} holds a workbook run (run.json), not a sweep; choose another --out")
    existing = next(parent for parent in (path, *path.parents) if parent.exists())
    if not existing.is_dir():
        raise SweepError(f"cannot create out dir {path}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SweepError(f"cannot write to out dir {path}: permission denied in {existing}")
    return path


def create_out_dir(path: Path) -> None:
    """Create the sweep folder and prove a file can be written there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise SweepError(f"cannot write to out dir {path}: {error.strerror or error}") from None


@contextlib.contextmanager
def sweep_lock(out_dir: Path) -> Iterator[None]:
    """Hold the folder for one sweep at a time; a second sweep into it fails at once, naming it.

    filelock, not fcntl: Windows laptops get the same protection.
    """
    lock = FileLock(out_dir / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise SweepError(f"out dir {out_dir} is in use by another sweep") from None
    try:
        yield
    finally:
        lock.release()


def read_sweep_json(out_dir: Path) -> dict[str, Any] | None:
    """The sweep.json of an earlier sweep in this folder, or None."""
    path = out_dir / SWEEP_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SweepError(f"cannot read {path}: {first_line(error)}; choose another --out") from None
    if not isinstance(data, dict) or not isinstance(data.get("sweep_key"), str):
        raise SweepError(f"{path} is not a sweep's record; choose another --out")
    return data


def completed_points(out_dir: Path) -> dict[str, Path]:
    """Folders under points/ that hold a complete point, by point key (unreadable ones count as missing)."""
    found: dict[str, Path] = {}
    points = out_dir / POINTS_DIR
    if not points.is_dir():
        return found
    for folder in sorted(points.iterdir()):
        record = _read_point_json(folder)
        if record and record.get("status") == "ok" and (folder / str(record.get("notebook"))).is_file():
            found.setdefault(str(record.get("key")), folder)
    return found


def _read_point_json(folder: Path) -> dict[str, Any] | None:
    """A point folder's point.json, or None when it is missing or unreadable."""
    try:
        data = json.loads((folder / POINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def clear_partial(out_dir: Path) -> None:
    """Remove what a killed sweep left half-written; none of it was ever a complete point."""
    shutil.rmtree(out_dir / PARTIAL_DIR, ignore_errors=True)


def install_outcome(out_dir: Path, point: Point, outcome: PointOutcome) -> Path:
    """Write a finished point's files into a staging folder, then rename it into points/ (or failed/)."""
    staging_root = out_dir / PARTIAL_DIR
    staging_root.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{point.folder}-", dir=staging_root))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700 folders; results are for others to read too
    for relative, content in outcome.files.items():
        target = (staging / relative).resolve()
        if staging.resolve() not in target.parents:
            raise SweepError(f"point {point.folder} returned a file outside its folder: {relative}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    final = out_dir / (POINTS_DIR if outcome.status == "ok" else FAILED_DIR) / point.folder
    final.parent.mkdir(exist_ok=True)
    if final.exists():
        _discard(final, staging_root)
    os.replace(staging, final)
    if outcome.status == "ok":
        for stale in (out_dir / FAILED_DIR).glob(f"*-{point.key8}"):  # an earlier failed attempt
            _discard(stale, staging_root)
    return final


def _discard(folder: Path, staging_root: Path) -> None:
    """Move a folder aside (one rename), then delete it."""
    trash = Path(tempfile.mkdtemp(prefix="discard-", dir=staging_root))
    os.replace(folder, trash / folder.name)
    shutil.rmtree(trash, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def sweep_record(plan: SweepPlan, sweep_key: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The content of sweep.json: what was asked and the points it makes."""
    request = plan.request
    return to_jsonable({
        "notebook": plan.stem,
        "sweep_key": sweep_key,
        "grid": plan.grid,
        "fixed": plan.fixed,
        "sample": request.sample,
        "seed": request.seed,
        "metric": request.metric,
        "goal": request.goal,
        "grid_points": plan.total,
        "source": _source_record(plan.notebook.path.read_text(encoding="utf-8")),
        "packages": provenance.package_versions(),
        **options,
        "points": [{"index": p.index, "folder": p.folder, "key": p.key, "params": p.grid_values, "data": p.data}
                   for p in plan.points],
    })


# ---------------------------------------------------------------------------------------------------------
# MLflow: one parent run per sweep, one child run per completed point, never twice


class SweepTracker:
    """The sweep's runs in MLflow: find or create the parent, log each point's child run exactly once."""

    def __init__(self, experiment: str, sweep_key: str, stem: str, uri: str | None = None):
        from mlflow.tracking import MlflowClient

        from workbook import tracking

        try:
            self.experiment_id = tracking.setup_tracking(experiment, uri)
        except tracking.TrackingError as error:
            raise SweepError(str(error)) from None
        self.uri = tracking.resolve_tracking_uri(uri)  # what setup_tracking just checked
        self.client = MlflowClient(self.uri)
        self.experiment, self.sweep_key, self.stem = experiment, sweep_key, stem
        self.parent_id: str | None = None

    def _search(self, filter_string: str, experiment_ids: list[str] | None = None) -> list[Any]:
        """Every active run matching the filter, all pages."""
        runs, token = [], None
        while True:
            page = self.client.search_runs(experiment_ids or [self.experiment_id], filter_string, page_token=token)
            runs.extend(page)
            token = page.token
            if not token:
                return runs

    def start(self, plan: SweepPlan) -> str:
        """Reuse the parent run of this sweep (same folder) or create it; mark it running."""
        found = self._search(f"tags.`{SWEEP_TAG}` = '{self.sweep_key}' AND tags.`{ROLE_TAG}` = 'sweep'")
        if found:
            self.parent_id = min(found, key=lambda run: run.info.start_time).info.run_id
            self.client.update_run(self.parent_id, status="RUNNING")
        else:
            tags = {SWEEP_TAG: self.sweep_key, ROLE_TAG: "sweep", "workbook.notebook": self.stem}
            self.parent_id = self.client.create_run(self.experiment_id, run_name=f"sweep-{self.stem}",
                                                    tags=tags).info.run_id
        self.client.set_tag(self.parent_id, "workbook.sweep_grid", _param_text(plan.grid))
        self.client.set_tag(self.parent_id, "workbook.sweep_fixed", _param_text(plan.fixed))
        return self.parent_id

    def forget_points(self, keys: set[str]) -> int:
        """Delete every run of this sweep tagged with one of `keys` (leftovers of points about to run again)."""
        if not keys:
            return 0
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        runs = self._search(f"tags.`{SWEEP_TAG}` = '{self.sweep_key}'", experiments)
        stale = [run for run in runs if run.data.tags.get(POINT_TAG) in keys]
        for run in stale:
            self.client.delete_run(run.info.run_id)
        return len(stale)

    def ensure_child(self, point: Point, results: Mapping[str, Any], seconds: float | None, folder: str) -> str:
        """The point's FINISHED child run: found if logged before, else logged now; unfinished leftovers go."""
        assert self.parent_id is not None, "start() the sweep first"
        found = self._search(f"tags.`{POINT_TAG}` = '{point.key}' AND tags.`{ROLE_TAG}` = 'point' "
                             f"AND tags.`{PARENT_TAG}` = '{self.parent_id}'")
        finished = [run for run in found if run.info.status == "FINISHED"]
        for run in found:
            if run.info.status != "FINISHED":  # a sweep killed while logging it
                self.client.delete_run(run.info.run_id)
        if finished:
            return finished[0].info.run_id
        return self._log_child(point, results, seconds, folder)

    def _log_child(self, point: Point, results: Mapping[str, Any], seconds: float | None, folder: str) -> str:
        """Create, fill and finish one child run."""
        from mlflow.entities import Metric
        from mlflow.entities import Param as MlflowParam

        tags = {PARENT_TAG: self.parent_id, SWEEP_TAG: self.sweep_key, POINT_TAG: point.key, ROLE_TAG: "point",
                "workbook.notebook": self.stem, "workbook.point_folder": folder}
        run_id = self.client.create_run(self.experiment_id, run_name=f"{self.stem}-{point.folder}",
                                        tags=tags).info.run_id
        now = int(time.time() * 1000)
        metrics = [Metric(name, value, now, 0) for name, value in numeric_results(results).items()]
        if seconds is not None:
            metrics.append(Metric("seconds", float(seconds), now, 0))
        params = [MlflowParam(name, _param_text(value)) for name, value in point.params.items()]
        self.client.log_batch(run_id, metrics=metrics, params=params)
        self.client.set_terminated(run_id, "FINISHED")
        return run_id

    def log_artifact(self, path: Path) -> None:
        """Keep a file of the sweep's (its summary figure) with the parent run."""
        if self.parent_id is not None:
            self.client.log_artifact(self.parent_id, str(path))

    def finish(self, status: str, summary: Mapping[str, float] | None = None) -> None:
        """Close the parent run (FINISHED, FAILED or KILLED) with the sweep's summary figures."""
        if self.parent_id is None:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(name, float(value), now, 0) for name, value in (summary or {}).items()]
        if metrics:
            self.client.log_batch(self.parent_id, metrics=metrics)
        self.client.set_terminated(self.parent_id, status)


def _param_text(value: Any) -> str:
    """A parameter value as MLflow stores it: text, at most MLFLOW_PARAM_LIMIT characters."""
    text = value if isinstance(value, str) else json.dumps(to_jsonable(value), ensure_ascii=False)
    return text[:MLFLOW_PARAM_LIMIT]


def numeric_results(results: Mapping[str, Any]) -> dict[str, float]:
    """The results that are finite numbers (not booleans): what MLflow can log as metrics."""
    return {
        name: float(value)
        for name, value in results.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    }


# ---------------------------------------------------------------------------------------------------------
# Executors: a local process pool, or Dask


OutcomeHandler = Callable[[PointOutcome], None]


def run_local(tasks: Sequence[PointTask], workers: int, on_outcome: OutcomeHandler) -> bool:
    """Execute points in a pool of `workers` processes; True if Ctrl-C stopped it (running points are dropped)."""
    executor = pool.new_pool(min(workers, len(tasks)), preload=POOL_PRELOAD)
    futures: dict[Future, PointTask] = {}
    try:
        futures = {executor.submit(execute_point, task): task for task in tasks}
        for future in as_completed(futures):
            on_outcome(_outcome_of(future, futures[future]))
    except KeyboardInterrupt:
        pool.stop_pool(executor, futures)
        return True
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return False


def _outcome_of(future: Any, task: PointTask) -> PointOutcome:
    """A future's outcome; a worker that died or a task that could not run is a failure of that point."""
    try:
        return future.result()
    except Exception as error:
        return PointOutcome(task.index, task.key, "failed",
                            error=f"the point could not run: {type(error).__name__}: {first_line(error)}")


def connect_dask(address: str, timeout: float = DASK_CONNECT_TIMEOUT_S) -> Any:
    """A distributed.Client on `address`, or SweepError naming the address within about `timeout` seconds."""
    from distributed import Client

    quiet = logging.getLogger("distributed")
    previous = quiet.level
    quiet.setLevel(logging.CRITICAL)  # its connection retries would print several lines per attempt
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as error:
        raise SweepError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {first_line(error)}"
        ) from None
    finally:
        quiet.setLevel(previous)


def run_dask(tasks: Sequence[PointTask], client: Any, on_outcome: OutcomeHandler) -> bool:
    """Execute each point as a Dask task; True if Ctrl-C stopped it (unfinished tasks are cancelled)."""
    from distributed import as_completed as dask_completed

    batch = uuid.uuid4().hex[:8]  # task keys unique to this submission: a rerun must run again
    futures = {
        client.submit(execute_point, task, key=f"workbook-point-{task.index:03d}-{task.key[:8]}-{batch}",
                      pure=False): task
        for task in tasks
    }
    try:
        for future in dask_completed(list(futures), loop=client.loop):  # the client is not the default one
            on_outcome(_outcome_of(future, futures[future]))
    except KeyboardInterrupt:
        client.cancel(list(futures))
        return True
    return False


# ---------------------------------------------------------------------------------------------------------
# Running a sweep


@dataclass
class PointReport:
    """How one point went, as the summary shows it."""

    point: Point
    status: str  # "ok" or "failed"
    seconds: float | None
    error: str | None
    results: dict[str, Any]
    folder: str | None  # the point's folder, relative to the sweep folder (points/... or failed/...)
    notebook: str | None  # the executed notebook, relative to the sweep folder
    resumed: bool = False  # complete before this run started


@dataclass
class SweepResult:
    """What a sweep did; `exit_code` is 0 when every point ran, 1 when some failed, 130 when interrupted."""

    out_dir: Path
    plan: SweepPlan
    reports: list[PointReport]
    interrupted: bool = False
    metric: str | None = None
    metric_is_default: bool = False
    goal: str = "min"
    frame: pd.DataFrame | None = None
    tracking_problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[PointReport]:
        return [report for report in self.reports if report.status != "ok"]

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or self.tracking_problems else 0

    @property
    def summary_csv(self) -> Path | None:
        path = self.out_dir / SUMMARY_CSV
        return path if path.exists() else None

    @property
    def summary_html(self) -> Path | None:
        path = self.out_dir / SUMMARY_HTML
        return path if path.exists() else None


def check_executor_options(executor: str, workers: int, scheduler: str | None) -> None:
    """Executor, worker count and scheduler address make sense together."""
    if executor not in EXECUTORS:
        raise SweepUsageError(f"--executor must be local or dask, got {executor!r}")
    if not _is_int(workers) or workers < 1:
        raise SweepUsageError(f"--workers must be a whole number >= 1, got {workers!r}")
    if executor == "dask" and not scheduler:
        raise SweepUsageError("--executor dask needs --scheduler ADDRESS, e.g. tcp://127.0.0.1:8786")
    if executor == "local" and scheduler:
        raise SweepUsageError("--scheduler is for --executor dask")


def run_sweep(
    plan: SweepPlan,
    out_dir: str | Path | None = None,
    *,
    executor: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    experiment: str = SWEEP_EXPERIMENT,
    kernel_name: str = KERNEL_NAME,
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    progress: bool = False,
    on_message: Callable[[str], None] | None = None,
    on_point: Callable[[PointReport], None] | None = None,
) -> SweepResult:
    """Run the plan's points not yet complete in `out_dir`, log them to MLflow, write the summary.

    Everything that can be checked is checked before the folder is touched: options, folder, kernel,
    tracking store, scheduler. A failing point is reported, not raised. Ctrl-C returns a result with
    `interrupted=True` and no summary; rerunning into the same folder finishes the sweep.
    `on_message` gets the opening line, `on_point` each point's report as it finishes.
    """
    check_executor_options(executor, workers, scheduler)
    out = check_out_dir(out_dir if out_dir is not None else default_out_dir(plan.stem), notebooks_dir)
    previous = read_sweep_json(out) if out.is_dir() else None
    if previous and previous.get("notebook") != plan.stem:
        raise SweepError(f"out dir {out} holds a sweep of {previous.get('notebook')}, not {plan.stem}; "
                         "choose another --out")
    sweep_key = previous["sweep_key"] if previous else uuid.uuid4().hex
    runner.check_kernel(kernel_name)
    client = None
    if executor == "dask":
        client = connect_dask(scheduler)  # before MLflow is imported: an unreachable scheduler fails sooner
    else:
        # Starts the workers' server, which imports papermill while MLflow is set up here.
        pool.pool_context(POOL_PRELOAD)
    try:
        tracker = SweepTracker(experiment, sweep_key, plan.stem)
        create_out_dir(out)
        with sweep_lock(out):
            sweep = _Sweep(plan, out, sweep_key, tracker, client, workers, kernel_name)
            return sweep.run(progress, on_message or (lambda message: None), on_point)
    finally:
        if client is not None:
            client.close()


class _Sweep:
    """One run of a sweep inside its locked folder: resume, execute the rest, record, summarise."""

    def __init__(self, plan: SweepPlan, out: Path, sweep_key: str, tracker: SweepTracker, client: Any,
                 workers: int, kernel_name: str):
        self.plan, self.out, self.sweep_key, self.tracker = plan, out, sweep_key, tracker
        self.client, self.workers, self.kernel_name = client, workers, kernel_name
        self.result = SweepResult(out, plan, [], goal=plan.request.goal)

    @property
    def executor(self) -> str:
        return "local" if self.client is None else "dask"

    def run(self, progress: bool, say: Callable[[str], None],
            on_point: Callable[[PointReport], None] | None) -> SweepResult:
        """Resume, execute, summarise; the parent run is closed however this ends."""
        clear_partial(self.out)
        done = completed_points(self.out)
        self.result.reports = [_resumed_report(p, done[p.key], self.out) for p in self.plan.points if p.key in done]
        pending = [point for point in self.plan.points if point.key not in done]
        write_json_atomic(self.out / SWEEP_FILE, sweep_record(self.plan, self.sweep_key, self._options()))
        say(self._start_line(len(pending)))
        status = "FAILED"
        try:
            self._start_tracking(pending)
            self._execute(pending, progress, on_point)
            self.result.reports.sort(key=lambda report: report.point.index)
            if not self.result.interrupted:
                from workbook import sweep_report  # imports this module: not at the top

                sweep_report.write_summary(self.result)
            status = "KILLED" if self.result.interrupted else "FAILED" if self.result.failed else "FINISHED"
        except KeyboardInterrupt:
            status = "KILLED"
            raise
        finally:
            _close_parent(self.tracker, self.result, status)
            with contextlib.suppress(OSError):
                (self.out / PARTIAL_DIR).rmdir()  # only when empty: nothing half-written is left
        return self.result

    def _options(self) -> dict[str, Any]:
        """How the sweep runs, for sweep.json."""
        return {"executor": self.executor, "workers": self.workers if self.client is None else None,
                "scheduler": self.client.scheduler.address if self.client is not None else None,
                "experiment": self.tracker.experiment}

    def _start_line(self, pending: int) -> str:
        """`sweep 01_toy: 4 points, 2 already complete, 2 to run; local executor, 2 workers`."""
        plan, resumed = self.plan, len(self.result.reports)
        line = f"sweep {plan.stem}: {len(plan.points)} point{'s' if len(plan.points) != 1 else ''}"
        if len(plan.points) < plan.total:
            line += f" sampled from {plan.total}"
        if resumed:
            line += f", {resumed} already complete, {pending} to run"
        if self.client is None:
            return f"{line}; local executor, {self.workers} worker{'s' if self.workers != 1 else ''}"
        return f"{line}; dask executor, scheduler {self.client.scheduler.address}"

    def _start_tracking(self, pending: Sequence[Point]) -> None:
        """Parent run up, leftovers of the points about to run deleted, complete points' child runs in place."""
        try:
            self.tracker.start(self.plan)
            self.tracker.forget_points({point.key for point in pending})
            for report in self.result.reports:
                self.tracker.ensure_child(report.point, report.results, report.seconds, report.folder or "")
        except Exception as error:
            raise SweepError(f"tracking store {self.tracker.uri}: {first_line(error)}") from None

    def _execute(self, pending: Sequence[Point], progress: bool,
                 on_point: Callable[[PointReport], None] | None) -> None:
        """Run the pending points on the executor, recording each as it finishes."""
        notebook_text = self.plan.notebook.path.read_text(encoding="utf-8")
        tasks = [self._task(point, notebook_text) for point in pending]
        by_key = {point.key: point for point in pending}
        bar = _progress_bar(len(self.plan.points), len(self.result.reports), self.plan.stem, progress)

        def on_outcome(outcome: PointOutcome) -> None:
            if outcome.status == "interrupted":  # Ctrl-C reached a worker, even if not this process: stop
                raise KeyboardInterrupt
            report = _record_outcome(self.out, by_key[outcome.key], outcome, self.tracker, self.result)
            _advance(bar, self.result)
            if on_point:
                with bar.external_write_mode(file=sys.stdout):
                    on_point(report)

        try:
            if tasks and self.client is not None:
                self.result.interrupted = run_dask(tasks, self.client, on_outcome)
            elif tasks:
                self.result.interrupted = run_local(tasks, self.workers, on_outcome)
        except KeyboardInterrupt:  # while a point was being recorded: it reruns, or is relogged, next time
            self.result.interrupted = True
        finally:
            bar.close()

    def _task(self, point: Point, notebook_text: str) -> PointTask:
        """The task for one point: the notebook, its values, and the tags its own MLflow runs carry."""
        from workbook.tracking import EXTRA_TAGS_ENV

        env = {EXTRA_TAGS_ENV: json.dumps({SWEEP_TAG: self.sweep_key, POINT_TAG: point.key}),
               "MLFLOW_TRACKING_URI": self.tracker.uri}
        record = to_jsonable({"notebook_stem": self.plan.stem, "sweep_key": self.sweep_key, "params": point.params,
                              "grid_values": point.grid_values, "data": point.data,
                              "source": _source_record(notebook_text)})
        nb_path = self.plan.notebook.path
        return PointTask(point.index, point.key, nb_path.name, notebook_text, str(nb_path.parent), point.params,
                         self.kernel_name, env, record)


def _resumed_report(point: Point, folder: Path, out: Path) -> PointReport:
    """The report of a point complete before this run, from its point.json."""
    record = _read_point_json(folder) or {}
    relative = _relative(out, folder)
    return PointReport(point, "ok", record.get("seconds"), None, dict(record.get("results") or {}), relative,
                       f"{relative}/{record.get('notebook')}", resumed=True)


def _record_outcome(out: Path, point: Point, outcome: PointOutcome, tracker: SweepTracker,
                    result: SweepResult) -> PointReport:
    """Put a finished point in its folder and in the result, then log its child run.

    The point counts as done once its folder is in place: if logging fails or is interrupted, the next run
    logs it. A logging problem is kept in the result, not raised.
    """
    if POINT_FILE not in outcome.files:  # the worker never got to write it (it died, or the task could not run)
        record = {"index": point.index, "key": point.key, "status": outcome.status, "error": outcome.error,
                  "params": point.params, "seconds": outcome.seconds}
        files = {**outcome.files, POINT_FILE: json.dumps(to_jsonable(record), indent=2).encode()}
        outcome = dataclasses.replace(outcome, files=files)
    folder = _relative(out, install_outcome(out, point, outcome))
    notebook = f"{folder}/{outcome.notebook_file}" if outcome.notebook_file else None
    report = PointReport(point, outcome.status, outcome.seconds, outcome.error, outcome.results, folder, notebook)
    result.reports.append(report)
    if outcome.status == "ok":
        try:
            tracker.ensure_child(point, outcome.results, outcome.seconds, folder)
        except Exception as error:
            result.tracking_problems.append(f"point {point.folder} not logged to MLflow: {first_line(error)}")
    return report


def _close_parent(tracker: SweepTracker, result: SweepResult, status: str) -> None:
    """Close the parent run (FINISHED, FAILED or KILLED) with counts and the best value of the metric."""
    summary = {"points_ok": len(result.reports) - len(result.failed), "points_failed": len(result.failed)}
    from workbook import sweep_report  # imports this module: not at the top

    best = sweep_report.best_value(result)
    if best is not None and result.metric:
        summary[f"best_{result.metric}"] = best
    try:
        figure = result.out_dir / sweep_report.SUMMARY_PNG
        if figure.is_file() and not result.interrupted:  # the page's figure, for a reader of the MLflow UI
            tracker.log_artifact(figure)
        tracker.finish(status, summary)
    except Exception as error:
        result.tracking_problems.append(f"sweep run not closed in MLflow: {first_line(error)}")


@lru_cache(maxsize=4)
def _source_record(notebook_text: str) -> dict[str, Any]:
    """The notebook's source hash and the commit, once per notebook text (every point runs the same text)."""
    return provenance.source_record(json.loads(notebook_text))


def _relative(out: Path, path: Path) -> str:
    return path.relative_to(out).as_posix()


def _progress_bar(total: int, initial: int, stem: str, enabled: bool) -> Any:
    """A tqdm bar on stderr counting points, with done / failed / remaining and tqdm's ETA."""
    from tqdm import tqdm

    bar = tqdm(total=total, initial=initial, desc=f"sweep {stem}", unit="point", file=sys.stderr,
               disable=not enabled, dynamic_ncols=True)
    bar.set_postfix_str(f"done {initial} · failed 0 · remaining {total - initial}")
    return bar


def _advance(bar: Any, result: SweepResult) -> None:
    """One more point finished: move the bar and refresh its counts."""
    failed = len(result.failed)
    done = len(result.reports) - failed
    bar.set_postfix_str(f"done {done} · failed {failed} · remaining {len(result.plan.points) - done - failed}",
                        refresh=False)
    bar.update(1)


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def short_text(value: Any, width: int = 60) -> str:
    """A value as compact text (lists and dicts as JSON), cut to `width` characters."""
    text = json.dumps(to_jsonable(value), ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


