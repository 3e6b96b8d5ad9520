"""The `workbook` command line: parsing and printing around `workbook.runner`, nothing more.

Each command is a small function on `app`; later commands (predict, ui, test-model, sweep, server) are
added the same way with `@app.command()`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from workbook import runner
from workbook.data import DEFAULT_ROWS, make_flights, write_flights
from workbook.paths import DATA_DIR, KERNEL_NAME, NOTEBOOKS_DIR
from workbook.runner import NotebookRun, RunResult, WorkbookError

app = typer.Typer(
    name="workbook",
    help="Run the MLOps workbook's notebooks and collect their results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",  # joins the lines of a docstring paragraph
)

PARAM_FLAGS = ("-p", "--param")

NotebooksDirOption = Annotated[
    Path,
    typer.Option("--notebooks-dir", help="Folder holding the NN_name.ipynb notebooks.", show_default=False),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: <message>` to stderr and exit with `code` (no traceback for expected errors)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def split_param_args(tokens: list[str]) -> tuple[list[str], dict[str, str]]:
    """Separate notebook selectors from `-p NAME VALUE` pairs (typer has no repeatable two-value option)."""
    selectors: list[str] = []
    params: dict[str, str] = {}
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if token in PARAM_FLAGS:
            if position + 2 >= len(tokens):
                example = f"needs a NAME and a VALUE, e.g. {token} random_state 7"
                raise typer.BadParameter(example, param_hint=f"'{token}'")
            params[tokens[position + 1]] = tokens[position + 2]
            position += 3
        elif token.startswith("-"):
            hint = "no such option (set notebook parameters with -p NAME VALUE)"
            raise typer.BadParameter(hint, param_hint=f"'{token}'")
        else:
            selectors.append(token)
            position += 1
    return selectors, params


@app.command(
    context_settings={"ignore_unknown_options": True},  # lets `-p NAME VALUE` through to split_param_args
    options_metavar="[-p NAME VALUE]... [OPTIONS]",
)
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
    kernel: Annotated[str, typer.Option("--kernel", help="Jupyter kernel to execute with.")] = KERNEL_NAME,
    notebooks_dir: NotebooksDirOption = NOTEBOOKS_DIR,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Show progress bars (default: when stderr is a terminal).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Execute notebooks with papermill and collect their results.

    Set a parameter with -p NAME VALUE (repeatable). It goes to every selected notebook that declares it
    and is read as the type the notebook declares (see `workbook list`). Each run writes the executed
    notebooks, results.json, HTML pages and index.html to a new run folder.
    """
    selectors, pairs = split_param_args(args or [])
    try:
        params: dict[str, Any] = runner.load_params_file(params_file) if params_file else {}
        params.update(pairs)
        result = runner.run_notebooks(
            selectors,
            params,
            out_dir=out,
            in_place=in_place,
            notebooks_dir=notebooks_dir,
            kernel_name=kernel,
            progress=sys.stderr.isatty() if progress is None else progress,
            on_notebook=print_notebook_run,
        )
    except WorkbookError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    print_outputs(result, in_place)
    if not result.ok:
        fail(result.error or "the run failed")


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
    try:
        notebooks = runner.list_notebooks(notebooks_dir)
    except WorkbookError as error:
        fail(str(error))
    for index, nb in enumerate(notebooks):
        if index:
            typer.echo("")
        typer.echo(f"{nb.stem}  {nb.title}" if nb.title != nb.stem else nb.stem)
        params = [p for p in nb.parameters.values() if p.name not in runner.RESERVED_PARAMETERS]
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
    rows: Annotated[int, typer.Option("--rows", min=1, help="Number of rows.")] = DEFAULT_ROWS,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    start: Annotated[str, typer.Option("--start", help="First journey date (YYYY-MM-DD).")] = "2019-03-01",
    end: Annotated[str, typer.Option("--end", help="Last journey date (YYYY-MM-DD).")] = "2019-06-27",
) -> None:
    """Write the synthetic flight twin to a file, in the real file's format (use it as -p data_path)."""
    try:
        frame = make_flights(rows, seed, start=start, end=end)
        path = write_flights(frame, out)
    except (ValueError, OSError) as error:
        fail(f"{out}: {error}" if str(out) not in str(error) else str(error))
    typer.echo(f"wrote {len(frame):,} rows to {path}")


if __name__ == "__main__":
    app(prog_name="workbook")
