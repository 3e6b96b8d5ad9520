"""The model commands: score a file, serve a model, test it, compare two runs, the MLproject's entry points.

workbook.serving and workbook.projects import MLflow (seconds); they are imported inside these commands so
`workbook --help` and `workbook list` stay fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbook.cli.app import app, expected, fail
from workbook.cli.options import HostOption, ModelUriArgument, PortOption, real_file_rows, warn_if_exposed
from workbook.errors import ServingError
from workbook.paths import DEFAULT_HOST, DEFAULT_SERVE_PORT

if TYPE_CHECKING:
    from workbook import projects


@app.command()
def predict(
    model_uri: ModelUriArgument,
    in_file: Annotated[Path, typer.Argument(help="Flight rows to score (.csv or .xlsx; Price optional).",
                                            show_default=False)],
    out_file: Annotated[Path, typer.Argument(help="Where to write the rows plus predicted_price (.csv or .xlsx).",
                                             show_default=False)],
) -> None:
    """Score a file of raw flight rows with a model; write the rows with a predicted_price column."""
    from workbook import serving

    with expected(OSError):
        scored = serving.score_file(model_uri, in_file, out_file)
    typer.echo(f"wrote {len(scored):,} predictions to {out_file}")


@app.command()
def serve(model_uri: ModelUriArgument, port: PortOption = DEFAULT_SERVE_PORT, host: HostOption = DEFAULT_HOST) -> None:
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
    except KeyboardInterrupt as interrupt:  # start_server stops a half-started server itself
        if server is None:
            fail("interrupted before the server was ready", serving.exit_status(interrupt))
        raise typer.Exit(serving.exit_status(interrupt)) from None
    if code != 0:
        raise ServingError(f"the model server exited with code {code}")


@app.command("test-model")
def check_model(
    model_uri: ModelUriArgument,
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

    with expected(OSError):
        code = serving.run_model_tests(model_uri, data, max_mae, min_r2, all_rows)
    raise typer.Exit(code)


# --- comparing runs: workbook diff (workbook.diff imports MLflow only to read an MLflow run id) ---------


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

    found = run_diff.diff_runs(run_a, run_b, notebook)
    target = html_path or diff_report.default_html_path(found)
    written = diff_report.write_html(found, target, show_all) if target else None
    typer.echo(f"A: {found.a.kind} {found.a.label}\nB: {found.b.kind} {found.b.label}")
    typer.echo(diff_report.diff_table(found, show_all))
    typer.echo(f"html: {written}" if written else "html: not written (no folder on either side; use --html PATH)")


# --- the MLproject's entry points (mlflow run . -e wine|flights) -----------------------------------------


def print_entry_point_run(run: projects.EntryPointRun) -> None:
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

    print_entry_point_run(projects.train_wine(alpha, l1_ratio, wine_csv or None))


@app.command("train-flights")
def train_flights(
    model_name: Annotated[str, typer.Option("--model-name", help="elasticnet, knn, tree, random_forest or "
                                            "hist_gradient_boosting.")] = "hist_gradient_boosting",
    learning_rate: Annotated[float, typer.Option("--learning-rate", min=0, help="Boosting's learning rate "
                                                 "(other models ignore it).")] = 0.1,
    log_target: Annotated[bool, typer.Option("--log-target/--price-target", help="Fit on log(price).")] = True,
    *,
    n_rows: Annotated[int, typer.Option("--n-rows", min=100, help="Rows of the synthetic twin (default: as many "
                                        "as the real file).", default_factory=real_file_rows, show_default=False)],
    random_state: Annotated[int, typer.Option("--random-state", help="Seed of the twin, split and model.")] = 42,
    data_path: Annotated[str, typer.Option("--data-path", help="The real flight file (.xlsx/.csv); "
                                           "default: the synthetic twin.", show_default=False)] = "",
) -> None:
    """One of notebook 05's flight-fare runs with its model (the MLproject's `flights` entry point)."""
    from workbook import projects

    print_entry_point_run(projects.train_flights(model_name, learning_rate, log_target, n_rows, random_state,
                                                 data_path or None))
