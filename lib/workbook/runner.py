"""Run the workbook's notebooks with papermill: pick them, check parameters, execute, collect results.

A run executes the selected notebooks in order (or, with `jobs` > 1, several at once, each after the
notebooks its metadata says it needs) into a new folder under `runs/`, one kernel per notebook, and leaves
there: the executed notebooks, `results.json` (every notebook's recorded results; only when
every notebook succeeded), an HTML rendering of each notebook, `index.html` and `run.json`.
Parameters are checked against each notebook's `parameters` cell before any kernel starts.
"""

from __future__ import annotations

import ast
import html
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import tokenize
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import yaml

if TYPE_CHECKING:
    import nbformat
    from papermill.exceptions import PapermillExecutionError

from workbook import __version__, made_with, provenance
from workbook.errors import WorkbookError
from workbook.files import atomic_write
from workbook.messages import ANSI_ESCAPE, first_line
from workbook.paths import KERNEL_NAME, NOTEBOOKS_DIR, RUNS_DIR
from workbook.results import to_jsonable, write_json_atomic

# papermill, nbformat and nbconvert take seconds to import; they are imported where a run needs them,
# so `workbook list` and errors in the request stay instant.

logger = logging.getLogger(__name__)

NOTEBOOK_NAME = re.compile(r"(\d{2})_([^.]+)\.ipynb")  # no dots in the stem: `02_x.FAILED.ipynb` is not one
RESERVED_PARAMETERS = ("results_path",)
# Parameters named like this hold paths; a relative one means relative to where the user typed the
# command, not to notebooks/ where the kernel runs, so the runner makes it absolute.
PATH_SUFFIXES = ("_path", "_dir", "_file", "_csv")
SIMPLE_TYPES = ("int", "float", "bool", "str", "list", "dict")
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0"}
NULL_WORDS = {"None", "none", "null", "Null", "NULL", "~"}

# Kernel start-up failures that are not the notebook's fault (the ZMQ port race between kernels started
# at the same moment, or a slow machine); worth another attempt. A cell error is never retried.
KERNEL_START_ERRORS = ("Address already in use", "Kernel died before replying", "Kernel didn't respond")
KERNEL_START_ATTEMPTS = 3
# ipykernel 7 warns on every start that it talks TCP without encryption, and now and then logs an ERROR
# "KeyboardInterrupt caught in kernel" when jupyter_client interrupts it before shutting it down. Neither
# is about the notebook (cell errors reach us through the notebook itself); keep the run's output readable.
QUIET_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
# One native (OpenMP/BLAS) thread per kernel, unless the user set these: the workbook fits under one thread
# already (models.fitting_context), and predictions outside it spun two OpenMP threads against the other
# notebooks and tests of a busy 2-core machine (measured: 2,000 boosting predictions in 0.4-2.5 s instead
# of 0.1-0.2 s). Results do not change: a boosting prediction sums each row's trees in one thread anyway.
KERNEL_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# What else a batch kernel gets unless the user set it: no MLflow download progress bars, which a learner's
# JupyterLab shows as widgets but which would land in an executed notebook's outputs and in nbval's comparison.
QUIET_MLFLOW = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


def kernel_environment() -> dict[str, str]:
    """The variables a kernel started for a batch run inherits (one native thread, quiet MLflow), except any
    the user has set already."""
    wanted = {name: "1" for name in KERNEL_THREAD_VARIABLES} | QUIET_MLFLOW
    return {name: value for name, value in wanted.items() if name not in os.environ}


# ---------------------------------------------------------------------------------------------------------
# Notebooks and their parameters


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


@dataclass(frozen=True)
class NotebookInfo:
    """A numbered notebook: where it is, its title, its parameters and what a parallel run needs to know.

    `needs` (stems of earlier notebooks whose results it uses) and `expected_seconds` come from the
    notebook's metadata, `{"workbook": {"needs": [...], "expected_seconds": N}}`.
    """

    path: Path
    title: str
    parameters: dict[str, Param]
    needs: tuple[str, ...] = ()
    expected_seconds: float = 0.0

    @property
    def stem(self) -> str:
        return self.path.stem


def discover_notebooks(notebooks_dir: str | Path = NOTEBOOKS_DIR) -> list[Path]:
    """The `NN_*.ipynb` notebooks in a folder, sorted by number."""
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise WorkbookError(f"notebooks folder not found: {folder}")
    found = [p for p in folder.iterdir() if p.is_file() and NOTEBOOK_NAME.fullmatch(p.name)]
    return sorted(found, key=lambda p: (int(p.name[:2]), p.name))


def resolve_notebooks(selectors: Sequence[str], notebooks_dir: str | Path = NOTEBOOKS_DIR) -> list[Path]:
    """Notebooks chosen by number ("2", "02"), stem, topic ("data_and_eda") or a unique prefix/suffix.

    No selectors means every notebook. The result keeps the notebooks' own order (later notebooks build
    on earlier ones), whatever order the selectors came in.
    """
    available = discover_notebooks(notebooks_dir)
    if not available:
        raise WorkbookError(f"no notebooks named NN_name.ipynb in {notebooks_dir}")
    if not selectors:
        return available
    chosen = {_match_selector(selector, available) for selector in selectors}
    return [path for path in available if path in chosen]


def _topic(path: Path) -> str:
    """The stem without its number: `02_data_and_eda` -> `data_and_eda`."""
    return path.stem.split("_", 1)[1]


def _match_selector(selector: str, available: list[Path]) -> Path:
    """The one notebook a selector names, or a WorkbookError saying what exists."""
    name = Path(selector).name.removesuffix(".ipynb")  # accept `notebooks/02_x.ipynb` from tab completion
    if name.isdigit():
        matches = [p for p in available if int(p.name[:2]) == int(name)]
    elif name:
        exact = [p for p in available if name in (p.stem, _topic(p))]
        matches = exact or [
            p
            for p in available
            if p.stem.startswith(name) or _topic(p).startswith(name) or p.stem.endswith(name)
        ]
    else:
        matches = []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        names = ", ".join(p.stem for p in available)
        raise WorkbookError(f"unknown notebook '{selector}'; available: {names}")
    names = ", ".join(p.stem for p in matches)
    raise WorkbookError(f"ambiguous notebook '{selector}' matches {names}; use its number")


def read_notebook(path: Path) -> dict[str, Any]:
    """A notebook file as plain JSON (enough to read cells and tags), or a clear error."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:  # json errors are ValueErrors
        raise WorkbookError(f"cannot read notebook {path}: {first_line(error)}") from error
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise WorkbookError(f"cannot read notebook {path}: no list of cells")
    return nb


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source as one string (files store it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def cell_tags(cell: Mapping[str, Any]) -> list[str]:
    """A cell's tags (papermill looks for `parameters` and `injected-parameters`)."""
    return list(cell.get("metadata", {}).get("tags", []))


def parameters_cell_index(nb: Mapping[str, Any]) -> int | None:
    """Index of the first cell tagged `parameters` (papermill's rule), or None."""
    for index, cell in enumerate(nb["cells"]):
        if "parameters" in cell_tags(cell):
            return index
    return None


def read_notebook_info(path: str | Path) -> NotebookInfo:
    """Title and parameters of one notebook, without running it."""
    path = Path(path)
    nb = read_notebook(path)
    index = parameters_cell_index(nb)
    parameters = {} if index is None else parse_parameters_cell(cell_source(nb["cells"][index]), path.stem)
    needs, expected_seconds = _run_metadata(nb, path)
    return NotebookInfo(path=path, title=_notebook_title(nb) or path.stem, parameters=parameters, needs=needs,
                        expected_seconds=expected_seconds)


def _run_metadata(nb: Mapping[str, Any], path: Path) -> tuple[tuple[str, ...], float]:
    """`needs` and `expected_seconds` from the notebook's `workbook` metadata, checked."""
    meta = nb.get("metadata", {}).get("workbook", {})
    if not isinstance(meta, dict):
        raise WorkbookError(f"{path.name}: metadata 'workbook' must be a mapping, got {type(meta).__name__}")
    needs = meta.get("needs", [])
    if not isinstance(needs, list) or not all(isinstance(stem, str) for stem in needs):
        raise WorkbookError(f"{path.name}: metadata workbook.needs must be a list of notebook names, got {needs!r}")
    for stem in needs:
        # Only earlier notebooks: the sequential order then satisfies every need and no cycle can exist.
        if not NOTEBOOK_NAME.fullmatch(f"{stem}.ipynb") or stem[:2] >= path.name[:2]:
            raise WorkbookError(f"{path.name}: metadata workbook.needs names {stem!r}; "
                                "expected the name of an earlier notebook, like 05_mlflow_tracking")
    expected = meta.get("expected_seconds", 0)
    if isinstance(expected, bool) or not isinstance(expected, (int, float)) or expected < 0:
        raise WorkbookError(f"{path.name}: metadata workbook.expected_seconds must be a number >= 0, "
                            f"got {expected!r}")
    return tuple(needs), float(expected)


def notebook_parameters(path: str | Path) -> dict[str, Param]:
    """The parameters a notebook declares, by name, in the order of its `parameters` cell."""
    return read_notebook_info(path).parameters


def list_notebooks(notebooks_dir: str | Path = NOTEBOOKS_DIR) -> list[NotebookInfo]:
    """Every notebook with its title and parameters (the data behind `workbook list`)."""
    return [read_notebook_info(path) for path in discover_notebooks(notebooks_dir)]


def _notebook_title(nb: Mapping[str, Any]) -> str:
    """The first markdown heading of a notebook, without its `#`s."""
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            for line in cell_source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


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
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
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
    """Turn a `-p` string or a YAML value into the parameter's declared type, or raise WorkbookError.

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
            return float(stripped)
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
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if base == "int" and is_number and isinstance(value, int):
        return value
    if base == "float" and is_number:
        return float(value)
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


def _bad_value(param: Param, value: Any, notebook: str, hint: str = "") -> WorkbookError:
    """The one-line error for a value that does not fit a parameter."""
    expected = param.type_name
    if param.base_type == "bool":
        expected += " (true/false/yes/no/1/0)"
    got = repr(value) if isinstance(value, str) or value is None else f"{value!r} ({type(value).__name__})"
    return WorkbookError(
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
    """Raise WorkbookError when a (typed) value is outside the range or choices the notebook declares."""
    if value is None:
        return
    try:
        bounds, choices = declared_range(param), declared_choices(param)
    except WorkbookError as error:
        raise WorkbookError(f"{notebook}: {error}") from None
    if bounds is not None:
        low, high = bounds
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or (low is not None and value < low) or (high is not None and value > high):
            raise WorkbookError(
                f"value {value!r} for parameter '{param.name}' of {notebook} is outside its declared range "
                f"{_declaration(param, 'range:')}"
            )
    if choices is not None:
        allowed = [coerce_value(param, choice, notebook) for choice in choices]
        if not any(value == choice and type(value) is type(choice) for choice in allowed):
            raise WorkbookError(
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

    Relative values of path parameters (`*_path`, `*_dir`, `*_file`, `*_csv`) are resolved against `base_dir`
    (default: the current directory).
    """
    reserved = [name for name in params if name in RESERVED_PARAMETERS]
    if reserved:
        raise WorkbookError(f"parameter '{reserved[0]}' is set by the runner; do not pass it")
    declared = {nb.stem: nb.parameters for nb in notebooks}
    for name in params:
        if not any(name in parameters for parameters in declared.values()):
            known = sorted({n for ps in declared.values() for n in ps} - set(RESERVED_PARAMETERS))
            raise WorkbookError(
                f"unknown parameter '{name}': no selected notebook declares it; "
                f"known: {', '.join(known) or 'none'}"
            )
    base_dir = Path.cwd() if base_dir is None else base_dir
    return {
        stem: {
            name: absolute_if_path(name, checked_value(parameters[name], value, stem), base_dir)
            for name, value in params.items()
            if name in parameters
        }
        for stem, parameters in declared.items()
    }


def absolute_if_path(name: str, value: Any, base_dir: Path) -> Any:
    """`data_path='flights.csv'` -> '<base_dir>/flights.csv'; other names, URLs and absolute paths unchanged."""
    if not name.endswith(PATH_SUFFIXES) or not isinstance(value, str) or not value or "://" in value:
        return value
    path = Path(value).expanduser()
    return value if path.is_absolute() else str((base_dir / path).resolve())


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


def load_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML file of `name: value` lines (values stay as YAML typed them; checks come later)."""
    return read_yaml_mapping(path, "parameter file")


# ---------------------------------------------------------------------------------------------------------
# Run folders and results


@dataclass
class NotebookRun:
    """How one notebook of a run went."""

    name: str
    status: str  # "ok", "failed" or "skipped" (not reached because an earlier notebook failed)
    seconds: float | None = None
    error: str | None = None
    output: str | None = None  # file name of the executed notebook in the run folder
    parameters: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The entry for run.json (parameters and results are kept elsewhere in that file)."""
        keys = ("name", "status", "seconds", "error", "output")
        return {key: getattr(self, key) for key in keys}


@dataclass
class RunResult:
    """What a run did; check `ok` (a failing notebook is reported here, not raised)."""

    status: str  # "ok" or "failed"
    out_dir: Path | None  # the run folder; None for a successful in-place run
    notebooks: list[NotebookRun]
    error: str | None = None
    started: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        """Results recorded by every notebook that finished, by notebook stem."""
        return {run.name: run.results for run in self.notebooks if run.status == "ok"}

    @property
    def results_file(self) -> Path | None:
        """results.json when the run wrote one (only successful runs do)."""
        path = self.out_dir / "results.json" if self.out_dir else None
        return path if path and path.exists() else None

    @property
    def index_file(self) -> Path | None:
        """The run's index.html, when there is a run folder."""
        path = self.out_dir / "index.html" if self.out_dir else None
        return path if path and path.exists() else None


def new_run_dir(runs_dir: str | Path | None = None, now: datetime | None = None) -> Path:
    """Create and return a new `runs/<YYYYmmdd-HHMMSS>` folder (`-2`, `-3`, ... when taken)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for number in count(1):
        candidate = Path(runs_dir or RUNS_DIR) / (stamp if number == 1 else f"{stamp}-{number}")
        try:
            candidate.mkdir(parents=True)  # mkdir, not exists(): two runs starting together get two folders
            return candidate
        except FileExistsError:
            continue
        except OSError as error:
            raise WorkbookError(f"cannot create run folder {candidate}: {error.strerror or error}") from error
    raise AssertionError("unreachable")


def prepare_out_dir(out_dir: str | Path | None, notebooks_dir: str | Path = NOTEBOOKS_DIR) -> Path:
    """The folder a run writes to: new when not given; an existing one must not hold a run already."""
    if out_dir is None:
        path = new_run_dir()
    else:
        path = check_out_dir(out_dir, notebooks_dir)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WorkbookError(f"cannot create out dir {path}: {error.strerror or error}") from error
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise WorkbookError(f"cannot write to out dir {path}: {error.strerror or error}") from error
    return path.resolve()


def check_out_dir(out_dir: str | Path, notebooks_dir: str | Path = NOTEBOOKS_DIR) -> Path:
    """The resolved out dir, unless it is the notebooks folder, a file, or already holds a run."""
    path = Path(out_dir).resolve()
    if path == Path(notebooks_dir).resolve():
        raise WorkbookError(f"out dir {path} is the notebooks folder; use --in-place to refresh them")
    if (path / "run.json").exists():
        raise WorkbookError(f"out dir {path} already holds a run (run.json); choose another or remove it")
    if path.exists() and not path.is_dir():
        raise WorkbookError(f"out dir {path} is a file, not a folder")
    return path


def read_results(path: Path, notebook: str) -> dict[str, Any]:
    """A notebook's recorded results; {} when it recorded none."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problem = first_line(error)
        raise WorkbookError(f"{notebook} wrote an unreadable results file {path.name}: {problem}") from error
    if not isinstance(data, dict):
        raise WorkbookError(f"{notebook} wrote {path.name} without a key -> value mapping")
    return data


def check_kernel(kernel_name: str) -> None:
    """Fail early, with the fix, when the Jupyter kernel is not registered."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise WorkbookError(
            f"no Jupyter kernel named '{kernel_name}'; register it with: "
            f"{sys.executable} -m ipykernel install --sys-prefix --name {kernel_name}"
        ) from None


# ---------------------------------------------------------------------------------------------------------
# Executing notebooks


def run_notebooks(
    selectors: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    out_dir: str | Path | None = None,
    in_place: bool = False,
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    kernel_name: str = KERNEL_NAME,
    progress: bool = True,
    on_notebook: Callable[[NotebookRun], None] | None = None,
    jobs: int = 1,
) -> RunResult:
    """Run notebooks in order; stop at the first failure. Bad requests raise WorkbookError before any kernel.

    `params` values are `-p` strings or YAML values; each is checked against every selected notebook that
    declares it. `in_place=True` refreshes the notebooks themselves with their default parameters.
    `progress` shows a progress bar of cells per notebook on stderr (only with jobs=1); `on_notebook` is
    called as each notebook finishes (or is skipped). `jobs` > 1 runs that many notebooks at once, each as
    soon as the notebooks it needs have succeeded.
    """
    check_jobs(jobs)
    params = dict(params or {})
    notebooks_dir = Path(notebooks_dir).resolve()
    notebooks = [read_notebook_info(path) for path in resolve_notebooks(selectors, notebooks_dir)]
    if in_place and params:
        raise WorkbookError("parameters cannot be combined with --in-place: it runs each notebook's defaults")
    plan = plan_parameters(notebooks, params)
    check_kernel(kernel_name)
    if in_place:
        if out_dir is not None:  # it is only written on failure: check it now, not after the run
            check_out_dir(out_dir, notebooks_dir)
        return _run_in_place(notebooks, out_dir, notebooks_dir, kernel_name, progress, on_notebook, jobs)

    run_dir = prepare_out_dir(out_dir, notebooks_dir)
    started = _now_iso()
    # Read before the kernels start: the data and the code the run is given, whatever changes meanwhile.
    recorded = {nb.stem: provenance.notebook_record(nb, read_notebook(nb.path), plan.get(nb.stem, {}))
                for nb in notebooks}
    runs, interrupted = _execute_all(
        notebooks, plan, run_dir, notebooks_dir, kernel_name, progress, on_notebook, in_place=False, jobs=jobs
    )
    result = _finish_run(run_dir, runs, started, kernel_name, recorded)
    if interrupted:
        raise KeyboardInterrupt
    return result


def _execute_all(
    notebooks: Sequence[NotebookInfo],
    plan: Mapping[str, Mapping[str, Any]],
    work_dir: Path,
    notebooks_dir: Path,
    kernel_name: str,
    progress: bool,
    on_notebook: Callable[[NotebookRun], None] | None,
    in_place: bool,
    jobs: int = 1,
) -> tuple[list[NotebookRun], bool]:
    """Execute each notebook into `work_dir` until one fails (the rest are `skipped`); True if interrupted."""
    if jobs > 1 and len(notebooks) > 1:
        return _execute_parallel(notebooks, plan, work_dir, notebooks_dir, kernel_name, on_notebook, in_place,
                                 jobs)
    runs: list[NotebookRun] = []
    failed = interrupted = False
    with quiet_papermill():
        for position, nb in enumerate(notebooks, 1):
            if failed:
                runs.append(NotebookRun(nb.stem, "skipped"))
                if on_notebook:
                    on_notebook(runs[-1])
                continue
            parameters = _parameters_for(nb, plan, work_dir, in_place)
            desc = f"[{position}/{len(notebooks)}] {nb.stem}" if progress else None
            try:
                run = execute_one(nb, work_dir / nb.path.name, parameters, kernel_name, notebooks_dir, desc)
            except KeyboardInterrupt:
                run = interrupted_run(nb, work_dir / nb.path.name)
                interrupted = True
            runs.append(_notebook_finished(nb, run, parameters, work_dir, in_place, on_notebook))
            failed = run.status != "ok"
    return runs, interrupted


def _notebook_finished(nb: NotebookInfo, run: NotebookRun, parameters: Mapping[str, Any], work_dir: Path,
                       in_place: bool, on_notebook: Callable[[NotebookRun], None] | None) -> NotebookRun:
    """Note the parameters a notebook ran with, refresh it when in place and it succeeded, tell the caller."""
    run.parameters = {k: v for k, v in parameters.items() if k not in RESERVED_PARAMETERS}
    if in_place and run.status == "ok":
        write_clean_notebook(work_dir / nb.path.name, nb.path)
    if on_notebook:
        on_notebook(run)
    return run


def check_jobs(jobs: Any) -> int:
    """`jobs` must be a whole number >= 1."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise WorkbookError(f"--jobs must be a whole number >= 1 (notebooks run at once), got {jobs!r}")
    return jobs


def _execute_parallel(
    notebooks: Sequence[NotebookInfo],
    plan: Mapping[str, Mapping[str, Any]],
    work_dir: Path,
    notebooks_dir: Path,
    kernel_name: str,
    on_notebook: Callable[[NotebookRun], None] | None,
    in_place: bool,
    jobs: int,
) -> tuple[list[NotebookRun], bool]:
    """Execute up to `jobs` notebooks at once, each when the ones it needs succeeded; longest expected first.

    After a failure no new notebook starts (those running finish); the rest are `skipped`.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, wait

    from workbook import pool

    done: dict[str, NotebookRun] = {}
    pending = sorted(notebooks, key=lambda nb: -nb.expected_seconds)  # stable: ties keep the notebooks' order
    selected = {nb.stem for nb in notebooks}
    parameters = {nb.stem: _parameters_for(nb, plan, work_dir, in_place) for nb in notebooks}
    running: dict[Future, NotebookInfo] = {}
    interrupted = False

    def finish(nb: NotebookInfo, run: NotebookRun) -> None:
        done[nb.stem] = _notebook_finished(nb, run, parameters[nb.stem], work_dir, in_place, on_notebook)

    executor = pool.new_pool(min(jobs, len(notebooks)), preload=("workbook.runner", "papermill"))
    try:
        while pending or running:
            failed = any(run.status != "ok" for run in done.values())
            ready = [] if failed else [nb for nb in pending if _needs_met(nb, done, selected)]
            for nb in ready[: jobs - len(running)]:
                pending.remove(nb)
                running[executor.submit(_execute_in_worker, nb, work_dir / nb.path.name, parameters[nb.stem],
                                        kernel_name, notebooks_dir)] = nb
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                nb = running.pop(future)
                finish(nb, _run_of(future, nb))
    except KeyboardInterrupt:
        interrupted = True
        pool.stop_pool(executor, running)
        for future, nb in running.items():  # each ends as its kernel shuts down
            finish(nb, _run_of(future, nb, interrupted=True))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    for nb in notebooks:
        if nb.stem not in done:
            finish(nb, NotebookRun(nb.stem, "skipped"))
    return [done[nb.stem] for nb in notebooks], interrupted


def _parameters_for(nb: NotebookInfo, plan: Mapping[str, Mapping[str, Any]], work_dir: Path,
                    in_place: bool) -> dict[str, Any]:
    """A notebook's checked parameters plus, in a run folder, where it writes its results and files."""
    parameters = dict(plan.get(nb.stem, {}))
    if not in_place:
        parameters.update(run_folder_parameters(nb, work_dir, parameters))
    return parameters


def _needs_met(nb: NotebookInfo, done: Mapping[str, NotebookRun], selected: set[str]) -> bool:
    """True when every selected notebook `nb` needs has succeeded (needs outside the selection are the user's)."""
    return all(stem in done and done[stem].status == "ok" for stem in nb.needs if stem in selected)


def _execute_in_worker(nb: NotebookInfo, output: Path, parameters: dict[str, Any], kernel_name: str,
                       cwd: Path) -> NotebookRun:
    """execute_one in a pool worker: Ctrl-C ends the notebook as failed, its partial notebook kept."""
    from workbook import pool

    if pool.interrupt_requested():
        return interrupted_run(nb)
    try:
        with quiet_papermill(), pool.interruptible():
            return execute_one(nb, output, parameters, kernel_name, cwd, None)
    except KeyboardInterrupt:
        return interrupted_run(nb, output)


def interrupted_run(nb: NotebookInfo, output: Path | None = None) -> NotebookRun:
    """A notebook stopped by Ctrl-C: failed, its partial `output` (if any) kept as `.FAILED.ipynb`."""
    failed_name = _mark_failed(output) if output is not None else None
    return NotebookRun(nb.stem, "failed", None, f"{nb.stem} interrupted by the user", failed_name)


def _run_of(future: Any, nb: NotebookInfo, interrupted: bool = False) -> NotebookRun:
    """A worker's NotebookRun; a worker that died is a failure of its notebook."""
    try:
        run = future.result()
    except BaseException as error:
        if interrupted:
            return interrupted_run(nb)
        return NotebookRun(nb.stem, "failed", None, f"{nb.stem} failed: {type(error).__name__}: {first_line(error)}")
    return run


def execute_one(
    nb: NotebookInfo,
    output: Path,
    parameters: dict[str, Any],
    kernel_name: str,
    cwd: Path,
    progress_desc: str | None,
    shutdown: str = "graceful",
) -> NotebookRun:
    """Execute one notebook; a failure keeps the partial notebook as `<stem>.FAILED.ipynb`.

    `shutdown="immediate"` kills the kernel after the last cell instead of letting it run its exit hooks.
    """
    from papermill.exceptions import PapermillExecutionError

    start = time.monotonic()
    error: str | None = None
    try:
        execute_with_retry(nb.path, output, parameters, kernel_name, cwd, progress_desc, shutdown)
    except PapermillExecutionError as failure:
        error = describe_cell_failure(nb, failure, injected=bool(parameters))
    except Exception as failure:  # a kernel that died or never started: not a cell error, still this notebook
        error = f"{nb.stem} failed: {type(failure).__name__}: {first_line(failure)}"
    seconds = round(time.monotonic() - start, 1)
    if error:
        return NotebookRun(nb.stem, "failed", seconds, error, _mark_failed(output))
    results_file = Path(parameters["results_path"]) if "results_path" in parameters else None
    try:
        results = read_results(results_file, nb.stem) if results_file else {}
    except WorkbookError as problem:
        return NotebookRun(nb.stem, "failed", seconds, str(problem), _mark_failed(output))
    return NotebookRun(nb.stem, "ok", seconds, None, output.name, results=results)


def execute_with_retry(
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    kernel_name: str,
    cwd: Path,
    progress_desc: str | None,
    shutdown: str = "graceful",
) -> None:
    """papermill.execute_notebook, tried again when the kernel fails to start; cell errors raise at once."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    progress_bar: bool | dict[str, Any] = False
    if progress_desc:
        progress_bar = {"desc": progress_desc, "unit": "cell", "leave": False}
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            with environment_set(kernel_environment()):  # the kernel papermill starts inherits this environment
                papermill.execute_notebook(
                    _brace_safe(source),
                    _brace_safe(output),
                    parameters=parameters,  # papermill injects a cell only when this is non-empty
                    kernel_name=kernel_name,
                    cwd=str(cwd),
                    progress_bar=progress_bar,
                    log_output=False,
                    extra_arguments=QUIET_KERNEL_ARGS,
                    shutdown_kernel=shutdown,  # passed on to nbclient: "graceful" or "immediate"
                )
            return
        except PapermillExecutionError:
            raise
        except Exception as error:
            if attempt == KERNEL_START_ATTEMPTS or not is_kernel_start_failure(error):
                raise
            logger.warning(
                "%s: the kernel failed to start (%s); trying again (%d/%d)",
                source.stem, first_line(error), attempt + 1, KERNEL_START_ATTEMPTS,
            )


def is_kernel_start_failure(error: BaseException) -> bool:
    """True for the kernel start-up failures worth retrying (anywhere in the exception's chain)."""
    seen: BaseException | None = error
    while seen is not None:
        if any(marker in str(seen) for marker in KERNEL_START_ERRORS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def run_folder_parameters(nb: NotebookInfo, run_dir: Path, given: Mapping[str, Any]) -> dict[str, str]:
    """What the runner sets so a batch run keeps everything in its folder: the results file always, and
    `output_dir` (notebooks write their files under `output_dir/<stem>/`) unless the user chose one."""
    values: dict[str, str] = {}
    if "results_path" in nb.parameters:
        values["results_path"] = str(run_dir / f"{nb.stem}.results.json")
    if "output_dir" in nb.parameters and "output_dir" not in given:
        values["output_dir"] = str(run_dir)
    return values


def describe_cell_failure(nb: NotebookInfo, failure: PapermillExecutionError, injected: bool) -> str:
    """`<stem> failed at cell [N] (cell index I): <ename>: <last line of the message>`.

    [N] is the execution count the executed notebook shows; I is the cell's 0-based position in the
    source notebook (papermill's index counts its injected-parameters cell, which the source lacks).
    """
    index = source_cell_index(read_notebook(nb.path), failure.cell_index, injected)
    where = f"cell index {index}"
    if failure.exec_count:
        where = f"cell [{failure.exec_count}] ({where})"
    return f"{nb.stem} failed at {where}: {one_line_error(failure.ename, failure.evalue)}"


def one_line_error(ename: str, evalue: str | None, limit: int = 400) -> str:
    """`ename: message` on one line, as a traceback's last line shows it.

    Messages of several lines (a data-contract error lists one problem a line) are joined with ' | ' so
    that no problem is hidden; very long ones are cut at `limit` characters.
    """
    lines = [line.strip() for line in ANSI_ESCAPE.sub("", str(evalue or "")).splitlines() if line.strip()]
    message = " | ".join(lines)
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{ename}: {message}" if message else str(ename)


def source_cell_index(source: Mapping[str, Any], executed_index: int, injected: bool) -> int:
    """Map a cell index of the executed notebook back to the source notebook."""
    replaced = any("injected-parameters" in cell_tags(cell) for cell in source["cells"])
    if not injected or replaced:  # papermill replaces an existing injected cell: nothing shifts
        return executed_index
    parameters_index = parameters_cell_index(source)
    injected_at = 0 if parameters_index is None else parameters_index + 1
    return executed_index - 1 if executed_index > injected_at else executed_index


def _mark_failed(output: Path) -> str | None:
    """Rename a partial executed notebook to `<stem>.FAILED.ipynb` so it never passes for a finished one."""
    if not output.exists():
        return None
    failed = output.with_name(f"{output.stem}.FAILED.ipynb")
    os.replace(output, failed)
    return failed.name


def _brace_safe(path: Path) -> str:
    """papermill formats paths with the parameters (`{name}`); escape braces in real paths."""
    return str(path).replace("{", "{{").replace("}", "}}")


@contextmanager
def environment_set(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block (a kernel started in it inherits them), then restore them."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def quiet_papermill() -> Iterator[None]:
    """Silence papermill's INFO/WARNING chatter (and nbclient's, which logs through it) during a run."""
    papermill_logger = logging.getLogger("papermill")
    previous = papermill_logger.level
    papermill_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        papermill_logger.setLevel(previous)


# ---------------------------------------------------------------------------------------------------------
# Finishing a run: results.json, HTML, index.html, run.json


def _finish_run(run_dir: Path, runs: list[NotebookRun], started: str, kernel_name: str,
                recorded: Mapping[str, Any] | None = None) -> RunResult:
    """Write a run's reports; results.json only when every notebook succeeded.

    `recorded` is each notebook's source and data (provenance.notebook_record), kept in run.json.
    """
    error = next((run.error for run in runs if run.status == "failed"), None)
    result = RunResult("failed" if error else "ok", run_dir, runs, error, started)
    if result.ok:
        write_json_atomic(run_dir / "results.json", result.results)
    for run in runs:
        if run.output:
            render_html(run_dir / run.output)
    write_run_json(result, kernel_name, recorded)
    write_index_html(result)
    return result


def write_run_json(result: RunResult, kernel_name: str, recorded: Mapping[str, Any] | None = None) -> None:
    """`run.json`: status, per-notebook status/time/error, parameters, start time, versions; and what
    `workbook diff` compares besides them: package versions and each notebook's source and data."""
    assert result.out_dir is not None
    write_json_atomic(
        result.out_dir / "run.json",
        {
            "status": result.status,
            "error": result.error,
            "started": result.started,
            "finished": _now_iso(),
            "kernel": kernel_name,
            "workbook_version": __version__,
            "notebooks": [run.to_json() for run in result.notebooks],
            "parameters": {run.name: to_jsonable(run.parameters) for run in result.notebooks},
            "packages": provenance.package_versions(),
            "provenance": to_jsonable(dict(recorded or {})),
        },
    )


@lru_cache(maxsize=1)
def _html_exporter() -> Any:
    """One HTML exporter per process: building it reads the templates (~0.4 s)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab")  # MathJax/require.js are <script src> links: no network here


def render_html(notebook_path: Path) -> Path | None:
    """Write `<name>.html` next to an executed notebook; a rendering problem is logged, not fatal."""
    import nbformat

    target = notebook_path.with_suffix(".html")
    try:
        body, _ = _html_exporter().from_notebook_node(nbformat.read(notebook_path, as_version=4))
        target.write_text(body, encoding="utf-8")
    except Exception as error:  # the run's outcome is the notebooks', not the report's
        logger.warning("could not render %s as HTML: %s", notebook_path.name, first_line(error))
        return None
    return target


INDEX_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } code { font-size: .9em; } .meta { color: #555; }
.ok { color: #1a7f37; font-weight: 600; } .failed { color: #c62828; font-weight: 600; }
.skipped { color: #888; } ul.results { margin: 0; padding-left: 1.1rem; }
.banner { padding: .6rem 1rem; border-radius: 4px; margin: 1rem 0; } .banner.ok { background: #e6f4ea; }
.banner.failed { background: #fdecea; border: 1px solid #c62828; }
"""


def write_index_html(result: RunResult) -> Path:
    """A small self-contained page: status, one row per notebook with links, time and key results."""
    assert result.out_dir is not None
    esc = html.escape
    if result.ok:
        banner = '<div class="banner ok">All notebooks ran: <a href="results.json">results.json</a></div>'
    else:
        banner = f'<div class="banner failed">Run failed: {esc(result.error or "")}</div>'
    rows = "\n".join(_index_row(i, run, result.out_dir) for i, run in enumerate(result.notebooks, 1))
    name = esc(result.out_dir.name)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Workbook run {name}</title><style>{INDEX_STYLE}</style></head>
<body>
<h1>Workbook run {name} <span class="{esc(result.status)}">{esc(result.status.upper())}</span></h1>
<p class="meta">Started {esc(result.started)} &middot; workbook {esc(__version__)} &middot;
<a href="run.json">run.json</a></p>
{banner}
<table>
<thead><tr><th>#</th><th>Notebook</th><th>Status</th><th>Time</th><th>Parameters</th><th>Key results</th>
</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
    target = result.out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


def _index_row(position: int, run: NotebookRun, run_dir: Path) -> str:
    """One table row of index.html, every value escaped."""
    esc = html.escape
    name = esc(run.name)
    if run.output:
        html_file = Path(run.output).with_suffix(".html").name
        links = f'<a href="{esc(quote(html_file))}">{name}</a> (<a href="{esc(quote(run.output))}">ipynb</a>)'
        if not (run_dir / html_file).exists():
            links = f'{name} (<a href="{esc(quote(run.output))}">ipynb</a>)'
    else:
        links = name
    seconds = "" if run.seconds is None else f"{run.seconds:.1f} s"
    status = esc(run.status) + (f'<br><span class="failed">{esc(run.error)}</span>' if run.error else "")
    params = "<br>".join(f"<code>{esc(k)} = {esc(_short(v))}</code>" for k, v in run.parameters.items())
    results = "".join(f"<li><code>{esc(k)}</code>: {esc(_short(v))}</li>" for k, v in run.results.items())
    results_html = f'<ul class="results">{results}</ul>' if results else ""
    return (
        f'<tr><td>{position}</td><td>{links}</td><td class="{esc(run.status)}">{status}</td>'
        f"<td>{seconds}</td><td>{params}</td><td>{results_html}</td></tr>"
    )


def _short(value: Any, width: int = 80) -> str:
    """A value as compact JSON, cut to `width` characters."""
    text = json.dumps(to_jsonable(value), ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------------------
# In-place runs (refreshing the committed notebooks)


def _run_in_place(
    notebooks: Sequence[NotebookInfo],
    out_dir: str | Path | None,
    notebooks_dir: Path,
    kernel_name: str,
    progress: bool,
    on_notebook: Callable[[NotebookRun], None] | None,
    jobs: int = 1,
) -> RunResult:
    """Execute each notebook with its defaults and write it back, cleaned; a failure leaves the source alone.

    The partial notebook of a failure goes to a run folder (`out_dir` or a new one under runs/) with
    run.json and index.html, so nothing half-executed lands in the notebooks folder.
    """
    started = _now_iso()
    # The notebooks' version record is about to be replaced: a notice about it would land in the new outputs.
    with tempfile.TemporaryDirectory(prefix="workbook-in-place-") as scratch, \
            environment_set({made_with.SWITCH: "off"}):
        work_dir = Path(scratch)
        runs, interrupted = _execute_all(
            notebooks, {}, work_dir, notebooks_dir, kernel_name, progress, on_notebook, in_place=True, jobs=jobs
        )
        error = next((run.error for run in runs if run.status == "failed"), None)
        if error is None:
            result = RunResult("ok", None, runs, None, started)
        else:
            run_dir = prepare_out_dir(out_dir, notebooks_dir)
            for run in runs:
                if run.status == "failed" and run.output:
                    shutil.move(work_dir / run.output, run_dir / run.output)  # /tmp may be another disk
                elif run.output:
                    run.output = None  # the refreshed notebook lives in the notebooks folder, not here
            result = _finish_run(run_dir, runs, started, kernel_name)
    if interrupted:
        raise KeyboardInterrupt
    return result


def strip_volatile_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes on every run (papermill/timing metadata) and number executed cells 1, 2, 3, ...

    A print can reach the notebook as several stream messages when the kernel flushes mid-way (a busy
    machine); nbconvert's CoalesceStreamsPreprocessor joins them, so a rerun does not reshuffle the diff.
    """
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    nb.metadata.pop("papermill", None)
    number = 0
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:  # papermill adds empty tag lists
            del cell.metadata["tags"]
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            number += 1
            cell.execution_count = number
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = number
    return nb


def write_clean_notebook(executed: Path, target: Path) -> None:
    """Replace `target` with the executed notebook, stripped of volatile metadata and stamped with the package
    versions that made its outputs, atomically."""
    import nbformat

    nb = strip_volatile_metadata(nbformat.read(executed, as_version=4))
    made_with.record_made_with(nb.metadata)
    with atomic_write(target) as handle:
        nbformat.write(nb, handle)


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def _now_iso() -> str:
    """Local time with its UTC offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")
