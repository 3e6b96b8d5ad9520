"""The quality report: the talk's four questions (accuracy, reliability, relevance, timeliness) as a table."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from workbook.data.contract import row_list
from workbook.data.formats import COLUMNS, MONTH_ABBR, clock_minutes, duration_minutes
from workbook.data.labels import FIXES_ATTR, describe_unknown, unknown_labels

PLAUSIBLE_PRICE = (1_000, 100_000)  # rupees for a one-way domestic ticket, any class
CITY_ALIASES = {"new delhi": "delhi", "banglore": "bangalore", "bengaluru": "bangalore", "bombay": "mumbai",
                "calcutta": "kolkata", "madras": "chennai", "cochin": "kochi"}


def quality_report(df: pd.DataFrame, as_of: str | date | None = None, *, max_age_days: int = 30) -> pd.DataFrame:
    """The talk's four data-quality questions as a table: question, check, column, value, flagged, detail.

    `as_of` dates the timeliness check; None reports the newest journey date and flags nothing.
    """
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"quality_report needs the flight columns; missing: {', '.join(missing)}")
    frame = df.reset_index(drop=True)
    checks = [
        _check_short_durations(frame), _check_arrivals(frame), _check_price_range(frame),
        _check_stops_vs_route(frame), _check_duplicates(frame), _check_missing(frame),
        _check_label_variants(frame), _check_normalised_labels(df), _check_unknown_labels(frame),
        _check_city_aliases(frame), _check_constant_columns(frame),
        _check_near_unique_columns(frame), _check_timeliness(frame, as_of, max_age_days),
    ]
    report = pd.DataFrame(checks, columns=["question", "check", "column", "value", "flagged", "detail"])
    report["flagged"] = report["flagged"].astype(bool)
    return report


def _examples(frame: pd.DataFrame, mask: np.ndarray, column: str, limit: int = 3) -> str:
    rows = np.flatnonzero(mask)[:limit]
    return ", ".join(f"row {r + 2}: {frame.at[r, column]!r}" for r in rows)


def _check_short_durations(frame: pd.DataFrame) -> tuple:
    minutes = duration_minutes(frame["Duration"])
    short = minutes < 30
    detail = (f"{short.sum()} journey(s) under 30 min, impossible for these routes "
              f"({_examples(frame, short, 'Duration')})" if short.any() else "no journey under 30 min")
    return ("accuracy", "duration under 30 min", "Duration", int(short.sum()), bool(short.any()), detail)


def _check_arrivals(frame: pd.DataFrame) -> tuple:
    """Arrival must equal journey date + departure + duration (clock time, and the landing date when shown)."""
    journey = pd.to_datetime(frame["Date_of_Journey"].astype("str"), format="%d/%m/%Y", errors="coerce")
    dep = clock_minutes(frame["Dep_Time"])
    dur = duration_minutes(frame["Duration"])
    arrival = frame["Arrival_Time"].astype("str")
    arr_clock = clock_minutes(arrival)
    parts = arrival.str.extract(r"^\s*\d{1,2}:\d{2}(?:\s+(\d{1,2})\s+([A-Za-z]{3}))?\s*$")
    shown_day = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    shown_month = parts[1].str.title().map({m: i + 1 for i, m in enumerate(MONTH_ABBR)}).to_numpy(dtype=float)
    shown = ~np.isnan(shown_day)
    readable = journey.notna().to_numpy() & ~np.isnan(dep) & ~np.isnan(dur) & ~np.isnan(arr_clock)
    total = np.where(readable, dep + dur, 0)
    landing = journey + pd.to_timedelta(total // 1440, unit="D")
    wrong_clock = np.mod(total, 1440) != arr_clock
    other_day = (landing.dt.day.to_numpy() != shown_day) | (landing.dt.month.to_numpy() != shown_month)
    wrong_date = np.where(shown, other_day, total >= 1440)  # no date shown means "same day"
    bad = readable & (wrong_clock | wrong_date)
    detail = (f"{bad.sum()} row(s) where arrival != departure + duration ({_examples(frame, bad, 'Arrival_Time')})"
              if bad.any() else f"all {readable.sum():,} readable rows consistent")
    return ("accuracy", "arrival = departure + duration", "Arrival_Time", int(bad.sum()), bool(bad.any()), detail)


def _check_price_range(frame: pd.DataFrame) -> tuple:
    low, high = PLAUSIBLE_PRICE
    price = pd.to_numeric(frame["Price"], errors="coerce").to_numpy(dtype=float)
    outside = (price < low) | (price > high)
    detail = (f"prices run {np.nanmin(price):,.0f} to {np.nanmax(price):,.0f} rupees; "
              f"plausible range {low:,}-{high:,}")
    return ("accuracy", "price outside plausible range", "Price", int(outside.sum()), bool(outside.any()), detail)


def _check_stops_vs_route(frame: pd.DataFrame) -> tuple:
    """Total_Stops must equal the number of airports in the route minus two."""
    route_stops = frame["Route"].map(lambda r: len(str(r).split("→")) - 2 if pd.notna(r) else np.nan)
    said = frame["Total_Stops"].map(lambda s: 0 if str(s).strip().lower() == "non-stop"
                                    else float(str(s).split()[0]) if str(s)[:1].isdigit() else np.nan)
    both = route_stops.notna() & said.notna()
    bad = (both & (route_stops != said)).to_numpy()
    detail = (f"{bad.sum()} row(s) disagree ({_examples(frame, bad, 'Route')})" if bad.any()
              else f"all {both.sum():,} rows with both agree")
    return ("accuracy", "stops agree with route", "Total_Stops", int(bad.sum()), bool(bad.any()), detail)


def _check_duplicates(frame: pd.DataFrame) -> tuple:
    dup = frame.duplicated(keep="first")
    detail = (f"{dup.sum()} row(s) repeat an earlier row exactly (first at row {np.flatnonzero(dup)[0] + 2})"
              if dup.any() else "no exact duplicate rows")
    return ("reliability", "exact duplicate rows", "(all columns)", int(dup.sum()), bool(dup.any()), detail)


def _check_missing(frame: pd.DataFrame) -> tuple:
    counts = frame.isna().sum()
    counts = counts[counts > 0]
    rows = np.flatnonzero(frame.isna().any(axis=1).to_numpy())
    detail = ("; ".join(f"{c}: {n}" for c, n in counts.items()) + f" ({row_list([r + 2 for r in rows])})"
              if len(rows) else "no missing values")
    column = ", ".join(counts.index) if len(counts) else "(all columns)"
    return ("reliability", "rows with missing values", column, int(len(rows)), bool(len(rows)), detail)


def _check_label_variants(frame: pd.DataFrame) -> tuple:
    """Labels that differ only by case or spacing, e.g. 'No Info' vs 'No info'."""
    found, columns = [], []
    for column in ["Airline", "Source", "Destination", "Total_Stops", "Additional_Info"]:
        counts = frame[column].value_counts()
        groups: dict[str, list[str]] = {}
        for label in counts.index:
            groups.setdefault(re.sub(r"\s+", " ", str(label)).strip().lower(), []).append(label)
        for labels in groups.values():
            if len(labels) > 1:
                found.append(" vs ".join(f"{lab!r} ({counts[lab]:,})" for lab in labels))
                columns.append(column)
    n_extra = sum(s.count(" vs ") for s in found)
    detail = "; ".join(found) if found else "no label spelled two ways"
    column = ", ".join(dict.fromkeys(columns)) or "(text columns)"
    return ("reliability", "same label spelled two ways", column, n_extra, bool(found), detail)


def _check_normalised_labels(df: pd.DataFrame) -> tuple:
    """What the loader read as a known label (`JET AIRWAYS` as `Jet Airways`), from the frame's attrs."""
    fixes = df.attrs.get(FIXES_ATTR, [])
    rows = sum(fix["rows"] for fix in fixes)
    detail = "; ".join(f"{fix['column']} {fix['found']!r} read as {fix['label']!r} ({fix['rows']:,} row(s))"
                       for fix in fixes) or "every label already spelled as in the real file"
    column = ", ".join(dict.fromkeys(fix["column"] for fix in fixes)) or "(categorical columns)"
    return ("reliability", "labels normalised when loading", column, rows, bool(fixes), detail)


def _check_unknown_labels(frame: pd.DataFrame) -> tuple:
    """Labels the real file does not have, e.g. a new airline or a typo, with the closest known label."""
    found = unknown_labels(frame)
    detail = "; ".join(describe_unknown(label) for label in found) or "every label is one of the real file's"
    column = ", ".join(dict.fromkeys(label.column for label in found)) or "(categorical columns)"
    return ("relevance", "labels the real file does not have", column, sum(label.rows for label in found),
            bool(found), detail)


def _check_city_aliases(frame: pd.DataFrame) -> tuple:
    """Two labels for one city inside a column, e.g. 'Delhi' and 'New Delhi'."""
    found, columns = [], []
    for column in ["Source", "Destination"]:
        by_city: dict[str, list[str]] = {}
        for label in frame[column].dropna().unique():
            key = str(label).strip().lower()
            by_city.setdefault(CITY_ALIASES.get(key, key), []).append(str(label))
        for labels in by_city.values():
            if len(labels) > 1:
                found.append(f"{column}: " + " and ".join(repr(lab) for lab in sorted(labels)))
                columns.append(column)
    detail = "; ".join(found) if found else "one label per city"
    return ("reliability", "same city, two labels", ", ".join(dict.fromkeys(columns)) or "Source, Destination",
            len(found), bool(found), detail)


def _check_constant_columns(frame: pd.DataFrame) -> tuple:
    constant = [c for c in frame.columns if frame[c].nunique(dropna=False) <= 1]
    detail = f"constant: {', '.join(constant)}" if constant else "every column varies"
    return ("relevance", "constant columns", ", ".join(constant) or "(all columns)", len(constant),
            bool(constant), detail)


def _check_near_unique_columns(frame: pd.DataFrame, threshold: float = 0.95) -> tuple:
    """Columns with (almost) one value per row carry no pattern to learn (ids, free text)."""
    ratios = {c: frame[c].nunique() / max(1, len(frame)) for c in frame.columns if c != "Price"}
    near = [c for c, r in ratios.items() if r > threshold]
    top = max(ratios, key=ratios.get)
    detail = (f"near-unique: {', '.join(near)}" if near
              else f"most distinct: {top} ({ratios[top]:.1%} distinct values)")
    return ("relevance", f"near-unique columns (> {threshold:.0%} distinct)", ", ".join(near) or "(all columns)",
            len(near), bool(near), detail)


def _check_timeliness(frame: pd.DataFrame, as_of: str | date | None, max_age_days: int) -> tuple:
    journey = pd.to_datetime(frame["Date_of_Journey"].astype("str"), format="%d/%m/%Y", errors="coerce")
    newest = journey.max()
    if pd.isna(newest):
        return ("timeliness", "age of newest Date_of_Journey", "Date_of_Journey", None, True, "no readable date")
    if as_of is None:
        return ("timeliness", "newest Date_of_Journey", "Date_of_Journey", newest.date().isoformat(), False,
                "pass as_of to measure how old the data is")
    age = (pd.Timestamp(as_of).normalize() - newest).days
    detail = f"newest journey {newest.date().isoformat()} is {age} day(s) before {pd.Timestamp(as_of).date()}"
    return ("timeliness", f"age of newest Date_of_Journey (days, limit {max_age_days})", "Date_of_Journey", int(age),
            bool(age > max_age_days), detail)
