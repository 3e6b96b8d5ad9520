"""The transparency plots: permutation importance, partial dependence and one explained fare."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from workbook.errors import TransparencyError
from workbook.transparency.explain import Explanation
from workbook.transparency.inputs import require_columns, require_frame

ORDERED_COLUMNS = ("Date_of_Journey", "Dep_Time", "Arrival_Time", "Duration", "Total_Stops")  # values have an order


def _new_axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_importance(table: pd.DataFrame, ax: Any = None) -> Any:
    """Horizontal bars of `permutation_importance_table` (most important on top), with the std as error bars."""
    require_frame(table, "table")
    require_columns(table, ["column", "importance", "std"], "table")
    ax = _new_axes(ax, (7, 0.4 * len(table) + 1))
    ordered = table.iloc[::-1]
    ax.barh(ordered["column"], ordered["importance"], xerr=ordered["std"], color="tab:blue", capsize=3)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("MAE increase when the column is shuffled (₹)")
    ax.set_title("Permutation importance")
    return ax


def plot_partial_dependence(table: pd.DataFrame, ax: Any = None) -> Any:
    """The partial-dependence table as a plot: a line in the order of values over ordered columns (times,
    durations, dates, stops); bars from dearest to cheapest over unordered categories such as the airline,
    where a line would suggest an order. The fare axis starts at zero, so a small effect does not look big."""
    require_frame(table, "table")
    require_columns(table, ["column", "value", "average_prediction"], "table")
    ax = _new_axes(ax, (7, 4))
    positions = np.arange(len(table))
    column = str(table["column"].iloc[0])
    if column in ORDERED_COLUMNS:
        ax.plot(positions, table["average_prediction"], marker="o", color="tab:blue")
    else:
        table = table.sort_values("average_prediction", ascending=False, kind="stable")
        ax.bar(positions, table["average_prediction"], color="tab:blue")
    ax.set_ylim(bottom=0)
    ax.set_xticks(positions, [str(v) for v in table["value"]], rotation=30, ha="right")
    ax.set_xlabel(column)
    ax.set_ylabel("average predicted fare (₹)")
    ax.set_title(f"Partial dependence on {column}")
    return ax


def plot_explanation(explanation: Explanation, ax: Any = None) -> Any:
    """Waterfall-like bars: from the base value, each group pushes the fare up (red) or down (blue)."""
    if not isinstance(explanation, Explanation):
        raise TransparencyError(f"explanation must come from explain_prediction, got {type(explanation).__name__}")
    table = explanation.contributions
    ax = _new_axes(ax, (8, 0.5 * len(table) + 1.5))
    start = explanation.base_value
    ends = [start]
    for position, item in enumerate(table.itertuples(index=False)):
        colour = "tab:red" if item.contribution >= 0 else "tab:blue"
        ax.barh(position, item.contribution, left=start, color=colour)
        end = start + item.contribution
        ax.text(end, position, f" {item.contribution:+,.0f} ", va="center",
                ha="left" if item.contribution >= 0 else "right", fontsize=9)
        start = end
        ends.append(end)
    low, high = min(ends), max(ends)
    pad = 0.2 * (high - low) or 1.0  # room for the value labels beside the outermost bars
    ax.set_xlim(low - pad, high + pad)
    labels = [f"{g} = {v}" if len(v) <= 40 else f"{g} = {v[:37]}..." for g, v in zip(table["group"], table["value"])]
    ax.set_yticks(np.arange(len(table)), labels)
    ax.invert_yaxis()  # largest contribution on top, as in a SHAP waterfall
    ax.axvline(explanation.base_value, color="grey", linestyle="--", linewidth=0.8)
    ax.axvline(explanation.prediction, color="black", linewidth=0.8)
    ax.set_xlabel(f"fare (₹): average {explanation.base_value:,.0f} -> this flight {explanation.prediction:,.0f}")
    ax.set_title(f"Why this fare ({explanation.method})")
    return ax
