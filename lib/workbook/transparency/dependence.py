"""Partial dependence: the average predicted fare when every row gets the same value of one raw column."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import partial_dependence

from workbook import models
from workbook.data import STOPS_LABELS
from workbook.errors import TransparencyError
from workbook.features import parse_duration_minutes, parse_journey_date
from workbook.transparency.inputs import model_columns, require_columns, require_frame, sample_rows

PD_MAX_VALUES = 8  # default grid size for a categorical column: its most common values
DEFAULT_STOPS_GRID = [STOPS_LABELS[n] for n in range(4)]  # 4 stops is too rare to say anything
DEFAULT_DEP_TIMES = [f"{hour:02d}:00" for hour in range(0, 24, 3)]


def _duration_grid(X: pd.DataFrame) -> list[str]:
    """Whole hours from the 5th to the 95th percentile of the durations, as the file writes them ("7h")."""
    minutes = parse_duration_minutes(X["Duration"])
    low, high = np.percentile(minutes, [5, 95]) / 60
    hours = np.unique(np.maximum(1, np.round(np.linspace(low, high, PD_MAX_VALUES))).astype(int))
    return [f"{h}h" for h in hours]


def _date_grid(X: pd.DataFrame) -> list[str]:
    """Journey dates present in X, in calendar order, thinned to at most a dozen evenly spaced ones."""
    dates = X["Date_of_Journey"].drop_duplicates()
    ordered = dates.iloc[np.argsort(parse_journey_date(dates).to_numpy(), kind="stable")].tolist()
    if len(ordered) <= 12:
        return ordered
    return [ordered[i] for i in np.unique(np.linspace(0, len(ordered) - 1, 12).round().astype(int))]


def default_pd_values(X: pd.DataFrame, column: str) -> list[str]:
    """A readable grid for `column`: stops 0-3, whole-hour durations, 3-hourly departures, dates in order,
    else the column's PD_MAX_VALUES most common values (most common first)."""
    if column == "Total_Stops":
        return list(DEFAULT_STOPS_GRID)
    if column == "Duration":
        return _duration_grid(X)
    if column == "Dep_Time":
        return list(DEFAULT_DEP_TIMES)
    if column == "Date_of_Journey":
        return _date_grid(X)
    counts = X[column].dropna().value_counts()
    return [str(v) for v in counts.index[:PD_MAX_VALUES]]


def partial_dependence_table(model: Any, X_raw: pd.DataFrame, column: str, values: list | None = None, *,
                             max_rows: int = 1000, random_state: int = 42) -> pd.DataFrame:
    """Average predicted fare when every row's `column` is set to each value: column, value, average_prediction.

    sklearn's `partial_dependence` (brute force, `custom_values`, the column treated as categorical) works on
    this version's raw text columns, so no hand-made loop is needed. Values keep the given order; the default
    grid is `default_pd_values`. Only `column` changes, so where other columns carry the same information (Route
    implies the stops) the curve shows what the model credits to `column` alone.
    """
    X_raw = require_frame(X_raw, "X_raw")
    require_columns(X_raw, model_columns(model, X_raw), "X_raw")
    if column not in X_raw.columns:
        raise TransparencyError(f"column {column!r} is not in X_raw; choose one of {list(X_raw.columns)}")
    X = X_raw.iloc[sample_rows(X_raw, max_rows, random_state, "max_rows")]
    grid = default_pd_values(X, column) if values is None else list(dict.fromkeys(values))
    if not grid:
        raise TransparencyError(f"values for column {column!r} is empty; give at least one value")
    with models.fitting_context():
        result = partial_dependence(model, X, [column], categorical_features=[column], kind="average",
                                    custom_values={column: np.asarray(grid, dtype=object)})
    averages = dict(zip(result["grid_values"][0].tolist(), result["average"][0].tolist(), strict=True))
    return pd.DataFrame({"column": column, "value": grid, "average_prediction": [averages[v] for v in grid]})
