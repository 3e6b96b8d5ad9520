"""Bias: the model's error per group (airline, market, stops), overall and per production month."""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from workbook import data, features, models
from workbook.monitoring.data_checks import labelled_rows
from workbook.values import is_finite_number, is_int

BiasMetric = Literal["MAE", "MAPE"]
BIAS_METRICS: tuple[BiasMetric, ...] = get_args(BiasMetric)
BIAS_COLUMNS = ["group_by", "group", "count", "MAE", "MAPE", "signed_error", "disparity", "flagged"]


def bias_groups(raw_rows: pd.DataFrame) -> pd.DataFrame:
    """Airline, market ("Delhi → Cochin", Delhi labels merged) and stops ("1 stop") for each raw row."""
    missing = [c for c in ["Airline", "Source", "Destination", "Route", "Total_Stops"] if c not in raw_rows.columns]
    if missing:
        raise ValueError(f"bias_groups needs flight column(s) {missing}")
    stops = features.stops_count(raw_rows)
    return pd.DataFrame({
        "Airline": features.clean_text(raw_rows["Airline"]),
        "market": features.unify_city(raw_rows["Source"]) + " → " + features.unify_city(raw_rows["Destination"]),
        "stops": stops.map(data.STOPS_LABELS),
    }, index=raw_rows.index)


def bias_table(y_true: Any, y_pred: Any, groups: pd.DataFrame, *, ratio: float = 1.25, min_count: int = 30,
               metric: BiasMetric = "MAPE") -> pd.DataFrame:
    """Error per group value: count, MAE, MAPE, signed_error, disparity (group metric / overall) and flagged.

    signed_error is the mean of (prediction - fare) / fare: below zero the model quotes the group too low,
    above zero too high. MAE and MAPE say how far off a group is; only the sign says in which direction,
    the talk's "skewed outcomes".

    Flagged: disparity > ratio and count >= min_count (a handful of rows is noise, not a finding). MAPE is
    the default because absolute error grows with the fare itself: dear airlines would look "worse".
    """
    actual, predicted = _check_bias_inputs(y_true, y_pred, groups, ratio, min_count, metric)
    error = np.abs(actual - predicted)
    frame = pd.DataFrame({"abs_error": error, "pct_error": error / actual, "signed": (predicted - actual) / actual})
    overall = {"MAE": error.mean(), "MAPE": (error / actual).mean()}[metric]
    tables = []
    for column in groups.columns:
        labels = groups[column].astype(str).to_numpy()  # by position: the groups' index may not be the rows'
        summary = frame.groupby(labels, sort=True).agg(
            count=("abs_error", "size"), MAE=("abs_error", "mean"), MAPE=("pct_error", "mean"),
            signed_error=("signed", "mean"))
        summary = summary.reset_index(names="group").assign(group_by=column)
        summary["disparity"] = summary[metric] / overall if overall > 0 else np.nan
        summary["flagged"] = (summary["disparity"] > ratio) & (summary["count"] >= min_count)
        tables.append(summary.sort_values(["disparity", "group"], ascending=[False, True], kind="stable"))
    table = pd.concat(tables, ignore_index=True)[BIAS_COLUMNS]
    table.attrs.update({"metric": metric, "ratio": ratio, "min_count": min_count, "overall": float(overall)})
    return table


def _check_bias_inputs(y_true: Any, y_pred: Any, groups: pd.DataFrame, ratio: float, min_count: int,
                       metric: BiasMetric) -> tuple[np.ndarray, np.ndarray]:
    if metric not in BIAS_METRICS:
        raise ValueError(f"metric must be one of {', '.join(BIAS_METRICS)}, got {metric!r}")
    if not is_finite_number(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a positive number (e.g. 1.25), got {ratio!r}")
    if not is_int(min_count) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    if not isinstance(groups, pd.DataFrame) or groups.shape[1] == 0:
        raise ValueError("groups must be a DataFrame with one column per grouping (e.g. bias_groups(rows))")
    actual = np.asarray(y_true, dtype=float).ravel()
    predicted = np.asarray(y_pred, dtype=float).ravel()
    if not len(actual) == len(predicted) == len(groups) or len(actual) == 0:
        raise ValueError(f"y_true ({len(actual)}), y_pred ({len(predicted)}) and groups ({len(groups)}) must "
                         "have the same, non-zero number of rows")
    if (actual <= 0).any() or not np.isfinite(actual).all() or not np.isfinite(predicted).all():
        raise ValueError("y_true must be positive fares and y_pred finite (MAPE divides by the fare)")
    return actual, predicted


def month_bias(model: Any, production: pd.DataFrame, month: str, *, ratio: float = 1.25, min_count: int = 30,
               metric: BiasMetric = "MAPE") -> pd.DataFrame:
    """bias_table of `model` on one production month's labelled, contract-valid rows (empty if it has none)."""
    rows = labelled_rows(production, [month])
    if rows.empty:  # a month that breaks the contract cannot be scored; model drift reports it
        return pd.DataFrame(columns=BIAS_COLUMNS)
    predicted = model.predict(rows[models.RAW_COLUMNS])
    return bias_table(rows["Price"], predicted, bias_groups(rows), ratio=ratio, min_count=min_count, metric=metric)


def bias_by_month(model: Any, production: pd.DataFrame, *, ratio: float = 1.25, min_count: int = 30,
                  metric: BiasMetric = "MAPE") -> pd.DataFrame:
    """month_bias for every production month, stacked with a leading `month` column (months in order)."""
    if "month" not in production.columns:
        raise ValueError("production needs a 'month' column (see production_months)")
    tables = [month_bias(model, production, month, ratio=ratio, min_count=min_count, metric=metric)
              .assign(month=month) for month in pd.unique(production["month"])]
    return pd.concat(tables, ignore_index=True)[["month", *BIAS_COLUMNS]]
