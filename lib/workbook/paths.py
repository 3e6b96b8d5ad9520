"""Where the workbook's folders are, whether run from the repository, a notebook or the CLI."""

from __future__ import annotations

import os
from pathlib import Path

# lib/workbook/paths.py -> the repository root is two folders above the package.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
SOLUTIONS_DIR = NOTEBOOKS_DIR / "solutions"  # worked solutions: not part of the sequence `workbook run` runs
DATA_DIR = PROJECT_ROOT / "data"
RUNS_DIR = PROJECT_ROOT / "runs"
KERNEL_NAME = "workbook"
KERNEL_DISPLAY_NAME = "Python (MLOps workbook)"  # its name in JupyterLab's launcher
# Where the workbook's servers listen unless told otherwise (the CLI's --host/--port defaults too).
DEFAULT_HOST = "127.0.0.1"  # never expose a model, the UI or a tracking server beyond this machine unless asked
DEFAULT_UI_PORT = 5000  # MLflow's web server: `workbook ui` and the team tracking server (`workbook server`)
DEFAULT_SERVE_PORT = 5001  # a served model (`workbook serve`): next to the UI's 5000, so both can run at once
# The team or room server's own store (database and artifacts), apart from the learner's mlruns/mlflow.db:
# that store keeps artifacts at file:// paths a client on another machine cannot reach. Git-ignored with mlruns/.
SERVER_DIR = PROJECT_ROOT / "mlruns" / "server"
DEFAULT_SERVER_URL = f"http://{DEFAULT_HOST}:{DEFAULT_UI_PORT}"  # `workbook server [--room]` with its defaults
# The learner's own MLflow store. Here, not in workbook.tracking, so a command can say where runs go without
# importing MLflow (~1.7 s).
TRACKING_DIR = PROJECT_ROOT / "mlruns"
DEFAULT_DB = TRACKING_DIR / "mlflow.db"


def default_tracking_uri() -> str:
    """The project's own store: `sqlite:///<project>/mlruns/mlflow.db`."""
    return f"sqlite:///{DEFAULT_DB.as_posix()}"


def resolve_tracking_uri(uri: str | None = None) -> str:
    """The store to use: the `uri` argument, else `MLFLOW_TRACKING_URI`, else the project's database."""
    if uri:
        return str(uri)
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
