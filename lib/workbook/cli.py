"""The `workbook` command line: parsing and printing around `workbook.runner`, nothing more.

Each command is a small function on `app`; later commands (predict, ui, test-model, sweep, server) are
added the same way with `@app.command()`.
"""

from __future__ import annotations

import contextlib
import os
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


@app.callback()
def configure() -> None:
    """Run the MLOps workbook's notebooks and collect their results."""
    # A command's output is its one line per result or error: no MLflow download bars on the terminal.
    for name, value in runner.QUIET_MLFLOW.items():
        os.environ.setdefault(name, value)


NotebooksDirOption = Annotated[
    Path,
    typer.Option("--notebooks-dir", help="Folder holding the NN_name.ipynb notebooks.", show_default=False),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: <message>` to stderr and exit with `code` (no traceback for expected errors).

    A stderr gone away (a terminal closed: the hang-up that stopped a server) loses the line, not the code.
    """
    with contextlib.suppress(OSError):
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
            jobs=jobs,
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
    report: Annotated[bool, typer.Option("--report", help="Print the twin's price structure beside the real "
                                         "file's published figures instead of writing a file.")] = False,
) -> None:
    """Write the synthetic flight twin to a file, in the real file's format (use it as -p data_path)."""
    try:
        frame = make_flights(rows, seed, start=start, end=end)
        if report:
            from workbook.twin_fidelity import fidelity_report, format_report

            for line in format_report(fidelity_report(frame)):
                typer.echo(line)
            return
        path = write_flights(frame, out)
    except (ValueError, OSError) as error:
        fail(f"{out}: {error}" if str(out) not in str(error) and not report else str(error))
    typer.echo(f"wrote {len(frame):,} rows to {path}")


# --- models: batch scoring, serving, the MLflow UI, robustness tests ------------------------------------
# workbook.serving imports MLflow (seconds); it is imported inside these commands so `workbook list` stays fast.

MODEL_URI_HELP = "Model URI: models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN_ID/PATH."
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def warn_if_exposed(host: str) -> None:
    """Say so when a server will accept connections from other machines."""
    if host not in LOOPBACK_HOSTS:
        typer.echo(f"warning: listening on {host} lets other machines reach this server", err=True)


@app.command()
def predict(
    model_uri: Annotated[str, typer.Argument(metavar="MODEL_URI", help=MODEL_URI_HELP, show_default=False)],
    in_file: Annotated[Path, typer.Argument(help="Flight rows to score (.csv or .xlsx; Price optional).",
                                            show_default=False)],
    out_file: Annotated[Path, typer.Argument(help="Where to write the rows plus predicted_price (.csv or .xlsx).",
                                             show_default=False)],
) -> None:
    """Score a file of raw flight rows with a model; write the rows with a predicted_price column."""
    from workbook import serving

    try:
        scored = serving.score_file(model_uri, in_file, out_file)
    except (serving.TrackingError, serving.InputSchemaError, OSError) as error:
        fail(str(error))
    typer.echo(f"wrote {len(scored):,} predictions to {out_file}")


@app.command()
def serve(
    model_uri: Annotated[str, typer.Argument(metavar="MODEL_URI", help=MODEL_URI_HELP, show_default=False)],
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 5001,
    host: Annotated[str, typer.Option("--host", help="Interface to bind; 127.0.0.1 = this machine only.")
                    ] = "127.0.0.1",
) -> None:
    """Serve a model over REST with MLflow's scoring server (POST /invocations) until Ctrl-C.

    SIGTERM and a hang-up stop it as Ctrl-C does, with the server's workers; the exit status is then
    128 + the signal's number (130 Ctrl-C, 143 SIGTERM, 129 hang-up).
    """
    from workbook import serving

    warn_if_exposed(host)
    server = None
    try:
        with serving.stop_signals():
            server = serving.start_server(model_uri, port, host, capture_output=False)
            with server:  # stopped with its whole process group however the block ends
                typer.echo(f"serving {model_uri} at {server.url} (ready in {server.started_s:.1f} s); "
                           f"POST {server.url}/invocations; Ctrl-C stops")
                code = server.wait()
    except (serving.TrackingError, serving.ServingError) as error:
        fail(str(error))
    except KeyboardInterrupt as interrupt:  # start_server stops a half-started server itself
        if server is None:
            fail("interrupted before the server was ready", code=serving.exit_status(interrupt))
        raise typer.Exit(serving.exit_status(interrupt)) from None
    if code != 0:
        fail(f"the model server exited with code {code}")


@app.command()
def ui(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 5000,
    host: Annotated[str, typer.Option("--host", help="Interface to bind; 127.0.0.1 = this machine only.")
                    ] = "127.0.0.1",
) -> None:
    """Open the MLflow UI on the project's store (or MLFLOW_TRACKING_URI) until Ctrl-C.

    SIGTERM and a hang-up stop it as Ctrl-C does; the exit status is then 128 + the signal's number.
    """
    from workbook import serving, tracking

    warn_if_exposed(host)
    try:
        store = tracking.ensure_store()
        typer.echo(f"MLflow UI for {store} at http://{serving.url_host(host)}:{port} (Ctrl-C stops)")
        code = serving.run_ui(store, port, host)
    except (serving.TrackingError, serving.ServingError) as error:
        fail(str(error))
    if code != 0 and code not in serving.STOP_STATUSES:
        fail(f"the MLflow UI exited with code {code}")
    raise typer.Exit(code)


@app.command("test-model")
def check_model(
    model_uri: Annotated[str, typer.Argument(metavar="MODEL_URI", help=MODEL_URI_HELP, show_default=False)],
    data: Annotated[Path | None, typer.Option("--data", help="Flight file with Price (.csv/.xlsx). "
                                              "Default: the synthetic twin.", show_default=False)] = None,
    max_mae: Annotated[float | None, typer.Option("--max-mae", help="Largest acceptable MAE (rupees). "
                                                  "Default: workbook.models.MIN_PERFORMANCE.",
                                                  show_default=False)] = None,
    min_r2: Annotated[float | None, typer.Option("--min-r2", help="Smallest acceptable R². "
                                                 "Default: workbook.models.MIN_PERFORMANCE.",
                                                 show_default=False)] = None,
    all_rows: Annotated[bool, typer.Option("--all-rows", help="Use every row of --data (a new batch) instead "
                                           "of the talk's test split of it.")] = False,
) -> None:
    """Run the robustness tests (performance, 'No Info' invariance, stops, valid outputs) against a model.

    The exit status is pytest's: 0 when every check passes, 1 when one fails.
    """
    from workbook import serving

    try:
        code = serving.run_model_tests(model_uri, data, max_mae, min_r2, all_rows)
    except (serving.TrackingError, OSError) as error:
        fail(str(error))
    raise typer.Exit(code)


# --- sweeps and the team tracking server ------------------------------------------------------------------
# workbook.sweep imports no MLflow at import time; workbook.team_server is imported inside its command.


@app.command(
    context_settings={"ignore_unknown_options": True},  # lets `-p NAME VALUE` through to split_param_args
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
    kernel: Annotated[str, typer.Option("--kernel", help="Jupyter kernel to execute with.")] = KERNEL_NAME,
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

    try:
        selectors, fixed = split_param_args(args or [])
    except typer.BadParameter as error:
        fail(error.format_message(), code=2)
    if len(selectors) != 1:
        fail("give one notebook to sweep, e.g. workbook sweep 05 --grid alpha=0.1,0.5"
             if not selectors else f"sweep takes one notebook, got {len(selectors)}: {', '.join(selectors)}", code=2)
    try:
        request = sweeps.build_request(selectors[0], grid or [], fixed, grid_file, sample, seed, metric, goal)
        plan = sweeps.plan_sweep(request, notebooks_dir)
        result = sweeps.run_sweep(
            plan, out, executor=executor, workers=workers, scheduler=scheduler, experiment=experiment,
            kernel_name=kernel, notebooks_dir=notebooks_dir,
            progress=sys.stderr.isatty() if progress is None else progress,
            on_message=typer.echo, on_point=print_sweep_point,
        )
    except sweeps.SweepUsageError as error:
        fail(str(error), code=2)
    except WorkbookError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    print_sweep_result(result)
    if result.interrupted:
        fail(f"interrupted: rerun with --out {result.out_dir} to run the remaining points", code=130)
    if result.exit_code:
        problems = [f"{len(result.failed)} of {len(result.reports)} points failed"] if result.failed else []
        fail("; ".join(problems + result.tracking_problems))


def print_sweep_point(report: Any) -> None:
    """One line as each point finishes; a failed one adds its error's line."""
    seconds = "" if report.seconds is None else f"{report.seconds:6.1f} s"
    typer.echo(f"  {report.status:<7} {report.point.folder}  {report.point.label}  {seconds}".rstrip())
    if report.status != "ok":
        typer.echo(f"          {report.error}")


def print_sweep_result(result: Any) -> None:
    """The summary table, the best point, the failures with their notebooks, and where the files are."""
    from workbook import sweep_report

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


@app.command()
def server(
    backend_store_uri: Annotated[
        str | None,
        typer.Option("--backend-store-uri", help="SQLAlchemy URL of the tracking database, e.g. "
                     "postgresql://user@host/mlflow. Default: SQLite in mlruns/server/.",
                     show_default=False),
    ] = None,
    artifacts_dir: Annotated[
        str | None,
        typer.Option("--artifacts-dir", help="Where the server keeps the artifacts it serves to clients. "
                     "Default: mlruns/server/artifacts/.",
                     show_default=False),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Interface to bind; 127.0.0.1 = this machine only.")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 5000,
    room: Annotated[bool, typer.Option("--room", help="Workshop room: MLflow's logins and permissions "
                                       "(then `workbook room add-users`).")] = False,
    workers: Annotated[int, typer.Option("--workers", help="uvicorn worker processes (a room: 1 is enough).")] = 2,
) -> None:
    """Start an MLflow tracking server for a team or a workshop room until Ctrl-C.

    Clients log to it with MLFLOW_TRACKING_URI=http://HOST:PORT (notebooks, `workbook run`, sweeps).
    """
    from workbook.serving import tracking_server as team_server

    try:  # run_server warns about a non-loopback host and reports a server that dies, each in one line
        code = team_server.run_server(backend_store_uri, artifacts_dir, host, port, workers=workers, room=room)
    except team_server.TrackingServerError as error:
        fail(str(error))
    raise typer.Exit(code)


# --- comparing runs: workbook diff ---------------------------------------------------------------------
# workbook.diff imports MLflow only to read an MLflow run id.


@app.command("diff")
def diff_(
    run_a: Annotated[str, typer.Argument(metavar="A", help="Run folder, sweep point folder, sweep folder or "
                                         "MLflow run id.", show_default=False)],
    run_b: Annotated[str, typer.Argument(metavar="B", help="The same kind of thing as A, of the same notebook.",
                                         show_default=False)],
    show_all: Annotated[bool, typer.Option("--all", help="Show equal fields too.")] = False,
    notebook: Annotated[str | None, typer.Option("--notebook", help="The notebook to compare when the runs "
                                                 "ran several.", show_default=False)] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Where to write the HTML table. Default: "
                                                   "diff-A.html in B's folder (A: its folder name or run id).",
                                                   show_default=False)] = None,
) -> None:
    """Show what differs between two runs of a notebook: parameters, results (with B − A), data, packages,
    source version, duration. Two sweep folders compare point by point (same grid values).

    Exit status: 0 compared (differences or not), 2 bad input, 1 a tracking store that fails.
    """
    from workbook import diff as run_diff
    from workbook import diff_report

    try:
        found = run_diff.diff_runs(run_a, run_b, notebook)
        target = html_path or diff_report.default_html_path(found)
        written = diff_report.write_html(found, target, show_all) if target else None
    except run_diff.DiffInputError as error:
        fail(str(error), code=2)
    except WorkbookError as error:
        fail(str(error))
    typer.echo(f"A: {found.a.kind} {found.a.label}\nB: {found.b.kind} {found.b.label}")
    typer.echo(diff_report.diff_table(found, show_all))
    typer.echo(f"html: {written}" if written else "html: not written (no folder on either side; use --html PATH)")


# --- the MLproject's entry points (mlflow run . -e wine|flights) ----------------------------------------
# workbook.projects imports MLflow inside these commands only.


def print_entry_point_run(run: Any) -> None:
    """The metrics, the run and where it went; a note when `mlflow run` logged somewhere unexpected."""
    metrics = "  ".join(f"{name} {value:.4g}" for name, value in run.metrics.items())
    typer.echo(f"{metrics}\nrun {run.run_id} in experiment {run.experiment!r} at {run.tracking_uri}")
    for note in run.notes:
        typer.echo(f"note: {note}", err=True)


@app.command("train-wine")
def train_wine(
    alpha: Annotated[float, typer.Option("--alpha", min=0, help="ElasticNet's overall penalty.")] = 0.5,
    l1_ratio: Annotated[float, typer.Option("--l1-ratio", min=0, max=1, help="Share of the L1 penalty.")] = 0.5,
    wine_csv: Annotated[str, typer.Option("--wine-csv", help="Another copy of the wine CSV (path or URL); "
                                          "default: the one in data/.", show_default=False)] = "",
) -> None:
    """The talk's wine demo as one MLflow run (the MLproject's `wine` entry point)."""
    from workbook import projects

    try:
        print_entry_point_run(projects.train_wine(alpha, l1_ratio, wine_csv or None))
    except projects.EntryPointError as error:
        fail(str(error))


@app.command("train-flights")
def train_flights(
    model_name: Annotated[str, typer.Option("--model-name", help="elasticnet, knn, tree, random_forest or "
                                            "hist_gradient_boosting.")] = "hist_gradient_boosting",
    learning_rate: Annotated[float, typer.Option("--learning-rate", min=0, help="Boosting's learning rate "
                                                 "(other models ignore it).")] = 0.1,
    log_target: Annotated[bool, typer.Option("--log-target/--price-target", help="Fit on log(price).")] = True,
    n_rows: Annotated[int, typer.Option("--n-rows", min=100, help="Rows of the synthetic twin.")] = 10_683,
    random_state: Annotated[int, typer.Option("--random-state", help="Seed of the twin, split and model.")] = 42,
    data_path: Annotated[str, typer.Option("--data-path", help="The real flight file (.xlsx/.csv); "
                                           "default: the synthetic twin.", show_default=False)] = "",
) -> None:
    """One of notebook 05's flight-fare runs with its model (the MLproject's `flights` entry point)."""
    from workbook import projects

    try:
        print_entry_point_run(projects.train_flights(model_name, learning_rate, log_target, n_rows, random_state,
                                                     data_path or None))
    except projects.EntryPointError as error:
        fail(str(error))


from workbook import cli_workshop  # noqa: E402 - here, so `workbook --help` lists the workshop's commands last

cli_workshop.register(app)  # setup, room add-users, leaderboard

if __name__ == "__main__":
    app(prog_name="workbook")
