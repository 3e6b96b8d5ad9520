"""Tests for workbook.eda: ordering by median, the summary table and the boxen plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from workbook import eda


@pytest.fixture
def fares() -> pd.DataFrame:
    return pd.DataFrame({
        "Airline": ["A", "A", "A", "B", "B", "C", "C", "C", "C"],
        "Price": [1000, 2000, 9000, 5000, 7000, 3000, 3000, 4000, 30000],
    })


def test_order_by_median_dearest_first(fares):
    # medians: A 2000, B 6000, C 3500
    assert eda.order_by_median(fares, "Airline") == ["B", "C", "A"]
    assert eda.order_by_median(fares, "Airline", descending=False) == ["A", "C", "B"]


def test_price_summary_by(fares):
    summary = eda.price_summary_by(fares, "Airline")
    assert list(summary.index) == ["B", "C", "A"]
    assert summary.loc["C", "flights"] == 4
    assert summary.loc["C", "median (₹)"] == 3500
    assert summary.loc["A", "max (₹)"] == 9000
    assert summary.loc["C", "25% (₹)"] == 3000


def test_spread_ratio(fares):
    assert eda.spread_ratio(fares, "Airline") == pytest.approx(3.0)


def test_boxen_plot_orders_labels_and_raises_no_warning(fares):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = eda.boxen_price_by(fares, "Airline")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["B", "C", "A"]
    assert ax.get_yscale() == "log"
    assert "₹" in ax.get_ylabel()
    plt.close("all")


def test_missing_column_is_named(fares):
    with pytest.raises(ValueError, match="Source"):
        eda.price_summary_by(fares, "Source")
