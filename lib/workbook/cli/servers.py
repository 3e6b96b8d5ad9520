"""The tracking servers: `workbook ui` (the MLflow UI on the project's store) and `workbook server` (a team's).

workbook.serving and workbook.tracking import MLflow; they are imported inside the
commands so `workbook --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from workbook.cli.app import app
from workbook.cli.options import HostOption, PortOption, warn_if_exposed
from workbook.errors import ServingError
from workbook.paths import DEFAULT_HOST, DEFAULT_UI_PORT


@app.command()
def ui(port: PortOption = DEFAULT_UI_PORT, host: HostOption = DEFAULT_HOST) -> None:
    """Open the MLflow UI on the project's store (or MLFLOW_TRACKING_URI) until Ctrl-C.

    SIGTERM and a hang-up stop it as Ctrl-C does; the exit status is then 128 + the signal's number.
    """
    from workbook import serving, tracking

    warn_if_exposed(host)
    store = tracking.ensure_store()
    typer.echo(f"MLflow UI for {store} at http://{serving.url_host(host)}:{port} (Ctrl-C stops)")
    code = serving.run_ui(store, port, host)
    if code != 0 and code not in serving.STOP_STATUSES:
        raise ServingError(f"the MLflow UI exited with code {code}")
    raise typer.Exit(code)


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
    host: HostOption = DEFAULT_HOST,
    port: PortOption = DEFAULT_UI_PORT,
    room: Annotated[bool, typer.Option("--room", help="Workshop room: MLflow's logins and permissions "
                                       "(then `workbook room add-users`).")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1,
                                         help="uvicorn worker processes (a room: 1 is enough).")] = 2,
    allowed_hosts: Annotated[list[str] | None, typer.Option(
        "--allowed-host", help="A host name clients may reach the server by, besides localhost and private "
        "IP addresses, e.g. classroom.local (repeatable).", show_default=False)] = None,
) -> None:
    """Start an MLflow tracking server for a team or a workshop room until Ctrl-C.

    Clients log to it with MLFLOW_TRACKING_URI=http://HOST:PORT (notebooks, `workbook run`, sweeps).
    """
    from workbook.serving import tracking_server

    # run_server warns about a non-loopback host and reports a server that dies, each in one line
    code = tracking_server.run_server(backend_store_uri, artifacts_dir, host, port, workers=workers, room=room,
                                      allowed_hosts=allowed_hosts or (), say=typer.echo,
                                      warn=lambda line: typer.echo(line, err=True))
    raise typer.Exit(code)
