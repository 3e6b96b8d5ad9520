"""The talk's classifier against the best pipeline, and what MLflow tracking costs per run.

Usage: .venv/bin/python benchmarks/models_and_tracking.py [--runs N]

All figures come from one process on the default twin and the talk's split, so the ratios hold on a
noisy machine. Tracking goes to a throwaway SQLite store.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import mlflow

from workbook import tracking
from workbook.data import load_flights
from workbook.models import comparison_splits, evaluate, make_pipeline, talk_classifier_report


def classifier_vs_best() -> tuple[dict, dict]:
    """Fit both on the talk's split of the default twin; return their measurements."""
    splits = comparison_splits(load_flights())
    talk = talk_classifier_report(*splits["talk"])
    best = evaluate(make_pipeline("hist_gradient_boosting", "improved", log_target=True), *splits["improved"])
    return talk, best | {"fit_seconds": best["fit_seconds"], "X_example": splits["improved"][0]}


def logging_overhead(best: dict, runs: int) -> dict[str, float]:
    """Median seconds per run: params + metrics only, and with the fitted model logged too."""
    times: dict[str, list[float]] = {"params + metrics": [], "+ model (pinned requirements)": []}
    with tempfile.TemporaryDirectory() as store:
        tracking.setup_tracking("benchmark", f"sqlite:///{store}/mlflow.db")
        for index in range(runs):
            for label in times:
                began = time.perf_counter()
                with mlflow.start_run(run_name=f"bench-{index}"):
                    mlflow.log_params({"model": "hist_gradient_boosting", "features": "improved"})
                    mlflow.log_metrics({"MAE": best["MAE"], "R2": best["R2"]})
                    if label.startswith("+ model"):
                        tracking.log_sklearn_model(best["pipeline"], "model", best["X_example"])
                times[label].append(time.perf_counter() - began)
        mlflow.set_tracking_uri(None)
    return {label: statistics.median(values) for label, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="tracked runs per kind (median reported)")
    args = parser.parse_args()

    talk, best = classifier_vs_best()
    print(f"{'model':<46} {'fit s':>7} {'MAE ₹':>7} {'R2':>6}")
    print(f"{'talk: RandomForestClassifier(100) on 24 columns':<46} {talk['fit_seconds']:>7.2f} "
          f"{talk['MAE']:>7.0f} {talk['R2']:>6.3f}")
    print(f"{'best: hist gradient boosting, improved, log':<46} {best['fit_seconds']:>7.2f} "
          f"{best['MAE']:>7.0f} {best['R2']:>6.3f}")
    print(f"{'ratio talk / best':<46} {talk['fit_seconds'] / best['fit_seconds']:>6.1f}x "
          f"{talk['MAE'] / best['MAE']:>6.2f}x")
    print(f"(the classifier treats {talk['n_classes']:,} distinct fares as classes)")

    overhead = logging_overhead(best, args.runs)
    base = overhead["params + metrics"]
    print(f"\n{'MLflow run (median of ' + str(args.runs) + ')':<46} {'s/run':>7} {'vs fit':>7}")
    for label, seconds in overhead.items():
        print(f"{label:<46} {seconds:>7.3f} {seconds / best['fit_seconds']:>6.2f}x"
              + ("" if seconds == base else f"   (+{seconds - base:.3f} s for the model)"))


if __name__ == "__main__":
    main()
