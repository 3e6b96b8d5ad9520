"""Where the workbook's folders are, whether run from the repository, a notebook or the CLI."""

from __future__ import annotations

from pathlib import Path

# lib/workbook/paths.py -> the repository root is two folders above the package.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
SOLUTIONS_DIR = NOTEBOOKS_DIR / "solutions"  # worked solutions: not part of the sequence `workbook run` runs
DATA_DIR = PROJECT_ROOT / "data"
RUNS_DIR = PROJECT_ROOT / "runs"
KERNEL_NAME = "workbook"
