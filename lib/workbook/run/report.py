"""A run's record and reports: results.json, each notebook as HTML, run.json and index.html."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from workbook import __version__, provenance
from workbook.execution.kernel import NotebookRun
from workbook.messages import first_line
from workbook.results import to_jsonable, write_json_atomic

logger = logging.getLogger(__name__)

RunStatus = Literal["ok", "failed"]


@dataclass
class RunResult:
    """What a run did; check `ok` (a failing notebook is reported here, not raised)."""

    status: RunStatus  # "ok" or "failed"
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

