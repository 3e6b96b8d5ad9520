"""The notebook part of `make test`, measured: nbval replaying the default run against nbval's own execution.

Usage: .venv/bin/python benchmarks/notebook_checks.py [--rounds 1]

Both sessions run what depends on the notebooks being executed -- nbval over notebooks/ (the workbook's
notebooks and the solutions) and the e2e checks of the default run (tests/e2e/test_workbook_run.py) -- on two
test workers, as `make test` runs them. "replay" is today's suite: one `workbook run` serves both (conftest.py).
"own execution" sets WORKBOOK_NBVAL_REPLAY=0: nbval executes every notebook in a kernel of its own, and the e2e
checks then need their own run. The two alternate in this session, so the ratio holds on a noisy machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["notebooks", "tests/e2e/test_workbook_run.py"]
MODES = {"replay": "1", "own execution": "0"}


def one_session(switch: str) -> tuple[float, str]:
    """Wall seconds of one pytest session over TARGETS, and its summary line."""
    env = {**os.environ, "WORKBOOK_NBVAL_REPLAY": switch}
    command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", "-q", "-p", "no:warnings", *TARGETS]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    return seconds, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds of both sessions")
    rounds = parser.parse_args().rounds
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before")
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(rounds):
        for mode, switch in MODES.items():
            wall, summary = one_session(switch)
            seconds[mode].append(wall)
            print(f"  {mode:<14} {wall:6.1f} s   {summary}", flush=True)
    best = {mode: min(values) for mode, values in seconds.items()}
    print(f"\nbest of {rounds}: replay {best['replay']:.1f} s, own execution {best['own execution']:.1f} s: "
          f"the replay is {best['own execution'] / best['replay']:.2f}x faster")


if __name__ == "__main__":
    main()
