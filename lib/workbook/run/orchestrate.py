"""`workbook run`: pick notebooks, check parameters, execute them into a new run folder, write the reports.

A run executes the selected notebooks in order (or, with `jobs` > 1, several at once, each after the
notebooks its metadata says it needs) into a new folder under `runs/`, one kernel per notebook, and leaves
there: the executed notebooks, `results.json` (every notebook's recorded results; only when
every notebook succeeded), an HTML rendering of each notebook, `index.html` and `run.json`.
Parameters are checked against each notebook's `parameters` cell before any kernel starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from workbook import provenance
from workbook.errors import UsageError
from workbook.execution.catalog import read_notebook, read_notebook_info, resolve_notebooks
from workbook.execution.kernel import NotebookRun, check_kernel
from workbook.execution.params import plan_parameters
from workbook.paths import KERNEL_NAME, NOTEBOOKS_DIR
from workbook.run.folders import check_out_dir, prepare_out_dir
from workbook.run.in_place import run_in_place
from workbook.run.report import RunResult, finish_run, now_iso, render_html
from workbook.run.schedule import RunContext, check_jobs, execute_all, several_at_once


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
    """Run notebooks in order; stop at the first failure. Bad requests raise UsageError before any kernel.

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
        raise UsageError("parameters cannot be combined with --in-place: it runs each notebook's defaults")
    plan = plan_parameters(notebooks, params)
    check_kernel(kernel_name)
    if in_place:
        if out_dir is not None:  # it is only written on failure: check it now, not after the run
            check_out_dir(out_dir, notebooks_dir)
        context = RunContext(work_dir=notebooks_dir, notebooks_dir=notebooks_dir, kernel_name=kernel_name,
                             progress=progress, on_notebook=on_notebook, in_place=True, jobs=jobs)
        return run_in_place(notebooks, out_dir, context)  # it executes in a scratch folder of its own

    run_dir = prepare_out_dir(out_dir, notebooks_dir)
    started = now_iso()
    # Read before the kernels start: the data and the code the run is given, whatever changes meanwhile.
    recorded = {nb.stem: provenance.notebook_record(nb, read_notebook(nb.path), plan.get(nb.stem, {}))
                for nb in notebooks}
    rendered: set[str] = set()

    def render_now(run: NotebookRun) -> None:
        """Render a notebook as HTML as soon as it finishes, on the core this process leaves idle while the
        others run; the scheduler calls this once the next notebooks have started."""
        if run.output and render_html(run_dir / run.output):
            rendered.add(run.output)
        if on_notebook:
            on_notebook(run)

    # One notebook at a time, nothing runs beside a rendering: the HTML is written at the end, as before.
    at_once = several_at_once(jobs, notebooks)
    context = RunContext(work_dir=run_dir, notebooks_dir=notebooks_dir, kernel_name=kernel_name,
                         progress=progress, on_notebook=render_now if at_once else on_notebook, jobs=jobs)
    runs, interrupted = execute_all(notebooks, plan, context)
    result = finish_run(run_dir, runs, started, kernel_name, recorded, rendered)
    if interrupted:
        raise KeyboardInterrupt
    return result
