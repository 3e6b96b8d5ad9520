"""The column names features are made of, and the one check that a frame has the columns a step needs."""

from __future__ import annotations

import pandas as pd

TALK_NUMERIC_NAMES = [
    "Total_Stops",
    "Journey_day",
    "Journey_month",
    "Dep_hour",
    "Dep_min",
    "Arrival_hour",
    "Arrival_min",
    "Duration_hours",
    "Duration_mins",
]
TALK_FEATURE_NAMES = TALK_NUMERIC_NAMES + [
    "Airline_Air India",
    "Airline_IndiGo",
    "Airline_Jet Airways",
    "Airline_Multiple carriers",
    "Airline_SpiceJet",
    "Airline_Vistara",
    "Source_Chennai",
    "Source_Delhi",
    "Source_Kolkata",
    "Source_Mumbai",
    "Destination_Cochin",
    "Destination_Delhi",
    "Destination_Hyderabad",
    "Destination_Kolkata",
    "Destination_New Delhi",
]

NUMERIC_FEATURES = [
    "duration_min",
    "stops",
    "journey_day",
    "journey_month",
    "journey_weekday",
    "journey_day_of_year",
    "dep_minutes",
    "arr_minutes",
    "arrives_next_day",
]
CATEGORICAL_FEATURES = [
    "Airline",
    "Source",
    "Destination",
    "Route",
    "Additional_Info",
    "dep_period",
    "flight",
]

# The raw flight file's columns that improved_features (and so every improved pipeline) reads; Price is not one.
RAW_COLUMNS = ["Airline", "Date_of_Journey", "Source", "Destination", "Route", "Dep_Time", "Arrival_Time",
               "Duration", "Total_Stops", "Additional_Info"]


def require_columns(df: pd.DataFrame, columns: list[str], what: str) -> None:
    """Raise a ValueError naming `what`, the missing columns and the frame's columns, unless all are there."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {missing}; the frame has {list(df.columns)}")

