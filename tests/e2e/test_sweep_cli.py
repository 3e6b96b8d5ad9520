"""End-to-end: `workbook sweep` as a subprocess on the light sweep fixtures, with real kernels and MLflow.

Every sweep logs to a store of its own in tmp_path (a copy of one made once: conftest's `new_store`), so run
counts are exact. Kernels take 1-2 s each, so each sweep runs once and several tests check it. Requests
refused before any kernel starts run in this process (typer's CliRunner); one of them still runs as a command.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from cli_outcomes import processes_with_env, run_in_process
from mlflow.tracking import MlflowClient

from workbook.execution import QUIET_MLFLOW
from workbook.execution.forked import SWITCH as FORK_SWITCH

# MLflow 3.17 trips a SQLAlchemy deprecation when the tests read its store; not the sweep's concern.
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sweep_notebooks"
TOY = FIXTURES / "01_toy.ipynb"


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "workbook.cli", "sweep", *map(str, args)]


def environment(store: Path) -> dict[str, str]:
    """This process's environment, logging to the SQLite store `store`."""
    return {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store}"}


def sweep_cli(*args: str | Path, store: Path, mark: str = "", warm: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `workbook sweep ARGS` against `store` and capture its output; `mark`: a value of MARK_VARIABLE that every
    process it starts (workers, kernels) inherits; `warm`: warm kernels even when forked ones are switched on
    (test_forked_kernels.py covers those)."""
    env = environment(store) | ({MARK_VARIABLE: mark} if mark else {}) | ({FORK_SWITCH: "0"} if warm else {})
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=300, env=env, check=False)


MARK_VARIABLE = "WORKBOOK_TEST_SWEEP_MARK"


def in_process(*args: str | Path, store: Path) -> tuple[int, str]:
    """`workbook ARGS` in this process (cli_outcomes.run_in_process), logging to the SQLite store `store`: its
    exit status and stderr. For requests refused before any kernel starts, where a subprocess would add only its
    start-up (MLflow's imports); an exception escaping the app fails the test with its traceback.
    """
    outcome = run_in_process([str(arg) for arg in args], {**QUIET_MLFLOW, "MLFLOW_TRACKING_URI": f"sqlite:///{store}"},
                             cwd=store.parent)
    assert not outcome.escaped, outcome.escaped
    return outcome.returncode, outcome.stderr


def sweep_runs(store: Path, out: Path) -> list:
    """Every active MLflow run, in any experiment, tagged with the sweep key of the sweep in `out`."""
    key = json.loads((out / "sweep.json").read_text())["sweep_key"]
    client = MlflowClient(f"sqlite:///{store}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(experiments, f"tags.`workbook.sweep_key` = '{key}'")


def by_role(runs: list, role: str | None) -> list:
    """The sweep's parent ("sweep"), its children ("point") or the notebooks' own runs (None)."""
    return [run for run in runs if run.data.tags.get("workbook.sweep_role") == role]


def point_folders(out: Path, kind: str = "points") -> list[str]:
    folder = out / kind
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --- a 4-point sweep on two workers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def four_points(tmp_path_factory: pytest.TempPathFactory, new_store):
    """x in {1, 2} times y in {0, 1} on two workers: the smallest grid with a heat map."""
    base = tmp_path_factory.mktemp("four")
    store, out = new_store(base / "mlflow.db"), base / "sweep"
    done = sweep_cli(TOY, "--grid", "x=1,2", "--grid", "y=0,1", "--workers", "2", "--out", out, "--no-progress",
                     store=store, mark=str(base), warm=True)  # the whole path: unique across test workers
    return done, out, store


def test_four_points_all_complete_with_their_own_folders(four_points) -> None:
    done, out, _ = four_points
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    folders = point_folders(out)
    assert [name[:4] for name in folders] == ["001-", "002-", "003-", "004-"]
    for name in folders:
        assert sorted(p.name for p in (out / "points" / name).iterdir()) == [
            "01_toy.ipynb", "point.json", "results.json"]
    assert not (out / "failed").exists() and not (out / ".partial").exists()


def test_four_points_summary_ranks_by_the_first_numeric_result(four_points) -> None:
    done, out, _ = four_points
    frame = pd.read_csv(out / "summary.csv")
    assert list(frame["params.x"]) == [1.0, 1.0, 2.0, 2.0] and list(frame["params.y"]) == [0, 1, 0, 1]
    assert list(frame["metrics.score"]) == [2.0, 3.0, 1.0, 2.0]  # |x - 3| + y
    assert all((out / path).is_file() for path in frame["notebook"])
    assert "metric: score (min; the first numeric result, set --metric to choose)" in done.stdout
    best = next(line for line in done.stdout.splitlines() if line.startswith("best:"))
    assert best.startswith("best:   points/003-") and best.endswith("(x=2.0, y=0): score = 1")
    assert (out / "summary.html").read_text().count("data:image/png;base64,") == 3  # heat map, x, y


def test_four_points_log_one_parent_and_four_children(four_points) -> None:
    _, out, store = four_points
    runs = sweep_runs(store, out)
    (parent,) = by_role(runs, "sweep")
    children = by_role(runs, "point")
    assert parent.info.run_name == "sweep-01_toy" and parent.info.status == "FINISHED"
    assert len(children) == 4 and {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert sorted(c.data.metrics["score"] for c in children) == [1.0, 2.0, 2.0, 3.0]
    assert set(children[0].data.metrics) == {"score", "seconds"}  # the text result is not a metric
    artifacts = MlflowClient(f"sqlite:///{store}").list_artifacts(parent.info.run_id)
    assert [a.path for a in artifacts] == ["summary.png"]  # the page's heat map, in the UI too


def test_each_points_kernel_gets_its_own_run_tags(four_points) -> None:
    """WORKBOOK_RUN_TAGS reaches each kernel with that point's key: the runs a notebook logs carry it."""
    _, out, _ = four_points
    for name in point_folders(out):
        point = json.loads((out / "points" / name / "point.json").read_text())
        results = json.loads((out / "points" / name / "results.json").read_text())
        assert results["point_key"] == point["key"] and name.endswith(point["key"][:8])


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads process environments in /proc")
def test_four_points_leave_no_worker_or_kernel_behind(four_points) -> None:
    """Points 3 and 4 ran in kernels started early (warm); every kernel and its worker is gone at the end."""
    done, out, _ = four_points
    assert done.returncode == 0, done.stderr
    points = [json.loads((out / "points" / name / "point.json").read_text()) for name in point_folders(out)]
    assert sorted(point["warm_kernel"] for point in points) == [False, False, True, True]
    assert processes_with_env(MARK_VARIABLE, str(out.parent)) == []


# --- a failing point --------------------------------------------------------------------------------------


def test_a_failing_point_is_isolated_and_reported_with_its_notebook(tmp_path: Path, new_store) -> None:
    out = tmp_path / "sweep"
    done = sweep_cli(TOY, "--grid", "fail=false,true", "-p", "x", "4", "--workers", "2", "--out", out,
                     store=new_store(tmp_path / "mlflow.db"))
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "error: 1 of 2 points failed"
    (failed,) = point_folders(out, "failed")
    error = "01_toy failed at cell [4] (cell index 3): ValueError: fail=True | point x=4.0 failed on purpose"
    assert f"failed: failed/{failed} (fail=True): {error}" in done.stdout
    notebook = out / "failed" / failed / "01_toy.FAILED.ipynb"
    assert f"        notebook: {notebook}" in done.stdout and notebook.is_file()
    assert len(point_folders(out)) == 1
    assert list(pd.read_csv(out / "summary.csv")["status"]) == ["ok", "failed"]


# --- Ctrl-C, then the same command again ------------------------------------------------------------------


def test_an_interrupted_sweep_reruns_only_the_missing_points_without_duplicate_runs(tmp_path: Path,
                                                                                     new_store) -> None:
    out, store = tmp_path / "sweep", new_store(tmp_path / "mlflow.db")
    # One worker: the first point completes, then Ctrl-C reaches the second while it runs (its kernel's
    # start-up and its 1 s sleep; the first needs no sleep).
    args = (TOY, "--grid", "sleep_s=0,1", "--workers", "1", "--out", out, "--no-progress")
    sweep_process = subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=environment(store), start_new_session=True)  # its own process group
    deadline = time.monotonic() + 120
    while not point_folders(out) and sweep_process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(sweep_process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = sweep_process.communicate(timeout=60)
    assert sweep_process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == f"error: interrupted: rerun with --out {out} to run the remaining points"
    (complete,) = point_folders(out)  # the second point was interrupted: nothing of it is in points/
    assert (out / "points" / complete / "point.json").is_file() and not (out / "summary.csv").exists()

    rerun = sweep_cli(*args, store=store)
    assert rerun.returncode == 0, rerun.stderr
    assert "sweep 01_toy: 2 points, 1 already complete, 1 to run" in rerun.stdout
    assert len(point_folders(out)) == 2 and len(pd.read_csv(out / "summary.csv")) == 2
    runs = sweep_runs(store, out)
    children = [run.data.tags["workbook.point_key"] for run in by_role(runs, "point")]
    assert len(children) == len(set(children)) == 2
    assert len(by_role(runs, "sweep")) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to this process")
def test_ctrl_c_while_a_finished_point_is_recorded_keeps_it_and_ends_the_sweep_as_interrupted() -> None:
    """The sweep's side of the run's Ctrl-C race: the SIGINT lands while point 1's outcome is being recorded
    (in `on_outcome`). Point 1's record completes, point 2 (still running) is dropped, the pool reports the
    interruption, and this process's SIGINT handler is the one it had before."""
    from workbook.sweep.executors import run_local
    from workbook.sweep.point import PointTask

    text = TOY.read_text(encoding="utf-8")
    tasks = [PointTask(index, f"key{index}", TOY.name, text, str(FIXTURES), {"sleep_s": sleep_s}, "workbook", {}, {})
             for index, sleep_s in [(1, 0.0), (2, 120.0)]]
    recorded = []

    def ctrl_c_on_the_first_outcome(outcome) -> None:
        if outcome.index == 1:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)  # the signal is handled while this callback still runs
        recorded.append((outcome.index, outcome.status))

    before = signal.getsignal(signal.SIGINT)  # a test worker of pytest-xdist ignores SIGINT; a terminal does not
    began = time.monotonic()
    assert run_local(tasks, 2, ctrl_c_on_the_first_outcome) is True
    assert recorded == [(1, "ok")]
    assert time.monotonic() - began < 60  # point 2's kernel was interrupted, not waited for
    assert signal.getsignal(signal.SIGINT) == before


# --- the Dask executor ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory):
    """Two single-threaded worker processes on this machine, as the issue asks."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       local_directory=tmp_path_factory.mktemp("dask"))
    yield cluster
    cluster.close()


def test_the_dask_executor_runs_points_on_the_cluster_and_gathers_them(tmp_path: Path, dask_cluster,
                                                                       new_store) -> None:
    out, store = tmp_path / "sweep", new_store(tmp_path / "mlflow.db")
    done = sweep_cli(TOY, "--grid", "x=1,5", "--executor", "dask", "--scheduler", dask_cluster.scheduler_address,
                     "--out", out, store=store)
    assert done.returncode == 0, done.stderr
    assert f"dask executor, scheduler {dask_cluster.scheduler_address}" in done.stdout
    assert list(pd.read_csv(out / "summary.csv")["metrics.score"]) == [2.0, 2.0]
    assert len(point_folders(out)) == 2 and not (out / ".partial").exists()
    assert len(by_role(sweep_runs(store, out), "point")) == 2


# --- bad inputs: one line, a non-zero status, nothing that looks complete ---------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Refused by the command in a subprocess, as a user meets it: the request that runs furthest (kernel check,
# workers' server, MLflow imported) before the tracking store refuses it. The others run in this process.
AS_A_COMMAND = "unreachable tracking server"


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, str, Path]]]:
    """The cases' folder and each case's exit status, stderr and --out (two of them wait on a timeout).

    The command's subprocess starts first and runs while the in-process cases are checked.
    """
    base = tmp_path_factory.mktemp("bad")
    (base / "bad.yaml").write_text("grid: {x: [1, 2]\n")
    (base / "a-file").write_text("not a folder")
    port = free_port()  # nothing listens there
    cases = {
        "empty grid": ["--grid", "x="],
        "unknown parameter": ["--grid", "alpha=0.1,0.5"],
        "wrong type": ["--grid", "x=1,abc"],
        "out of declared range": ["--grid", "x=1,11"],
        "bad YAML": ["-f", base / "bad.yaml"],
        "unwritable out": ["--grid", "x=1", "--out", base / "a-file" / "sweep"],
        "unreachable scheduler": ["--grid", "x=1", "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}"],
        AS_A_COMMAND: ["--grid", "x=1"],
    }
    outs = {name: Path(args[-1]) if "--out" in args else base / name.replace(" ", "-") for name, args in cases.items()}
    env = {**environment(base / "mlflow.db"), "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}"}
    command_case = subprocess.Popen(command(TOY, *cases.pop(AS_A_COMMAND), "--out", outs[AS_A_COMMAND]),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    finished = {}
    for name, args in cases.items():
        out_args = [] if "--out" in args else ["--out", outs[name]]
        finished[name] = (*in_process("sweep", TOY, *args, *out_args, store=base / "mlflow.db"), outs[name])
    _, stderr = command_case.communicate(timeout=120)
    finished[AS_A_COMMAND] = (command_case.returncode, stderr, outs[AS_A_COMMAND])
    return base, finished


BAD_INPUTS = [
    ("empty grid", 2, "empty grid: 'x' has no values; give them as --grid x=V1,V2,..."),
    ("unknown parameter", 2, ("unknown parameter 'alpha' in the grid: 01_toy does not declare it; "
                              "known: x, y, mode, fail, sleep_s, log_run")),
    ("wrong type", 2, "bad value for parameter 'x' of 01_toy: expected float, got 'abc'"),
    ("out of declared range", 2, "value 11.0 for parameter 'x' of 01_toy is outside its declared range 0..10"),
    ("bad YAML", 2, "grid file {base}/bad.yaml is not valid YAML: while parsing a flow mapping"),
    ("unwritable out", 2, "cannot create out dir {base}/a-file/sweep: {base}/a-file is a file"),
    ("unreachable scheduler", 1, "cannot reach the Dask scheduler at tcp://127.0.0.1:"),
    ("unreachable tracking server", 1, "tracking server http://127.0.0.1:"),
]


@pytest.mark.parametrize(("case", "status", "message"), BAD_INPUTS, ids=[case for case, _, _ in BAD_INPUTS])
def test_bad_input_is_one_line_with_a_status_and_leaves_nothing_complete(bad_inputs, case, status, message) -> None:
    base, finished = bad_inputs
    code, stderr, out = finished[case]
    assert code == status, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("error: ")
    assert stderr.removeprefix("error: ").startswith(message.format(base=base))
    assert not out.exists()  # every check runs before the sweep folder is made


# --- workbook server: the command reaches workbook.serving.tracking_server-----------------------------------------


def test_server_rejects_a_backend_that_is_not_a_database_in_one_line(tmp_path: Path) -> None:
    code, stderr = in_process("server", "--backend-store-uri", "http://example.org", "--artifacts-dir",
                              tmp_path / "artifacts", "--port", free_port(), store=tmp_path / "mlflow.db")
    assert code == 1
    assert stderr.startswith("error: backend store URI 'http://example.org' is not a database URL; expected")
    assert stderr.count("\n") == 1 and not (tmp_path / "artifacts").exists()


# --- through a team tracking server -----------------------------------------------------------------------


def test_eight_parallel_points_logging_through_workbook_server_lose_nothing(tmp_path: Path, new_store) -> None:
    """Issue 5: 8 points on 4 workers log through `workbook server`: 8 children and 8 notebook runs."""
    from workbook.serving.backend import SERVED_ARTIFACT_ROOT
    from workbook.serving.tracking_server import start_tracking_server

    backend = new_store(tmp_path / "server" / "mlflow.db", SERVED_ARTIFACT_ROOT)  # as the server would make it
    server = start_tracking_server(f"sqlite:///{backend}", tmp_path / "server" / "art")
    try:
        out = tmp_path / "sweep"
        env = {**os.environ, "MLFLOW_TRACKING_URI": server.url}
        done = subprocess.run(command(TOY, "--grid", "x=0,1,2,3,4,5,6,7", "-p", "log_run", "true",
                                      "--workers", "4", "--out", out, "--no-progress"),
                              capture_output=True, text=True, timeout=300, env=env, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        key = json.loads((out / "sweep.json").read_text())["sweep_key"]
        client = MlflowClient(server.url)
        experiments = [e.experiment_id for e in client.search_experiments()]
        runs = client.search_runs(experiments, f"tags.`workbook.sweep_key` = '{key}'")
        assert len(by_role(runs, "sweep")) == 1
        assert len(by_role(runs, "point")) == 8
        notebook_runs = by_role(runs, None)
        assert len(notebook_runs) == 8 and all(run.info.status == "FINISHED" for run in notebook_runs)
        assert sorted(run.data.params["x"] for run in by_role(runs, "point")) == [f"{x}.0" for x in range(8)]
    finally:
        server.stop()
