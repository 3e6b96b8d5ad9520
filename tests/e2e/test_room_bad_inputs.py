"""Bad input to the room's commands ends in one line `error: ...` naming what is wrong, never a traceback.

No server is started: these are the mistakes made before one answers (a wrong file, folder, address or
number). The commands are independent, so they run at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from workbook import room

pytestmark = pytest.mark.e2e

NOBODY = "http://127.0.0.1:9"  # the discard port: nothing answers there


def _cases(tmp: Path) -> dict[str, tuple[list[str], list[str]]]:
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
        "server --room: a room folder that is a file": (
            ["server", "--room", "--backend-store-uri", f"sqlite:///{(tmp / 'a-file' / 'mlflow.db').as_posix()}"],
            ["a-file"]),
    }


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run([sys.executable, "-m", "workbook.cli", *args], capture_output=True, text=True,
                          timeout=240, env=env)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("room-bad-inputs")
    (tmp / "names.txt").write_text("alice\n")
    (tmp / "spaced.txt").write_text("alice\nbob jones\n")
    (tmp / "a-file").write_text("not a folder\n")
    room.load_or_create_secrets(tmp / "room")  # a room folder whose server is not running
    cases = _cases(tmp)
    with ThreadPoolExecutor(max_workers=3) as pool:
        return cases, dict(zip(cases, pool.map(_run, [args for args, _ in cases.values()])))


@pytest.mark.parametrize("name", list(_cases(Path("/tmp"))))
def test_each_bad_input_is_one_line_naming_the_problem(outcomes, name):
    cases, done = outcomes
    outcome = done[name]
    lines = outcome.stderr.splitlines()
    assert outcome.returncode != 0 and "Traceback" not in outcome.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert all(fragment in lines[0] for fragment in cases[name][1]), lines[0]
