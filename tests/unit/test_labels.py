"""The contract knows the categories: variants of known labels normalised and counted, unknown ones reported;
a ';'-separated CSV and a workbook of several sheets get a clear answer (issue 14, part 3)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbook.data import DataContractError, load_flights, make_flights, quality_report
from workbook.data.labels import KNOWN_LABELS, label_key, normalise_labels, unknown_labels
from workbook.features import RARE_AIRLINES, drop_rare_airlines, talk_dropna


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    return make_flights(2_000, seed=3)


def _check(report: pd.DataFrame, name: str) -> pd.Series:
    return report.set_index("check").loc[name]


def test_an_upper_cased_copy_loads_as_the_real_labels_and_the_filter_works_again(flights, tmp_path: Path):
    shouted = flights.assign(Airline=flights["Airline"].str.upper())
    shouted.to_csv(tmp_path / "shouted.csv", index=False)
    loaded = load_flights(tmp_path / "shouted.csv")
    assert set(loaded["Airline"]) <= set(KNOWN_LABELS["Airline"])
    expected = drop_rare_airlines(talk_dropna(flights))
    assert len(drop_rare_airlines(talk_dropna(loaded))) == len(expected) < len(talk_dropna(flights))
    line = _check(quality_report(loaded), "labels normalised when loading")
    assert line["flagged"] and line["value"] == len(flights) and line["column"] == "Airline"
    assert "Airline 'JET AIRWAYS' read as 'Jet Airways'" in line["detail"]


def test_spacing_variants_are_normalised_but_the_real_files_own_quirks_stay(flights):
    frame = flights.copy()
    frame.loc[:2, "Airline"] = "Jet  airways "
    frame.loc[3, "Additional_Info"] = "no info"
    fixed, fixes = normalise_labels(frame)
    assert (fixed.loc[:2, "Airline"] == "Jet Airways").all() and fixed.loc[3, "Additional_Info"] == "No info"
    assert [(f.column, f.found, f.label, f.rows) for f in fixes] == [
        ("Airline", "Jet  airways ", "Jet Airways", 3), ("Additional_Info", "no info", "No info", 1)]
    untouched = normalise_labels(flights)[0]
    assert untouched.equals(flights) and untouched.attrs["label_fixes"] == []
    assert {"No info", "No Info"} <= set(untouched["Additional_Info"])  # notebook 02 teaches this quirk
    assert {"Delhi", "New Delhi"} <= set(untouched["Destination"])  # ... and this one


def test_an_unknown_label_is_reported_with_its_rows_and_the_closest_known_label(flights):
    frame = flights.copy()
    frame.loc[[4, 9], "Airline"] = "IndiGoo"
    frame.loc[5, "Source"] = "Atlantis"
    found = {(u.column, u.label): u for u in unknown_labels(frame)}
    assert set(found) == {("Airline", "IndiGoo"), ("Source", "Atlantis")}
    assert (found["Airline", "IndiGoo"].rows, found["Airline", "IndiGoo"].first_row) == (2, 6)
    assert found["Airline", "IndiGoo"].suggestion == "IndiGo" and found["Source", "Atlantis"].suggestion is None
    line = _check(quality_report(frame), "labels the real file does not have")
    assert line["flagged"] and line["value"] == 3
    assert "Airline 'IndiGoo': 2 row(s) from spreadsheet row 6, not a label of the real file; did you mean " \
           "'IndiGo'?" in line["detail"]
    clean = quality_report(flights)
    assert not _check(clean, "labels the real file does not have")["flagged"]
    assert not _check(clean, "labels normalised when loading")["flagged"]


def test_every_label_of_the_twin_is_known_and_keys_ignore_case_and_spacing():
    twin = make_flights(seed=42)
    assert unknown_labels(twin) == []
    assert set(RARE_AIRLINES) <= set(KNOWN_LABELS["Airline"])
    assert label_key("  Jet   AIRWAYS ") == label_key("Jet Airways") == "jet airways"


def test_a_semicolon_separated_csv_gets_a_hint(flights, tmp_path: Path):
    flights.to_csv(tmp_path / "flights.csv", index=False, sep=";")
    with pytest.raises(DataContractError, match=r"flights\.csv: 1 problem\(s\)\n- the file looks ';'-separated"):
        load_flights(tmp_path / "flights.csv")


def test_a_workbook_uses_the_sheet_with_the_flight_columns_or_names_the_sheets(flights, tmp_path: Path):
    with pd.ExcelWriter(tmp_path / "book.xlsx") as writer:
        pd.DataFrame({"note": ["exported 2019-07-01"]}).to_excel(writer, sheet_name="About", index=False)
        flights.head(300).to_excel(writer, sheet_name="Flights", index=False)
    assert len(load_flights(tmp_path / "book.xlsx")) == 300
    with pd.ExcelWriter(tmp_path / "none.xlsx") as writer:
        pd.DataFrame({"note": ["x"]}).to_excel(writer, sheet_name="About", index=False)
        pd.DataFrame({"fare": [1]}).to_excel(writer, sheet_name="Prices", index=False)
    with pytest.raises(DataContractError, match=r"none of its sheets \('About', 'Prices'\) has the flight columns"):
        load_flights(tmp_path / "none.xlsx")
    with pd.ExcelWriter(tmp_path / "two.xlsx") as writer:
        flights.head(200).to_excel(writer, sheet_name="March", index=False)
        flights.tail(200).to_excel(writer, sheet_name="April", index=False)
    with pytest.raises(DataContractError, match=r"sheets 'March', 'April' all have the flight columns"):
        load_flights(tmp_path / "two.xlsx")
