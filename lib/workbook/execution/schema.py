"""Outside input checked at the edge: reading a YAML mapping, and pydantic's findings as our one-line errors.

Each file kind declares its schema as a pydantic model in the module that reads it (the grid file in
sweep/request.py, the parameter file in execution/params.py, a notebook's `workbook` metadata in
execution/catalog.py); `validated` checks input against it and turns the first problem pydantic finds into
one line naming the file, the key and what was expected: `grid file g.yaml: grid.x must be a list of
values, got 1`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from workbook.errors import WorkbookError
from workbook.messages import first_line

Model = TypeVar("Model", bound=BaseModel)

# The error type of the checks a model adds itself (`schema_problem`): their message is the whole line.
OWN_CHECK = "workbook"
# What a value must be, by pydantic's error type, where no field description says it (a list's items, a
# mapping's values, the whole input); other types keep pydantic's wording ("must be a valid integer").
EXPECTATIONS = {
    "list_type": "must be a list of values",
    "dict_type": "must map names to values",
    "model_type": "must be a mapping",
    "string_type": "must be text",
}


def schema_problem(message: str) -> PydanticCustomError:
    """An error for a model's own validator: `message` follows the key as it is (`names '07_x'; expected ...`)."""
    return PydanticCustomError(OWN_CHECK, message)


def schema_error_line(error: ValidationError, model: type[BaseModel], where: str, root: str = "") -> str:
    """The first problem pydantic found, as `<where> <key> <expectation>, got <value>`.

    `where` names the file ("grid file g.yaml:"); `root` is the key the model sits under ("workbook" for a
    notebook's metadata). A top-level field's `description` is its expectation ("must be a whole number").
    """
    problem: ErrorDetails = error.errors(include_url=False)[0]
    loc = list(problem["loc"])
    if loc and loc[-1] == "[key]":  # the key itself is wrong, not its value
        return _line(where, _key(root, loc[:-2]), f"key {problem['input']!r} must be a parameter name")
    key = _key(root, loc)
    if problem["type"] == OWN_CHECK:
        return _line(where, key, problem["msg"])
    if problem["type"] == "extra_forbidden":
        return _line(where, f"unknown key '{key}'; expected {', '.join(model.model_fields)}")
    field = model.model_fields.get(str(loc[0])) if len(loc) == 1 else None
    expectation = (field and field.description) or EXPECTATIONS.get(problem["type"]) or _must(problem)
    return _line(where, key, f"{expectation}, got {problem['input']!r}")


def _key(root: str, loc: list[int | str]) -> str:
    """`('grid', 'x')` -> `grid.x`; list positions as `[0]`: `workbook.needs[0]`."""
    key = root
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key = f"{key}.{part}" if key else part
    return key


def _must(problem: ErrorDetails) -> str:
    """pydantic's own wording as an expectation: `Input should be 'min' or 'max'` -> `must be 'min' or 'max'`."""
    return problem["msg"].replace("Input should be", "must be")


def _line(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def validated(model: type[Model], data: Any, where: str, error: type[WorkbookError] = WorkbookError,
              root: str = "", context: dict[str, Any] | None = None) -> Model:
    """`data` checked against `model`; `error` with one line (see `schema_error_line`) when it does not fit.

    `context` reaches the model's own validators (a notebook's metadata needs the notebook's name).
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as problem:
        raise error(schema_error_line(problem, model, where, root)) from None


def read_yaml_mapping(path: str | Path, what: str, error: type[WorkbookError] = WorkbookError) -> dict[str, Any]:
    """The mapping in a YAML file (empty file: {}); `error` naming the file as `what` when it is not one."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"cannot read {what} {path}: {problem.strerror or problem}") from None
    except yaml.YAMLError as problem:
        raise error(f"{what} {path} is not valid YAML: {first_line(problem)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise error(f"{what} {path} must be a mapping of names to values, got {type(data).__name__}")
    return data
