"""`workbook setup`: what `make setup` does after installing packages (it calls it), for machines without `make`.

`pip install -e .` (or the conda environment) installs the packages; this registers the Jupyter kernel the
notebooks, papermill and nbval run on, builds matplotlib's font cache so its first-use notice never lands in a
notebook's stderr, and has the environment's Python defer jsonschema's IRI grammar (see deferred_imports).
Plain Python subprocesses and files: the same on Linux, macOS and Windows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from workbook.errors import SetupError
from workbook.paths import KERNEL_DISPLAY_NAME, KERNEL_NAME

STEP_TIMEOUT_S = 300.0

# glibc's malloc (Linux) maps every block above 32 MB afresh and unmaps it when freed, so code that allocates
# and frees big arrays over and over pays a page fault per 4 KB each time. The talk's classifier does: every
# tree grows its class probabilities to ~0.2 GB, 100 times. Below 1 GiB, freed memory stays in the heap and is
# reused. Measured on notebook 04's classifier: 13.2 s -> 6.8 s; 40 trees: system time 6.0 -> 0.9 s, peak memory
# 1.27 -> 1.62 GB. Read by glibc when a process starts; other C libraries ignore them. Results do not change: only
# where memory comes from. The kernel spec sets them for every kernel started from it, JupyterLab's included,
# and a spec's values win over the environment's: to change them, edit its kernel.json. Kernels started
# otherwise (forked from a fork server) get them from execution.kernel_environment(), where a user's own
# values win. `make setup` runs again when this file changes, so a checkout's kernel spec follows it.
MALLOC_REUSE = {"MALLOC_MMAP_THRESHOLD_": str(2**30), "MALLOC_TRIM_THRESHOLD_": str(2**30)}
# No MLflow download bars in a notebook's stderr: the committed outputs are made without them (batch runs set
# this too), so a learner running 05 by hand in JupyterLab sees what the committed notebook shows.
QUIET_MLFLOW = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
KERNEL_SPEC_ENV = MALLOC_REUSE | QUIET_MLFLOW


def kernel_command(prefix: Path | None = None, display_name: str = KERNEL_DISPLAY_NAME) -> list[str]:
    """`ipykernel install` for this interpreter: into this environment, or under `prefix` when given. The spec
    sets what every kernel of the workbook starts with, JupyterLab's included (KERNEL_SPEC_ENV)."""
    where = ["--prefix", str(Path(prefix).expanduser().resolve())] if prefix is not None else ["--sys-prefix"]
    env = [part for name, value in KERNEL_SPEC_ENV.items() for part in ("--env", name, value)]
    return [sys.executable, "-m", "ipykernel", "install", *where, "--name", KERNEL_NAME,
            "--display-name", display_name, *env]


def kernel_dir(prefix: Path | None = None) -> Path:
    """Where the kernel's spec lands: <prefix>/share/jupyter/kernels/workbook."""
    base = Path(prefix).expanduser().resolve() if prefix is not None else Path(sys.prefix)
    return base / "share" / "jupyter" / "kernels" / KERNEL_NAME


def _run(step: str, command: list[str], env: dict[str, str] | None = None) -> None:
    """Run one step quietly; SetupError with its last output line if it fails."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=STEP_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SetupError(f"{step}: {error}") from None
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise SetupError(f"{step} failed (exit {done.returncode}): {lines[-1] if lines else 'no output'}")


def setup(prefix: Path | None = None, display_name: str = KERNEL_DISPLAY_NAME) -> Path:
    """Register the `workbook` kernel for this interpreter, warm matplotlib's font cache and defer jsonschema's
    IRI grammar in this environment; the kernel's folder."""
    _run("installing the Jupyter kernel", kernel_command(prefix, display_name))
    env = {**os.environ, "MPLBACKEND": "Agg"}
    _run("building matplotlib's font cache", [sys.executable, "-c", "import matplotlib.pyplot"], env)
    write_startup_file(Path(sysconfig.get_paths()["purelib"]))
    return kernel_dir(prefix)


# A .pth file's `import` lines run when Python starts (the site module): this one puts deferred_imports' stand-in
# in place in every process of the environment (kernels, papermill, nbval, Jupyter's server, the workbook
# command). Guarded, so a moved or removed workbook never breaks the environment's Python.
STARTUP_FILE = "workbook_deferred_imports.pth"
STARTUP_LINE = ('import sys; exec("try:\\n from workbook.deferred_imports import defer\\n defer()\\n'
                'except Exception:\\n pass")\n')


def write_startup_file(site_packages: Path) -> Path:
    """Write STARTUP_FILE into `site_packages` (SetupError naming it when it cannot be written); its path."""
    path = site_packages / STARTUP_FILE
    try:
        path.write_text(STARTUP_LINE, encoding="utf-8")
    except OSError as error:
        raise SetupError(f"writing {path}: {error.strerror or error}") from None
    return path
