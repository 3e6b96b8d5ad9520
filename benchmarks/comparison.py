"""Notebook 04's comparison as it runs now (the forest+boosting mean assembled from its member rows) beside the
way it ran before (the mean's rows fitting their forest and boosting again), in one process, alternating.

Usage: .venv/bin/python benchmarks/comparison.py [--rounds 2] [--n-jobs 2] [--cv 3]

Both ways run `compare_models_fitted` on the default twin with 04's defaults; the baseline switches the
assembly off, which is exactly the code path every comparison took before. The scores must agree (checked).
"""

from __future__ import annotations

import argparse
import statistics
import time
from unittest import mock

import pandas as pd

from workbook.data import load_flights
from workbook.models import compare

SCORES = ["MAE", "RMSE", "R2", "MAPE", "cv_mae_mean"]


def timed_comparison(flights: pd.DataFrame, assembled: bool, cv: int, n_jobs: int) -> tuple[float, pd.DataFrame]:
    """Seconds of one comparison and its table; `assembled=False` fits the ensemble rows themselves."""
    switch = (mock.patch.object(compare, "_assembled_from_members", return_value=[]) if not assembled
              else mock.patch.object(compare, "_assembled_from_members", wraps=compare._assembled_from_members))
    with switch:
        start = time.perf_counter()
        table, _ = compare.compare_models_fitted(flights, cv=cv, n_jobs=n_jobs)
        return time.perf_counter() - start, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs of each way, alternating (median reported)")
    parser.add_argument("--n-jobs", type=int, default=2, help="processes, as notebook 04's default")
    parser.add_argument("--cv", type=int, default=3, help="folds, as notebook 04's default")
    args = parser.parse_args()
    flights = load_flights()
    seconds: dict[str, list[float]] = {"refitted (before)": [], "assembled (now)": []}
    tables = {}
    for _ in range(args.rounds):
        for name, assembled in (("refitted (before)", False), ("assembled (now)", True)):
            spent, tables[name] = timed_comparison(flights, assembled, args.cv, args.n_jobs)
            seconds[name].append(spent)
    key = ["model", "features", "target"]
    before, now = (tables[name].set_index(key).sort_index()[SCORES] for name in seconds)
    largest = float(((before - now).abs() / before.abs()).max().max())
    print(f"notebook 04's comparison: default twin, {args.cv}-fold CV, n_jobs={args.n_jobs}, "
          f"{args.rounds} round(s) each")
    print(f"{'way':<20}{'median s':>10}{'runs':>28}")
    for name, runs in seconds.items():
        print(f"{name:<20}{statistics.median(runs):>10.1f}{'  '.join(f'{s:.1f}' for s in runs):>28}")
    ratio = statistics.median(seconds["assembled (now)"]) / statistics.median(seconds["refitted (before)"])
    print(f"now / before: {ratio:.2f}; largest relative difference of a score: {largest:.1e}")


if __name__ == "__main__":
    main()
