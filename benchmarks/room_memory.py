"""The workshop room's memory: `workbook server --room` idle, then after N attendees log and register at once.

Usage: .venv/bin/python benchmarks/room_memory.py [--clients 20] [--workers 1 2]

For each worker count: a room server on a throwaway store (MLflow's basic-auth app, as `workbook server
--room` starts it), N accounts, then N forked client processes that wait for each other and each log a run
with a tiny model registered under the alias `submission`. Memory is summed over the server's whole process
group (MLflow's CLI, uvicorn and its workers): RSS counts the shared pages of each process again, PSS shares
them out, so PSS is what the machine really spends. The issue's goal: under ~600 MB with one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil

from workbook import room
from workbook.paths import PROJECT_ROOT
from workbook.serving import tracking_server

GOAL_MB = 600
CLIENT_PROGRAM = textwrap.dedent("""
    import json, multiprocessing, os, sys
    import mlflow
    from mlflow.tracking import MlflowClient
    from sklearn.dummy import DummyRegressor
    from workbook import tracking
    from workbook.data import make_flights
    from workbook.models import RAW_COLUMNS

    accounts = json.loads(sys.argv[1])
    rows = make_flights(60, seed=42).dropna()

    def attend(name, password, barrier):
        os.environ.update(MLFLOW_TRACKING_USERNAME=name, MLFLOW_TRACKING_PASSWORD=password)
        model = DummyRegressor().fit(rows[RAW_COLUMNS], rows["Price"].astype(float))
        barrier.wait(timeout=120)
        tracking.setup_tracking("05_mlflow_tracking")
        with mlflow.start_run(run_name=f"bench-{name}"):
            info = tracking.log_sklearn_model(model, "model", rows[RAW_COLUMNS],
                                              registered_model_name=f"{name}-flights")
        MlflowClient().set_registered_model_alias(f"{name}-flights", "submission", info.registered_model_version)

    if __name__ == "__main__":
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(len(accounts))
        clients = [context.Process(target=attend, args=(name, password, barrier))
                   for name, password in accounts.items()]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=900)
        print(json.dumps([client.exitcode for client in clients]))
""")


def group_memory_mb(leader_pid: int) -> tuple[float, float, int]:
    """(RSS, PSS, processes) summed over the server's leader and everything below it, in MB."""
    leader = psutil.Process(leader_pid)
    members = [leader, *leader.children(recursive=True)]
    rss = pss = 0
    for member in members:
        info = member.memory_full_info()
        rss += info.rss
        pss += getattr(info, "pss", info.rss)  # PSS is Linux-only
    return rss / 2**20, pss / 2**20, len(members)


def measure(workers: int, clients: int, folder: Path) -> dict:
    """Start a room with `workers`, measure it idle and after `clients` attendees; stop it."""
    store = folder / f"workers-{workers}"
    server = tracking_server.start_tracking_server(f"sqlite:///{(store / 'mlflow.db').as_posix()}", store / "artifacts",
                                               workers=workers, room=True, timeout=240)
    try:
        idle = group_memory_mb(server.process.pid)
        admin = room.admin_for(server.url, store)
        accounts = list(room.add_users(admin, [f"bench{index:02d}" for index in range(clients)]))
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(MLFLOW_TRACKING_URI=server.url, PYTHONPATH=str(PROJECT_ROOT / "lib"))
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", CLIENT_PROGRAM,
                               json.dumps({a.username: a.password for a in accounts})],
                              env=env, cwd=folder, capture_output=True, text=True, timeout=1800)
        seconds = time.monotonic() - started
        codes = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
        busy = group_memory_mb(server.process.pid)
    finally:
        server.stop()
    return {"workers": workers, "idle": idle, "busy": busy, "seconds": seconds,
            "ok": sum(code == 0 for code in codes) if codes else 0, "clients": clients}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="room-bench-") as tmp:
        results = [measure(workers, args.clients, Path(tmp)) for workers in args.workers]
    print(f"{'workers':>7}  {'idle RSS':>9}  {'idle PSS':>9}  {'busy RSS':>9}  {'busy PSS':>9}  procs  "
          f"clients ok  seconds")
    for r in results:
        print(f"{r['workers']:>7}  {r['idle'][0]:>6.0f} MB  {r['idle'][1]:>6.0f} MB  {r['busy'][0]:>6.0f} MB  "
              f"{r['busy'][1]:>6.0f} MB  {r['busy'][2]:>5}  {r['ok']:>3} of {r['clients']:<3}  {r['seconds']:>7.1f}")
    print(f"goal: under ~{GOAL_MB} MB with one worker (PSS is what the machine spends; RSS counts shared pages "
          "once per process)")


if __name__ == "__main__":
    main()
