"""Exploratory plots for notebook 02: price by a category as a boxen plot, with the table it was drawn from.

Each plot is ordered by median price and comes with `price_summary_by`, a deterministic text version that a
notebook shows beside the figure (nbval compares text, not pixels).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from workbook.features.columns import require_columns

PRICE = "Price"
# Round fare levels for a log axis: readable tick labels instead of 10^4.
PRICE_TICKS = [1_000, 2_000, 3_000, 5_000, 10_000, 20_000, 30_000, 50_000, 100_000]


def order_by_median(df: pd.DataFrame, column: str, descending: bool = True) -> list[str]:
    """Labels of `column` sorted by their median price (dearest first by default); ties broken by label."""
    require_columns(df, [column, PRICE], "order_by_median")
    medians = df.groupby(column)[PRICE].median()
    ordered = sorted(medians.index, key=lambda label: (-medians[label] if descending else medians[label], label))
    return [str(label) for label in ordered]


def price_summary_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Flights and price quartiles (₹) per label of `column`, dearest median first: the plot's text twin."""
    order = order_by_median(df, column)
    prices = df.groupby(column)[PRICE]
    summary = pd.DataFrame(
        {
            "flights": prices.size(),
            "25% (₹)": prices.quantile(0.25),
            "median (₹)": prices.median(),
            "75% (₹)": prices.quantile(0.75),
            "max (₹)": prices.max(),
        }
    )
    summary.index = summary.index.astype("str")
    return summary.loc[order].astype({"flights": "int64"})


def boxen_price_by(
    df: pd.DataFrame, column: str, *, log_scale: bool = True, ax: plt.Axes | None = None,
    title: str | None = None,
) -> plt.Axes:
    """Boxen plot of Price by `column`, categories ordered by median price, on a log ₹ axis by default.

    A boxen (letter-value) plot shows many quantiles, not only the quartiles, so the long tail of dear
    fares stays visible instead of becoming a cloud of 'outlier' dots. The plot is seaborn's
    `sns.boxenplot(data=df, x=column, y="Price", order=..., log_scale=True)`; this adds the order by median,
    rupee tick labels at round fares, a title and slanted labels.
    """
    require_columns(df, [column, PRICE], "boxen_price_by")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.8))
    data = df.assign(**{column: df[column].astype("str")})
    sns.boxenplot(data=data, x=column, y=PRICE, order=order_by_median(df, column), color="#4C72B0",
                  width_method="exponential", log_scale=log_scale, ax=ax)
    format_price_axis(ax, data[PRICE], log_scale=log_scale)
    ax.set_xlabel(column.replace("_", " "))
    ax.set_title(title or f"Price by {column.replace('_', ' ').lower()}, ordered by median price")
    ax.grid(axis="y", alpha=0.3)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.figure.tight_layout()
    return ax


def format_price_axis(ax: plt.Axes, prices: pd.Series, *, log_scale: bool = True) -> None:
    """Label the y axis in rupees (₹2,000 rather than 2×10³), with round fare levels as ticks on a log axis."""
    if log_scale:
        ax.set_yscale("log")
        low, high = float(prices.min()), float(prices.max())
        ax.yaxis.set_major_locator(FixedLocator([t for t in PRICE_TICKS if low / 1.5 <= t <= high * 1.5]))
        ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"₹{value:,.0f}"))
    ax.set_ylabel("price (₹, log scale)" if log_scale else "price (₹)")


def spread_ratio(df: pd.DataFrame, column: str) -> float:
    """Dearest median over cheapest median across the labels of `column` (how much the label matters)."""
    medians = df.groupby(column)[PRICE].median()
    return float(np.max(medians) / np.min(medians))
