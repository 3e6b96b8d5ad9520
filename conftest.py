"""Settings for the whole test session: unit, end-to-end and notebook (nbval) tests alike."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from workbook import runner

_STORE_DIR: str | None = None
# The worked solutions beside this file (not workbook.paths: the tests may import the package from elsewhere).
SOLUTIONS_DIR = Path(__file__).resolve().parent / "notebooks" / "solutions"


def pytest_configure(config: pytest.Config) -> None:
    """Point MLflow at a throwaway store: test runs (and the notebook kernels nbval starts, which inherit
    this environment) must never add runs to a learner's mlruns/ or to a team's tracking server."""
    global _STORE_DIR
    _STORE_DIR = tempfile.mkdtemp(prefix="workbook-test-mlflow-")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_STORE_DIR}/mlflow.db"
    # nbval's kernels get what `workbook run` gives its own (see runner.kernel_environment): one native
    # thread each, so two test workers do not spin OpenMP threads against each other, and no MLflow
    # download progress bars in the outputs nbval compares.
    os.environ.update(runner.kernel_environment())


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Re-point at the throwaway store before every test: MLflow's set_tracking_uri(None), which tests use
    to forget their own store, also deletes the variable, and later notebook kernels would inherit that.

    The solution notebooks get a store of their own: the challenger the 05 solution registers must not show
    up in notebook 05's own exercise check, whichever of the two runs first."""
    store = "solutions-mlflow.db" if SOLUTIONS_DIR in Path(str(item.path)).resolve().parents else "mlflow.db"
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_STORE_DIR}/{store}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _STORE_DIR:
        shutil.rmtree(_STORE_DIR, ignore_errors=True)
