"""Tests for workbook.problem_kinds: the five kinds-of-ML demos of notebook 01 on a small synthetic twin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbook import problem_kinds as pk
from workbook.data import make_flights
from workbook.features import talk_dropna


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    return talk_dropna(make_flights(n_rows=2000, seed=42))


def test_flight_table_parses_the_text_columns():
    row = {"Airline": "IndiGo", "Date_of_Journey": "24/03/2019", "Source": "Banglore", "Destination": "New Delhi",
           "Route": "BLR → DEL", "Dep_Time": "22:20", "Arrival_Time": "01:10 22 Mar", "Duration": "2h 50m",
           "Total_Stops": "non-stop", "Additional_Info": "No info", "Price": 3897}
    table = pk.flight_table(pd.DataFrame([row]))
    assert table.loc[0, "stops"] == 0
    assert table.loc[0, "duration_h"] == pytest.approx(170 / 60)
    assert table.loc[0, "journey_month"] == 3
    assert table.loc[0, "dep_hour"] == 22


def test_flight_table_asks_for_dropna_when_stops_are_missing():
    raw = make_flights(n_rows=300, seed=1)
    with pytest.raises(ValueError, match="talk_dropna"):
        pk.flight_table(raw.assign(Total_Stops=raw["Total_Stops"].where(raw.index != 0)))
    with pytest.raises(ValueError, match="Price"):
        pk.flight_table(raw.drop(columns="Price"))


def test_supervised_model_beats_the_median_baseline_and_is_reproducible(flights):
    first = pk.supervised_price_demo(flights, random_state=3)
    model = first.loc["random forest regressor"]
    baseline = first.loc["baseline: median of training fares"]
    assert model["MAE (₹)"] < 0.6 * baseline["MAE (₹)"]
    assert model["R²"] > 0.5 and abs(baseline["R²"]) < 0.05
    pd.testing.assert_frame_equal(first, pk.supervised_price_demo(flights, random_state=3))


def test_segments_are_numbered_from_cheapest_to_dearest(flights):
    labels, summary = pk.flight_segments(flights, n_clusters=3, random_state=0)
    assert sorted(labels.unique()) == [1, 2, 3]
    assert summary["flights"].sum() == len(flights)
    assert summary["median_price"].is_monotonic_increasing
    assert summary.loc[1, "median_duration_h"] < summary.loc[3, "median_duration_h"]


def test_median_ci_brackets_the_median_and_narrows_with_more_data():
    rng = np.random.default_rng(0)
    small, large = rng.normal(100, 10, 30), rng.normal(100, 10, 3000)
    low_s, high_s = pk.median_ci(small, random_state=1)
    low_l, high_l = pk.median_ci(large, random_state=1)
    assert low_s <= np.median(small) <= high_s
    assert low_l <= np.median(large) <= high_l
    assert (high_l - low_l) < (high_s - low_s) / 3
    with pytest.raises(ValueError, match="at least one"):
        pk.median_ci(np.array([]))


def test_median_price_by_stops_matches_groupby(flights):
    table = pk.median_price_by_stops(flights, n_boot=200)
    direct = pk.flight_table(flights).groupby("stops")["Price"].median()
    assert list(table.index) == list(direct.index)
    assert np.allclose(table["median_price"], direct)
    assert (table["ci_low"] <= table["median_price"]).all() and (table["median_price"] <= table["ci_high"]).all()
    assert table.loc[1, "median_price"] > 1.5 * table.loc[0, "median_price"]


def testleave_one_out_median():
    prices = pd.Series([1, 2, 3, 10])
    assert list(pk.leave_one_out_median(prices)) == [3, 3, 2, 2]
    assert list(pk.leave_one_out_median(pd.Series([7]))) == [7]


def test_hybrid_rule_beats_the_model_on_business_fares(flights):
    table = pk.hybrid_price_demo(flights, random_state=0)
    rule = table.loc["rule: Business class"]
    rest = table.loc["model: everything else"]
    assert rule["flights scored"] == pk.is_business(flights).sum() > 0
    assert rule["MAE hybrid (₹)"] < rule["MAE model only (₹)"] / 2
    assert rest["MAE hybrid (₹)"] == rest["MAE model only (₹)"]  # the rule does not touch the other rows


def testdeferral_at_counts_unsure_cases():
    proba = np.array([0.95, 0.55, 0.3, 0.05, 0.6])
    truth = np.array([1, 0, 0, 0, 0])
    result = pk.deferral_at(proba, truth, threshold=0.8, cut=100.0)
    # confident: 0.95 (right), 0.05 (right); unsure: 0.55 (wrong), 0.3 (right), 0.6 (wrong)
    assert result.deferred_share == pytest.approx(3 / 5)
    assert result.accuracy_all == pytest.approx(3 / 5)
    assert result.accuracy_automated == pytest.approx(1.0)
    assert result.accuracy_deferred == pytest.approx(1 / 3)


def test_deferral_curve_trades_human_work_for_accuracy(flights):
    curve = pk.deferral_curve(flights, thresholds=(0.5, 0.7, 0.9), random_state=0)
    assert curve.loc[0.5, "deferred to a person"] == 0
    assert curve["deferred to a person"].is_monotonic_increasing
    assert curve.loc[0.9, "accuracy, automated cases"] > curve.loc[0.9, "accuracy, model decides all"]
    single = pk.defer_low_confidence(flights, threshold=0.9, random_state=0)
    assert single.deferred_share == pytest.approx(curve.loc[0.9, "deferred to a person"])
    with pytest.raises(ValueError, match="threshold"):
        pk.defer_low_confidence(flights, threshold=0.3)


def test_every_scenario_uses_a_known_kind():
    assert {kind for _, kind in pk.SCENARIOS.values()} == set(pk.PROBLEM_KINDS)


def test_plot_segments_draws_one_series_per_segment(flights):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, _ = pk.flight_segments(flights, n_clusters=3, random_state=0)
    ax = pk.plot_segments(flights, labels)
    assert len(ax.collections) == 3
    assert ax.get_yscale() == "log" and "₹" in ax.get_ylabel()
    plt.close("all")
