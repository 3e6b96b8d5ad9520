"""Input checks shared by the transparency helpers, the row sample they draw and one quiet predict."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbook import models
from workbook.errors import TransparencyError


def require_frame(frame: Any, name: str) -> pd.DataFrame:
    """`frame` if it is a non-empty DataFrame, else a one-line TransparencyError naming `name`."""
    if not isinstance(frame, pd.DataFrame):
        raise TransparencyError(f"{name} must be a pandas DataFrame of raw flight rows, got {type(frame).__name__}")
    if frame.empty:
        raise TransparencyError(f"{name} is empty; it needs at least one row")
    return frame


def model_columns(model: Any, frame: pd.DataFrame) -> list[str]:
    """The columns the fitted model reads (its `feature_names_in_`), else every column of `frame`."""
    if not hasattr(model, "predict"):
        raise TransparencyError(f"model must be a fitted estimator with .predict, got {type(model).__name__}")
    names = getattr(model, "feature_names_in_", None)
    return [str(name) for name in names] if names is not None else [str(c) for c in frame.columns]


def require_columns(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TransparencyError(f"{name} lacks column(s) {missing} the model reads; it has {list(frame.columns)}")


def sample_rows(frame: pd.DataFrame, max_rows: int, random_state: int, name: str) -> np.ndarray:
    """Positions of at most `max_rows` rows, drawn without replacement and kept in their original order."""
    require_positive_int(max_rows, name)
    if len(frame) <= max_rows:
        return np.arange(len(frame))
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(len(frame), size=max_rows, replace=False))


def require_positive_int(value: Any, name: str) -> None:
    """A one-line TransparencyError naming `name` unless `value` is an int >= 1 (True is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TransparencyError(f"{name} must be a positive integer, got {value!r}")


def predict(model: Any, X: pd.DataFrame) -> np.ndarray:
    """The model's predictions as floats, with one native thread like every fit and predict here."""
    with models.fitting_context():
        return np.asarray(model.predict(X), dtype=float)
