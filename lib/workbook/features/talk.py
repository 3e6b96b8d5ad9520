"""The talk's feature steps, reproduced faithfully: dropna, the rare-airline filter, its 24 columns and its split.

`talk_feature_frame` keeps the talk's `pd.get_dummies`, whose columns depend on the batch it sees: that is
the flaw notebook 03 demonstrates (see encoding.get_dummies_breaks_demo).
"""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from workbook.features.columns import require_columns
from workbook.features.parsers import parse_clock, parse_duration_parts, parse_journey_date, parse_stops

RARE_AIRLINES = [
    "Trujet",
    "Vistara Premium economy",
    "Jet Airways Business",
    "Multiple carriers Premium economy",
    "GoAir",
]


def talk_dropna(df: pd.DataFrame) -> pd.DataFrame:
    """The talk's `df.dropna()`: drops every row with any missing value (one row in the real file)."""
    return df.dropna()


def drop_rare_airlines(df: pd.DataFrame) -> pd.DataFrame:
    """The talk's filter that removes the five RARE_AIRLINES (217 rows in the real file)."""
    require_columns(df, ["Airline"], "drop_rare_airlines")
    return df[~df["Airline"].isin(RARE_AIRLINES)]


def talk_numeric_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The talk's nine numeric columns, in the order its code appends them (Total_Stops stays first)."""
    journey = parse_journey_date(df["Date_of_Journey"])
    dep = parse_clock(df["Dep_Time"])
    arrival = parse_clock(df["Arrival_Time"])
    duration = parse_duration_parts(df["Duration"])
    return pd.DataFrame(
        {
            "Total_Stops": parse_stops(df["Total_Stops"]),
            "Journey_day": journey.dt.day.astype("int64"),
            "Journey_month": journey.dt.month.astype("int64"),
            "Dep_hour": dep["hour"],
            "Dep_min": dep["minute"],
            "Arrival_hour": arrival["hour"],
            "Arrival_min": arrival["minute"],
            "Duration_hours": duration["hours"],
            "Duration_mins": duration["minutes"],
        },
        index=df.index,
    )


def talk_feature_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The talk's X without the target: numeric columns, then get_dummies(drop_first=True) per column.

    The dummy columns depend on which categories this very frame contains: that is the talk's behaviour and
    the flaw notebook 03 demonstrates (see get_dummies_breaks_demo).
    """
    require_columns(
        df,
        ["Airline", "Date_of_Journey", "Source", "Destination", "Dep_Time", "Arrival_Time", "Duration",
         "Total_Stops"],
        "talk_features",
    )
    dummies = [pd.get_dummies(df[[column]], drop_first=True, dtype=int) for column in
               ("Airline", "Source", "Destination")]
    return pd.concat([talk_numeric_columns(df), *dummies], axis=1)


def talk_features(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The talk's X (24 columns on the full cleaned data) and y = Price, from a dropna'd + filtered frame."""
    require_columns(df, ["Price"], "talk_features")
    return talk_feature_frame(df), df["Price"]


def talk_split(
    X: pd.DataFrame, y: pd.Series, random_state: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """The talk's `train_test_split(X, y, test_size=0.25, random_state=42)`."""
    return train_test_split(X, y, test_size=0.25, random_state=random_state)


