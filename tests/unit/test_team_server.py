"""Unit tests of the team tracking server's configuration and start-up failures (no real MLflow server here).

The real server (8 concurrent clients, Host-header protection, Ctrl-C) is in tests/e2e/test_team_server_running.py.
"""

from __future__ import annotations

import inspect
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbook import tracking
from workbook.errors import TrackingServerError
from workbook.serving import ServingError, tracking_server
from workbook.serving.backend import check_backend_uri

# What the CLI passes as run_server's say and warn: its stdout and stderr.
PRINTED = {"say": print, "warn": lambda line: print(line, file=sys.stderr)}


def _sqlite_uri(db: Path) -> str:
    return f"sqlite:///{db.as_posix()}"


def _option(command: list[str], flag: str) -> str:
    """The value that follows `flag` in a command line."""
    return command[command.index(flag) + 1]


# --- the command line ----------------------------------------------------------------------------------


def test_server_command_serves_artifacts_from_the_folder_and_keeps_security_on(tmp_path):
    uri = _sqlite_uri(tmp_path / "mlflow.db")
    command = tracking_server.server_command(uri, tmp_path / "art", "127.0.0.1", 5123)
    assert command[:4] == [sys.executable, "-m", "mlflow", "server"]
    assert _option(command, "--backend-store-uri") == uri
    assert "--serve-artifacts" in command and "--no-serve-artifacts" not in command
    assert _option(command, "--artifacts-destination") == str((tmp_path / "art").resolve())
    assert _option(command, "--default-artifact-root") == "mlflow-artifacts:/"  # new experiments proxied too
    assert (_option(command, "--host"), _option(command, "--port")) == ("127.0.0.1", "5123")
    assert _option(command, "--workers") == str(tracking_server.DEFAULT_WORKERS)
    # MLflow's Host-header and CORS protections stay at their defaults: nothing disables or widens them.
    for flag in ("--disable-security-middleware", "--allowed-hosts", "--cors-allowed-origins", "--x-frame-options"):
        assert flag not in command
    assert "*" not in command


def test_servers_bind_the_loopback_address_unless_told_otherwise():
    for function in (tracking_server.start_tracking_server, tracking_server.run_server):
        assert inspect.signature(function).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(tracking_server.run_server).parameters["port"].default == 5000


def test_allowed_hosts_are_added_but_a_wildcard_is_refused(tmp_path):
    from mlflow.server.security_utils import is_allowed_host_header

    command = tracking_server.server_command("sqlite:////x.db", tmp_path, "0.0.0.0", 5000,
                                         allowed_hosts=["classroom.local", "10.1.2.3:5000"])
    allowed = _option(command, "--allowed-hosts").split(",")
    # MLflow's own matcher on the list the server gets: the name is added, nothing MLflow allowed is lost
    # (--allowed-hosts replaces MLflow's defaults; `classroom.local` alone refused 127.0.0.1 and the name's port).
    for header in ("classroom.local", "classroom.local:5000", "127.0.0.1:5000", "localhost:5000", "10.0.0.5:5000",
                   "192.168.1.20:5000", "10.1.2.3:5000"):
        assert is_allowed_host_header(allowed, header), header
    for header in ("evil.example.com:5000", "classroom.local.evil.example.com:5000"):
        assert not is_allowed_host_header(allowed, header), header
    with pytest.raises(TrackingServerError, match=r"allowed_hosts: '\*' would switch off") as caught:
        tracking_server.server_command("sqlite:////x.db", tmp_path, "0.0.0.0", 5000, allowed_hosts=["*"])
    assert "\n" not in str(caught.value)
    with pytest.raises(TrackingServerError, match="allowed_hosts: expected host names"):
        tracking_server.server_command("sqlite:////x.db", tmp_path, "0.0.0.0", 5000, allowed_hosts=["a,b"])


def test_server_env_drops_variables_that_would_override_the_command(monkeypatch):
    monkeypatch.setenv("MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE", "true")
    monkeypatch.setenv("MLFLOW_SERVER_ALLOWED_HOSTS", "*")
    monkeypatch.setenv("MLFLOW_DEFAULT_ARTIFACT_ROOT", "/somewhere/local")
    monkeypatch.setenv("MLFLOW_GUNICORN_OPTS", "--timeout 5")
    monkeypatch.delenv("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", raising=False)
    env = tracking_server.server_env("sqlite:////x.db")
    for name in ("MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE", "MLFLOW_SERVER_ALLOWED_HOSTS",
                 "MLFLOW_DEFAULT_ARTIFACT_ROOT", "MLFLOW_GUNICORN_OPTS"):
        assert name not in env
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    monkeypatch.setenv("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "true")  # someone who wants MLflow's jobs
    assert tracking_server.server_env("sqlite:////x.db")["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "true"


# --- backend URIs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("uri", [
    "postgresql://mlflow@db.example.org:5432/mlflow",
    "postgresql+psycopg2://mlflow:secret@db.example.org/mlflow",
    "mysql+pymysql://mlflow@db.example.org/mlflow",
    "mssql+pyodbc://mlflow@db.example.org/mlflow",
])
def test_database_urls_are_accepted_unchanged(uri):
    assert check_backend_uri(uri) == uri


def test_sqlite_uris_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert check_backend_uri("sqlite:///team/mlflow.db") == f"sqlite:///{(tmp_path / 'team' / 'mlflow.db').as_posix()}"
    absolute = _sqlite_uri(tmp_path / "m.db")
    assert check_backend_uri(absolute) == absolute
    assert check_backend_uri("sqlite:///m.db?timeout=20") == f"{absolute}?timeout=20"
    assert tracking_server.default_backend_uri().endswith("/mlruns/server/mlflow.db")


@pytest.mark.parametrize("uri", [
    "", "file:///tmp/mlruns", "/tmp/mlruns", "mlruns", "http://127.0.0.1:5000", "sqlite://", "sqlite:",
    "postgresql://", "mongodb://db.example.org/mlflow",
])
def test_other_backend_uris_fail_in_one_line_naming_them(uri):
    with pytest.raises(TrackingServerError) as caught:
        check_backend_uri(uri)
    message = str(caught.value)
    assert "expected a database URL such as sqlite:///" in message and "\n" not in message
    if uri:
        assert repr(uri) in message


def test_passwords_never_reach_a_message():
    assert tracking_server.redacted("postgresql://mlflow:s3cret@db:5432/m") == "postgresql://mlflow:***@db:5432/m"
    assert tracking_server.redacted("sqlite:////x.db") == "sqlite:////x.db"
    with pytest.raises(TrackingServerError) as caught:
        check_backend_uri("mongodb://mlflow:s3cret@db/m")
    assert "s3cret" not in str(caught.value) and "mongodb://mlflow:***@db/m" in str(caught.value)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("192.168.1.20", False), ("teacher.local", False), ("::", False),
])
def test_is_loopback(host, loopback):
    assert tracking_server.is_loopback(host) is loopback


# --- the store and the artifact folder ---------------------------------------------------------------------


def test_a_new_sqlite_store_is_created_once_with_served_artifacts(tmp_path):
    uri = _sqlite_uri(tmp_path / "team" / "mlflow.db")
    tracking_server.prepare_sqlite_store(uri)
    with sqlite3.connect(tmp_path / "team" / "mlflow.db") as connection:
        locations = connection.execute("SELECT experiment_id, artifact_location FROM experiments").fetchall()
    assert locations == [(0, "mlflow-artifacts:/0")]  # served by the server, never a path on this disk
    tracking_server.prepare_sqlite_store(uri)  # found ready: nothing changes
    assert tracking_server.local_artifact_experiments(uri) == []


@pytest.fixture(scope="module")
def learner_store(tmp_path_factory, new_store) -> str:
    """The learner's kind of store (tracking.ensure_store's): artifacts in a folder beside the database."""
    uri = _sqlite_uri(new_store(tmp_path_factory.mktemp("learner") / "mlflow.db"))
    tracking.ensure_store(uri)  # finds the copy ready, as it would a learner's store
    return uri


def test_a_store_with_local_artifact_folders_is_reported(learner_store, tmp_path):
    uri = learner_store
    assert tracking_server.local_artifact_experiments(uri) == ["Default"]
    assert tracking_server.local_artifact_experiments(_sqlite_uri(tmp_path / "missing.db")) == []
    assert tracking_server.local_artifact_experiments("postgresql://u@h/db") == []


def test_artifacts_dir_must_be_a_usable_local_folder(tmp_path):
    assert tracking_server.prepare_artifacts_dir(tmp_path / "a" / "b") == (tmp_path / "a" / "b").resolve()
    assert (tmp_path / "a" / "b").is_dir()
    with pytest.raises(TrackingServerError, match="artifacts_dir must be a local folder, got the URI 's3://b/x'"):
        tracking_server.prepare_artifacts_dir("s3://b/x")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(TrackingServerError, match=r"artifacts_dir .*file\.txt/sub: cannot create it"):
        tracking_server.prepare_artifacts_dir(tmp_path / "file.txt" / "sub")


# --- start-up failures ---------------------------------------------------------------------------------------


def test_a_busy_port_fails_before_anything_is_created(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(TrackingServerError) as caught:
            tracking_server.start_tracking_server(_sqlite_uri(tmp_path / "db" / "mlflow.db"), tmp_path / "art",
                                                  port=port)
    message = str(caught.value)
    assert message.startswith(f"cannot listen on 127.0.0.1:{port} (")
    assert "choose another --port" in message and "\n" not in message
    assert isinstance(caught.value, ServingError)  # what the command line already catches
    assert not (tmp_path / "db").exists() and not (tmp_path / "art").exists()


@pytest.mark.skipif(os.name == "nt", reason="TIME_WAIT and SO_REUSEADDR behave differently on Windows")
def test_a_port_a_stopped_server_left_in_time_wait_counts_as_free():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn's listening socket does
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server side closes first, as a stopping server does: its port enters TIME_WAIT
    client.close()
    listener.close()
    time.sleep(0.1)
    with socket.socket() as plain, pytest.raises(OSError):  # a plain bind still calls it busy...
        plain.bind(("127.0.0.1", port))
    tracking_server.check_port_free("127.0.0.1", port)  # ...but uvicorn binds it at once, and so may we


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"port": 0}, "port must be a whole number from 1 to 65535, got 0"),
    ({"port": 70000}, "port must be a whole number from 1 to 65535, got 70000"),
    ({"workers": 0}, "workers must be a whole number of at least 1, got 0"),
    ({"host": ""}, "host must be an address or host name"),
    ({"host": "no-such-host.invalid"}, "cannot listen on no-such-host.invalid ("),
])
def test_bad_start_arguments_fail_in_one_line(tmp_path, kwargs, expected):
    with pytest.raises(TrackingServerError) as caught:
        tracking_server.start_tracking_server(_sqlite_uri(tmp_path / "mlflow.db"), tmp_path / "art", **kwargs)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def _fake_server(monkeypatch, code: str) -> None:
    """Make start_tracking_server launch a small Python program instead of MLflow."""
    monkeypatch.setattr(tracking_server, "server_command", lambda *args, **kwargs: [sys.executable, "-c", code])


@pytest.fixture
def launched(monkeypatch) -> list:
    """Every (process, log path) start_tracking_server launches, in order."""
    seen: list = []
    real_launch = tracking_server.launch
    monkeypatch.setattr(tracking_server, "launch", lambda *a, **k: seen.append(real_launch(*a, **k)) or seen[-1])
    return seen


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(os.name == "nt", reason="process groups are POSIX")
def test_a_server_that_dies_fails_with_its_likeliest_log_line(tmp_path, monkeypatch, launched):
    _fake_server(monkeypatch, "import sys; print('Traceback (most recent call last):'); "
                              "print(\"ModuleNotFoundError: No module named 'psycopg2'\"); print('shutting down'); "
                              "sys.exit(3)")
    with pytest.raises(TrackingServerError) as caught:
        tracking_server.start_tracking_server("postgresql://u@db.example.org/m", tmp_path / "art", timeout=30)
    assert str(caught.value) == ("the MLflow tracking server for postgresql://u@db.example.org/m exited with code 3 "
                                 "before answering: ModuleNotFoundError: No module named 'psycopg2'")
    assert caught.value.log_tail[-1] == "shutting down"
    process, log_path = launched[0]
    assert not _group_alive(process.pid) and not log_path.exists()


@pytest.mark.skipif(os.name == "nt", reason="process groups are POSIX")
def test_a_server_that_never_answers_is_stopped_after_the_timeout(tmp_path, monkeypatch, launched):
    # A child that starts a grandchild: the whole group must go, not just the leader.
    _fake_server(monkeypatch, "import subprocess, sys, time; "
                              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)")
    with pytest.raises(TrackingServerError, match=r"did not answer http://127\.0\.0\.1:\d+/health within 1 s$"):
        tracking_server.start_tracking_server("postgresql://u@db.example.org/m", tmp_path / "art", timeout=1)
    assert not _group_alive(launched[0][0].pid)


def test_summary_line_prefers_the_last_error():
    assert tracking_server.summary_line(["a", "ValueError: x", "b"]) == "ValueError: x"
    assert tracking_server.summary_line(["a", "  b  "]) == "b"
    assert tracking_server.summary_line([]) == ""


# --- the foreground command's messages ---------------------------------------------------------------------


def test_run_server_warns_about_exposure_and_local_artifacts_and_reports_ctrl_c(learner_store, tmp_path,
                                                                                 monkeypatch, capsys):
    uri = learner_store

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tracking_server, "start_tracking_server", interrupted)
    assert tracking_server.run_server(uri, tmp_path / "art", host="0.0.0.0", port=5999, **PRINTED) == 130
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 3
    assert lines[0].startswith("warning: listening on 0.0.0.0 lets other machines reach this tracking server")
    assert lines[1].startswith(f"warning: 1 experiment(s) in {uri} keep artifacts in local folders ('Default')")
    assert lines[2] == "interrupted before the tracking server was ready"

    monkeypatch.setattr(tracking_server, "start_tracking_server", interrupted)
    assert tracking_server.run_server(_sqlite_uri(tmp_path / "new.db"), tmp_path / "art", **PRINTED) == 130
    assert capsys.readouterr().err == "interrupted before the tracking server was ready\n"  # loopback: no warning


# A stand-in for `mlflow server`: chatters on stdout like MLflow does, answers /health from a file.
STAND_IN_DRIVER = """
import sys
from workbook.serving import tracking_server

def stand_in(backend, folder, host, port, **kwargs):
    program = ("import functools, http.server; print('MLflow-like chatter on stdout', flush=True); "
               f"handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory={str(folder)!r}); "
               f"http.server.HTTPServer(({host!r}, {port}), handler).serve_forever()")
    return [sys.executable, "-c", program]

tracking_server.server_command = stand_in
sys.exit(tracking_server.run_server("postgresql://u@db.example.org/m", sys.argv[1], port=int(sys.argv[2]),
                                   say=lambda line: print(line, flush=True),
                                   warn=lambda line: print(line, file=sys.stderr, flush=True)))
"""


def _child_of(pid: int) -> int:
    """The one child process of `pid` (Linux /proc)."""
    children = [int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
                if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[1] == str(pid)]
    assert len(children) == 1, children
    return children[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGTERM, process groups and /proc")
def test_run_server_prints_only_its_line_and_sigterm_stops_the_server_with_status_143(tmp_path):
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "health").write_text("OK")  # so the stand-in answers GET /health with 200
    port = tracking_server.free_port()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "all_proxy")}
    runner = subprocess.Popen([sys.executable, "-c", STAND_IN_DRIVER, str(tmp_path / "art"), str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    server = None
    try:
        line = runner.stdout.readline()
        assert line.startswith(f"MLflow tracking server on http://127.0.0.1:{port} (store postgresql://u@")
        server = _child_of(runner.pid)
        runner.send_signal(signal.SIGTERM)  # a service manager stopping `workbook server`
        assert runner.wait(timeout=30) == 143  # 128 + SIGTERM
        assert runner.stdout.read() == ""  # the server's own stdout went to stderr
        assert not _group_alive(server)  # the stand-in, in its own session, was stopped too
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        if server is not None and _group_alive(server):
            os.killpg(server, signal.SIGKILL)  # only when the test failed: never leave a server behind


def test_the_room_ready_line_gives_add_users_with_what_this_room_needs(tmp_path, monkeypatch):
    """The instructor copies it: a port, a folder or a room-wide address other than the defaults are in it."""
    from types import SimpleNamespace

    from workbook.paths import DEFAULT_SERVER_URL, SERVER_DIR

    default = SimpleNamespace(url=DEFAULT_SERVER_URL, room_dir=SERVER_DIR)
    assert tracking_server.add_users_command(default) == "workbook room add-users NAMES.txt"
    elsewhere = SimpleNamespace(url="http://127.0.0.1:45123", room_dir=tmp_path / "my room")
    assert tracking_server.add_users_command(elsewhere) == (
        f"workbook room add-users NAMES.txt --url http://127.0.0.1:45123 --room-dir '{tmp_path / 'my room'}'")
    monkeypatch.setattr(tracking_server, "lan_address", lambda: "10.0.0.5")
    room_wide = tracking_server.add_users_command(default, host="0.0.0.0")
    assert room_wide.endswith("--handout-url http://10.0.0.5:5000")  # attendees cannot use 127.0.0.1
    monkeypatch.setattr(tracking_server, "lan_address", lambda: None)
    assert tracking_server.add_users_command(default, host="0.0.0.0").endswith("http://YOUR-IP-ADDRESS:5000")
    assert "add attendees with `workbook room add-users NAMES.txt --handout-url" in tracking_server.ready_line(
        default, "0.0.0.0")
