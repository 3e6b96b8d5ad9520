"""Executing a run's notebooks: one after another, or several at once, each after the notebooks it needs.

Either way the run stops at the first failure: the notebooks not yet started are `skipped`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.errors import UsageError
from workbook.execution import forked, warm
from workbook.execution.catalog import NotebookInfo, read_notebook
from workbook.execution.kernel import NotebookRun, execute_one, interrupted_run, quiet_papermill
from workbook.execution.params import RESERVED_PARAMETERS, folder_parameters
from workbook.messages import first_line

# What pool workers import once, in the forkserver: this module holds the function they run.
POOL_PRELOAD = ("workbook.run.schedule", "papermill")


@dataclass(frozen=True)
class RunContext:
    """What stays the same for every notebook of one run: where it writes, how it executes, whom it tells."""

    work_dir: Path  # the run folder, or a scratch folder for an in-place run
    notebooks_dir: Path  # where the kernels run
    kernel_name: str
    progress: bool = True  # a progress bar of cells per notebook (sequential runs only)
    on_notebook: Callable[[NotebookRun], None] | None = None  # told as each notebook finishes or is skipped
    in_place: bool = False  # refreshing the notebooks themselves: no run-folder parameters
    on_success: Callable[[NotebookInfo], None] | None = None  # an in-place run writes the notebook back here
    jobs: int = 1  # notebooks executed at once


def check_jobs(jobs: Any) -> int:
    """`jobs` must be a whole number >= 1 (UsageError: a bad request)."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"--jobs must be a whole number >= 1 (notebooks run at once), got {jobs!r}")
    return jobs


def run_folder_parameters(nb: NotebookInfo, run_dir: Path, given: Mapping[str, Any]) -> dict[str, str]:
    """What the runner sets so a batch run keeps everything in its folder: the results file always, and
    `output_dir` (notebooks write their files under `output_dir/<stem>/`) unless the user chose one."""
    return folder_parameters(nb, run_dir / f"{nb.stem}.results.json", run_dir, given)


def execute_all(notebooks: Sequence[NotebookInfo], plan: Mapping[str, Mapping[str, Any]],
                context: RunContext) -> tuple[list[NotebookRun], bool]:
    """Execute each notebook into the work folder until one fails (the rest are `skipped`); True if interrupted."""
    if several_at_once(context.jobs, notebooks):
        return _execute_parallel(notebooks, plan, context)
    work_dir = context.work_dir
    runs: list[NotebookRun] = []
    failed = interrupted = False
    recipe = warm.recipe_for(run_imports(notebooks), context.kernel_name, {})
    with quiet_papermill():
        for position, nb in enumerate(notebooks, 1):
            if failed:
                runs.append(NotebookRun(nb.stem, "skipped"))
                if context.on_notebook:
                    context.on_notebook(runs[-1])
                continue
            parameters = _parameters_for(nb, plan, context)
            desc = f"[{position}/{len(notebooks)}] {nb.stem}" if context.progress else None
            try:
                more = position < len(notebooks) and warm.enabled()
                kernel = warm.kernel_for(recipe, {}, context.notebooks_dir, context.notebooks_dir if more else None)
                run = execute_one(nb, work_dir / nb.path.name, parameters, context.kernel_name,
                                  context.notebooks_dir, desc, kernel=kernel)
            except KeyboardInterrupt:
                run = interrupted_run(nb, work_dir / nb.path.name)
                interrupted = True
            runs.append(_notebook_finished(nb, run, parameters, context))
            failed = run.status != "ok"
    warm.SPARE.discard()  # a failure or Ctrl-C leaves the next notebook's kernel waiting
    forked.SERVERS.close()  # with forked kernels: the server holds the run's imports (~0.3 GB) until now
    return runs, interrupted


def several_at_once(jobs: int, notebooks: Sequence[NotebookInfo]) -> bool:
    """Whether execute_all runs notebooks side by side (in a pool) rather than one after another."""
    return jobs > 1 and len(notebooks) > 1


def run_imports(notebooks: Sequence[NotebookInfo]) -> tuple[str, ...]:
    """What a run's kernels import early: what any of its notebooks imports (pandas, scikit-learn, MLflow...
    are shared), so a kernel started early fits whichever notebook comes next."""
    return warm.notebook_imports([cell for nb in notebooks for cell in read_notebook(nb.path).get("cells", [])])


def _notebook_finished(nb: NotebookInfo, run: NotebookRun, parameters: Mapping[str, Any],
                       context: RunContext) -> NotebookRun:
    """Note the parameters a notebook ran with, hand it to `on_success` if it succeeded, tell the caller."""
    run.parameters = {k: v for k, v in parameters.items() if k not in RESERVED_PARAMETERS}
    if context.on_success and run.status == "ok":
        context.on_success(nb)
    if context.on_notebook:
        context.on_notebook(run)
    return run


def _execute_parallel(notebooks: Sequence[NotebookInfo], plan: Mapping[str, Mapping[str, Any]],
                      context: RunContext) -> tuple[list[NotebookRun], bool]:
    """Execute up to `jobs` notebooks at once, each when the ones it needs succeeded; longest expected first.

    After a failure no new notebook starts (those running finish); the rest are `skipped`.
    """
    from concurrent.futures import Future

    from workbook.execution import pool

    jobs, work_dir = context.jobs, context.work_dir
    done: dict[str, NotebookRun] = {}
    pending = sorted(notebooks, key=lambda nb: -nb.expected_seconds)  # stable: ties keep the notebooks' order
    selected = {nb.stem for nb in notebooks}
    parameters = {nb.stem: _parameters_for(nb, plan, context) for nb in notebooks}
    running: dict[Future, NotebookInfo] = {}
    untold: list[tuple[NotebookInfo, NotebookRun]] = []

    def finish(nb: NotebookInfo, run: NotebookRun) -> None:
        done[nb.stem] = run
        untold.append((nb, run))

    def tell() -> None:
        """The callbacks of the notebooks that finished (e.g. rendering one as HTML): once the next notebooks
        have started, so that they never wait for them."""
        while untold:
            nb, run = untold.pop(0)
            _notebook_finished(nb, run, parameters[nb.stem], context)

    modules = run_imports(notebooks)
    executor = pool.new_pool(min(jobs, len(notebooks)), preload=POOL_PRELOAD)
    try:
        with pool.noting_ctrl_c() as ctrl_c:
            while pending or running:
                failed = any(run.status != "ok" for run in done.values())
                ready = [] if failed else [nb for nb in pending if _needs_met(nb, done, selected)]
                for nb in ready[: jobs - len(running)]:
                    pending.remove(nb)
                    warm_next = len(pending) >= jobs and warm.enabled()  # else this worker likely gets no other
                    running[executor.submit(_execute_in_worker, nb, work_dir / nb.path.name, parameters[nb.stem],
                                            context.kernel_name, context.notebooks_dir, modules, warm_next)] = nb
                tell()
                if not running:
                    break
                finished, _ = ctrl_c.wait_first(running)
                for future in finished:  # a Ctrl-C in here is noted, not raised: nothing is half-recorded
                    nb = running.pop(future)
                    finish(nb, _run_of(future, nb))
        interrupted = ctrl_c.interrupted  # while waiting, or while the last results were recorded
        if interrupted:
            pool.stop_pool(executor, running)
            for future, nb in running.items():  # each ends as its kernel shuts down
                finish(nb, _run_of(future, nb, interrupted=True))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    for nb in notebooks:
        if nb.stem not in done:
            finish(nb, NotebookRun(nb.stem, "skipped"))
    tell()
    return [done[nb.stem] for nb in notebooks], interrupted


def _parameters_for(nb: NotebookInfo, plan: Mapping[str, Mapping[str, Any]], context: RunContext) -> dict[str, Any]:
    """A notebook's checked parameters plus, in a run folder, where it writes its results and files."""
    parameters = dict(plan.get(nb.stem, {}))
    if not context.in_place:
        parameters.update(run_folder_parameters(nb, context.work_dir, parameters))
    return parameters


def _needs_met(nb: NotebookInfo, done: Mapping[str, NotebookRun], selected: set[str]) -> bool:
    """True when every selected notebook `nb` needs has succeeded (needs outside the selection are the user's)."""
    return all(stem in done and done[stem].status == "ok" for stem in nb.needs if stem in selected)


def _execute_in_worker(nb: NotebookInfo, output: Path, parameters: dict[str, Any], kernel_name: str, cwd: Path,
                       modules: tuple[str, ...], warm_next: bool) -> NotebookRun:
    """execute_one in a pool worker: Ctrl-C ends the notebook as failed, its partial notebook kept.

    The notebook runs in a kernel this worker started while its previous notebook ran, if any; with
    `warm_next`, the kernel for its next notebook starts now.
    """
    from workbook.execution import pool

    if pool.interrupt_requested():
        return interrupted_run(nb)
    recipe = warm.recipe_for(modules, kernel_name, {})  # this worker's environment, as a kernel papermill starts
    kernel = warm.kernel_for(recipe, {}, cwd, cwd if warm_next else None)
    try:
        with quiet_papermill(), pool.interruptible():
            return execute_one(nb, output, parameters, kernel_name, cwd, None, kernel=kernel)
    except KeyboardInterrupt:
        return interrupted_run(nb, output)


def _run_of(future: Any, nb: NotebookInfo, interrupted: bool = False) -> NotebookRun:
    """A worker's NotebookRun; a worker that died is a failure of its notebook.

    While the pool runs a Ctrl-C is only noted (pool.noting_ctrl_c); once it stops, a second Ctrl-C can fire
    in here as this process's own KeyboardInterrupt: it is re-raised (the user insists), never taken for the
    notebook's failure. A worker's exceptions arrive with their remote traceback as the cause.
    """
    try:
        run = future.result()
    except KeyboardInterrupt as error:
        if error.__cause__ is None:  # raised here, by this process's SIGINT handler
            raise
        if interrupted:
            return interrupted_run(nb)
        return NotebookRun(nb.stem, "failed", None, f"{nb.stem} failed: KeyboardInterrupt in its worker")
    except Exception as error:
        if interrupted:
            return interrupted_run(nb)
        return NotebookRun(nb.stem, "failed", None, f"{nb.stem} failed: {type(error).__name__}: {first_line(error)}")
    return run
