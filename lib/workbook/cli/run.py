"""`workbook run`, `workbook list` and `workbook twin`: executing notebooks, listing them, writing the twin.

workbook.run and workbook.data load pandas; they are imported inside the commands so `workbook --help`
stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workbook.cli.app import app
from workbook.cli.options import (
    PARAM_PAIRS_SETTINGS,
    KernelOption,
    NotebooksDirOption,
    real_file_rows,
    split_param_args,
)
from workbook.errors import WorkbookError
from workbook.paths import DATA_DIR, KERNEL_NAME, NOTEBOOKS_DIR

if TYPE_CHECKING:
    from workbook.execution import NotebookRun
    from workbook.run import RunResult


@app.command(context_settings=PARAM_PAIRS_SETTINGS, options_metavar="[-p NAME VALUE]... [OPTIONS]")
def run(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="NOTEBOOK",
            help="Notebooks to run, by number (2, 02), name (02_data_and_eda) or part of it (data_and_eda). "
            "Default: all, in order.",
            show_default=False,
        ),
    ] = None,
    params_file: Annotated[
        Path | None,
        typer.Option("-f", "--params-file", help="YAML file of `name: value` parameters; -p overrides it."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Run folder to write (must not hold a run already). Default: a new runs/YYYYmmdd-HHMMSS.",
        ),
    ] = None,
    in_place: Annotated[
        bool,
        typer.Option("--in-place", help="Refresh the notebooks themselves with their default parameters."),
    ] = False,
    kernel: KernelOption = KERNEL_NAME,
    notebooks_dir: NotebooksDirOption = NOTEBOOKS_DIR,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Show progress bars (default: when stderr is a terminal).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help="Notebooks run at once: each starts when the notebooks it needs have finished "
            "(`make run` uses 2). With more than 1, no per-cell progress bars.",
        ),
    ] = 1,
) -> None:
    """Execute notebooks with papermill and collect their results.

    Set a parameter with -p NAME VALUE (repeatable). It goes to every selected notebook that declares it
    and is read as the type the notebook declares (see `workbook list`). Each run writes the executed
    notebooks, results.json, HTML pages and index.html to a new run folder.
    """
    from workbook.execution import load_params_file
    from workbook.run import run_notebooks

    selectors, pairs = split_param_args(args or [])
    params: dict[str, Any] = load_params_file(params_file) if params_file else {}
    params.update(pairs)
    typer.echo(f"tracking:   {tracking_target(params.get('tracking_uri'))}")
    result = run_notebooks(
        selectors,
        params,
        out_dir=out,
        in_place=in_place,
        notebooks_dir=notebooks_dir,
        kernel_name=kernel,
        progress=sys.stderr.isatty() if progress is None else progress,
        on_notebook=print_notebook_run,
        jobs=jobs,
    )
    print_outputs(result, in_place)
    if not result.ok:
        raise WorkbookError(result.error or "the run failed")


def tracking_target(uri: Any) -> str:
    """Where the notebooks' MLflow runs go, and as whom: a terminal without the room's variables logs locally.

    The notebooks' `tracking_uri` parameter when given, else MLFLOW_TRACKING_URI, else the project's store;
    the user when MLFLOW_TRACKING_USERNAME is set (never the password).
    """
    import os

    from workbook.messages import redacted
    from workbook.paths import resolve_tracking_uri

    given = None if uri is None or str(uri).strip() in ("", "None", "none", "null", "~") else str(uri)  # -p text
    where = redacted(resolve_tracking_uri(given))
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    return f"{where} as {user}" if user and where.startswith("http") else where


def print_notebook_run(run: NotebookRun) -> None:
    """One line as each notebook finishes: status, name, time."""
    seconds = "" if run.seconds is None else f"{run.seconds:7.1f} s"
    typer.echo(f"  {run.status:<8} {run.name:<24} {seconds}".rstrip())


def print_outputs(result: RunResult, in_place: bool) -> None:
    """Where the run's outputs are."""
    if in_place and result.ok:
        typer.echo(f"refreshed {len(result.notebooks)} notebook(s) in place")
    if result.out_dir:
        typer.echo(f"run folder: {result.out_dir}")
    if result.results_file:
        typer.echo(f"results:    {result.results_file}")
    if result.index_file:
        typer.echo(f"report:     {result.index_file}")


@app.command("list")
def list_(notebooks_dir: NotebooksDirOption = NOTEBOOKS_DIR) -> None:
    """List the notebooks with their parameters, types, defaults and help."""
    from workbook import execution

    for index, nb in enumerate(execution.list_notebooks(notebooks_dir)):
        if index:
            typer.echo("")
        typer.echo(f"{nb.stem}  {nb.title}" if nb.title != nb.stem else nb.stem)
        params = [p for p in nb.parameters.values() if p.name not in execution.RESERVED_PARAMETERS]
        if not params:
            typer.echo("    (no parameters)")
            continue
        rows = [(p.name, p.type_name, p.default, p.help) for p in params]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        for name, type_name, default, help_text in rows:
            line = f"    {name:<{widths[0]}}  {type_name:<{widths[1]}}  {default:<{widths[2]}}  {help_text}"
            typer.echo(line.rstrip())


@app.command()
def twin(
    out: Annotated[Path, typer.Argument(help="File to write: .csv or .xlsx.")] = DATA_DIR / "flights_twin.csv",
    *,
    rows: Annotated[int, typer.Option("--rows", min=1, help="Number of rows (default: as many as the real "
                                      "file).", default_factory=real_file_rows, show_default=False)],
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    start: Annotated[str, typer.Option("--start", help="First journey date (YYYY-MM-DD).")] = "2019-03-01",
    end: Annotated[str, typer.Option("--end", help="Last journey date (YYYY-MM-DD).")] = "2019-06-27",
    report: Annotated[bool, typer.Option("--report", help="Print the twin's price structure beside the real "
                                         "file's published figures instead of writing a file.")] = False,
) -> None:
    """Write the synthetic flight twin to a file, in the real file's format (use it as -p data_path)."""
    from workbook import data

    try:
        frame = data.make_flights(rows, seed, start=start, end=end)
        if report:
            from workbook.data import fidelity

            for line in fidelity.format_report(fidelity.fidelity_report(frame)):
                typer.echo(line)
            return
        path = data.write_flights(frame, out)
    except (ValueError, OSError) as error:
        raise WorkbookError(f"{out}: {error}" if str(out) not in str(error) and not report else str(error)) from error
    typer.echo(f"wrote {len(frame):,} rows to {path}")
