"""The first install measured: a fresh venv from requirements.lock with uv (what `make setup` does) against
today's unlocked `pip install -e .`, side by side.

Usage: python3 benchmarks/install.py [--python python3]

Both installs run in this session, one after the other, each into a new venv in a throwaway folder with its
own empty package cache, so each downloads everything as an attendee's first install does (PyPI must be
reachable). The locked install is the Makefile's steps: a venv, uv (pinned in the Makefile) installed into it
with pip, `uv pip sync --require-hashes requirements.lock`, then the workbook itself with `--no-deps`. The
unlocked one is the Makefile's steps before the lock: a venv, `pip install --upgrade pip`, `pip install -e .`.
Kernel registration and matplotlib's font cache, the same for both, are left out. The issue's goal for the
whole first run (clone to the end of `make run`) is <= 120 s; the install was about 80 s of its 223 s.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def uv_version() -> str:
    """The uv release the Makefile installs."""
    match = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    if not match:
        raise SystemExit("no UV_VERSION := ... line in the Makefile")
    return match.group(1)


def timed(steps: list[tuple[str, list[str]]], env: dict[str, str]) -> list[tuple[str, float]]:
    """Run each (label, command) in order; its wall time. Stops the benchmark at the first failure."""
    times = []
    for label, command in steps:
        began = time.perf_counter()
        done = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, text=True)
        times.append((label, time.perf_counter() - began))
        if done.returncode:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise SystemExit(f"{label} failed: {' | '.join(tail)}")
    return times


def package_count(python: Path) -> int:
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], check=False,
                            capture_output=True, text=True)
    return len(listed.stdout.splitlines())


def locked(python: str, scratch: Path) -> dict:
    venv, cache = scratch / "locked-venv", scratch / "uv-cache"
    py, uv = venv / "bin" / "python", venv / "bin" / "uv"
    env = {**os.environ, "UV_CACHE_DIR": str(cache), "PIP_CACHE_DIR": str(scratch / "pip-cache-locked")}
    steps = [("create the venv", [python, "-m", "venv", str(venv)]),
             (f"install uv {uv_version()} (pip)", [str(py), "-m", "pip", "install", "--quiet",
                                                   f"uv=={uv_version()}"]),
             ("packages", [str(uv), "pip", "sync", "--quiet", "--python", str(py), "--require-hashes", str(LOCK)]),
             ("the workbook (-e . --no-deps)", [str(uv), "pip", "install", "--quiet", "--python", str(py),
                                                 "--no-deps", "-e", str(ROOT)])]
    return {"name": "lock + uv", "steps": timed(steps, env), "packages": package_count(py)}


def unlocked(python: str, scratch: Path) -> dict:
    venv = scratch / "pip-venv"
    py = venv / "bin" / "python"
    env = {**os.environ, "PIP_CACHE_DIR": str(scratch / "pip-cache")}
    steps = [("create the venv", [python, "-m", "venv", str(venv)]),
             ("upgrade pip", [str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"]),
             ("packages and the workbook (-e .)", [str(py), "-m", "pip", "install", "--quiet", "-e", str(ROOT)])]
    return {"name": "pip -e . (unlocked)", "steps": timed(steps, env), "packages": package_count(py)}


def report(runs: list[dict]) -> None:
    width = 34
    for run in runs:
        print(f"{run['name']}:")
        for label, seconds in run["steps"]:
            print(f"  {label:{width}}{seconds:>8.1f} s")
    print()
    names = "".join(f"{run['name']:>22}" for run in runs)
    print(f"{'':{width + 2}}{names}")
    totals = [sum(s for _, s in run["steps"]) for run in runs]
    print(f"  {'fresh venv to installed':{width}}{''.join(f'{t:>20.1f} s' for t in totals)}")
    counts = "".join(f"{run['packages']:>22}" for run in runs)
    print(f"  {'packages in the venv':{width}}{counts}")
    print(f"  {'load average after':{width}}{os.getloadavg()[0]:>22.1f}")
    print(f"\nthe locked install with uv is {totals[1] / totals[0]:.1f}x faster than pip -e . "
          f"({totals[0]:.1f} s against {totals[1]:.1f} s, same session, cold caches)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the Python the venvs are made with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="workbook-install-bench-") as scratch:
        runs = [locked(args.python, Path(scratch)), unlocked(args.python, Path(scratch))]
    report(runs)


if __name__ == "__main__":
    main()
