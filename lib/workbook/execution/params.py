"""A notebook's parameters: reading the `parameters` cell, typing values, declared ranges and choices.

Shared by `workbook run` and `workbook sweep`: both check every value against the notebook's `parameters`
cell before any kernel starts.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from pydantic import AfterValidator, RootModel

from workbook.errors import UsageError, WorkbookError
from workbook.execution.schema import read_yaml_mapping, schema_problem, validated
from workbook.messages import first_line
from workbook.values import is_number

if TYPE_CHECKING:
    from workbook.execution.catalog import NotebookInfo

RESERVED_PARAMETERS = ("results_path",)
# Parameters named like this hold paths; a relative one means relative to where the user typed the
# command, not to notebooks/ where the kernel runs, so the runner makes it absolute.
PATH_SUFFIXES = ("_path", "_dir", "_file", "_csv")
SIMPLE_TYPES = ("int", "float", "bool", "str", "list", "dict")
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0"}
NULL_WORDS = {"None", "none", "null", "Null", "NULL", "~"}
# What ast.literal_eval raises for text that is not a literal.
LITERAL_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


def _parameter_name(name: str) -> str:
    if not name.isidentifier():
        raise schema_problem("must be a parameter name")
    return name


# A parameter's name where a file gives one: a Python identifier, as the `parameters` cell declares it.
ParameterName = Annotated[str, AfterValidator(_parameter_name)]


@dataclass(frozen=True)
class Param:
    """One parameter of a notebook's `parameters` cell: `name[: type] = default  # help`."""

    name: str
    type_name: str  # "int", "float", "bool", "str", "list", "dict", "<type> | None" or "any"
    default: str  # the default as written in the cell
    help: str = ""

    @property
    def nullable(self) -> bool:
        """True when the parameter also accepts None."""
        return self.type_name.endswith(" | None")

    @property
    def base_type(self) -> str:
        """The type without its `| None`."""
        return self.type_name.removesuffix(" | None")


def literal_default(param: Param) -> Any:
    """A parameter's default as a Python value; the source text when it is an expression."""
    try:
        return ast.literal_eval(param.default)
    except LITERAL_ERRORS:
        return param.default


def parse_parameters_cell(source: str, notebook: str = "notebook") -> dict[str, Param]:
    """Read `name[: type] = default  # help` lines with Python's own parser.

    papermill's `inspect_notebook` (2.7) reads these lines with a regular expression that drops
    `x: int | None = None`, cuts `"a#b"` at the `#` and skips lines whose help text contains `=`;
    `ast` and `tokenize` read the same convention exactly.
    """
    try:
        tree = ast.parse(source)
        comments = {
            token.start[0]: token.string.lstrip("#").strip()
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT
        }
    except (SyntaxError, tokenize.TokenError) as error:
        problem = first_line(error)
        raise WorkbookError(f"{notebook}: the parameters cell is not valid Python: {problem}") from error
    params: dict[str, Param] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, annotation = node.targets[0].id, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, annotation = node.target.id, ast.unparse(node.annotation)
        else:
            continue
        default = ast.get_source_segment(source, node.value) or ast.unparse(node.value)
        type_name = _annotation_type(annotation) or _default_type(default)
        params[name] = Param(name, type_name, default, comments.get(node.end_lineno, ""))
    return params


def _annotation_type(annotation: str | None) -> str | None:
    """`int`, `float | None`, `Optional[str]`, `list[str]` -> a type name; None when not one we check."""
    if not annotation:
        return None
    text = annotation.replace(" ", "").replace("typing.", "")
    nullable = False
    optional = re.fullmatch(r"Optional\[(.+)\]", text)
    if optional:
        text, nullable = optional.group(1), True
    parts = text.split("|")
    if "None" in parts:
        parts.remove("None")
        nullable = True
    if len(parts) != 1:
        return None
    base = re.sub(r"\[.*\]$", "", parts[0])  # list[str] -> list: elements are not checked
    base = {"List": "list", "Dict": "dict"}.get(base, base)
    if base not in SIMPLE_TYPES:
        return None
    return f"{base} | None" if nullable else base


def _default_type(default: str) -> str:
    """The type of a default written as a Python literal; `None` means text or None; other code is `any`."""
    try:
        value = ast.literal_eval(default)
    except LITERAL_ERRORS:
        return "any"
    if value is None:
        return "str | None"
    if isinstance(value, tuple):
        return "list"
    name = type(value).__name__  # exact type: True is a bool here, not an int
    return name if name in SIMPLE_TYPES else "any"


# ---------------------------------------------------------------------------------------------------------
# Checking and coercing parameter values


def coerce_value(param: Param, value: Any, notebook: str) -> Any:
    """Turn a `-p` string or a YAML value into the parameter's declared type, or raise UsageError.

    Text is read by the declared type, so `007` stays "007" for a str parameter and `1e-3` (a string
    in YAML 1.1) becomes 0.001 for a float parameter.
    """
    base = param.base_type
    if value is None:
        if param.nullable or base == "any":
            return None
        raise _bad_value(param, value, notebook)
    if isinstance(value, str):
        if param.nullable and value.strip() in NULL_WORDS:
            return None
        return _coerce_text(param, value, notebook)
    return _check_typed(param, value, notebook)


def _coerce_text(param: Param, text: str, notebook: str) -> Any:
    """Read a text value as the parameter's type."""
    base, stripped = param.base_type, text.strip()
    if base in ("str", "any"):
        return text
    if base == "int" and re.fullmatch(r"[+-]?\d+(_\d+)*", stripped):  # 10_683 as the notebooks write it
        return int(stripped)
    if base == "float":
        try:
            return _finite(param, float(stripped), notebook, text)
        except ValueError:
            pass
    if base == "bool" and stripped.lower() in TRUE_WORDS | FALSE_WORDS:
        return stripped.lower() in TRUE_WORDS
    if base in ("list", "dict"):
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            parsed = None
        if isinstance(parsed, list if base == "list" else dict):
            return parsed
    raise _bad_value(param, text, notebook)


def _check_typed(param: Param, value: Any, notebook: str) -> Any:
    """Check a typed (YAML) value fits the parameter; ints are accepted for floats."""
    base = param.base_type
    if base == "int" and is_number(value) and isinstance(value, int):
        return value
    if base == "float" and is_number(value):
        return _finite(param, float(value), notebook, value)
    if base == "bool" and isinstance(value, bool):
        return value
    if base == "list" and isinstance(value, (list, tuple)):
        return list(value)
    if base == "dict" and isinstance(value, dict):
        return value
    if base == "any" and isinstance(value, (bool, int, float, list, dict)):
        return value
    hint = "; quote it in the YAML file" if base in ("str", "any") else ""
    raise _bad_value(param, value, notebook, hint)


def _finite(param: Param, number: float, notebook: str, given: Any) -> float:
    """`number`, unless it is NaN or infinite: no notebook's float means either, and NaN passes any range check
    (every comparison with it is false), to fail later inside the kernel."""
    if not math.isfinite(number):
        raise _bad_value(param, given, notebook, "; NaN and infinity are not allowed")
    return number


def _bad_value(param: Param, value: Any, notebook: str, hint: str = "") -> UsageError:
    """The one-line error for a value that does not fit a parameter."""
    expected = param.type_name
    if param.base_type == "bool":
        expected += " (true/false/yes/no/1/0)"
    got = repr(value) if isinstance(value, str) or value is None else f"{value!r} ({type(value).__name__})"
    return UsageError(
        f"bad value for parameter '{param.name}' of {notebook}: expected {expected}, got {got}{hint}"
    )


# Ranges and choices a notebook declares in a parameter's comment: `# penalty; range: 0..10`,
# `# what to simulate; one of: none, price_shock`. Parts of the comment are separated by ';'.


def _declaration(param: Param, keyword: str) -> str | None:
    """The text after `keyword` in the `;`-separated part of the comment that starts with it."""
    for part in param.help.split(";"):
        part = part.strip()
        if part.lower().startswith(keyword):
            return part[len(keyword):].strip()
    return None


def declared_range(param: Param) -> tuple[float | None, float | None] | None:
    """The `range: LOW..HIGH` a parameter's comment declares (either end may be left open), or None."""
    text = _declaration(param, "range:")
    if text is None:
        return None
    low_text, dots, high_text = text.partition("..")
    try:
        low = float(low_text) if low_text.strip() else None
        high = float(high_text) if high_text.strip() else None
    except ValueError:
        low = high = None
    if not dots or (low is None and high is None) or (low is not None and high is not None and low > high):
        raise WorkbookError(f"parameter '{param.name}' declares range {text!r}; expected LOW..HIGH, e.g. range: 0..10")
    return low, high


def declared_choices(param: Param) -> list[str] | None:
    """The values a parameter's comment allows (`one of: a, b, c`), as written, or None."""
    text = _declaration(param, "one of:")
    if text is None:
        return None
    choices = [item.strip().strip("'\"") for item in text.split(",") if item.strip()]
    if not choices:
        raise WorkbookError(f"parameter '{param.name}' declares 'one of:' without values; e.g. one of: a, b")
    return choices


def check_declared(param: Param, value: Any, notebook: str) -> None:
    """UsageError when a (typed) value is outside the range or choices the notebook declares.

    A declaration the notebook gets wrong (`range: 10..0`) is the notebook's problem: WorkbookError.
    """
    if value is None:
        return
    try:
        bounds, choices = declared_range(param), declared_choices(param)
    except WorkbookError as error:
        raise WorkbookError(f"{notebook}: {error}") from None
    if bounds is not None:
        low, high = bounds
        if not is_number(value) or (low is not None and value < low) or (high is not None and value > high):
            raise UsageError(
                f"value {value!r} for parameter '{param.name}' of {notebook} is outside its declared range "
                f"{_declaration(param, 'range:')}"
            )
    if choices is not None:
        allowed = [coerce_value(param, choice, notebook) for choice in choices]
        if not any(value == choice and type(value) is type(choice) for choice in allowed):
            raise UsageError(
                f"value {value!r} for parameter '{param.name}' of {notebook} is not one of: {', '.join(choices)}"
            )


def checked_value(param: Param, value: Any, notebook: str) -> Any:
    """The value typed as the notebook's parameter, and inside the range or choices its comment declares."""
    typed = coerce_value(param, value, notebook)
    check_declared(param, typed, notebook)
    return typed


def plan_parameters(
    notebooks: Sequence[NotebookInfo], params: Mapping[str, Any], base_dir: Path | None = None
) -> dict[str, dict[str, Any]]:
    """Each notebook's checked values: a parameter goes to every selected notebook that declares it.

    A name no selected notebook declares, or a value that does not fit, is a bad request: UsageError.

    Relative values of path parameters (`*_path`, `*_dir`, `*_file`, `*_csv`) are resolved against `base_dir`
    (default: the current directory).
    """
    reserved = [name for name in params if name in RESERVED_PARAMETERS]
    if reserved:
        raise UsageError(f"parameter '{reserved[0]}' is set by the runner; do not pass it")
    declared = {nb.stem: nb.parameters for nb in notebooks}
    for name in params:
        if not any(name in parameters for parameters in declared.values()):
            known = sorted({n for ps in declared.values() for n in ps} - set(RESERVED_PARAMETERS))
            raise UsageError(
                f"unknown parameter '{name}': no selected notebook declares it; "
                f"known: {', '.join(known) or 'none'}"
            )
    base_dir = Path.cwd() if base_dir is None else base_dir
    return {
        stem: {
            name: path_checked_value(parameters[name], value, stem, base_dir)
            for name, value in params.items()
            if name in parameters
        }
        for stem, parameters in declared.items()
    }


def path_checked_value(param: Param, value: Any, notebook: str, base_dir: Path) -> Any:
    """checked_value, then made absolute against `base_dir` when the parameter holds a path."""
    return absolute_if_path(param.name, checked_value(param, value, notebook), base_dir)


def absolute_if_path(name: str, value: Any, base_dir: Path) -> Any:
    """`data_path='flights.csv'` -> '<base_dir>/flights.csv'; other names, URLs and absolute paths unchanged."""
    if not name.endswith(PATH_SUFFIXES) or not isinstance(value, str) or not value or "://" in value:
        return value
    path = Path(value).expanduser()
    return value if path.is_absolute() else str((base_dir / path).resolve())


class ParamsFile(RootModel[dict[ParameterName, Any]]):
    """The parameter file of `workbook run -f`: `name: value` lines, values as YAML typed them."""


def load_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML file of `name: value` lines (values stay as YAML typed them; checks come later).

    A file that cannot be read or does not fit `ParamsFile` is a bad request: UsageError, naming the file.
    """
    data = read_yaml_mapping(path, "parameter file", UsageError)
    return validated(ParamsFile, data, f"parameter file {path}:", UsageError).root


def folder_parameters(nb: NotebookInfo, results_path: Path, output_dir: Path,
                      given: Mapping[str, Any]) -> dict[str, str]:
    """What a run or a sweep sets so a notebook keeps everything in its folder: the results file always, and
    `output_dir` (notebooks write their files under `output_dir/<stem>/`) unless the user chose one."""
    values: dict[str, str] = {}
    if "results_path" in nb.parameters:
        values["results_path"] = str(results_path)
    if "output_dir" in nb.parameters and "output_dir" not in given:
        values["output_dir"] = str(output_dir)
    return values
