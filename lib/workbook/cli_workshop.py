"""The workshop's commands: `workbook setup`, `workbook room add-users`, `workbook leaderboard`.

Kept out of cli.py so that file stays about running notebooks; `register(app)` adds them to the same
`workbook` command. Each imports its module inside the command, so `workbook list` stays fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

room_app = typer.Typer(help="A workshop room: attendee accounts on a `workbook server --room`.",
                       no_args_is_help=True)

URL_HELP = "The room server as this machine reaches it."
ROOM_DIR_HELP = "The room's folder (its secrets file): beside the server's SQLite database."


def _fail(message: str, code: int = 1) -> NoReturn:
    from workbook.cli import fail  # at call time: cli imports this module

    fail(message, code)


def _default_room_dir() -> Path:
    from workbook.paths import PROJECT_ROOT

    return PROJECT_ROOT / "mlruns" / "server"


@room_app.command("add-users")
def add_users(
    names_file: Annotated[Path, typer.Argument(help="Text file: one attendee name a line.", show_default=False)],
    url: Annotated[str, typer.Option("--url", help=URL_HELP)] = "http://127.0.0.1:5000",
    handout_url: Annotated[str | None, typer.Option("--handout-url", help="The address attendees use, e.g. "
                                                    "http://10.0.0.5:5000. Default: --url.",
                                                    show_default=False)] = None,
    room_dir: Annotated[Path | None, typer.Option("--room-dir", help=ROOM_DIR_HELP, show_default=False)] = None,
) -> None:
    """Create an account per attendee with a random password; print one line per attendee to hand out.

    Attendees read everything, log runs into the workbook's experiments, and change only what they created.
    The lines hold passwords: hand each out privately (e.g. `> handout.txt`, then slips of paper).
    """
    from workbook import room

    try:
        names = room.read_names(names_file)
        admin = room.admin_for(url, room_dir or _default_room_dir())
        accounts = room.add_users(admin, names)
    except room.RoomError as error:
        _fail(str(error))
    for account in accounts:
        typer.echo(room.handout_line(account, handout_url or url))


def leaderboard(
    url: Annotated[str, typer.Option("--url", help=URL_HELP)] = "http://127.0.0.1:5000",
    room_dir: Annotated[Path | None, typer.Option("--room-dir", help=ROOM_DIR_HELP, show_default=False)] = None,
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
        _fail(f"--rows: the holdout needs 10 rows or more, got {rows}")
    if every is not None and every < 10:
        _fail(f"--every: refresh at most every 10 seconds (scoring every model takes a while), got {every}")
    shown = 0
    while True:
        try:
            board = board_module.build_board(url, room_dir or _default_room_dir(), rows)
            if html is not None:
                board_module.write_html(board, html, every)
        except (room.RoomError, OSError) as error:
            if not shown:
                _fail(str(error))
            typer.echo(f"warning: this refresh failed, the last board stays: {error}", err=True)  # a restart
        except KeyboardInterrupt:
            _fail("interrupted", code=130)
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


def setup(
    prefix: Annotated[Path | None, typer.Option("--prefix", help="Install the kernel under this prefix "
                                                "instead of this environment.", show_default=False)] = None,
) -> None:
    """After `pip install -e .` (no `make` needed): register the `workbook` Jupyter kernel, warm matplotlib."""
    from workbook import setup_env

    try:
        folder = setup_env.setup(prefix)
    except setup_env.SetupError as error:
        _fail(str(error))
    typer.echo(f"kernel 'workbook' installed in {folder}; next: jupyter lab notebooks (or workbook run)")


def register(app: typer.Typer) -> None:
    """Add the workshop's commands to the `workbook` command line."""
    app.command()(setup)
    app.add_typer(room_app, name="room")
    app.command()(leaderboard)
