"""The workshop's commands: `workbook setup`, `workbook room add-users`/`submit`, `workbook leaderboard`.

Each imports its module inside the command (room and leaderboard load MLflow), so `workbook --help` stays fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from workbook.cli.app import app, expected
from workbook.errors import RoomError, UsageError
from workbook.paths import DEFAULT_SERVER_URL, KERNEL_DISPLAY_NAME

URL_HELP = "The room server as this machine reaches it."
ROOM_DIR_HELP = "The room's folder (its secrets file): beside the server's SQLite database."

UrlOption = Annotated[str, typer.Option("--url", help=URL_HELP)]
RoomDirOption = Annotated[Path | None, typer.Option("--room-dir", help=ROOM_DIR_HELP, show_default=False)]


@app.command()
def setup(
    prefix: Annotated[Path | None, typer.Option("--prefix", help="Install the kernel under this prefix "
                                                "instead of this environment.", show_default=False)] = None,
    display_name: Annotated[str, typer.Option("--display-name", help="The kernel's name in JupyterLab's "
                                              "launcher.")] = KERNEL_DISPLAY_NAME,
) -> None:
    """After `pip install -e .` (no `make` needed): register the `workbook` Jupyter kernel, warm matplotlib."""
    from workbook import setup_env

    folder = setup_env.setup(prefix, display_name)
    typer.echo(f"kernel 'workbook' installed in {folder}; next: jupyter lab notebooks (or workbook run)")


room_app = typer.Typer(help="A workshop room: attendee accounts on a `workbook server --room`.",
                       no_args_is_help=True)
app.add_typer(room_app, name="room")


@room_app.command("add-users")
def add_users(
    names_file: Annotated[Path, typer.Argument(help="Text file: one attendee name a line.", show_default=False)],
    url: UrlOption = DEFAULT_SERVER_URL,
    handout_url: Annotated[str | None, typer.Option("--handout-url", help="The address attendees use, e.g. "
                                                    "http://10.0.0.5:5000. Default: --url.",
                                                    show_default=False)] = None,
    room_dir: RoomDirOption = None,
    reset_passwords: Annotated[bool, typer.Option("--reset-passwords", help="Give the listed accounts that exist "
                                                  "already a new password (a lost handout line).")] = False,
) -> None:
    """Create an account per attendee with a random password; print one line per attendee to hand out.

    Attendees read everything, log runs into the workbook's experiments, and change only what they created.
    The lines hold passwords, printed only here: hand each out privately (e.g. `> handout.txt`, then slips of
    paper; `>> handout.txt` when adding names later, or the earlier lines are gone).
    """
    from workbook import room

    names = room.read_names(names_file)
    admin = room.admin_for(url, room_dir or room.DEFAULT_ROOM_DIR)
    for account in room.add_users(admin, names, reset_passwords):
        typer.echo(room.handout_line(account, handout_url or url))


@room_app.command("submit")
def submit(
    model: Annotated[str, typer.Argument(help="Your registered model, e.g. flights-alice.", show_default=False)],
    from_alias: Annotated[str, typer.Option("--from-alias", help="The alias whose version to submit.")] = "champion",
) -> None:
    """As an attendee: enter the leaderboard with MODEL@champion (its alias `submission` points there).

    Logs in as MLFLOW_TRACKING_USERNAME on MLFLOW_TRACKING_URI (your handout line); run it again after a better
    champion to resubmit.
    """
    from workbook import room

    entry = room.submit(model, from_alias)
    typer.echo(f"{entry.model} version {entry.version} ({from_alias}) is your submission on {entry.uri}; "
               "the next leaderboard scores it")


@app.command()
def leaderboard(
    url: UrlOption = DEFAULT_SERVER_URL,
    room_dir: RoomDirOption = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the board as an HTML page.",
                                              show_default=False)] = None,
    every: Annotated[int | None, typer.Option("--every", help="Refresh every N seconds until Ctrl-C "
                                              "(the HTML page reloads itself too).", show_default=False)] = None,
    rows: Annotated[int, typer.Option("--rows", help="Holdout rows each model is scored on (10 or more).")] = 400,
) -> None:
    """Rank every attendee's model with the alias `submission` on the room's secret holdout.

    MAE (lower first), R², one-row latency, who and when; a model that cannot score is listed with its reason.
    """
    from workbook import leaderboard as board_module
    from workbook import room

    # Checked here, not with typer's min=: its usage box is five lines, the workbook's errors are one.
    if rows < 10:
        raise UsageError(f"--rows: the holdout needs 10 rows or more, got {rows}")
    if every is not None and every < 10:
        raise UsageError(f"--every: refresh at most every 10 seconds (scoring every model takes a while), got {every}")
    shown = 0
    with expected(OSError):  # the first board's problem ends the command; a later one is a warning
        while True:
            try:
                board = board_module.build_board(url, room_dir or room.DEFAULT_ROOM_DIR, rows)
                if html is not None:
                    board_module.write_html(board, html, every)
            except (RoomError, OSError) as error:
                if not shown:
                    raise
                typer.echo(f"warning: this refresh failed, the last board stays: {error}", err=True)  # a restart
            else:
                shown += 1
                typer.echo(board_module.text_table(board))
                if html is not None:
                    typer.echo(f"page: {html}")
            if every is None:
                return
            try:
                time.sleep(every)
            except KeyboardInterrupt:
                raise typer.Exit(0) from None
            typer.echo("")
