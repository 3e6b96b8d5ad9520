"""`workbook sweep`: run a checked plan's points not yet complete, log them to MLflow, write the summary.

A sweep checks every point against the notebook's `parameters` cell before any kernel starts (plan.py),
executes each point in its own kernel (locally in a process pool, or as Dask tasks: executors.py), and
keeps its points in its folder (store.py). Rerunning into the same folder skips the points already complete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from workbook.errors import SweepError, SweepUsageError
from workbook.execution import pool
from workbook.execution.kernel import check_kernel
from workbook.messages import first_line
from workbook.paths import KERNEL_NAME, NOTEBOOKS_DIR
from workbook.results import to_jsonable, write_json_atomic
from workbook.run.folders import check_out_dir, create_out_dir, new_run_dir
from workbook.sweep.executors import POOL_PRELOAD, Executor, check_executor_options, connect_dask, run_points
from workbook.sweep.plan import Point, SweepPlan, effective_parameters
from workbook.sweep.point import PointOutcome, PointTask
from workbook.sweep.result import PointReport, SweepResult
from workbook.sweep.store import (
    PARTIAL_DIR,
    POINT_FILE,
    SUMMARY_PNG,
    SWEEP_FILE,
    clear_partial,
    completed_points,
    install_outcome,
    read_point_json,
    read_sweep_json,
    source_record,
    sweep_lock,
    sweep_record,
)
from workbook.sweep.tracker import POINT_TAG, SWEEP_EXPERIMENT, SWEEP_TAG, RunEnd, SweepTracker

# pandas, matplotlib, MLflow and distributed are imported where they are used: pool workers import this
# package, and a bad request should fail within a second.


def run_sweep(
    plan: SweepPlan,
    out_dir: str | Path | None = None,
    *,
    executor: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    experiment: str = SWEEP_EXPERIMENT,
    kernel_name: str = KERNEL_NAME,
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    progress: bool = False,
    on_message: Callable[[str], None] | None = None,
    on_point: Callable[[PointReport], None] | None = None,
) -> SweepResult:
    """Run the plan's points not yet complete in `out_dir`, log them to MLflow, write the summary.

    Everything that can be checked is checked before the folder is touched: options, folder, kernel,
    tracking store, scheduler. A failing point is reported, not raised. Ctrl-C returns a result with
    `interrupted=True` and no summary; rerunning into the same folder finishes the sweep.
    `on_message` gets the opening line, `on_point` each point's report as it finishes.
    """
    chosen = check_executor_options(executor, workers, scheduler)
    if not isinstance(experiment, str) or not experiment.strip():
        raise SweepUsageError(f"--experiment must name an MLflow experiment, got {experiment!r}")
    out = check_out_dir(out_dir, notebooks_dir, "sweep") if out_dir is not None else None
    previous = read_sweep_json(out) if out is not None and out.is_dir() else None
    if previous and previous.get("notebook") != plan.stem:
        raise SweepUsageError(f"out dir {out} holds a sweep of {previous.get('notebook')}, not {plan.stem}; "
                              "choose another --out")
    if previous and _code_changed(previous, plan):
        # A point's key covers its parameters and data, not the code: the old points would pass for the new code's.
        raise SweepUsageError(f"out dir {out} holds a sweep of {plan.stem} as its code was then, and the notebook has "
                              "changed since (its source hash differs): its points are the old code's results. "
                              "Sweep the new code into another --out")
    sweep_key = previous["sweep_key"] if previous else uuid.uuid4().hex
    check_kernel(kernel_name)
    client = None
    if chosen == Executor.DASK:
        client = connect_dask(scheduler)  # before MLflow is imported: an unreachable scheduler fails sooner
    else:
        # Starts the workers' server, which imports papermill while MLflow is set up here.
        pool.pool_context(POOL_PRELOAD)
    try:
        tracker = SweepTracker(experiment, sweep_key, plan.stem, defaults=effective_parameters(plan.notebook, {}))
        # A new folder is made by mkdir, which fails when taken: two sweeps started together get two folders.
        out = create_out_dir(out if out is not None else new_run_dir(prefix=f"sweep-{plan.stem}-"), "sweep")
        with sweep_lock(out):
            sweep = _Sweep(plan, out, sweep_key, tracker, client, workers, kernel_name)
            return sweep.run(progress, on_message or (lambda message: None), on_point)
    finally:
        if client is not None:
            client.close()


def _code_changed(previous: Mapping[str, Any], plan: SweepPlan) -> bool:
    """Whether the notebook's source (outputs and injected parameters aside) differs from the recorded sweep's."""
    recorded = (previous.get("source") or {}).get("notebook_sha256")
    current = source_record(plan.notebook.path.read_text(encoding="utf-8"))["notebook_sha256"]
    return recorded is not None and recorded != current


class _Sweep:
    """One run of a sweep inside its locked folder: resume, execute the rest, record, summarise."""

    def __init__(self, plan: SweepPlan, out: Path, sweep_key: str, tracker: SweepTracker, client: Any,
                 workers: int, kernel_name: str):
        self.plan, self.out, self.sweep_key, self.tracker = plan, out, sweep_key, tracker
        self.client, self.workers, self.kernel_name = client, workers, kernel_name
        self.result = SweepResult(out, plan, [], goal=plan.request.goal)

    @property
    def executor(self) -> Executor:
        return Executor.LOCAL if self.client is None else Executor.DASK

    def run(self, progress: bool, say: Callable[[str], None],
            on_point: Callable[[PointReport], None] | None) -> SweepResult:
        """Resume, execute, summarise; the parent run is closed however this ends."""
        clear_partial(self.out)
        done = completed_points(self.out)
        self.result.reports = [_resumed_report(p, done[p.key], self.out) for p in self.plan.points if p.key in done]
        pending = [point for point in self.plan.points if point.key not in done]
        # A resumed point keeps the folder it was completed in (its index may differ in a reordered grid).
        folders = {point.key: done[point.key].name for point in self.plan.points if point.key in done}
        write_json_atomic(self.out / SWEEP_FILE, sweep_record(self.plan, self.sweep_key, self._options(), folders))
        say(self._start_line(len(pending)))
        status: RunEnd = "FAILED"
        try:
            self._start_tracking(pending)
            self._execute(pending, progress, on_point)
            self.result.reports.sort(key=lambda report: report.point.index)
            if not self.result.interrupted:
                from workbook.sweep.report import write_summary  # pandas and matplotlib: only now

                write_summary(self.result)
            status = "KILLED" if self.result.interrupted else "FAILED" if self.result.failed else "FINISHED"
        except KeyboardInterrupt:
            status = "KILLED"
            raise
        finally:
            _close_parent(self.tracker, self.result, status)
            with contextlib.suppress(OSError):
                (self.out / PARTIAL_DIR).rmdir()  # only when empty: nothing half-written is left
        return self.result

    def _options(self) -> dict[str, Any]:
        """How the sweep runs, for sweep.json."""
        return {"executor": self.executor, "workers": self.workers if self.client is None else None,
                "scheduler": self.client.scheduler.address if self.client is not None else None,
                "experiment": self.tracker.experiment}

    def _start_line(self, pending: int) -> str:
        """`sweep 01_toy: 4 points, 2 already complete, 2 to run; local executor, 2 workers`."""
        plan, resumed = self.plan, len(self.result.reports)
        line = f"sweep {plan.stem}: {len(plan.points)} point{'s' if len(plan.points) != 1 else ''}"
        if len(plan.points) < plan.total:
            line += f" sampled from {plan.total}"
        if resumed:
            line += f", {resumed} already complete, {pending} to run"
        if self.client is None:
            return f"{line}; local executor, {self.workers} worker{'s' if self.workers != 1 else ''}"
        return f"{line}; dask executor, scheduler {self.client.scheduler.address}"

    def _start_tracking(self, pending: Sequence[Point]) -> None:
        """Parent run up, leftovers of the points about to run deleted, complete points' child runs in place."""
        try:
            self.tracker.start(self.plan)
            self.tracker.forget_points({point.key for point in pending})
            for report in self.result.reports:
                self.tracker.ensure_child(report.point, report.results, report.seconds, report.folder or "")
        except Exception as error:
            raise SweepError(f"tracking store {self.tracker.uri}: {first_line(error)}") from None

    def _execute(self, pending: Sequence[Point], progress: bool,
                 on_point: Callable[[PointReport], None] | None) -> None:
        """Run the pending points on the executor, recording each as it finishes."""
        notebook_text = self.plan.notebook.path.read_text(encoding="utf-8")
        tasks = [self._task(point, notebook_text) for point in pending]
        by_key = {point.key: point for point in pending}
        bar = _progress_bar(len(self.plan.points), len(self.result.reports), self.plan.stem, progress)

        def on_outcome(outcome: PointOutcome) -> None:
            if outcome.status == "interrupted":  # Ctrl-C reached a worker, even if not this process: stop
                raise KeyboardInterrupt
            report = _record_outcome(self.out, by_key[outcome.key], outcome, self.tracker, self.result)
            _advance(bar, self.result)
            if on_point:
                with bar.external_write_mode(file=sys.stdout):
                    on_point(report)

        try:
            if tasks:
                resource = self.workers if self.client is None else self.client
                self.result.interrupted = run_points(self.executor, tasks, resource, on_outcome)
        except KeyboardInterrupt:  # while a point was being recorded: it reruns, or is relogged, next time
            self.result.interrupted = True
        finally:
            bar.close()

    def _task(self, point: Point, notebook_text: str) -> PointTask:
        """The task for one point: the notebook, its values, and the tags its own MLflow runs carry."""
        from workbook.tracking import EXTRA_TAGS_ENV

        env = {EXTRA_TAGS_ENV: json.dumps({SWEEP_TAG: self.sweep_key, POINT_TAG: point.key}),
               "MLFLOW_TRACKING_URI": self.tracker.uri}
        record = to_jsonable({"notebook_stem": self.plan.stem, "sweep_key": self.sweep_key, "params": point.params,
                              "grid_values": point.grid_values, "data": point.data,
                              "source": source_record(notebook_text)})
        nb_path = self.plan.notebook.path
        return PointTask(point.index, point.key, nb_path.name, notebook_text, str(nb_path.parent), point.params,
                         self.kernel_name, env, record)


def _resumed_report(point: Point, folder: Path, out: Path) -> PointReport:
    """The report of a point complete before this run, from its point.json."""
    record = read_point_json(folder) or {}
    relative = _relative(out, folder)
    return PointReport(point, "ok", record.get("seconds"), None, dict(record.get("results") or {}), relative,
                       f"{relative}/{record.get('notebook')}", resumed=True)


def _record_outcome(out: Path, point: Point, outcome: PointOutcome, tracker: SweepTracker,
                    result: SweepResult) -> PointReport:
    """Put a finished point in its folder and in the result, then log its child run.

    The point counts as done once its folder is in place: if logging fails or is interrupted, the next run
    logs it. A logging problem is kept in the result, not raised.
    """
    if POINT_FILE not in outcome.files:  # the worker never got to write it (it died, or the task could not run)
        record = {"index": point.index, "key": point.key, "status": outcome.status, "error": outcome.error,
                  "params": point.params, "seconds": outcome.seconds}
        files = {**outcome.files, POINT_FILE: json.dumps(to_jsonable(record), indent=2).encode()}
        outcome = dataclasses.replace(outcome, files=files)
    folder = _relative(out, install_outcome(out, point, outcome))
    notebook = f"{folder}/{outcome.notebook_file}" if outcome.notebook_file else None
    report = PointReport(point, outcome.status, outcome.seconds, outcome.error, outcome.results, folder, notebook)
    result.reports.append(report)
    if outcome.status == "ok":
        try:
            tracker.ensure_child(point, outcome.results, outcome.seconds, folder)
        except Exception as error:
            result.tracking_problems.append(f"point {point.folder} not logged to MLflow: {first_line(error)}")
    return report


def _close_parent(tracker: SweepTracker, result: SweepResult, status: RunEnd) -> None:
    """Close the parent run (FINISHED, FAILED or KILLED) with counts and the best value of the metric."""
    summary = {"points_ok": len(result.reports) - len(result.failed), "points_failed": len(result.failed)}
    from workbook.sweep.report import best_value  # pandas: only now

    best = best_value(result)
    if best is not None and result.metric:
        summary[f"best_{result.metric}"] = best
    try:
        figure = result.out_dir / SUMMARY_PNG
        if figure.is_file() and not result.interrupted:  # the page's figure, for a reader of the MLflow UI
            tracker.log_artifact(figure)
        tracker.finish(status, summary, f"{result.metric} ({result.goal})" if result.metric else None)
    except Exception as error:
        result.tracking_problems.append(f"sweep run not closed in MLflow: {first_line(error)}")


def _relative(out: Path, path: Path) -> str:
    return path.relative_to(out).as_posix()


def _progress_bar(total: int, initial: int, stem: str, enabled: bool) -> Any:
    """A tqdm bar on stderr counting points, with done / failed / remaining and tqdm's ETA."""
    from tqdm import tqdm

    bar = tqdm(total=total, initial=initial, desc=f"sweep {stem}", unit="point", file=sys.stderr,
               disable=not enabled, dynamic_ncols=True)
    bar.set_postfix_str(f"done {initial} · failed 0 · remaining {total - initial}")
    return bar


def _advance(bar: Any, result: SweepResult) -> None:
    """One more point finished: move the bar and refresh its counts."""
    failed = len(result.failed)
    done = len(result.reports) - failed
    bar.set_postfix_str(f"done {done} · failed {failed} · remaining {len(result.plan.points) - done - failed}",
                        refresh=False)
    bar.update(1)

