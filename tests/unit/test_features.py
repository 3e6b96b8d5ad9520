"""Tests for workbook.features: the talk's 24 columns, parsing, the improved features, the preprocessor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from workbook import features as F
from workbook.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    RARE_AIRLINES,
    TALK_FEATURE_NAMES,
    drop_rare_airlines,
    get_dummies_breaks_demo,
    improved_features,
    make_preprocessor,
    parse_clock,
    parse_duration_minutes,
    parse_duration_parts,
    predict_with_dummies_error,
    talk_dropna,
    talk_features,
    talk_split,
)

COLUMNS = [
    "Airline", "Date_of_Journey", "Source", "Destination", "Route", "Dep_Time", "Arrival_Time", "Duration",
    "Total_Stops", "Additional_Info", "Price",
]  # fmt: skip

# Hand-made rows in the real file's formats. Rows 0-18 cover all 7 kept airlines, 5 sources and 6
# destinations; row 19 (GoAir) and 20 (Trujet) are rare airlines; row 21 lacks Total_Stops (Route present).
ROWS = [
    ("IndiGo", "24/03/2019", "Banglore", "New Delhi", "BLR → DEL", "22:20", "01:10 22 Mar", "2h 50m", "non-stop", "No info", 3897),
    ("Air India", "1/05/2019", "Kolkata", "Banglore", "CCU → IXR → BBI → BLR", "05:50", "13:15", "7h 25m", "2 stops", "No info", 7662),
    ("Jet Airways", "9/06/2019", "Delhi", "Cochin", "DEL → LKO → BOM → COK", "09:25", "04:25 10 Jun", "19h", "2 stops", "No info", 13882),
    ("IndiGo", "12/05/2019", "Kolkata", "Banglore", "CCU → NAG → BLR", "18:05", "23:30", "5h 25m", "1 stop", "No info", 6218),
    ("IndiGo", "1/03/2019", "Banglore", "New Delhi", "BLR → NAG → DEL", "16:50", "21:35", "4h 45m", "1 stop", "No info", 13302),
    ("SpiceJet", "24/06/2019", "Kolkata", "Banglore", "CCU → BLR", "09:00", "11:25", "2h 25m", "non-stop", "No info", 3873),
    ("Jet Airways", "12/03/2019", "Banglore", "New Delhi", "BLR → BOM → DEL", "18:55", "10:25 13 Mar", "15h 30m", "1 stop", "In-flight meal not included", 11087),
    ("Multiple carriers", "27/05/2019", "Delhi", "Cochin", "DEL → BOM → COK", "11:25", "19:15", "7h 50m", "1 stop", "No info", 8625),
    ("Air Asia", "6/03/2019", "Kolkata", "Banglore", "CCU → BLR", "20:20", "22:55", "2h 35m", "non-stop", "No Info", 4174),
    ("Vistara", "3/04/2019", "Mumbai", "Hyderabad", "BOM → HYD", "06:20", "07:40", "1h 20m", "non-stop", "No info", 4100),
    ("Air India", "15/04/2019", "Chennai", "Kolkata", "MAA → CCU", "07:05", "09:20", "2h 15m", "non-stop", "No info", 4049),
    ("Jet Airways", "21/05/2019", "Banglore", "Delhi", "BLR → DEL", "19:50", "22:35", "2h 45m", "non-stop", "No check-in baggage included", 4823),
    ("SpiceJet", "18/06/2019", "Mumbai", "Hyderabad", "BOM → HYD", "05:45", "07:05", "1h 20m", "non-stop", "No check-in baggage included", 2017),
    ("Vistara", "9/05/2019", "Delhi", "Cochin", "DEL → BOM → COK", "17:00", "00:05 10 May", "7h 5m", "1 stop", "No info", 9345),
    ("Multiple carriers", "3/06/2019", "Delhi", "Cochin", "DEL → AMD → BOM → COK", "04:55", "04:40 04 Jun", "23h 45m", "2 stops", "1 Long layover", 15000),
    ("Air Asia", "27/04/2019", "Banglore", "Delhi", "BLR → DEL", "04:00", "06:50", "2h 50m", "non-stop", "No info", 3100),
    ("IndiGo", "6/06/2019", "Chennai", "Kolkata", "MAA → CCU", "14:45", "17:05", "2h 20m", "non-stop", "No info", 3850),
    ("Air India", "6/05/2019", "Mumbai", "Hyderabad", "BOM → GOI → PNQ → HYD", "16:50", "16:55", "5m", "2 stops", "No info", 17327),
    ("Jet Airways", "1/04/2019", "Delhi", "Cochin", "DEL → BOM → COK", "10:00", "05:00 02 Apr", "19h", "1 stop", "1 Long layover", 10262),
    ("GoAir", "15/05/2019", "Delhi", "Cochin", "DEL → BOM → COK", "06:00", "13:30", "7h 30m", "1 stop", "No info", 6100),
    ("Trujet", "6/03/2019", "Mumbai", "Hyderabad", "BOM → NDC → HYD", "09:00", "15:05", "6h 5m", "1 stop", "No info", 4140),
    ("Jet Airways", "24/04/2019", "Kolkata", "Banglore", "CCU → BOM → BLR", "08:25", "21:20", "12h 55m", None, "No info", 10844),
]  # fmt: skip
MISSING_STOPS_ROW = 21


@pytest.fixture
def raw() -> pd.DataFrame:
    df = pd.DataFrame(ROWS, columns=COLUMNS)
    return df.astype({c: "str" for c in COLUMNS if c != "Price"}).astype({"Price": "int64"})


@pytest.fixture
def clean(raw: pd.DataFrame) -> pd.DataFrame:
    return drop_rare_airlines(talk_dropna(raw))


# ---------------------------------------------------------------- the talk's steps


def test_talk_dropna_and_rare_airline_filter_remove_exactly_the_expected_rows(raw: pd.DataFrame) -> None:
    dropped = talk_dropna(raw)
    assert list(raw.index.difference(dropped.index)) == [MISSING_STOPS_ROW]
    filtered = drop_rare_airlines(dropped)
    assert len(filtered) == 19
    assert set(dropped["Airline"]) - set(filtered["Airline"]) == {"GoAir", "Trujet"}


def test_drop_rare_airlines_removes_all_five_and_nothing_else() -> None:
    airlines = RARE_AIRLINES + ["IndiGo", "Vistara", "Jet Airways", "Multiple carriers"]
    df = pd.DataFrame({"Airline": airlines, "Price": range(len(airlines))})
    assert drop_rare_airlines(df)["Airline"].tolist() == ["IndiGo", "Vistara", "Jet Airways", "Multiple carriers"]


def test_talk_features_give_the_talks_24_columns_in_order(clean: pd.DataFrame) -> None:
    X, y = talk_features(clean)
    assert list(X.columns) == TALK_FEATURE_NAMES
    assert len(TALK_FEATURE_NAMES) == 24
    assert (X.dtypes == "int64").all()
    assert y.tolist() == clean["Price"].tolist()
    first = X.iloc[0]  # IndiGo 24/03/2019 Banglore -> New Delhi, 22:20 -> 01:10 22 Mar, 2h 50m, non-stop
    expected = {"Total_Stops": 0, "Journey_day": 24, "Journey_month": 3, "Dep_hour": 22, "Dep_min": 20,
                "Arrival_hour": 1, "Arrival_min": 10, "Duration_hours": 2, "Duration_mins": 50,
                "Airline_IndiGo": 1, "Destination_New Delhi": 1}  # fmt: skip
    assert first[list(expected)].to_dict() == expected
    # Banglore is the dropped first Source level, so no Source_* column is set for this row.
    assert first.filter(like="Source_").sum() == 0
    assert X["Airline_Air India"].sum() == 3  # the three Air India rows


def test_talk_features_columns_depend_on_which_categories_the_batch_holds(clean: pd.DataFrame) -> None:
    # Without Air Asia, drop_first drops "Air India" instead; without Vistara its column just vanishes.
    batch = clean[~clean["Airline"].isin(["Air Asia", "Vistara"])]
    X, _ = talk_features(batch)
    airline_columns = [c for c in X.columns if c.startswith("Airline_")]
    assert airline_columns == ["Airline_IndiGo", "Airline_Jet Airways", "Airline_Multiple carriers",
                               "Airline_SpiceJet"]  # fmt: skip
    assert list(X.columns) != TALK_FEATURE_NAMES


def test_talk_features_reject_missing_stops_with_a_clear_message(raw: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"column 'Total_Stops'.*row 21: <missing>"):
        talk_features(drop_rare_airlines(raw))


def test_talk_split_shapes_and_determinism(clean: pd.DataFrame) -> None:
    hundred = pd.concat([clean] * 6, ignore_index=True).head(100)
    X, y = talk_features(hundred)
    X_train, X_test, y_train, y_test = talk_split(X, y)
    assert (X_train.shape, X_test.shape, len(y_train), len(y_test)) == ((75, 24), (25, 24), 75, 25)
    assert list(X_train.index) == list(talk_split(X, y, random_state=42)[0].index)
    assert list(X_train.index) != list(talk_split(X, y, random_state=7)[0].index)
    assert (y_train.index == X_train.index).all()


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "hours", "minutes", "total"),
    [("2h 50m", 2, 50, 170), ("19h", 19, 0, 1140), ("5m", 0, 5, 5), ("47h 40m", 47, 40, 2860)],
)
def test_parse_duration(text: str, hours: int, minutes: int, total: int) -> None:
    s = pd.Series([text], name="Duration", index=[7])
    assert parse_duration_parts(s).loc[7].tolist() == [hours, minutes]
    assert parse_duration_minutes(s).loc[7] == total


def test_parse_clock_ignores_the_date_suffix_and_keeps_the_index() -> None:
    s = pd.Series(["01:10 22 Mar", "22:20", "00:05 10 May"], index=[5, 9, 3], name="Arrival_Time")
    clock = parse_clock(s)
    assert clock.to_dict("index") == {5: {"hour": 1, "minute": 10}, 9: {"hour": 22, "minute": 20},
                                      3: {"hour": 0, "minute": 5}}  # fmt: skip


def test_duration_parse_error_names_column_rows_and_values() -> None:
    s = pd.Series(["2h 50m", "2x", "", None], index=[10, 11, 12, 13], name="Duration")
    with pytest.raises(ValueError) as info:
        parse_duration_minutes(s)
    message = str(info.value)
    assert "column 'Duration': 3 value(s)" in message
    assert "row 11: '2x'" in message and "row 12: ''" in message and "row 13: <missing>" in message
    assert "'2h 50m'" in message  # the expected format is spelled out


def test_clock_parse_error_rejects_impossible_times() -> None:
    s = pd.Series(["22:20", "25:00", "7.30", "10:75"], name="Dep_Time")
    with pytest.raises(ValueError, match=r"column 'Dep_Time': 3 value\(s\).*row 1: '25:00'.*row 2: '7.30'"):
        parse_clock(s)


def test_date_and_stops_parse_errors_are_clear(clean: pd.DataFrame) -> None:
    bad_date = clean.assign(Date_of_Journey=clean["Date_of_Journey"].replace("24/03/2019", "2019-03-24"))
    with pytest.raises(ValueError, match=r"column 'Date_of_Journey'.*row 0: '2019-03-24'"):
        talk_features(bad_date)
    bad_stops = clean.assign(Total_Stops=clean["Total_Stops"].replace("2 stops", "5 stops"))
    with pytest.raises(ValueError, match=r"column 'Total_Stops.: 4 value\(s\).*'5 stops'"):
        talk_features(bad_stops)


def test_missing_column_is_named(clean: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"needs column\(s\) \['Duration'\]"):
        talk_features(clean.drop(columns="Duration"))


# ---------------------------------------------------------------- improved features


def test_improved_features_are_tidy_typed_and_complete(raw: pd.DataFrame) -> None:
    feats = improved_features(raw)
    assert list(feats.columns) == NUMERIC_FEATURES + CATEGORICAL_FEATURES
    assert (feats[NUMERIC_FEATURES].dtypes == "int64").all()
    assert all(pd.api.types.is_string_dtype(feats[c]) for c in CATEGORICAL_FEATURES)
    assert not feats.isna().any().any()
    assert feats.index.equals(raw.index)


def test_improved_features_values(raw: pd.DataFrame) -> None:
    feats = improved_features(raw)
    first = feats.loc[0]  # Sunday 24/03/2019, 22:20 -> 01:10 next day
    assert first[["duration_min", "stops", "journey_weekday", "journey_day_of_year", "dep_minutes",
                  "arr_minutes", "arrives_next_day"]].tolist() == [170, 0, 6, 83, 1340, 70, 1]  # fmt: skip
    assert first["dep_period"] == "evening" and first["Destination"] == "Delhi"
    assert first["flight"] == "IndiGo | BLR → DEL | 22:20"
    assert feats.loc[15, "dep_period"] == "night" and feats.loc[1, "arrives_next_day"] == 0
    assert feats.loc[17, "duration_min"] == 5
    assert feats.loc[MISSING_STOPS_ROW, "stops"] == 1  # from "CCU → BOM → BLR"
    assert set(feats["Destination"]) == {"Delhi", "Banglore", "Cochin", "Hyderabad", "Kolkata"}
    assert feats.loc[8, "Additional_Info"] == "No info"  # was "No Info"
    assert feats["Additional_Info"].nunique() == 4


def test_improved_features_need_stops_or_route(raw: pd.DataFrame) -> None:
    both_missing = raw.copy()
    both_missing.loc[MISSING_STOPS_ROW, "Route"] = None
    with pytest.raises(ValueError, match=r"'Total_Stops' and 'Route': both missing in 1 row\(s\) \[21\]"):
        improved_features(both_missing)


# ---------------------------------------------------------------- preprocessor and the get_dummies demo


def _unseen_batch(clean: pd.DataFrame) -> pd.DataFrame:
    new = clean.head(3).copy()
    new["Airline"] = ["Akasa Air", "IndiGo", "Air India"]
    new["Route"] = ["BLR → GOI → DEL", "BLR → DEL", "CCU → BLR"]
    new["Source"] = ["Pune", "Banglore", "Kolkata"]
    new["Additional_Info"] = ["Free lounge", "No info", "No info"]
    return new


def test_preprocessor_keeps_its_width_on_unseen_categories(clean: pd.DataFrame) -> None:
    # min_frequency=3: the airlines with two rows here (Air Asia, SpiceJet, ...) share the infrequent column.
    preprocessor = make_preprocessor(min_frequency=3).fit(improved_features(clean))
    train_out = preprocessor.transform(improved_features(clean))
    new_out = preprocessor.transform(improved_features(_unseen_batch(clean)))
    assert new_out.shape == (3, train_out.shape[1])
    assert np.isfinite(new_out).all()
    names = list(preprocessor.get_feature_names_out())
    assert names[: len(NUMERIC_FEATURES)] == NUMERIC_FEATURES
    assert "Airline_IndiGo" in names and "Airline_infrequent_sklearn" in names
    assert "Airline_Air Asia" not in names
    # The unseen airline lands in the infrequent bucket, not in a known airline's column.
    akasa = dict(zip(names, new_out[0]))
    assert akasa["Airline_infrequent_sklearn"] == 1 and akasa["Airline_IndiGo"] == 0


def test_preprocessor_without_infrequent_bucket_still_accepts_unknowns(clean: pd.DataFrame) -> None:
    preprocessor = make_preprocessor(min_frequency=1, scale_numeric=False).fit(improved_features(clean))
    width = preprocessor.transform(improved_features(clean)).shape[1]
    new_out = preprocessor.transform(improved_features(_unseen_batch(clean)))
    assert new_out.shape[1] == width
    assert new_out[0, 0] == 170  # passthrough keeps raw minutes


def test_get_dummies_demo_single_booking_loses_every_dummy(clean: pd.DataFrame) -> None:
    demo = get_dummies_breaks_demo(clean, clean.head(1).drop(columns="Price"), min_frequency=2)
    assert demo["train_columns"] == TALK_FEATURE_NAMES
    assert demo["new_columns"] == F.TALK_NUMERIC_NAMES  # one row: drop_first leaves no dummy at all
    assert demo["missing_in_new"] == TALK_FEATURE_NAMES[9:]
    assert demo["extra_in_new"] == [] and demo["same_columns"] is False
    assert demo["preprocessor_width_new"] == demo["preprocessor_width_train"]


def test_get_dummies_demo_unseen_airline_adds_a_column(raw: pd.DataFrame, clean: pd.DataFrame) -> None:
    batch = raw[raw["Airline"].isin(["Air Asia", "Trujet", "IndiGo"])]
    demo = get_dummies_breaks_demo(clean, batch, min_frequency=2)
    assert "Airline_Trujet" in demo["extra_in_new"]
    assert "Airline_Vistara" in demo["missing_in_new"]
    assert demo["unseen_categories"]["Airline"] == ["Trujet"]
    assert demo["preprocessor_width_new"] == demo["preprocessor_width_train"]


def test_predict_with_dummies_error_reports_sklearns_complaint(clean: pd.DataFrame) -> None:
    X, y = talk_features(clean)
    model = LinearRegression().fit(X, y)
    message = predict_with_dummies_error(model, list(X.columns), clean.head(1))
    assert message.startswith("ValueError: The feature names should match")
    assert "Airline_Air India" in message  # listed among the names missing now
    assert predict_with_dummies_error(model, list(X.columns), clean) == ""


# ---------------------------------------------------------------- the talk's reference figures (twin)


def test_talk_reference_figures_on_the_synthetic_twin() -> None:
    data = pytest.importorskip("workbook.data", reason="workbook.data (helper A) not written yet")
    flights = drop_rare_airlines(talk_dropna(data.make_flights()))
    assert len(flights) == 10_465
    X, y = talk_features(flights)
    assert X.shape == (10_465, 24) and list(X.columns) == TALK_FEATURE_NAMES
    X_train, X_test, _, _ = talk_split(X, y)
    assert (X_train.shape, X_test.shape) == ((7848, 24), (2617, 24))
