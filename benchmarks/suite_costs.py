"""What `make test` is made of: each test file's wall time and CPU time (its processes and their children).

Usage: .venv/bin/python benchmarks/suite_costs.py [--top 25] [--tests 30] [pytest targets ...]

Runs the suite as `make test` does (`pytest -n 2 --dist loadfile`), with this file loaded into every test
worker as a pytest plugin. Each worker moves itself into a control group of its own (Linux, as root), so
every process it starts is counted, however deep: notebook kernels forked by fork servers, pool workers of
multiprocessing's forkserver, servers and their workers, forked attendees. Around each test (setup, call
and teardown) the plugin reads the group's CPU time. Without a writable control group it falls back to
the worker's own and reaped children's CPU time (getrusage), which misses processes that are never waited
for by their parent (the report says which it used). Fixtures are charged to the test that first needs
them, so a file's row holds its fixtures' cost too. Each row also shows its system part (time in the kernel:
page faults, process starts, I/O): a large one points at memory churn, as the talk's classifier showed.
The machine's own busy time (/proc/stat) is read around the session, to show how much of it the ledger
accounts for.

The floor this gives: the suite's CPU time divided by the cores. No scheduling of the same tests on this
machine can finish sooner; only less work can (issue 12's goal is 180 s on 2 cores).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEDGER_VARIABLE = "WORKBOOK_SUITE_LEDGER"
# nbval's replay of the committed notebooks and the e2e checks of the same run share one `workbook run`
# (conftest.py): one row, whichever of them triggered it.
DEFAULT_RUN_ROW = "the default run: nbval of notebooks/*.ipynb + tests/e2e/test_workbook_run.py"
OUTSIDE_TESTS_ROW = "(the test processes outside any test: start-up, collection)"


# ---- the plugin, in each test worker -------------------------------------------------------------------------

# Where a control group's CPU time can be read: cgroup v1's cpuacct (nanoseconds), cgroup v2's cpu.stat
# (microseconds), at the usual mount points.
CGROUP_ROOTS = (Path("/sys/fs/cgroup/cpuacct"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))
_group: Path | None = None


def _group_cpu_seconds(group: Path) -> tuple[float, float]:
    """CPU seconds of every process in `group`, and the system (kernel) part of them."""
    if (group / "cpuacct.usage").exists():
        stat = dict(line.split() for line in (group / "cpuacct.stat").read_text().splitlines())
        return int((group / "cpuacct.usage").read_text()) / 1e9, int(stat["system"]) / os.sysconf("SC_CLK_TCK")
    stat = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
    return int(stat["usage_usec"]) / 1e6, int(stat["system_usec"]) / 1e6


def _join_own_group(name: str) -> Path | None:
    """Move this process into a new control group `name`, under the first root that allows it; None if none."""
    for root in CGROUP_ROOTS:
        group = root / name
        try:
            group.mkdir()
            (group / "cgroup.procs").write_text(str(os.getpid()))
            _group_cpu_seconds(group)
            return group
        except (OSError, KeyError, ValueError):
            with contextlib.suppress(OSError):
                group.rmdir()
    return None


def _cpu_seconds() -> tuple[float, float]:
    """CPU time of every process in this worker's control group (else of this process and its reaped
    children), and its system part: page faults, process starts, I/O."""
    if _group is not None:
        return _group_cpu_seconds(_group)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    system = own.ru_stime + children.ru_stime
    return own.ru_utime + children.ru_utime + system, system


def pytest_configure(config: pytest.Config) -> None:
    global _group
    folder = os.environ.get(LEDGER_VARIABLE)
    if folder:
        _group = _join_own_group(f"{Path(folder).name}-{os.getpid()}")
        (Path(folder) / f"{os.getpid()}.method").write_text("cgroup" if _group else "getrusage")


def pytest_unconfigure(config: pytest.Config) -> None:
    """This process's whole CPU time (its group's), start-up and collection included: for the row outside tests."""
    folder = os.environ.get(LEDGER_VARIABLE)
    if folder:
        cpu, system = _cpu_seconds()
        (Path(folder) / f"{os.getpid()}.total").write_text(json.dumps({"cpu": cpu, "system": system}))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    folder = os.environ.get(LEDGER_VARIABLE)
    if not folder:
        return (yield)
    began, (cpu, system) = time.perf_counter(), _cpu_seconds()
    try:
        return (yield)
    finally:
        cpu_after, system_after = _cpu_seconds()
        entry = {"nodeid": item.nodeid, "wall": time.perf_counter() - began, "cpu": cpu_after - cpu,
                 "system": system_after - system}
        with open(Path(folder) / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as ledger:
            ledger.write(json.dumps(entry) + "\n")


# ---- the benchmark -------------------------------------------------------------------------------------------

def machine_busy_seconds() -> float | None:
    """Busy CPU seconds of the whole machine since boot (all cores), or None where /proc/stat is missing."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def row_of(nodeid: str) -> str:
    """The ledger row of a test: its file, or the default run's one row (the files conftest.py schedules as one)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from conftest import in_default_run_unit

    path = nodeid.split("::")[0]
    return DEFAULT_RUN_ROW if in_default_run_unit(path) else path


def run_suite(targets: list[str], folder: Path) -> tuple[float, float | None, str, int]:
    """The suite as `make test` runs it, with the ledger on: wall s, machine busy s, summary line, exit code."""
    env = {**os.environ, LEDGER_VARIABLE: str(folder),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", "-q", "-p", "suite_costs", *targets]
    busy, began = machine_busy_seconds(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall, busy_after = time.perf_counter() - began, machine_busy_seconds()
    lines = done.stdout.strip().splitlines()
    summary = lines[-1] if lines else done.stderr.strip()[-300:]
    return wall, (busy_after - busy if busy is not None and busy_after is not None else None), summary, done.returncode


def remove_groups(folder: Path) -> None:
    """The workers' control groups, once their processes have ended (a group still in use stays)."""
    for root in CGROUP_ROOTS:
        for group in root.glob(f"{folder.name}-*"):
            with contextlib.suppress(OSError):
                group.rmdir()


def methods(folder: Path) -> str:
    """How the workers measured: 'cgroup', 'getrusage' or both."""
    return ", ".join(sorted({path.read_text() for path in folder.glob("*.method")})) or "none"


def costliest_tests(folder: Path, count: int) -> list[dict]:
    """The `count` single tests (fixtures they first needed included) that took the most CPU time."""
    entries = [json.loads(line) for path in folder.glob("*.jsonl")
               for line in path.read_text(encoding="utf-8").splitlines()]
    return sorted(entries, key=lambda entry: entry["cpu"], reverse=True)[:count]


def report_tests(entries: list[dict]) -> None:
    if not entries:
        return
    print(f"\n{'the costliest single tests (with the fixtures they first needed)':<96}{'wall s':>9}{'CPU s':>8}")
    for entry in entries:
        print(f"{entry['nodeid'][:95]:<96}{entry['wall']:>9.1f}{entry['cpu']:>8.1f}")


def read_ledger(folder: Path) -> dict[str, dict[str, float]]:
    """Per row: tests, wall, CPU and system seconds, summed over the workers' ledgers; plus OUTSIDE_TESTS_ROW,
    what the test processes spent outside any test (start-up, collection, session teardown)."""
    rows: dict[str, dict[str, float]] = defaultdict(lambda: {"tests": 0, "wall": 0.0, "cpu": 0.0, "system": 0.0})
    for path in folder.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            row = rows[row_of(entry["nodeid"])]
            row["tests"] += 1
            row["wall"] += entry["wall"]
            row["cpu"] += entry["cpu"]
            row["system"] += entry["system"]
    totals = [json.loads(path.read_text()) for path in folder.glob("*.total")]
    if totals:
        for key in ("cpu", "system"):
            in_tests = sum(row[key] for name, row in rows.items() if name != OUTSIDE_TESTS_ROW)
            rows[OUTSIDE_TESTS_ROW][key] = max(0.0, sum(total[key] for total in totals) - in_tests)
    return dict(rows)


def report(rows: dict[str, dict[str, float]], wall: float, busy: float | None, summary: str, top: int,
           method: str) -> None:
    cores = os.cpu_count() or 1
    total_cpu = sum(row["cpu"] for row in rows.values())
    ordered = sorted(rows.items(), key=lambda item: item[1]["cpu"], reverse=True)
    print(f"`make test`'s tests on {cores} CPUs: {summary}\nCPU time per test measured with: {method}\n")
    print(f"{'file (fixtures included)':<74}{'tests':>6}{'wall s':>9}{'CPU s':>8}{'of it system':>13}{'share':>7}")
    for name, row in ordered[:top]:
        print(f"{name[:73]:<74}{row['tests']:>6}{row['wall']:>9.1f}{row['cpu']:>8.1f}{_part(row):>13}"
              f"{row['cpu'] / total_cpu:>7.1%}")
    rest = ordered[top:]
    if rest:
        summed = {key: sum(row[key] for _, row in rest) for key in ("tests", "wall", "cpu", "system")}
        print(f"{f'the other {len(rest)} files':<74}{summed['tests']:>6}{summed['wall']:>9.1f}{summed['cpu']:>8.1f}"
              f"{_part(summed):>13}{summed['cpu'] / total_cpu:>7.1%}")
    total_system = sum(row["system"] for row in rows.values())
    print(f"\nwall time of the session:                 {wall:7.1f} s")
    print(f"CPU time the ledger accounts for:         {total_cpu:7.1f} s  (system: {total_system:.1f} s, "
          f"{total_system / total_cpu:.0%})")
    if busy is not None:
        print(f"the machine's busy time meanwhile:        {busy:7.1f} s  "
              f"({busy / (cores * wall):.0%} of {cores} cores; the ledger holds {total_cpu / busy:.0%} of it)")
    default_run = rows.get(DEFAULT_RUN_ROW, {}).get("cpu", 0.0)
    print(f"floor on {cores} cores (CPU time / cores):   {total_cpu / cores:7.1f} s  (goal 180 s; the default "
          f"run's row alone: {default_run / cores:.1f} s)")


def _part(row: dict[str, float]) -> str:
    """The system share of a row's CPU time, as '12.3 (45%)'."""
    return f"{row['system']:.1f} ({row['system'] / row['cpu']:.0%})" if row["cpu"] else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=25, help="rows to list before 'the other files'")
    parser.add_argument("--tests", type=int, default=0, help="also list this many of the costliest single tests")
    parser.add_argument("targets", nargs="*", help="pytest targets (default: the whole suite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suite-costs-") as folder:
        wall, busy, summary, code = run_suite(args.targets, Path(folder))
        remove_groups(Path(folder))
        report(read_ledger(Path(folder)), wall, busy, summary, args.top, methods(Path(folder)))
        report_tests(costliest_tests(Path(folder), args.tests))
    if code:
        sys.exit(f"the suite failed (exit {code}): the figures above are of a failed session")


if __name__ == "__main__":
    main()
