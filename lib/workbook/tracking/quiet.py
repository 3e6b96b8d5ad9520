"""Keeping MLflow's advisory warnings and INFO lines out of notebook output (nbval compares stderr)."""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator

import pandas as pd

# Warnings MLflow 3.17 raises on every call or import that are advice or its own housekeeping, not problems
# in the learner's code: the integer-column hint, a duplicate source registration, a SQLAlchemy deprecation.
NOISY_WARNINGS = [
    r"Hint: Inferred schema contains integer column",
    r"The specified dataset source can be interpreted in multiple ways",
    r"The ``noload`` loader strategy is deprecated",
]


def quiet_mlflow_logs() -> None:
    """Keep MLflow's INFO lines ("Creating initial database tables...") out of notebook stderr."""
    # An explicit MLFLOW_LOGGING_LEVEL means someone wants those lines: leave it alone.
    if "MLFLOW_LOGGING_LEVEL" not in os.environ:
        logging.getLogger("mlflow").setLevel(logging.WARNING)


@contextlib.contextmanager
def without_noisy_warnings() -> Iterator[None]:
    """Hide MLflow's known advisory warnings inside the block; every other warning still shows."""
    with warnings.catch_warnings():
        for pattern in NOISY_WARNINGS:
            warnings.filterwarnings("ignore", message=pattern)
        # pandas 3 deprecations triggered inside MLflow's own code: MLflow's to fix, not the learner's.
        warnings.filterwarnings("ignore", category=pd.errors.Pandas4Warning, module=r"mlflow\.")
        yield

