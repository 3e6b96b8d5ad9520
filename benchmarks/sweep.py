"""A 16-point ElasticNet sweep with one worker (kernels started at each point, then warm), then two: wall times
and overhead, in this process.

Usage: .venv/bin/python benchmarks/sweep.py [--points 16] [--keep DIR]

Both sweeps run the light wine fixture (tests/fixtures/sweep_notebooks/02_wine.ipynb) over alpha x l1_ratio
on the talk's red-wine file, logging to a throwaway MLflow store. A one-point warm-up runs first, so both
timed sweeps find the same warm state (MLflow imported, store created, the workers' server running).

Per-point overhead is what a point costs beyond its own computation, measured three ways in each
sequential sweep: kernel start and shutdown + papermill (point wall time, which includes waiting for a warm
kernel, minus the notebook's cell times), the notebook's imports (its import cell), and the sweep's child-run
logging (timed in this process). The all-in figure, (sequential wall time - compute) / points, also counts
the sweep's own start-up shared by its points. "cold" sets WORKBOOK_WARM_KERNELS=0: every kernel starts with
its point, as before warm kernels (execution/warm.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from workbook.execution import forked, warm
from workbook.paths import PROJECT_ROOT

WINE_CSV = PROJECT_ROOT / "data" / "winequality-red.csv"
NOTEBOOK = PROJECT_ROOT / "tests" / "fixtures" / "sweep_notebooks" / "02_wine.ipynb"
ALPHAS = [0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 8.0, 10.0]
L1_RATIOS = [0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
IMPORT_CELL, COMPUTE_CELL = 2, 3  # positions in the source notebook (0: title, 1: parameters)
SPEEDUP_GOAL, OVERHEAD_GOAL_S = 1.8, 2.0


def grid_for(points: int) -> dict[str, list[float]]:
    """alpha x l1_ratio with `points` points: 16 = 4 alphas x 4 ratios."""
    for n_alpha in range(1, len(ALPHAS) + 1):
        if points % n_alpha == 0 and points // n_alpha <= len(L1_RATIOS) and points // n_alpha >= n_alpha / 2:
            return {"alpha": ALPHAS[:n_alpha], "l1_ratio": L1_RATIOS[: points // n_alpha]}
    raise SystemExit(f"--points {points}: choose a product of up to {len(ALPHAS)} alphas and {len(L1_RATIOS)} ratios")


class LoggingTimer:
    """Adds up the time the sweep spends logging child runs (wraps SweepTracker.log_child)."""

    def __init__(self) -> None:
        from workbook import sweep

        self.total, self.calls = 0.0, 0
        original = sweep.SweepTracker.log_child

        def timed(tracker, *args, **kwargs):
            began = time.perf_counter()
            try:
                return original(tracker, *args, **kwargs)
            finally:
                self.total += time.perf_counter() - began
                self.calls += 1

        sweep.SweepTracker.log_child = timed

    def reset(self) -> None:
        self.total, self.calls = 0.0, 0


def timed_sweep(plan, out: Path, workers: int) -> float:
    """Run the sweep into `out` with `workers`; its wall time in seconds (every point must succeed)."""
    from workbook import sweep

    began = time.perf_counter()
    result = sweep.run_sweep(plan, out, workers=workers, experiment="benchmark-sweep")
    wall = time.perf_counter() - began
    if result.exit_code:
        problems = [report.error for report in result.failed] + result.tracking_problems
        raise SystemExit(f"the sweep with {workers} worker(s) did not complete: {problems[:1]}")
    return wall


def point_costs(out: Path) -> list[dict[str, float]]:
    """Per point: wall time, the notebook's cell times (imports, compute) and the rest (kernel + papermill)."""
    import nbformat

    costs = []
    for folder in sorted((out / "points").iterdir()):
        record = json.loads((folder / "point.json").read_text())
        nb = nbformat.read(folder / record["notebook"], as_version=4)
        # papermill inserts the injected-parameters cell after the parameters cell: source cell i >= 2 is i + 1.
        durations = [cell.metadata.get("papermill", {}).get("duration") or 0.0 for cell in nb.cells]
        cells_total = sum(durations)
        costs.append({
            "wall": record["seconds"],
            "imports": durations[IMPORT_CELL + 1],
            "compute": durations[COMPUTE_CELL + 1],
            "kernel_and_papermill": max(record["seconds"] - cells_total, 0.0),
        })
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=16, help="points in the grid (default 16)")
    parser.add_argument("--keep", type=Path, help="keep the sweep folders and the store here")
    args = parser.parse_args()
    if not WINE_CSV.is_file():
        raise SystemExit(f"wine data not found: {WINE_CSV}")
    with tempfile.TemporaryDirectory(prefix="workbook-bench-sweep-") as scratch:
        run(Path(args.keep or scratch), grid_for(args.points))


def run(base: Path, grid: dict[str, list[float]]) -> None:
    """Warm up, run both sweeps, print the figures."""
    # Cold against warm kernels, as this benchmark has always compared; forked ones: benchmarks/wine_sweep.py.
    # Set before the first pool: its workers keep the environment they start with.
    os.environ[forked.SWITCH] = "0"
    base.mkdir(parents=True, exist_ok=True)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{base / 'mlflow.db'}"  # never the project's store
    from workbook import sweep

    fixed = {"wine_csv": str(WINE_CSV)}
    plan = sweep.plan_sweep(sweep.SweepRequest(str(NOTEBOOK), grid, fixed, metric="rmse"))
    warm_up = sweep.plan_sweep(sweep.SweepRequest(str(NOTEBOOK), {"alpha": [0.5]}, fixed))
    timer = LoggingTimer()
    load_before = os.getloadavg()[0]
    timed_sweep(warm_up, base / "warm-up", 1)
    sequential = {}
    for kind in ("cold", "warm"):
        os.environ[warm.SWITCH] = "0" if kind == "cold" else "1"  # read where the sweep plans its points
        timer.reset()
        wall = timed_sweep(plan, base / f"workers-1-{kind}", 1)
        sequential[kind] = (wall, point_costs(base / f"workers-1-{kind}"), timer.total / max(timer.calls, 1))
    parallel = timed_sweep(plan, base / "workers-2", 2)
    load_after = os.getloadavg()[0]
    report(plan, sequential, parallel, (load_before, load_after))


def report(plan, sequential: dict[str, tuple[float, list[dict[str, float]], float]], parallel: float,
           load: tuple[float, float]) -> None:
    """Print the sweeps side by side, the speed-up and the per-point overhead with its parts."""
    n = len(plan.points)
    grid = " x ".join(f"{len(values)} {name}" for name, values in plan.grid.items())
    print(f"{n}-point ElasticNet sweep of {plan.stem} ({grid}); {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} before, {load[1]:.1f} after")
    print()
    cold, warm_ = sequential["cold"][0], sequential["warm"][0]
    print(f"{'':34}{'1 worker, cold':>16}{'1 worker, warm':>16}{'2 workers, warm':>17}")
    print(f"{'wall time':34}{cold:>14.1f} s{warm_:>14.1f} s{parallel:>15.1f} s")
    print(f"{'wall time per point':34}{cold / n:>14.2f} s{warm_ / n:>14.2f} s{parallel / n:>15.2f} s")
    print(f"{'speed-up over 1 worker, cold':34}{'1.00x':>16}{cold / warm_:>15.2f}x{cold / parallel:>16.2f}x")
    print()
    print(f"per point, sequential sweeps (mean of the points):{'cold':>12}{'warm':>10}")
    rows = {}
    for kind, (wall, costs, logging_s) in sequential.items():
        mean = {key: statistics.mean(c[key] for c in costs) for key in costs[0]}
        compute_total = sum(c["compute"] for c in costs)
        rows[kind] = [mean["wall"], mean["compute"], mean["kernel_and_papermill"], mean["imports"], logging_s,
                      mean["kernel_and_papermill"] + mean["imports"] + logging_s, (wall - compute_total) / n]
    labels = ["point wall time (papermill)", "compute (load + fit + score)", "kernel start/stop + papermill",
              "imports in the notebook", "child-run logging",
              f"overhead (goal <= {OVERHEAD_GOAL_S:g} s)", "all-in: (wall - compute) / points"]
    for i, label in enumerate(labels):
        print(f"  {label:48}{rows['cold'][i]:>8.2f} s{rows['warm'][i]:>8.2f} s")
    all_in = rows["warm"][-1]
    print()
    print(f"all-in overhead with warm kernels {'meets' if all_in <= OVERHEAD_GOAL_S else 'misses'} the "
          f"{OVERHEAD_GOAL_S:g} s goal; two workers are {warm_ / parallel:.2f}x one warm worker "
          f"({cold / parallel:.2f}x one cold worker; goal >= {SPEEDUP_GOAL:g}x)")


if __name__ == "__main__":  # the pool's workers import this file again: run only when started as a script
    main()
