"""A run's record and reports: results.json, each notebook as HTML, run.json and index.html."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from workbook import __version__, provenance
from workbook.execution.kernel import NotebookRun
from workbook.messages import first_line
from workbook.render import render_page
from workbook.results import to_jsonable, write_json_atomic

logger = logging.getLogger(__name__)

RunStatus = Literal["ok", "failed", "interrupted"]
UNFINISHED = ("failed", "interrupted")  # a notebook that started and did not finish: its partial copy is kept


@dataclass
class RunResult:
    """What a run did; check `ok` (a failing notebook is reported here, not raised)."""

    status: RunStatus  # "ok", "failed", or "interrupted" (Ctrl-C stopped a notebook)
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


def now_iso() -> str:
    """Local time with its UTC offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def finish_run(run_dir: Path, runs: list[NotebookRun], started: str, kernel_name: str,
                recorded: Mapping[str, Any] | None = None, rendered: Collection[str] = ()) -> RunResult:
    """Write a run's reports; results.json only when every notebook succeeded.

    `recorded` is each notebook's source and data (provenance.notebook_record), kept in run.json; `rendered`
    names the executed notebooks already rendered as HTML (as they finished).
    """
    error = next((run.error for run in runs if run.status in UNFINISHED), None)
    status = "interrupted" if any(run.status == "interrupted" for run in runs) else "failed" if error else "ok"
    result = RunResult(status, run_dir, runs, error, started)
    if result.ok:
        write_json_atomic(run_dir / "results.json", result.results)
    for run in runs:
        if run.output and run.output not in rendered:
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
            "finished": now_iso(),
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


def write_index_html(result: RunResult) -> Path:
    """A small self-contained page: status, one row per notebook with links, time and key results."""
    assert result.out_dir is not None
    page = render_page(
        "run_index.html.j2", name=result.out_dir.name, status=result.status, error=result.error or "",
        started=result.started, version=__version__,
        rows=[_index_row(run, result.out_dir) for run in result.notebooks],
    )
    target = result.out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


def _index_row(run: NotebookRun, run_dir: Path) -> dict[str, Any]:
    """What one table row of index.html shows, as text: the template escapes it."""
    html_file = Path(run.output).with_suffix(".html").name if run.output else None
    return {
        "name": run.name,
        "html_href": quote(html_file) if html_file and (run_dir / html_file).exists() else None,
        "ipynb_href": quote(run.output) if run.output else None,
        "status": run.status,
        "error": run.error,
        "seconds": "" if run.seconds is None else f"{run.seconds:.1f} s",
        "parameters": [(name, _short(value)) for name, value in run.parameters.items()],
        "results": [(name, _short(value)) for name, value in run.results.items()],
    }


def _short(value: Any, width: int = 80) -> str:
    """A value as compact JSON, cut to `width` characters."""
    text = json.dumps(to_jsonable(value), ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 1] + "…"

