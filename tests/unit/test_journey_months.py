"""A real file monitored by its own months: the split by journey month, the date holdout, the later months."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbook import models, monitoring
from workbook.data import make_flights
from workbook.errors import DataContractError
from workbook.journey_months import date_holdout_split, split_journey_months


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    return make_flights(seed=42)  # journeys from March to June 2019, as in the real file


@pytest.fixture(scope="module")
def months(flights):
    return split_journey_months(flights, train_months=2)


def _month_of(rows: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(rows["Date_of_Journey"], format="%d/%m/%Y").dt.strftime("%Y-%m")


def test_the_first_months_train_and_the_later_ones_are_watched(flights, months):
    assert months.train_months == ["2019-03", "2019-04"] and months.later_months == ["2019-05", "2019-06"]
    assert set(_month_of(months.train)) == {"2019-03", "2019-04"}
    assert (months.later["month"] == _month_of(months.later)).all()
    cleaned = models.talk_rows(flights)  # the talk's dropna and rare-airline filter, as everywhere else
    assert len(months.train) + len(months.later) == len(cleaned)
    assert months.train.index.union(months.later.index).equals(cleaned.index.sort_values())


def test_row_order_does_not_matter(flights, months):
    shuffled = split_journey_months(flights.sample(frac=1.0, random_state=3), train_months=2)
    pd.testing.assert_frame_equal(shuffled.train.sort_index(), months.train.sort_index())
    assert shuffled.later_months == months.later_months


@pytest.mark.parametrize("train_months, message", [
    (0, "train_months must be an integer >= 1"),
    ("2", "train_months must be an integer >= 1"),
    (True, "train_months must be an integer >= 1"),
])
def test_bad_train_months_is_one_line(flights, train_months, message):
    with pytest.raises(ValueError, match=message):
        split_journey_months(flights, train_months=train_months)


def test_a_file_without_a_later_month_says_so(flights):
    march = flights[flights["Date_of_Journey"].str.endswith("/03/2019")]
    with pytest.raises(DataContractError, match=r"flights\.csv: 1 problem\(s\)\n- its journeys span 1 month\(s\) "
                                                r"\(2019-03\); .* needs more than train_months=2"):
        split_journey_months(march, train_months=2, source="flights.csv")
    with pytest.raises(DataContractError, match=r"span 4 month\(s\) \(2019-03, 2019-04, 2019-05, 2019-06\)"):
        split_journey_months(flights, train_months=4)


def test_an_unreadable_date_is_named(flights):
    broken = flights.copy()
    broken.loc[broken.index[5], "Date_of_Journey"] = "2019-05-03"
    with pytest.raises(DataContractError, match=r"Date_of_Journey has 1 value\(s\) .* \(e\.g\. '2019-05-03'\)"):
        split_journey_months(broken)


def test_the_baseline_holds_out_whole_dates(months):
    X_train, X_test, y_train, y_test = date_holdout_split(months.train, random_state=42)
    assert set(X_train["Date_of_Journey"]).isdisjoint(X_test["Date_of_Journey"])
    assert list(X_train.columns) == models.RAW_COLUMNS and y_train.index.equals(X_train.index)
    share = X_test["Date_of_Journey"].nunique() / months.train["Date_of_Journey"].nunique()
    assert 0.15 <= share <= 0.35
    again = date_holdout_split(months.train, random_state=42)
    assert again[1].index.equals(X_test.index)  # deterministic


def test_later_months_stay_as_they_are_and_take_the_scenario_from_onset(months):
    clean = monitoring.production_from_months(months.later)
    assert list(pd.unique(clean["month"])) == ["2019-05", "2019-06"]
    may = months.later[months.later["month"] == "2019-05"]
    assert (clean[clean["month"] == "2019-05"]["Price"].to_numpy() == may["Price"].to_numpy()).all()
    shocked = monitoring.production_from_months(months.later, "price_shock", 1.0, onset=2)
    same = shocked["month"] == "2019-05"
    assert (shocked.loc[same, "Price"].to_numpy() == clean.loc[same, "Price"].to_numpy()).all()
    ratio = shocked.loc[~same, "Price"].to_numpy() / clean.loc[~same, "Price"].to_numpy()
    assert np.allclose(ratio, 1.3, atol=0.01)
    mixed = monitoring.production_from_months(months.later, "mix_shift", 1.0, onset=1)
    share = lambda rows: (rows["Airline"] == "Jet Airways").mean()  # noqa: E731
    assert share(mixed) < 0.3 * share(clean) and len(mixed) == len(clean)


def test_a_month_too_small_to_watch_is_refused(months):
    tiny = pd.concat([months.later[months.later["month"] == "2019-05"],
                      months.later[months.later["month"] == "2019-06"].head(40)])
    with pytest.raises(ValueError, match="month 2019-06 has 40 rows; drift statistics need at least 100"):
        monitoring.production_from_months(tiny)
    with pytest.raises(ValueError, match="onset must be an integer from 1 to months \\(2\\)"):
        monitoring.production_from_months(months.later, "price_shock", onset=3)


# ------------------------------------------------------------------------- a small file monitored, as in 06


@pytest.fixture(scope="module")
def watched_file():
    """Notebook 06's steps for a data file, on a small twin file of another seed (3,000 rows, four months):
    learn the first two months, a baseline on their held-out dates, the later months as production."""
    calendar = split_journey_months(make_flights(3_000, seed=7), train_months=2, source="flights.csv")
    X_train, X_test, y_train, y_test = date_holdout_split(calendar.train, random_state=42)
    champion = monitoring.train_champion(X_train, y_train, random_state=42)
    baseline = models.regression_metrics(y_test, champion.predict(X_test))["MAE"]

    reports: dict[str, monitoring.DriftReport] = {}

    def report(scenario: str) -> monitoring.DriftReport:
        """The report with `scenario` from the last month on (onset 2 of 2), computed once per scenario."""
        if scenario not in reports:
            production = monitoring.production_from_months(calendar.later, scenario, 1.0, onset=2, seed=42)
            reports[scenario] = monitoring.drift_report(champion, calendar.train.loc[X_train.index], production,
                                                        baseline)
        return reports[scenario]

    return report


def _alerts_in(report: monitoring.DriftReport, month: str) -> set[tuple[str, str]]:
    return {(alert["kind"], alert["feature_or_metric"]) for alert in report.alerts if alert["month"] == month}


@pytest.mark.parametrize("scenario", [s for s in monitoring.SCENARIOS if s != "none"])
def test_each_scenario_on_a_files_last_month_raises_its_alert_there_and_leaves_the_month_before(watched_file,
                                                                                                scenario):
    """Issue 13 (06 with data_path): a scenario with onset 2 of 2 changes only the file's last month, and the
    report raises that scenario's alerts there; the month before alerts exactly as with no scenario at all
    (a real file's own changes, such as routes the training months never flew, are not the scenario's)."""
    clean, changed = watched_file("none"), watched_file(scenario)
    assert list(changed.model["month"]) == ["2019-05", "2019-06"]
    assert monitoring.EXPECTED_ALERTS[scenario] <= _alerts_in(changed, "2019-06"), changed.alerts
    assert not monitoring.EXPECTED_ALERTS[scenario] <= _alerts_in(clean, "2019-06")
    assert _alerts_in(changed, "2019-05") == _alerts_in(clean, "2019-05")
