"""Print each notebook's wall time, the kernel start-up share of it, and the kernel's peak memory.

Usage: .venv/bin/python benchmarks/run_workbook.py [NOTEBOOK ...]

Each notebook runs in its own child process so that its peak memory is its own. Kernel start-up is
measured in the same child just before the notebook runs, so both figures share the machine's state.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbook.paths import KERNEL_NAME, NOTEBOOKS_DIR


def _kernel_start_seconds() -> float:
    """Start a kernel, wait until it answers, shut it down; return the start-up time."""
    from jupyter_client.manager import start_new_kernel

    began = time.perf_counter()
    manager, client = start_new_kernel(kernel_name=KERNEL_NAME)
    elapsed = time.perf_counter() - began
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    return elapsed


def _measure_one(notebook: Path) -> dict:
    """Run one notebook with papermill (default parameters) in this process and measure it."""
    import papermill

    startup = _kernel_start_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        papermill.execute_notebook(
            str(notebook), str(Path(tmp) / notebook.name), kernel_name=KERNEL_NAME,
            cwd=str(notebook.parent), progress_bar=False, log_output=False,
        )
        wall = time.perf_counter() - began
    # ru_maxrss of waited-for children is in KiB on Linux: the kernels are our children.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"notebook": notebook.stem, "wall_s": wall, "kernel_start_s": startup, "peak_mib": peak_mib}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook stems or numbers (default: all)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_measure_one(Path(args.one))))
        return

    paths = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if any(p.stem.startswith(s.zfill(2)) or p.stem == s for s in args.notebooks)]
    rows = []
    for path in paths:
        out = subprocess.run([sys.executable, __file__, "--one", str(path)], capture_output=True, text=True,
                             check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))

    print(f"{'notebook':<28} {'wall s':>8} {'kernel start s':>15} {'start share':>12} {'peak MiB':>9}")
    for row in rows:
        share = row["kernel_start_s"] / row["wall_s"]
        print(f"{row['notebook']:<28} {row['wall_s']:>8.2f} {row['kernel_start_s']:>15.2f} {share:>11.0%} "
              f"{row['peak_mib']:>9.0f}")
    total = sum(r["wall_s"] for r in rows)
    starts = sum(r["kernel_start_s"] for r in rows)
    print(f"{'total':<28} {total:>8.2f} {starts:>15.2f} {starts / total:>11.0%} "
          f"{max(r['peak_mib'] for r in rows):>9.0f}")


if __name__ == "__main__":
    main()
