"""Tests for workbook.exercises: every check says correct / close / what to look at / not answered."""

from __future__ import annotations

import pandas as pd
import pytest
from feedback_asserts import assert_status

from workbook import exercises as ex
from workbook import problem_kinds as pk
from workbook.data import make_flights
from workbook.features import drop_rare_airlines, talk_dropna, talk_feature_frame


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return make_flights(n_rows=1500, seed=42)


@pytest.fixture(scope="module")
def flights(raw) -> pd.DataFrame:
    return talk_dropna(raw)


# ---------------------------------------------------------------- check_number (the shared core)


def test_check_number_paths():
    kwargs = dict(hint="count them", why="because", look_at="look here", near_misses=[(7, "off by the header")])
    assert_status(ex.check_number(None, 5, **kwargs), ex.NOT_ANSWERED, "Not answered yet: count them")
    assert_status(ex.check_number(5, 5, **kwargs), ex.CORRECT, "Correct: because")
    assert_status(ex.check_number("5", 5, **kwargs), ex.CORRECT)
    assert_status(ex.check_number(7, 5, **kwargs), ex.CLOSE, "off by the header")
    assert_status(ex.check_number(9, 5, **kwargs), ex.INCORRECT, "9 is not it", "look here")
    assert_status(ex.check_number("five", 5, **kwargs), ex.INCORRECT, "expected a number")
    assert_status(ex.check_number(True, 1, **kwargs), ex.INCORRECT, "expected a number")
    assert ex.check_number(5.004, 5, tolerance=0.01, **kwargs).correct


# ---------------------------------------------------------------- notebook 01


def test_check_problem_kinds():
    right = {scenario: kind for scenario, (_, kind) in pk.SCENARIOS.items()}
    assert_status(ex.check_problem_kinds(None), ex.NOT_ANSWERED, "fare_forecast")
    assert_status(ex.check_problem_kinds(right), ex.CORRECT)
    # spelling variants of a kind are accepted
    assert ex.check_problem_kinds({**right, "refund_review": "Human-in-the-loop"}).correct
    one_wrong = {**right, "route_groups": "supervised"}
    feedback = ex.check_problem_kinds(one_wrong)
    assert_status(feedback, ex.CLOSE, "route_groups", "4 of 5", ex.SCENARIO_HINTS["route_groups"])
    assert "unsupervised" not in feedback.message  # a hint, not the answer
    assert_status(ex.check_problem_kinds({**right, "fare_rules": "magic"}), ex.CLOSE, "not one of the kinds")
    all_wrong = {scenario: "statistical" for scenario in pk.SCENARIOS if scenario != "weekend_premium"}
    assert_status(ex.check_problem_kinds(all_wrong), ex.INCORRECT, "still to answer")
    assert_status(ex.check_problem_kinds(["supervised"]), ex.INCORRECT, "expected a dict")


def test_every_scenario_has_a_hint():
    assert set(ex.SCENARIO_HINTS) == set(pk.SCENARIOS)


def test_check_stops_price_ratio(flights):
    medians = pk.flight_table(flights).groupby("stops")["Price"].median()
    ratio = medians[1] / medians[0]
    assert_status(ex.check_stops_price_ratio(None, flights), ex.NOT_ANSWERED, "median")
    assert_status(ex.check_stops_price_ratio(round(ratio, 2), flights), ex.CORRECT, f"{ratio:.2f}")
    assert_status(ex.check_stops_price_ratio(round(1 / ratio, 2), flights), ex.CLOSE, "other way round")
    assert_status(ex.check_stops_price_ratio(ratio + 1, flights), ex.INCORRECT, "median_price")
    for off_by_a_hundredth in (round(ratio, 2) - 0.01, round(ratio, 2) + 0.01):  # two decimals are asked for
        assert_status(ex.check_stops_price_ratio(off_by_a_hundredth, flights), ex.INCORRECT, "is not it")


def test_check_deferred_share():
    table = pd.DataFrame(
        {"deferred to a person": [0.0, 0.25], "accuracy, automated cases": [0.8, 0.9]},
        index=pd.Index([0.5, 0.9], name="threshold"),
    )
    assert_status(ex.check_deferred_share(None, table, 0.9), ex.NOT_ANSWERED, "0.9")
    assert_status(ex.check_deferred_share(0.25, table, 0.9), ex.CORRECT, "25%", "90%")
    assert_status(ex.check_deferred_share(0.75, table, 0.9), ex.CLOSE, "decides itself")
    assert_status(ex.check_deferred_share(25, table, 0.9), ex.CLOSE, "not as a percentage")
    assert_status(ex.check_deferred_share(0.24, table, 0.9), ex.INCORRECT, "is not it")
    table.loc[0.9, "deferred to a person"] = 0.5857  # a percentage typed to one decimal is still a percentage
    assert_status(ex.check_deferred_share(58.6, table, 0.9), ex.CLOSE, "not as a percentage")
    assert_status(ex.check_deferred_share(0.59, table, 0.9), ex.CORRECT)
    assert_status(ex.check_deferred_share(0.4, table, 0.9), ex.INCORRECT, "threshold 0.9")
    with pytest.raises(ValueError, match="0.7"):
        ex.check_deferred_share(0.1, table, 0.7)


# ---------------------------------------------------------------- notebook 02


def test_check_rows_removed(raw):
    after_dropna = talk_dropna(raw)
    removed_by_dropna = len(raw) - len(after_dropna)
    after_filter = drop_rare_airlines(after_dropna)
    total = len(raw) - len(after_filter)
    assert removed_by_dropna > 0 and total > removed_by_dropna
    assert_status(ex.check_rows_removed(None, raw), ex.NOT_ANSWERED)
    assert_status(ex.check_rows_removed(total, raw), ex.CORRECT, f"{len(after_filter):,}")
    assert_status(ex.check_rows_removed(removed_by_dropna, raw), ex.CLOSE, "only what dropna() removes")
    assert_status(ex.check_rows_removed(len(after_filter), raw), ex.CLOSE, "rows left")
    assert_status(ex.check_rows_removed(total + 100, raw), ex.INCORRECT, "len()")


def test_check_repeated_flights(raw):
    others = [column for column in raw.columns if column != "Price"]
    repeats, exact = int(raw.duplicated(subset=others).sum()), int(raw.duplicated().sum())
    every_member = int(raw.duplicated(subset=others, keep=False).sum())
    assert 0 < exact < repeats < every_member  # the twin sells some flights again on the same day, at other fares
    assert_status(ex.check_repeated_flights(None, raw), ex.NOT_ANSWERED, "duplicated(subset=...)")
    assert_status(ex.check_repeated_flights(repeats, raw), ex.CORRECT, f"{exact:,} at the same fare",
                  f"{repeats - exact:,} at another fare", "apart")
    assert_status(ex.check_repeated_flights(exact, raw), ex.CLOSE, "equal in Price too")
    assert_status(ex.check_repeated_flights(every_member, raw), ex.CLOSE, "keep=False")
    assert repeats - exact not in (exact, every_member)  # distinct here, so its own message shows
    assert_status(ex.check_repeated_flights(repeats - exact, raw), ex.CLOSE, "only the repeats at another fare")
    assert_status(ex.check_repeated_flights(repeats + 1, raw), ex.INCORRECT, "duplicated(subset=")
    with pytest.raises(ValueError, match="'Price' column"):
        ex.check_repeated_flights(repeats, raw.drop(columns="Price"))


def test_check_repeated_flights_names_the_count_after_cleaning(raw):
    # One more sale of a GoAir flight: the rare-airline filter removes it, so the cleaned data holds one fewer.
    resold = raw[raw["Airline"] == "GoAir"].head(1).assign(Price=lambda rows: rows["Price"] + 1)
    loaded = pd.concat([raw, resold], ignore_index=True)
    others = [column for column in raw.columns if column != "Price"]
    after_cleaning = int(drop_rare_airlines(talk_dropna(loaded)).duplicated(subset=others).sum())
    assert after_cleaning == int(loaded.duplicated(subset=others).sum()) - 1
    assert_status(ex.check_repeated_flights(after_cleaning + 1, loaded), ex.CORRECT)
    assert_status(ex.check_repeated_flights(after_cleaning, loaded), ex.CLOSE, "after the talk's cleaning",
                  "as loaded")


def test_check_steadiest_airline(raw):
    cleaned = drop_rare_airlines(talk_dropna(raw))
    quartiles = cleaned.groupby("Airline")["Price"].quantile([0.25, 0.75]).unstack()
    ratios = (quartiles[0.75] / quartiles[0.25]).sort_values()
    narrowest_in_rupees = (quartiles[0.75] - quartiles[0.25]).idxmin()
    steadiest, widest = ratios.index[0], ratios.index[-1]
    assert steadiest != narrowest_in_rupees  # the trap the exercise is about exists in this data
    assert_status(ex.check_steadiest_airline(None, raw), ex.NOT_ANSWERED, "quantile([0.25, 0.75])")
    assert_status(ex.check_steadiest_airline(steadiest, raw), ex.CORRECT, steadiest, narrowest_in_rupees)
    assert_status(ex.check_steadiest_airline(steadiest.upper(), raw), ex.CORRECT)
    assert_status(ex.check_steadiest_airline(narrowest_in_rupees, raw), ex.CLOSE, "in rupees", "divide")
    assert_status(ex.check_steadiest_airline(widest, raw), ex.INCORRECT, "take the smallest")
    assert_status(ex.check_steadiest_airline("Trujet", raw.assign(Airline=raw["Airline"].where(raw.index != 0,
                                                                                                  "Trujet"))),
                   ex.CLOSE, "rare-airline filter")
    assert_status(ex.check_steadiest_airline("Lufthansa", raw), ex.INCORRECT, "not an airline")


# ---------------------------------------------------------------- notebook 03


def test_check_dummy_count(flights):
    labels = flights["Destination"].nunique()
    assert_status(ex.check_dummy_count(None, flights, "Destination"), ex.NOT_ANSWERED, "drop_first")
    assert_status(ex.check_dummy_count(labels - 1, flights, "Destination"), ex.CORRECT, f"{labels} labels")
    assert_status(ex.check_dummy_count(labels, flights, "Destination"), ex.CLOSE, "drops one label")
    assert_status(ex.check_dummy_count(labels + 3, flights, "Destination"), ex.INCORRECT, "nunique()")
    with pytest.raises(ValueError, match="Nope"):
        ex.check_dummy_count(1, flights, "Nope")


def test_check_batch_width(flights):
    batch = flights.head(1)
    width = talk_feature_frame(batch).shape[1]
    assert width == 9  # one row: every get_dummies column is dropped by drop_first
    assert_status(ex.check_batch_width(None, batch, 24), ex.NOT_ANSWERED, "talk_feature_frame")
    assert_status(ex.check_batch_width(width, batch, 24), ex.CORRECT, "not 24")
    assert_status(ex.check_batch_width(24, batch, 24), ex.INCORRECT, "training width")  # section 3's mistake
    assert_status(ex.check_batch_width(12, batch, 24), ex.INCORRECT, "present in this batch")
