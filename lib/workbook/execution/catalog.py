"""The workbook's notebooks: finding them, choosing them by selector, and reading their title and metadata."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from workbook.errors import UsageError, WorkbookError
from workbook.execution.params import Param, parse_parameters_cell
from workbook.execution.schema import schema_problem, validated
from workbook.messages import first_line
from workbook.paths import NOTEBOOKS_DIR

NOTEBOOK_NAME = re.compile(r"(\d{2})_([^.]+)\.ipynb")  # no dots in the stem: `02_x.FAILED.ipynb` is not one


class NotebookMetadata(BaseModel):
    """A notebook's `workbook` metadata: what a parallel run needs to know, and what made its outputs.

    Validate with `context={"notebook": "06_x.ipynb"}` to check that `needs` names earlier notebooks only.
    Other keys are left alone.
    """

    model_config = ConfigDict(frozen=True)

    needs: tuple[str, ...] = Field((), description="must be a list of notebook names")
    expected_seconds: float = Field(0.0, ge=0, strict=True, description="must be a number >= 0")
    made_with: dict[str, str] = Field(default_factory=dict, description="must map package names to versions")

    @field_validator("needs")
    @classmethod
    def _earlier_notebooks(cls, needs: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        # Only earlier notebooks: the sequential order then satisfies every need and no cycle can exist.
        notebook = (info.context or {}).get("notebook")
        for stem in needs if notebook else ():
            if not NOTEBOOK_NAME.fullmatch(f"{stem}.ipynb") or stem[:2] >= notebook[:2]:
                raise schema_problem(f"names {stem!r}; expected the name of an earlier notebook, "
                                     "like 05_mlflow_tracking")
        return needs


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
    """The one notebook a selector names, or a UsageError saying what exists."""
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
        raise UsageError(f"unknown notebook '{selector}'; available: {names}")
    names = ", ".join(p.stem for p in matches)
    raise UsageError(f"ambiguous notebook '{selector}' matches {names}; use its number")


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
    meta = validated(NotebookMetadata, nb.get("metadata", {}).get("workbook", {}), f"{path.name}: metadata",
                     root="workbook", context={"notebook": path.name})  # WorkbookError naming the key
    return NotebookInfo(path=path, title=_notebook_title(nb) or path.stem, parameters=parameters, needs=meta.needs,
                        expected_seconds=meta.expected_seconds)


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

