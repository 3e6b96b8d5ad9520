"""Bad input to the room's commands ends in one line `error: ...` naming what is wrong, never a traceback.

No server is started: these are the mistakes made before one answers (a wrong file, folder, address or
number). They run in this process through typer's CliRunner, one after another (a process each cost 1-2 s of
imports: issue 12), but for `server --room`: a real `python -m workbook.cli` process, run meanwhile, which proves
that path and keeps the server's signal handlers out of the test worker (see cli_outcomes).
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cli_outcomes import (
    PROXY_FREE,
    ProcessState,
    import_what_commands_import,
    run_in_process,
    run_subprocess,
    subprocess_env,
)

from workbook import room

pytestmark = pytest.mark.e2e

NOBODY = "http://127.0.0.1:9"  # the discard port: nothing answers there
AS_A_PROCESS = "server --room: a room folder that is a file"  # stop_signals: no test worker's handlers to take


def _free_port() -> int:
    """A port nothing listens on now: the server case must fail on its room folder, not on a busy 5000."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cases(tmp: Path, port: int = 5000) -> dict[str, tuple[list[str], list[str]]]:
    names, spaced, folder = tmp / "names.txt", tmp / "spaced.txt", tmp / "room"
    return {
        "add-users: no such names file": (["room", "add-users", str(tmp / "none.txt"), "--room-dir", str(folder)],
                                          ["none.txt", "no such file"]),
        "add-users: a name with a space": (["room", "add-users", str(spaced), "--room-dir", str(folder)],
                                           ["spaced.txt:2", "'bob jones'"]),
        "add-users: a folder without a room": (["room", "add-users", str(names), "--room-dir", str(tmp)],
                                               [room.SECRETS_FILE, "no room here"]),
        "add-users: nobody at the URL": (["room", "add-users", str(names), "--room-dir", str(folder), "--url",
                                          NOBODY], [NOBODY, "workbook server --room"]),
        "add-users: not a URL": (["room", "add-users", str(names), "--room-dir", str(folder), "--url", "room:5000"],
                                 ["--url", "room:5000"]),
        "leaderboard: a folder without a room": (["leaderboard", "--room-dir", str(tmp)], ["no room here"]),
        "leaderboard: nobody at the URL": (["leaderboard", "--room-dir", str(folder), "--url", NOBODY], [NOBODY]),
        "leaderboard: too few holdout rows": (["leaderboard", "--rows", "3"], ["--rows", "got 3"]),
        "leaderboard: refreshing too often": (["leaderboard", "--every", "1"], ["--every", "got 1"]),
        AS_A_PROCESS: (["server", "--room", "--backend-store-uri",
                        f"sqlite:///{(tmp / 'a-file' / 'mlflow.db').as_posix()}",
                        "--artifacts-dir", str(tmp / "artifacts"), "--port", str(port)], ["a-file"]),
    }


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("room-bad-inputs")
    (tmp / "names.txt").write_text("alice\n")
    (tmp / "spaced.txt").write_text("alice\nbob jones\n")
    (tmp / "a-file").write_text("not a folder\n")
    room.load_or_create_secrets(tmp / "room")  # a room folder whose server is not running
    import_what_commands_import()
    cases = _cases(tmp, _free_port())
    before = ProcessState.now()
    with ThreadPoolExecutor(max_workers=1) as pool:
        server = pool.submit(run_subprocess, cases[AS_A_PROCESS][0], subprocess_env(PROXY_FREE), tmp)
        done = {name: run_in_process(args, PROXY_FREE, tmp)
                for name, (args, _) in cases.items() if name != AS_A_PROCESS}
        done[AS_A_PROCESS] = server.result()
    return cases, done, before.differences(ProcessState.now())


def test_the_in_process_cases_leave_the_worker_as_they_found_it(outcomes) -> None:
    _, done, left = outcomes
    assert left == []
    assert not done[AS_A_PROCESS].in_process and sum(outcome.in_process for outcome in done.values()) == len(done) - 1


@pytest.mark.parametrize("name", list(_cases(Path("/tmp"))))
def test_each_bad_input_is_one_line_naming_the_problem(outcomes, name):
    cases, done, _ = outcomes
    outcome = done[name]
    lines = outcome.stderr.splitlines()
    assert not outcome.escaped, f"{name}: an exception escaped the app\n{outcome.escaped}"
    assert outcome.returncode != 0 and "Traceback" not in outcome.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert all(fragment in lines[0] for fragment in cases[name][1]), lines[0]
