"""Process start-up with jsonschema's IRI grammar built at import (as installed) and deferred (workbook setup).

Usage: .venv/bin/python benchmarks/startup_imports.py [--rounds N]

Every process that reads, runs or checks a notebook imports nbformat, and nbformat imports jsonschema, which
imports `rfc3987_syntax`, whose grammar is compiled when it is imported. `workbook setup` installs a startup
file that defers that to the grammar's first use (workbook.deferred_imports). Each measurement is a fresh
process: "built at import" first drops the stand-in the startup file put in place, so it imports the real
module as a plain environment does. The two alternate, so a noisy machine slows both alike; the figure is
the ratio of their medians (CPU time: user + system of the process).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys

BUILT_AT_IMPORT = 'import sys; sys.modules.pop("rfc3987_syntax", None)\n'
WORKLOADS = {
    "import nbformat": "import nbformat\n",
    "import papermill": "import papermill\n",
    "import nbval (pytest)": "import nbval.plugin\n",
    "JupyterLab's server": "import jupyter_server.serverapp\n",
}


def cpu_seconds(program: str) -> float:
    """User + system CPU seconds of one fresh Python process running `program`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", program], check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"CPU seconds of a fresh process, median of {args.rounds} alternating runs")
    print(f"{'':26s} {'built at import':>16s} {'deferred':>9s} {'ratio':>6s}")
    for label, program in WORKLOADS.items():
        built, deferred = [], []
        for _ in range(args.rounds):
            built.append(cpu_seconds(BUILT_AT_IMPORT + program))
            deferred.append(cpu_seconds(program))
        b, d = statistics.median(built), statistics.median(deferred)
        print(f"{label:26s} {b:16.2f} {d:9.2f} {d / b:5.2f}x")


if __name__ == "__main__":
    main()
