"""An attendee's first run measured: fresh clone → `make run` finished, phase by phase.

Usage: python3 benchmarks/first_run.py [--python python3] [--keep]

What a new attendee does, in a throwaway folder: `git clone` this repository (its committed HEAD), then
`make run`, which installs the locked environment itself (venv, uv, `uv pip sync requirements.lock`, the
kernel) and executes every notebook on the embedded twin. uv gets an empty package cache, so every wheel is
downloaded as on a new laptop (PyPI must be reachable). The phases are printed side by side with the
issue's figures (223 s for the whole first run, about 80 s of it the install) and its goal (<= 120 s).
The figures of one session are comparable with each other; run `benchmarks/install.py` in the same session
for the install against the unlocked one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 120.0
ISSUE_FIRST_RUN_S, ISSUE_INSTALL_S = 223.0, 80.0


def timed(name: str, command: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, float]:
    """Run one phase; stop the benchmark with the phase's last output lines if it fails."""
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        sys.exit(f"{name} failed (exit {done.returncode}) after {seconds:.0f} s:\n{tail}")
    return name, seconds


def first_run(python: str, scratch: Path) -> list[tuple[str, float]]:
    """Clone, install (make setup: what make run does first on a fresh clone), then make run."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_", "VIRTUAL_ENV"))}
    env |= {"UV_CACHE_DIR": str(scratch / "uv-cache"), "PIP_NO_CACHE_DIR": "1", "PYTHON": python}
    clone = scratch / "workbook"
    phases = [timed("git clone", ["git", "clone", "--quiet", str(ROOT), str(clone)], scratch, env)]
    # make run = make setup (its prerequisite) + workbook run; timed apart, run back to back as make does.
    phases.append(timed("install (make setup)", ["make", "--no-print-directory", "setup"], clone, env))
    phases.append(timed("notebooks (make run)", ["make", "--no-print-directory", "run"], clone, env))
    return phases


def report(phases: list[tuple[str, float]]) -> None:
    total = sum(seconds for _, seconds in phases)
    install = dict(phases)["install (make setup)"]
    print(f"{'phase':<24}{'seconds':>10}")
    for name, seconds in phases:
        print(f"{name:<24}{seconds:>10.1f}")
    print(f"{'whole first run':<24}{total:>10.1f}")
    print()
    print(f"{'':<24}{'now':>10}{'issue':>10}{'goal':>10}")
    print(f"{'install':<24}{install:>10.1f}{ISSUE_INSTALL_S:>10.0f}{'':>10}")
    print(f"{'whole first run':<24}{total:>10.1f}{ISSUE_FIRST_RUN_S:>10.0f}{GOAL_S:>10.0f}")
    print(f"goal met: {'yes' if total <= GOAL_S else 'no'} ({total / GOAL_S:.2f}× the goal)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=shutil.which("python3") or sys.executable,
                        help="the Python make uses to create the venv (>= 3.11)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway clone and print where it is")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="workbook-first-run-"))
    try:
        report(first_run(args.python, scratch))
    finally:
        if args.keep:
            print(f"kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
