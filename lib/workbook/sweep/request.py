"""What a sweep is asked: `--grid NAME=V1,V2,...` options, a grid file, fixed parameters, sample, metric, goal.

Nothing here knows the notebook: plan.py checks the request against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from workbook.errors import SweepUsageError
from workbook.execution.params import is_int, read_yaml_mapping
from workbook.messages import first_line

Goal = Literal["min", "max"]
GOALS: tuple[Goal, ...] = get_args(Goal)
DEFAULT_SEED = 42
GRID_FILE_KEYS = ("grid", "params", "sample", "seed", "metric", "goal")


@dataclass(frozen=True)
class SweepRequest:
    """What the user asked for, before it is checked against the notebook (values as typed or as YAML)."""

    notebook: str  # a selector (number, stem) or a path to an .ipynb file
    grid: dict[str, list[Any]]
    fixed: dict[str, Any] = field(default_factory=dict)
    sample: int | None = None  # run this many distinct points of the grid instead of all of them
    seed: int = DEFAULT_SEED
    metric: str | None = None  # None: the first numeric result
    goal: Goal = "min"


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
    data = read_yaml_mapping(path, "grid file", SweepUsageError)
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
        if key in data and not is_int(data[key]):
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

