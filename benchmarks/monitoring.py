"""What monitoring costs: one drift report (6 months x every monitored feature) against the model's own
scoring of the same rows.

Usage: .venv/bin/python benchmarks/monitoring.py [--repeats N] [--rows-per-month N]

Everything runs in one process on the default twin, best of N repeats each, so the ratio holds on a noisy
machine. The drift report includes scoring (its model-drift part predicts every month), so the ratio says how
much the drift statistics add on top of the predictions a production system makes anyway.
"""

from __future__ import annotations

import argparse
import time

from workbook import models, monitoring
from workbook.data import load_flights


def best_of(repeats: int, action) -> float:
    """The fastest of `repeats` timed calls, in seconds."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per figure (best reported)")
    parser.add_argument("--rows-per-month", type=int, default=2000, help="flights per production month")
    args = parser.parse_args()

    flights = load_flights()
    X_train, _, y_train, _ = models.comparison_splits(flights)["improved"]
    champion = models.make_pipeline("hist_gradient_boosting", "improved", log_target=True)
    with models.fitting_context():
        champion.fit(X_train, y_train)
    production = monitoring.production_months(6, "mix_shift", rows_per_month=args.rows_per_month)
    rows = production.drop(columns=["Price", "month"]).dropna()  # the twin keeps its few incomplete rows
    train_raw = flights.loc[X_train.index]

    with models.fitting_context():
        scoring = best_of(args.repeats, lambda: champion.predict(rows))
        report_time = best_of(args.repeats, lambda: monitoring.drift_report(champion, train_raw, production, 685.0))
    features = len(monitoring.MONITORED_NUMERIC) + len(monitoring.MONITORED_CATEGORICAL)
    print(f"6 months x {args.rows_per_month:,} rows, {features} monitored features + data checks, "
          f"best of {args.repeats}")
    print(f"{'model scoring of the 6 months':<42} {scoring:>7.2f} s")
    print(f"{'drift report (scoring included)':<42} {report_time:>7.2f} s")
    print(f"{'ratio report / scoring':<42} {report_time / scoring:>6.1f}x")
    print(f"{'per month':<42} {report_time / 6:>7.2f} s")


if __name__ == "__main__":
    main()
