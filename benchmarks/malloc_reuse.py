"""The talk's classifier with glibc's default malloc and with the kernels' MALLOC_REUSE, alternating.

Usage: .venv/bin/python benchmarks/malloc_reuse.py [--rounds N] [--trees N]

Each measurement is a fresh child process (glibc reads the variables when a process starts) that fits the
talk's RandomForestClassifier on the default twin's talk split, as notebook 04 does, with one native thread
as a batch kernel has. The two settings alternate, so a noisy machine slows both alike; the ratio is the figure.
Linux with glibc only: elsewhere the variables change nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from workbook.execution.kernel import MALLOC_REUSE

CHILD = """
import json, resource, sys, time
from workbook.data import load_flights
from workbook.models import comparison_splits, talk_classifier_report

X_train, X_test, y_train, y_test = comparison_splits(load_flights())["talk"]
before, began = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
report = talk_classifier_report(X_train, X_test, y_train, y_test, n_estimators=int(sys.argv[1]))
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - began, "user": after.ru_utime - before.ru_utime,
                  "system": after.ru_stime - before.ru_stime, "faults": after.ru_minflt - before.ru_minflt,
                  "peak_gb": after.ru_maxrss / 1e6, "MAE": report["MAE"]}))
"""


def measure(trees: int, reuse: bool) -> dict[str, float]:
    """One child's figures: wall s, user and system CPU s, minor page faults, peak memory (GB), the MAE."""
    env = {name: value for name, value in os.environ.items() if name not in MALLOC_REUSE} | {"OMP_NUM_THREADS": "1"}
    env |= MALLOC_REUSE if reuse else {}
    done = subprocess.run([sys.executable, "-c", CHILD, str(trees)], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trees", type=int, default=100)
    args = parser.parse_args()
    results: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    for _ in range(args.rounds):
        for reuse in (False, True):
            results[reuse].append(measure(args.trees, reuse))
    assert {row["MAE"] for rows in results.values() for row in rows} == {results[False][0]["MAE"]}, \
        "the MAE moved with the allocator: it must not"
    print(f"the talk's classifier, {args.trees} trees, one native thread; median of {args.rounds} alternating runs")
    print(f"{'':28s} {'wall s':>8s} {'user s':>8s} {'system s':>9s} {'page faults':>12s} {'peak GB':>8s}")
    medians = {}
    for reuse, label in ((False, "glibc's default"), (True, "MALLOC_REUSE (1 GiB)")):
        medians[reuse] = {key: statistics.median(row[key] for row in results[reuse])
                          for key in ("wall", "user", "system", "faults", "peak_gb")}
        m = medians[reuse]
        print(f"{label:28s} {m['wall']:8.2f} {m['user']:8.2f} {m['system']:9.2f} {m['faults']:12,.0f} "
              f"{m['peak_gb']:8.2f}")
    cpu = {reuse: medians[reuse]["user"] + medians[reuse]["system"] for reuse in medians}
    print(f"wall: {medians[True]['wall'] / medians[False]['wall']:.2f}x the default's; CPU (user + system): "
          f"{cpu[True] / cpu[False]:.2f}x; the same MAE ({results[True][0]['MAE']:,.1f})")


if __name__ == "__main__":
    main()
