"""Improved features: a tidy typed frame, one small function per idea, for make_preprocessor or the tree encoder."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbook.features.columns import CATEGORICAL_FEATURES, NUMERIC_FEATURES, RAW_COLUMNS, require_columns
from workbook.features.parsers import (
    SHOW_AT_MOST,
    has_date_part,
    parse_clock,
    parse_duration_minutes,
    parse_journey_date,
    parse_stops,
    stops_from_route,
)

MISSING_LABEL = "missing"  # categorical gaps become a category of their own instead of NaN

# Additional_Info labels as the real file spells them; case/space variants ("No Info") map onto these.
KNOWN_ADDITIONAL_INFO = [
    "No info",
    "In-flight meal not included",
    "No check-in baggage included",
    "1 Long layover",
    "1 Short layover",
    "2 Long layover",
    "Change airports",
    "Business class",
    "Red-eye flight",
]

# "Delhi" and "New Delhi" are one city and one airport (DEL); see unify_city for why this matters.
CITY_ALIASES = {"New Delhi": "Delhi"}


def clean_text(s: pd.Series) -> pd.Series:
    """Trim and collapse inner whitespace; missing values become MISSING_LABEL."""
    return s.astype("str").str.strip().str.replace(r"\s+", " ", regex=True).where(s.notna(), MISSING_LABEL)


def unify_city(s: pd.Series) -> pd.Series:
    """Map "New Delhi" onto "Delhi".

    Both labels are the same city and airport (DEL). In this file Banglore→Delhi holds only non-stop flights
    and Banglore→New Delhi only connections, so the label merely repeats `stops`; merging it gives the model
    one Banglore–Delhi market and stops serves as the single place where that information lives.
    """
    return clean_text(s).replace(CITY_ALIASES)


def normalise_additional_info(s: pd.Series) -> pd.Series:
    """Merge spelling variants of Additional_Info ("No Info" -> "No info"); missing means "No info"."""
    canonical = {label.casefold(): label for label in KNOWN_ADDITIONAL_INFO}
    cleaned = clean_text(s.fillna("No info"))
    return cleaned.map(lambda text: canonical.get(text.casefold(), text))


def clean_route(s: pd.Series) -> pd.Series:
    """Routes with a single spacing around each arrow, so "BLR→DEL" and "BLR → DEL" are one route."""
    return clean_text(s).str.replace(r"\s*→\s*", " → ", regex=True)


def stops_count(df: pd.DataFrame) -> pd.Series:
    """Stops from Total_Stops, or from Route's arrows where Total_Stops is missing (the real file has one)."""
    stops = parse_stops(df["Total_Stops"], allow_missing=True).fillna(stops_from_route(df["Route"]))
    unknown = stops.isna()
    if unknown.any():
        rows = list(df.index[unknown][:SHOW_AT_MOST])
        raise ValueError(
            f"columns 'Total_Stops' and 'Route': both missing in {int(unknown.sum())} row(s) {rows}, so the "
            "number of stops is unknown; drop those rows first (e.g. talk_dropna)"
        )
    return stops.astype("int64")


def minutes_after_midnight(s: pd.Series) -> pd.Series:
    """Clock time as minutes after midnight (0–1439): keeps hour and minute together for a tree split."""
    clock = parse_clock(s)
    return clock["hour"] * 60 + clock["minute"]


DAY_PERIODS = ("night", "morning", "afternoon", "evening")  # 6 hours each, from midnight


def day_period(minutes: pd.Series) -> pd.Series:
    """Part of day of a departure: night [0–6 h), morning [6–12 h), afternoon [12–18 h), evening [18–24 h)."""
    return pd.Series(np.array(DAY_PERIODS)[(minutes // 360).to_numpy()], index=minutes.index, dtype="str")


def flight_key(airline: pd.Series, route: pd.Series, dep_time: pd.Series) -> pd.Series:
    """A scheduled flight's identity, e.g. "IndiGo | BLR → DEL | 22:20"."""
    return airline + " | " + route + " | " + clean_text(dep_time)


def market_of(features: pd.DataFrame) -> pd.Series:
    """The market of improved features' rows, e.g. "Banglore → Delhi" (Delhi labels already merged)."""
    return features["Source"] + " → " + features["Destination"]


def improved_features(df: pd.DataFrame) -> pd.DataFrame:
    """Tidy typed features (NUMERIC_FEATURES as int64, CATEGORICAL_FEATURES as text) for make_preprocessor."""
    require_columns(df, RAW_COLUMNS, "improved_features")
    journey = parse_journey_date(df["Date_of_Journey"])
    dep_minutes = minutes_after_midnight(df["Dep_Time"])
    airline = clean_text(df["Airline"])
    route = clean_route(df["Route"])
    features = pd.DataFrame(
        {
            # Total travel time: connections and long layovers are what make a ticket dear or cheap.
            "duration_min": parse_duration_minutes(df["Duration"]),
            # Non-stop fares are about half of one-stop fares (median 4,667 vs 10,262).
            "stops": stops_count(df),
            "journey_day": journey.dt.day.astype("int64"),
            # Fares move by month (April is cheapest).
            "journey_month": journey.dt.month.astype("int64"),
            # Demand differs by weekday (Monday = 0); the talk never looked at it.
            "journey_weekday": journey.dt.day_of_week.astype("int64"),
            # One number for the date, so a tree can isolate the dear early-March journeys in one split.
            "journey_day_of_year": journey.dt.day_of_year.astype("int64"),
            # Departure and arrival clock times as one number each instead of hour + minute.
            "dep_minutes": dep_minutes,
            "arr_minutes": minutes_after_midnight(df["Arrival_Time"]),
            # The file's own flag for overnight itineraries (the " DD Mon" suffix); its date itself is not
            # used because it disagrees with Date_of_Journey (first real row: journey 24/03, arrival 22 Mar).
            "arrives_next_day": has_date_part(df["Arrival_Time"]).astype("int64"),
            # Carrier is the strongest single price driver (Jet Airways median is twice IndiGo's).
            "Airline": airline,
            "Source": unify_city(df["Source"]),
            "Destination": unify_city(df["Destination"]),
            # The exact itinerary: which hub a connection uses changes the fare.
            "Route": route,
            # Business class, layovers and "no check-in baggage" shift fares a lot; spelling variants merged.
            "Additional_Info": normalise_additional_info(df["Additional_Info"]),
            # A coarse, readable version of dep_minutes (red-eye vs daytime), useful for linear models too.
            "dep_period": day_period(dep_minutes),
            # The scheduled flight (airline + route + departure): fares are set per flight, so this is a
            # legitimate and strong key; rare flights fall into the encoder's "infrequent" bucket.
            "flight": flight_key(airline, route, df["Dep_Time"]),
        },
        index=df.index,
    )
    return features[NUMERIC_FEATURES + CATEGORICAL_FEATURES]

