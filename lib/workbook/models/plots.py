"""Plots of a model's predictions and the tidy frames behind them."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from workbook.models.catalog import check_choice
from workbook.models.evaluate import regression_metrics


def prediction_frame(y_true: Any, y_pred: Any, groups: Any = None, group_name: str = "group") -> pd.DataFrame:
    """Tidy frame: actual, predicted, residual (actual - predicted), abs_error[, group].

    Indexed like `y_true` when it is a Series, so a row's label finds its flight (`X_test.loc[label]`).
    """
    actual = np.asarray(y_true, dtype=float)
    predicted = np.asarray(y_pred, dtype=float)
    if actual.shape != predicted.shape:
        raise ValueError(f"y_true has {actual.shape[0]} values but y_pred has {predicted.shape[0]}")
    index = y_true.index if isinstance(y_true, pd.Series) else None
    frame = pd.DataFrame({"actual": actual, "predicted": predicted, "residual": actual - predicted,
                          "abs_error": np.abs(actual - predicted)}, index=index)
    if groups is not None:
        labels = np.asarray(groups)
        if len(labels) != len(frame):
            raise ValueError(f"groups has {len(labels)} values but y_true has {len(frame)}")
        frame[group_name] = labels
    return frame


def residuals_by_group(y_true: Any, y_pred: Any, groups: Any, group_name: str = "group") -> pd.DataFrame:
    """Per group: rows, median residual and MAE (the text summary of the residual plot), worst MAE first."""
    frame = prediction_frame(y_true, y_pred, groups, group_name)
    summary = frame.groupby(group_name).agg(rows=("residual", "size"), median_residual=("residual", "median"),
                                            MAE=("abs_error", "mean"))
    return summary.sort_values("MAE", ascending=False).round(0).astype({"rows": int})


def _rupees(value: float, _position: Any = None) -> str:
    """Axis label like ₹12,500 or −₹2,500."""
    return f"{'−' if value < 0 else ''}₹{abs(value):,.0f}"


def plot_predicted_vs_actual(y_true: Any, y_pred: Any, ax: plt.Axes | None = None, title: str | None = None
                             ) -> plt.Axes:
    """Scatter of predicted vs actual fares with the perfect-prediction diagonal; MAE and R2 in the title."""
    frame = prediction_frame(y_true, y_pred)
    ax = ax or plt.subplots(figsize=(6, 6))[1]
    ax.scatter(frame["actual"], frame["predicted"], s=8, alpha=0.35, edgecolors="none")
    low, high = frame[["actual", "predicted"]].min().min(), frame[["actual", "predicted"]].max().max()
    ax.plot([low, high], [low, high], color="black", linewidth=1, linestyle="--", label="perfect prediction")
    ax.set_xlabel("actual fare (₹)")
    ax.set_ylabel("predicted fare (₹)")
    metrics = regression_metrics(frame["actual"], frame["predicted"])
    ax.set_title(title or f"Predicted vs actual: MAE ₹{metrics['MAE']:,.0f}, R² {metrics['R2']:.3f}")
    ax.xaxis.set_major_formatter(FuncFormatter(_rupees))
    ax.yaxis.set_major_formatter(FuncFormatter(_rupees))
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(loc="upper left")
    return ax


def plot_residuals_by_group(y_true: Any, y_pred: Any, groups: Any, ax: plt.Axes | None = None,
                            group_name: str = "group", kind: Literal["boxen", "box"] = "boxen") -> plt.Axes:
    """Residuals (actual - predicted, ₹) per group as boxen (or box) plots, groups ordered by MAE."""
    check_choice(kind, ("boxen", "box"), "plot kind")
    frame = prediction_frame(y_true, y_pred, groups, group_name)
    order = list(residuals_by_group(y_true, y_pred, groups, group_name).index)
    ax = ax or plt.subplots(figsize=(8, 0.5 * len(order) + 1.5))[1]
    if kind == "boxen":
        sns.boxenplot(data=frame, x="residual", y=group_name, order=order, ax=ax, width_method="linear")
    else:
        with warnings.catch_warnings():  # seaborn 0.13.2 passes `vert`, deprecated by matplotlib 3.11
            warnings.simplefilter("ignore", DeprecationWarning)
            sns.boxplot(data=frame, x="residual", y=group_name, order=order, ax=ax, fliersize=2)
    ax.axvline(0, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel("residual: actual − predicted fare (₹)")
    ax.set_ylabel(group_name)
    ax.set_title(f"Residuals by {group_name} (largest MAE at the top)")
    ax.xaxis.set_major_formatter(FuncFormatter(_rupees))
    return ax
