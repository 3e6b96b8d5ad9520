"""End-to-end: `run_server` starts a real `mlflow server` on an empty SQLite store; 8 client processes log to it.

One server start (5-15 s on two busy cores) covers it all: the one line printed, nothing lost (runs, params,
metrics and artifacts of all 8), artifacts in the server's folder and not on the clients' disk, MLflow's
Host-header and CORS protections answering 403, and Ctrl-C stopping every process of the server (through
`TrackingServer.stop()`) with exit status 130. Start-up failures are unit-tested with stand-in servers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from workbook import tracking
from workbook.serving import tracking_server
from workbook.serving.backend import SERVED_ARTIFACT_ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process sessions from /proc"),
]

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
CLIENTS = 8
EXPERIMENT = "team-sweep"

# One Python process imports MLflow once, then forks 8 client processes that wait for each other and log
# at the same moment, each through MLFLOW_TRACKING_URI as a notebook or sweep point would. Forking spares
# 8 imports of MLflow (~20 s on two busy cores) without changing what the server sees: 8 processes at once.
CLIENT_PROGRAM = textwrap.dedent(f"""
    import json, multiprocessing, sys
    import mlflow
    from workbook import tracking

    def log_point(index, barrier):
        barrier.wait(timeout=60)
        tracking.setup_tracking({EXPERIMENT!r})  # the store comes from MLFLOW_TRACKING_URI
        with mlflow.start_run(run_name=f"point-{{index}}"):
            mlflow.log_param("alpha", index / 10)
            mlflow.log_metric("rmse", 100.0 + index)
            mlflow.log_text(f"point {{index}}\\n", "notes/point.txt")

    if __name__ == "__main__":
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier({CLIENTS})
        clients = [context.Process(target=log_point, args=(i, barrier)) for i in range({CLIENTS})]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=120)
        print(json.dumps([client.exitcode for client in clients]))
""")


@pytest.fixture
def direct(monkeypatch):
    """Talk to 127.0.0.1 directly even where a proxy is configured."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
    tracking.forget_tracking_state()


def _session_members(session: int) -> list[int]:
    """Process ids whose session is `session` (a server started with start_new_session leads its own)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if fields[0] != "Z" and int(fields[3]) == session:  # state, ppid, pgrp, session
            members.append(int(stat.parent.name))
    return members


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _request(url: str, path: str, headers: dict[str, str] | None = None, method: str = "GET",
         body: str | None = None) -> tuple[int, str]:
    """(status, text) of one request with exactly these headers (urllib would rewrite Host)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


def _wait_gone(session: int, timeout: float = 15) -> list[int]:
    """The members of `session` still alive after waiting up to `timeout` s for them to exit."""
    deadline = time.monotonic() + timeout
    while (left := _session_members(session)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_a_team_server_loses_nothing_keeps_its_protections_and_stops_on_ctrl_c(tmp_path, direct, new_store):
    db, artifacts = tmp_path / "server" / "mlflow.db", tmp_path / "server" / "artifacts"
    # Copied, as the server would make it (served artifacts): making it is unit-tested (prepare_sqlite_store), and
    # test_server_signals.py's `workbook server` case makes its own.
    new_store(db, SERVED_ARTIFACT_ROOT)
    port = tracking_server.free_port()
    url = f"http://127.0.0.1:{port}"
    program = ("import sys; from workbook.serving.tracking_server import run_server; "
               f"sys.exit(run_server({f'sqlite:///{db.as_posix()}'!r}, {str(artifacts)!r}, port={port}, "
               "say=lambda line: print(line, flush=True), warn=lambda line: print(line, file=sys.stderr)))")
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    with open(tmp_path / "stderr.txt", "w") as stderr:  # a file, not a pipe nobody reads while the server runs
        runner = subprocess.Popen([sys.executable, "-c", program], env=env, stdout=subprocess.PIPE, stderr=stderr,
                                  text=True)
    leader = None
    try:
        line = runner.stdout.readline()  # blocks until the server answers (or the runner dies)
        assert line == (f"MLflow tracking server on {url} (store sqlite:///{db.as_posix()}, artifacts {artifacts}); "
                        f"MLFLOW_TRACKING_URI={url} points notebooks and sweeps at it; Ctrl-C stops it\n"), \
            (tmp_path / "stderr.txt").read_text()[-2000:]
        [leader] = _children(runner.pid)
        assert len(_session_members(leader)) >= 3  # MLflow's CLI, uvicorn and its 2 workers, in their own session

        _check_eight_clients_lose_nothing(url, artifacts, tmp_path / "client")
        _check_host_and_cors_protections(url)

        runner.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends to the foreground command
        assert runner.wait(timeout=30) == 130  # 128 + SIGINT, as shells report an interrupted command
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        if leader is not None and runner.returncode != 130:  # the test failed: never leave a server behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(leader, signal.SIGKILL)
    assert _wait_gone(leader) == []
    assert runner.stdout.read() == ""  # the one line, nothing more: MLflow's own output went to stderr
    err = (tmp_path / "stderr.txt").read_text()
    assert "warning:" not in err and "error:" not in err and "Traceback" not in err
    tracking_server.check_port_free("127.0.0.1", port)  # free again (a TIME_WAIT left behind does not count)


def _check_eight_clients_lose_nothing(url: str, artifacts: Path, client_dir: Path) -> None:
    """8 processes log a run each at the same moment; all 8 are recorded with their artifacts in the server's folder."""
    client_dir.mkdir()  # clients run elsewhere: nothing of theirs may land on their own disk
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env["MLFLOW_TRACKING_URI"] = url
    done = subprocess.run([sys.executable, "-c", CLIENT_PROGRAM], cwd=client_dir, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [0] * CLIENTS, done.stderr[-2000:]
    assert list(client_dir.iterdir()) == []

    client = MlflowClient(url)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    assert sorted(run.info.run_name for run in runs) == [f"point-{i}" for i in range(CLIENTS)]
    for run in runs:
        index = int(run.info.run_name.removeprefix("point-"))
        assert run.info.status == "FINISHED"
        assert run.data.params == {"alpha": str(index / 10)}
        assert run.data.metrics == {"rmse": 100.0 + index}
        # Artifacts went through the server into its folder, and come back through it.
        assert run.info.artifact_uri == f"mlflow-artifacts:/{experiment.experiment_id}/{run.info.run_id}/artifacts"
        stored = artifacts / experiment.experiment_id / run.info.run_id / "artifacts" / "notes" / "point.txt"
        assert stored.read_text() == f"point {index}\n"
        assert [item.path for item in client.list_artifacts(run.info.run_id, "notes")] == ["notes/point.txt"]


def _check_host_and_cors_protections(url: str) -> None:
    """MLflow's defaults, left on: foreign Host headers and cross-origin writes get 403."""
    # DNS-rebinding protection: this machine and private networks pass; /health answers any Host by design.
    path = "/api/2.0/mlflow/experiments/search?max_results=1"
    status, text = _request(url, path, {"Host": "evil.example.com"})
    assert (status, text) == (403, "Invalid Host header - possible DNS rebinding attack detected")
    assert _request(url, path)[0] == 200
    assert _request(url, path, {"Host": "192.168.1.20:5000"})[0] == 200
    assert _request(url, "/health", {"Host": "evil.example.com"})[0] == 200
    # CORS: a state-changing request from a foreign web page is refused, and nothing is created.
    status, text = _request(url, "/api/2.0/mlflow/experiments/create", method="POST",
                            headers={"Origin": "https://evil.example.com", "Content-Type": "application/json"},
                            body=json.dumps({"name": "planted"}))
    assert (status, text) == (403, "Cross-origin request blocked")
    assert MlflowClient(url).get_experiment_by_name("planted") is None
