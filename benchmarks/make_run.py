"""`make run` measured: the whole workbook with --jobs 2 (what make run does) and with --jobs 1, side by side.

Usage: .venv/bin/python benchmarks/make_run.py [--jobs 2] [--no-baseline]

Both runs execute every notebook with its defaults through the `workbook` command, in this session, each
into a throwaway folder and MLflow store. "Compute" is the sum of every executed cell's own time (papermill's
cell durations); the rest of a notebook's time is kernel start-up, papermill and the HTML report. The goals
are the issue's: wall time <= 60 s and wall / compute <= 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WALL_GOAL_S, RATIO_GOAL = 60.0, 1.5


def cell_seconds(notebook: Path) -> float:
    """Sum of papermill's per-cell durations in an executed notebook."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return sum(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0 for cell in nb["cells"])


def folder_mib(folder: Path) -> float:
    """Size of every file under `folder`, in MiB."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20


def timed_run(jobs: int, scratch: Path) -> dict:
    """`workbook run --jobs N` into scratch/run-N with its own store; wall time and per-notebook figures."""
    out, store = scratch / f"run-{jobs}", scratch / f"store-{jobs}"
    store.mkdir()
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}"}
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "workbook.cli", "run", "--jobs", str(jobs), "--out", str(out),
                           "--no-progress"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"workbook run --jobs {jobs} failed: {done.stderr.strip().splitlines()[-1:]}")
    run = json.loads((out / "run.json").read_text())
    notebooks = [{"name": entry["name"], "seconds": entry["seconds"], "compute": cell_seconds(out / entry["output"])}
                 for entry in run["notebooks"]]
    return {"jobs": jobs, "wall": wall, "notebooks": notebooks, "compute": sum(n["compute"] for n in notebooks),
            "store_mib": folder_mib(store), "load": os.getloadavg()[0]}


def report(runs: list[dict]) -> None:
    """Per notebook, then the totals, one column per run."""
    header = "".join(f"{'--jobs ' + str(r['jobs']):>22}" for r in runs)
    print(f"{'':28}{header}")
    print(f"{'notebook (its time / its cells)':28}")
    for i, nb in enumerate(runs[0]["notebooks"]):
        cells = "".join(f"{r['notebooks'][i]['seconds']:>12.1f} / {r['notebooks'][i]['compute']:>5.1f} s" for r in runs)
        print(f"  {nb['name']:26}{cells}")
    print()
    rows = [("wall time (goal <= 60 s)", lambda r: f"{r['wall']:>20.1f} s"),
            ("compute (sum of cell times)", lambda r: f"{r['compute']:>20.1f} s"),
            ("wall / compute (goal <= 1.5)", lambda r: f"{r['wall'] / r['compute']:>21.2f}x"),
            ("MLflow store after the run", lambda r: f"{r['store_mib']:>18.0f} MiB"),
            ("load average after", lambda r: f"{r['load']:>22.1f}")]
    for label, cell in rows:
        print(f"{label:28}{''.join(cell(r) for r in runs)}")
    if len(runs) == 2:
        print(f"\n--jobs {runs[0]['jobs']} is {runs[1]['wall'] / runs[0]['wall']:.2f}x faster than --jobs "
              f"{runs[1]['jobs']} (same session, same notebooks)")
    best = runs[0]
    verdict = "met" if best["wall"] <= WALL_GOAL_S else "missed"
    print(f"goal wall <= {WALL_GOAL_S:.0f} s: {verdict}; goal wall/compute <= {RATIO_GOAL}: "
          f"{'met' if best['wall'] / best['compute'] <= RATIO_GOAL else 'missed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="notebooks at once in the measured run (default 2)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the --jobs 1 run")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before")
    with tempfile.TemporaryDirectory(prefix="workbook-bench-run-") as scratch:
        runs = [timed_run(args.jobs, Path(scratch))]
        if not args.no_baseline and args.jobs != 1:
            runs.append(timed_run(1, Path(scratch)))
    report(runs)


if __name__ == "__main__":
    main()
