"""A checked sweep: every value typed as the notebook declares it, the grid's points and their keys.

A point's key is a SHA-256 of the notebook, its parameters and a fingerprint of its data, so rerunning a
sweep into the same folder skips every point already complete with the same parameters and data.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from workbook.errors import SweepUsageError, WorkbookError
from workbook.execution.catalog import NotebookInfo, read_notebook_info, resolve_notebooks
from workbook.execution.params import PATH_SUFFIXES, Param, literal_default, path_checked_value
from workbook.paths import NOTEBOOKS_DIR
from workbook.results import to_jsonable
from workbook.sweep.request import DEFAULT_SEED, SweepRequest
from workbook.values import is_int

# Set by the sweep for every point: each point writes its own results and files in its own folder.
SWEEP_RESERVED = ("results_path", "output_dir")
MAX_POINTS = 10_000  # a bigger grid is a mistake or a job for --sample


def short_text(value: Any, width: int = 60) -> str:
    """A value as compact text (lists and dicts as JSON), cut to `width` characters."""
    text = json.dumps(to_jsonable(value), ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


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
    if not is_int(n) or n < 1:
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
        return resolve_notebooks([selector], notebooks_dir)[0]
    except WorkbookError as error:
        raise SweepUsageError(str(error)) from None


def plan_sweep(request: SweepRequest, notebooks_dir: str | Path = NOTEBOOKS_DIR,
               base_dir: Path | None = None) -> SweepPlan:
    """Check every grid value and fixed value against the notebook, then list the points with their keys.

    Relative values of path parameters are resolved against `base_dir` (default: the current folder).
    Raises SweepUsageError, naming the parameter and the notebook, before anything runs.
    """
    try:
        nb = read_notebook_info(resolve_notebook(request.notebook, notebooks_dir))
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
        return path_checked_value(param, value, nb.stem, base_dir)
    except WorkbookError as error:
        raise SweepUsageError(str(error)) from None


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
    defaults = {name: literal_default(param) for name, param in nb.parameters.items() if name not in SWEEP_RESERVED}
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
        if name in SWEEP_RESERVED or not name.endswith(PATH_SUFFIXES):
            continue
        value = params[name] if name in params else literal_default(param)
        fingerprint[name] = _file_fingerprint(value, nb.path.parent)
    if "data_path" in nb.parameters and fingerprint.get("data_path") is None:
        fingerprint["twin"] = {
            name: params[name] if name in params else literal_default(nb.parameters[name])
            for name in ("n_rows", "random_state")
            if name in nb.parameters
        }
    return fingerprint


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

