"""Features for the flight-fare data: the talk's 24 columns, improved features and a fitted preprocessor.

Two paths live side by side on purpose. `talk_*` reproduces the talk's code step by step (including its
`pd.get_dummies`, whose columns depend on the batch it sees); `improved_features` + `make_preprocessor`
is the better way: a tidy frame and an encoder *fitted once* that gives the same width on any new batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

# --------------------------------------------------------------------------------------------------
# Constants shared with the notebooks
# --------------------------------------------------------------------------------------------------

RARE_AIRLINES = [
    "Trujet",
    "Vistara Premium economy",
    "Jet Airways Business",
    "Multiple carriers Premium economy",
    "GoAir",
]
STOPS_MAP = {"non-stop": 0, "1 stop": 1, "2 stops": 2, "3 stops": 3, "4 stops": 4}

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

DATE_FORMAT = "%d/%m/%Y"  # the file writes 1/05/2019 and 24/03/2019: day not zero-padded, month is
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

_SHOW_AT_MOST = 5  # offending values listed in an error message


# --------------------------------------------------------------------------------------------------
# Parsing (vectorised, with errors that name the column and the rows)
# --------------------------------------------------------------------------------------------------


def _column_label(s: pd.Series) -> str:
    return f"column '{s.name}'" if s.name is not None else "the given column"


def _raise_unparsed(s: pd.Series, bad: pd.Series, expected: str) -> None:
    """Raise a ValueError naming the column, how many values failed and the first few (with row labels)."""
    shown = ", ".join(
        f"row {label!r}: {'<missing>' if pd.isna(value) else repr(value)}"
        for label, value in s[bad].head(_SHOW_AT_MOST).items()
    )
    more = f" (and {int(bad.sum()) - _SHOW_AT_MOST} more)" if bad.sum() > _SHOW_AT_MOST else ""
    raise ValueError(
        f"{_column_label(s)}: {int(bad.sum())} value(s) could not be parsed; expected {expected}. "
        f"Offending values: {shown}{more}"
    )


def _require_columns(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {missing}; the frame has {list(df.columns)}")


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


# --------------------------------------------------------------------------------------------------
# The talk's steps, reproduced faithfully
# --------------------------------------------------------------------------------------------------


def talk_dropna(df: pd.DataFrame) -> pd.DataFrame:
    """The talk's `df.dropna()`: drops every row with any missing value (one row in the real file)."""
    return df.dropna()


def drop_rare_airlines(df: pd.DataFrame) -> pd.DataFrame:
    """The talk's filter that removes the five RARE_AIRLINES (217 rows in the real file)."""
    _require_columns(df, ["Airline"], "drop_rare_airlines")
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
    _require_columns(
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
    _require_columns(df, ["Price"], "talk_features")
    return talk_feature_frame(df), df["Price"]


def talk_split(
    X: pd.DataFrame, y: pd.Series, random_state: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """The talk's `train_test_split(X, y, test_size=0.25, random_state=42)`."""
    return train_test_split(X, y, test_size=0.25, random_state=random_state)


# --------------------------------------------------------------------------------------------------
# Improved features: one small function per idea
# --------------------------------------------------------------------------------------------------


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
        rows = list(df.index[unknown][:_SHOW_AT_MOST])
        raise ValueError(
            f"columns 'Total_Stops' and 'Route': both missing in {int(unknown.sum())} row(s) {rows}, so the "
            "number of stops is unknown; drop those rows first (e.g. talk_dropna)"
        )
    return stops.astype("int64")


def minutes_after_midnight(s: pd.Series) -> pd.Series:
    """Clock time as minutes after midnight (0–1439): keeps hour and minute together for a tree split."""
    clock = parse_clock(s)
    return clock["hour"] * 60 + clock["minute"]


def day_period(minutes: pd.Series) -> pd.Series:
    """Part of day of a departure: night [0–6 h), morning [6–12 h), afternoon [12–18 h), evening [18–24 h)."""
    labels = np.array(["night", "morning", "afternoon", "evening"])
    return pd.Series(labels[(minutes // 360).to_numpy()], index=minutes.index, dtype="str")


def flight_key(airline: pd.Series, route: pd.Series, dep_time: pd.Series) -> pd.Series:
    """A scheduled flight's identity, e.g. "IndiGo | BLR → DEL | 22:20"."""
    return airline + " | " + route + " | " + clean_text(dep_time)


def improved_features(df: pd.DataFrame) -> pd.DataFrame:
    """Tidy typed features (NUMERIC_FEATURES as int64, CATEGORICAL_FEATURES as text) for make_preprocessor."""
    _require_columns(
        df,
        ["Airline", "Date_of_Journey", "Source", "Destination", "Route", "Dep_Time", "Arrival_Time",
         "Duration", "Total_Stops", "Additional_Info"],
        "improved_features",
    )
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


# --------------------------------------------------------------------------------------------------
# The fitted preprocessor and the get_dummies demonstration
# --------------------------------------------------------------------------------------------------


def make_preprocessor(
    numeric: list[str] = NUMERIC_FEATURES,
    categorical: list[str] = CATEGORICAL_FEATURES,
    *,
    min_frequency: int | float = 5,
    scale_numeric: bool = True,
) -> ColumnTransformer:
    """Scale numeric columns and one-hot encode categorical ones; unseen categories keep the output width.

    Categories seen fewer than `min_frequency` times at fit share one "infrequent" column, and categories
    never seen at fit go there too (or to all zeros when a column has no infrequent bucket).
    """
    encoder = OneHotEncoder(
        handle_unknown="infrequent_if_exist", min_frequency=min_frequency, sparse_output=False
    )
    numeric_step = StandardScaler() if scale_numeric else "passthrough"
    return ColumnTransformer(
        [("num", numeric_step, list(numeric)), ("cat", encoder, list(categorical))],
        # Names like "duration_min" and "Airline_IndiGo" are unique already; the "num__" prefix adds nothing.
        verbose_feature_names_out=False,
    )


def unseen_categories(train: pd.DataFrame, new: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """For each column, the values in `new` that never occur in `train` (sorted; empty columns left out)."""
    unseen = {}
    for column in columns:
        values = sorted(set(new[column]) - set(train[column]))
        if values:
            unseen[column] = values
    return unseen


def get_dummies_breaks_demo(
    train_df: pd.DataFrame, new_df: pd.DataFrame, *, min_frequency: int | float = 5
) -> dict[str, Any]:
    """What notebook 03 shows: the talk's get_dummies columns change with the batch; a fitted encoder's don't.

    Both frames are raw flight rows (the 11 file columns; Price is not needed in `new_df`).
    """
    train_columns = list(talk_feature_frame(train_df).columns)
    new_columns = list(talk_feature_frame(new_df).columns)
    train_features = improved_features(train_df)
    new_features = improved_features(new_df)
    preprocessor = make_preprocessor(min_frequency=min_frequency).fit(train_features)
    return {
        "train_columns": train_columns,
        "new_columns": new_columns,
        "missing_in_new": [c for c in train_columns if c not in new_columns],
        "extra_in_new": [c for c in new_columns if c not in train_columns],
        "same_columns": train_columns == new_columns,
        "unseen_categories": unseen_categories(train_features, new_features, CATEGORICAL_FEATURES),
        "preprocessor_width_train": int(preprocessor.transform(train_features).shape[1]),
        "preprocessor_width_new": int(preprocessor.transform(new_features).shape[1]),
    }


def predict_with_dummies_error(model: Any, X_train_columns: list[str], new_df: pd.DataFrame) -> str:
    """Feed the talk's get_dummies of `new_df` to a model fitted on X_train; return scikit-learn's complaint.

    Returns "" when the new batch happens to produce exactly the training columns and prediction works.
    """
    X_new = talk_feature_frame(new_df)
    try:
        model.predict(X_new)
    except ValueError as error:
        return f"ValueError: {str(error).strip()}"
    if list(X_new.columns) != list(X_train_columns):
        # Only reachable for a model fitted on a bare array of the same width: it predicts on shuffled columns.
        return "no error, but the columns differ from training: the predictions are silently wrong"
    return ""
