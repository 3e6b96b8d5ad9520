"""The only parsers of the flight file's times, dates, durations and stops (vectorised).

Each parser checks every value and raises one ValueError naming the column, how many values failed and the
first few with their row labels, so a bad row is found without a traceback hunt.
"""

from __future__ import annotations

import pandas as pd

STOPS_MAP = {"non-stop": 0, "1 stop": 1, "2 stops": 2, "3 stops": 3, "4 stops": 4}
DATE_FORMAT = "%d/%m/%Y"  # the file writes 1/05/2019 and 24/03/2019: day not zero-padded, month is
SHOW_AT_MOST = 5  # offending values listed in an error message


def _column_label(s: pd.Series) -> str:
    return f"column '{s.name}'" if s.name is not None else "the given column"


def _raise_unparsed(s: pd.Series, bad: pd.Series, expected: str) -> None:
    """Raise a ValueError naming the column, how many values failed and the first few (with row labels)."""
    shown = ", ".join(
        f"row {label!r}: {'<missing>' if pd.isna(value) else repr(value)}"
        for label, value in s[bad].head(SHOW_AT_MOST).items()
    )
    more = f" (and {int(bad.sum()) - SHOW_AT_MOST} more)" if bad.sum() > SHOW_AT_MOST else ""
    raise ValueError(
        f"{_column_label(s)}: {int(bad.sum())} value(s) could not be parsed; expected {expected}. "
        f"Offending values: {shown}{more}"
    )


def parse_duration_parts(s: pd.Series) -> pd.DataFrame:
    """Split durations like "2h 50m", "19h" or "5m" into integer columns `hours` and `minutes`."""
    parts = s.astype("str").str.extract(r"^\s*(?:(?P<hours>\d+)\s*h)?\s*(?:(?P<minutes>\d+)\s*m)?\s*$")
    # The pattern also matches an empty string, so a value counts as parsed only if one part was found.
    bad = s.isna() | (parts["hours"].isna() & parts["minutes"].isna())
    if bad.any():
        _raise_unparsed(s, bad, "durations like '2h 50m', '19h' or '5m'")
    return parts.fillna("0").astype("int64")


def parse_duration_minutes(s: pd.Series) -> pd.Series:
    """Total minutes of durations like "2h 50m" (170), "19h" (1140) or "5m" (5)."""
    parts = parse_duration_parts(s)
    return (parts["hours"] * 60 + parts["minutes"]).rename(s.name)


def parse_clock(s: pd.Series) -> pd.DataFrame:
    """Hour and minute of times like "22:20" or "01:10 22 Mar" (the date part is ignored, as in the talk)."""
    parts = s.astype("str").str.extract(
        r"^\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s+\d{1,2}\s+[A-Za-z]{3})?\s*$"
    )
    hour = pd.to_numeric(parts["hour"])
    minute = pd.to_numeric(parts["minute"])
    bad = s.isna() | hour.isna() | (hour > 23) | (minute > 59)
    if bad.any():
        _raise_unparsed(s, bad, "times like '22:20' or '01:10 22 Mar' (HH:MM, hour < 24)")
    return pd.DataFrame({"hour": hour.astype("int64"), "minute": minute.astype("int64")}, index=s.index)


def has_date_part(s: pd.Series) -> pd.Series:
    """True where an arrival time carries a " DD Mon" suffix, i.e. the file says it lands on another day."""
    return s.astype("str").str.contains(r"\d{1,2}:\d{2}\s+\d{1,2}\s+[A-Za-z]{3}", regex=True) & s.notna()


def parse_journey_date(s: pd.Series) -> pd.Series:
    """Dates like "1/05/2019" or "24/03/2019" (day/month/year) as datetimes."""
    dates = pd.to_datetime(s, format=DATE_FORMAT, errors="coerce")
    bad = dates.isna()
    if bad.any():
        _raise_unparsed(s, bad, "dates like '1/05/2019' or '24/03/2019' (day/month/year)")
    return dates


def parse_stops(s: pd.Series, *, allow_missing: bool = False) -> pd.Series:
    """Total_Stops labels mapped through STOPS_MAP; missing values stay NaN only when allow_missing."""
    stops = s.map(STOPS_MAP)
    bad = stops.isna() & (s.notna() | (not allow_missing))
    if bad.any():
        _raise_unparsed(s, bad, f"one of {list(STOPS_MAP)}")
    return stops if allow_missing else stops.astype("int64")


def stops_from_route(route: pd.Series) -> pd.Series:
    """Stops implied by a route such as "CCU → IXR → BBI → BLR": arrows minus one (NaN when missing)."""
    return route.str.count("→").astype("float64") - 1
