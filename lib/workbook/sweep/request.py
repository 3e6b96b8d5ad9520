"""What a sweep is asked: `--grid NAME=V1,V2,...` options, a grid file, fixed parameters, sample, metric, goal.

Nothing here knows the notebook: plan.py checks the request against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

from workbook.errors import SweepUsageError
from workbook.execution.params import ParameterName
from workbook.execution.schema import read_yaml_mapping, schema_problem, validated
from workbook.messages import first_line

Goal = Literal["min", "max"]
GOALS: tuple[Goal, ...] = get_args(Goal)
DEFAULT_SEED = 42


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


class GridFile(BaseModel):
    """A grid file (`workbook sweep -f`): `{grid: {name: [values]}, params: {name: value}, sample, seed, metric,
    goal}`, every key optional; values stay as YAML typed them (plan.py reads them as the notebook declares)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grid: dict[ParameterName, list[Any]] = Field(default_factory=dict,
                                                 description="must map parameter names to lists of values")
    params: dict[ParameterName, Any] = Field(default_factory=dict, description="must map parameter names to values")
    sample: StrictInt | None = Field(None, description="must be a whole number")
    seed: StrictInt = Field(DEFAULT_SEED, description="must be a whole number")
    metric: StrictStr | None = Field(None, description="must be text")
    goal: Goal = Field("min", description="must be min or max")

    @model_validator(mode="after")
    def _grid_or_params(self) -> GridFile:
        both = [name for name in self.grid if name in self.params]
        if both:
            raise schema_problem(f"'{both[0]}' is both in grid and in params")
        return self


def load_grid_file(path: str | Path) -> GridFile:
    """Read a grid file and check it against `GridFile`; SweepUsageError naming the file, key and expectation."""
    data = read_yaml_mapping(path, "grid file", SweepUsageError)
    return validated(GridFile, data, f"grid file {path}:", SweepUsageError)


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
    spec = load_grid_file(grid_file) if grid_file else GridFile()
    grid = {name: list(values) for name, values in spec.grid.items()}
    fixed = dict(spec.params)
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
    goal = goal if goal is not None else spec.goal
    if goal not in GOALS:
        raise SweepUsageError(f"--goal must be min or max, got {goal!r}")
    if not grid:
        raise SweepUsageError("empty grid: give at least one --grid NAME=V1,V2,... (or a grid: section in -f FILE)")
    return SweepRequest(
        notebook=notebook,
        grid=grid,
        fixed=fixed,
        sample=sample if sample is not None else spec.sample,
        seed=seed if seed is not None else spec.seed,
        metric=metric if metric is not None else spec.metric,
        goal=goal,
    )

