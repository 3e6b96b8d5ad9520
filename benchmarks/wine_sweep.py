"""The talk's wine demo swept over 6 points on 2 workers, three ways, side by side in one session.

Usage: .venv/bin/python benchmarks/wine_sweep.py [--skip-05] [--keep DIR]

1. `workbook sweep 05 ... -p serve_model false`: the way before notebook 07, every point running all of 05
   (the flight models, the registry, packaging) for an ElasticNet fit;
2. `workbook sweep 07 ...`: the demo as its own notebook, so a point is the demo and nothing else; once with
   kernels forked from a server that imported once (the default on Linux, execution/forked.py), once with
   warm kernels (WORKBOOK_FORK_KERNELS=0);
3. `xargs -P 2 papermill notebooks/07_batch_runs.ipynb ...`: the same points with bare papermill (no tracking
   of points, no resume, no summary): the floor a sweep's own bookkeeping is measured against.

Every variant logs to its own throwaway MLflow store, created before the clock starts. Goals (issue 16): the
07 sweep at least 5x faster than the 05 sweep, and faster than bare papermill over the same points.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbook.execution.forked import SWITCH as FORK_SWITCH
from workbook.paths import PROJECT_ROOT

ALPHAS, L1_RATIOS = ["0.1", "0.5", "1"], ["0.2", "0.8"]
WORKERS = 2
SPEEDUP_GOAL = 5.0
BIN = Path(sys.executable).parent


def store_env(folder: Path) -> dict[str, str]:
    """This environment, logging to a SQLite store in `folder` (created now, off the clock)."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    subprocess.run([sys.executable, "-c", "from workbook import tracking; tracking.ensure_store(None)"],
                   env=env, check=True)
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path = PROJECT_ROOT) -> float:
    """Wall seconds of one command; a failure stops the benchmark with its output."""
    began = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def sweep(notebook: str, base: Path, *extra: str, forked: bool = False) -> float:
    """`workbook sweep` over the points; `forked`: kernels forked from a server that imported once."""
    grid = ["--grid", f"alpha={','.join(ALPHAS)}", "--grid", f"l1_ratio={','.join(L1_RATIOS)}"]
    command = [str(BIN / "workbook"), "sweep", notebook, *grid, *extra, "--workers", str(WORKERS),
               "--metric", "wine_rmse", "--out", str(base / "sweep"), "--no-progress"]
    env = store_env(base / "store") | {FORK_SWITCH: "1" if forked else "0"}
    return timed(command, env)


def bare_papermill(base: Path) -> float:
    """The same points through `xargs -P 2 papermill`, one output notebook each."""
    notebook = PROJECT_ROOT / "notebooks" / "07_batch_runs.ipynb"
    out = base / "out"
    out.mkdir(parents=True)
    lines = [f"{out / f'point-{i}.ipynb'} {alpha} {l1_ratio}"
             for i, (alpha, l1_ratio) in enumerate(itertools.product(ALPHAS, L1_RATIOS), start=1)]
    script = (f"printf '%s\\n' {' '.join(repr(line) for line in lines)} | xargs -P {WORKERS} -L 1 sh -c "
              f"'{BIN / 'papermill'} -k workbook --cwd {notebook.parent} -p alpha $1 -p l1_ratio $2 "
              f"{notebook} $0 >/dev/null 2>&1'")
    return timed(["sh", "-c", script], store_env(base / "store"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-05", action="store_true", help="leave out the slow 05 sweep")
    parser.add_argument("--keep", type=Path, help="keep the sweeps' folders here instead of a temporary folder")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="wine-sweep-"))
    points = len(ALPHAS) * len(L1_RATIOS)
    try:
        figures = {"07 warm": sweep("07", base / "07"), "07 forked": sweep("07", base / "07f", forked=True),
                   "papermill": bare_papermill(base / "papermill")}
        if not args.skip_05:
            figures["05 sweep"] = sweep("05", base / "05", "-p", "serve_model", "false")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(f"the wine demo, {points} points (alpha {', '.join(ALPHAS)} x l1_ratio {', '.join(L1_RATIOS)}), "
          f"{WORKERS} workers, {os.cpu_count()} cores")
    for name, seconds in figures.items():
        print(f"  {name:<10} {seconds:7.1f} s   {seconds / points:5.1f} s per point")
    for name in ("07 warm", "07 forked"):
        print(f"  {name} / bare papermill: {figures[name] / figures['papermill']:.2f} (goal: below 1)")
    if "05 sweep" in figures:
        for name in ("07 warm", "07 forked"):
            speedup = figures["05 sweep"] / figures[name]
            print(f"  05 sweep / {name}: {speedup:.1f}x (goal: at least {SPEEDUP_GOAL:g}x)")


if __name__ == "__main__":
    main()
