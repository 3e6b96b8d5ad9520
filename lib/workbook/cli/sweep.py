"""`workbook sweep`: one notebook run per point of a parameter grid, with its lines and summary.

workbook.sweep loads pandas (and MLflow when a sweep logs); it is imported inside the command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbook.cli.app import INTERRUPTED, app, fail
from workbook.cli.options import (
    PARAM_PAIRS_SETTINGS,
    KernelOption,
    NotebooksDirOption,
    split_param_args,
)
from workbook.errors import UsageError, WorkbookError
from workbook.paths import KERNEL_NAME, NOTEBOOKS_DIR

if TYPE_CHECKING:
    from workbook import sweep as sweeps


@app.command(
    context_settings=PARAM_PAIRS_SETTINGS,
    options_metavar="[--grid NAME=V1,V2,...]... [-p NAME VALUE]... [OPTIONS]",
)
def sweep(
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="NOTEBOOK", help="The notebook to sweep: number (5), name, or a path to an .ipynb.",
                       show_default=False),
    ] = None,
    grid: Annotated[
        list[str] | None,
        typer.Option("--grid", "-g", help="NAME=V1,V2,... values of one parameter (repeatable); "
                     "NAME=[...] reads a YAML list.", show_default=False),
    ] = None,
    grid_file: Annotated[
        Path | None,
        typer.Option("-f", "--grid-file", help="YAML file: grid: {name: [values]}, params: {name: value}, "
                     "sample, seed, metric, goal. Options given here win.", show_default=False),
    ] = None,
    sample: Annotated[int | None, typer.Option("--sample", help="Run N distinct random points of the grid.",
                                               show_default=False)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of --sample (default 42).",
                                             show_default=False)] = None,
    workers: Annotated[int, typer.Option("--workers", help="Points run at once by the local executor.")] = 1,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Sweep folder; rerun into the same one to finish an interrupted sweep. "
                     "Default: runs/sweep-STEM-YYYYmmdd-HHMMSS.", show_default=False),
    ] = None,
    executor: Annotated[str, typer.Option("--executor", help="local (a process pool) or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. "
                                                  "tcp://10.0.0.5:8786 (with --executor dask).",
                                                  show_default=False)] = None,
    metric: Annotated[str | None, typer.Option("--metric", help="Result that ranks the points "
                                               "(default: the first numeric result).", show_default=False)] = None,
    goal: Annotated[str | None, typer.Option("--goal", help="min or max (default min).",
                                             show_default=False)] = None,
    experiment: Annotated[str, typer.Option("--experiment", help="MLflow experiment of the sweep's runs.")
                          ] = "sweeps",
    kernel: KernelOption = KERNEL_NAME,
    notebooks_dir: NotebooksDirOption = NOTEBOOKS_DIR,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Show a progress bar (default: when stderr is a terminal).",
                     show_default=False),
    ] = None,
) -> None:
    """Run a notebook once per point of a parameter grid, log every point to MLflow, summarise.

    Vary parameters with --grid NAME=V1,V2,... (the grid is their cartesian product) and fix others with
    -p NAME VALUE; every value is checked against the notebook before anything runs. Each point is one
    papermill execution with its own folder; a failing point does not stop the others.
    Rerunning with the same --out skips the points already complete with the same parameters and data.
    Exit status: 0 all points ran, 1 some failed, 2 a bad request, 130 interrupted.
    """
    from workbook import sweep as sweeps

    selectors, fixed = split_param_args(args or [])
    if not selectors:
        raise UsageError("give one notebook to sweep, e.g. workbook sweep 05 --grid alpha=0.1,0.5")
    if len(selectors) > 1:
        raise UsageError(f"sweep takes one notebook, got {len(selectors)}: {', '.join(selectors)}")
    request = sweeps.build_request(selectors[0], grid or [], fixed, grid_file, sample, seed, metric, goal)
    plan = sweeps.plan_sweep(request, notebooks_dir)
    result = sweeps.run_sweep(
        plan, out, executor=executor, workers=workers, scheduler=scheduler, experiment=experiment,
        kernel_name=kernel, notebooks_dir=notebooks_dir,
        progress=sys.stderr.isatty() if progress is None else progress,
        on_message=typer.echo, on_point=print_sweep_point,
    )
    print_sweep_result(result)
    if result.interrupted:
        fail(f"interrupted: rerun with --out {result.out_dir} to run the remaining points", INTERRUPTED)
    if result.exit_code:
        problems = [f"{len(result.failed)} of {len(result.reports)} points failed"] if result.failed else []
        raise WorkbookError("; ".join(problems + result.tracking_problems))


def print_sweep_point(report: sweeps.PointReport) -> None:
    """One line as each point finishes; a failed one adds its error's line."""
    seconds = "" if report.seconds is None else f"{report.seconds:6.1f} s"
    typer.echo(f"  {report.status:<7} {report.point.folder}  {report.point.label}  {seconds}".rstrip())
    if report.status != "ok":
        typer.echo(f"          {report.error}")


def print_sweep_result(result: sweeps.SweepResult) -> None:
    """The summary table, the best point, the failures with their notebooks, and where the files are."""
    from workbook.sweep import report as sweep_report

    if result.interrupted:
        complete = sum(1 for report in result.reports if report.status == "ok")
        typer.echo(f"interrupted: {complete} of {len(result.plan.points)} points complete in {result.out_dir}")
        return
    typer.echo("")
    typer.echo(sweep_report.summary_table(result))
    typer.echo(f"metric: {sweep_report.metric_note(result)}")
    best = sweep_report.best_points(result.frame, result.metric, result.goal, 1)
    if not best.empty:
        row = best.iloc[0]
        report = next(r for r in result.reports if r.point.index == row["point"])
        value = row[f"metrics.{result.metric}"]
        typer.echo(f"best:   {report.folder} ({report.point.label}): {result.metric} = {value:g}")
    for report in result.failed:
        typer.echo(f"failed: {report.folder} ({report.point.label}): {report.error}")
        if report.notebook:
            typer.echo(f"        notebook: {result.out_dir / report.notebook}")
    typer.echo(f"sweep folder: {result.out_dir}")
    typer.echo(f"summary:      {result.summary_csv}")
    typer.echo(f"report:       {result.summary_html}")
