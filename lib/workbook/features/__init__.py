"""Features for the flight-fare data: the talk's 24 columns, improved features and a fitted preprocessor.

Two paths live side by side on purpose. `talk` reproduces the talk's code step by step (including its
`pd.get_dummies`, whose columns depend on the batch it sees); `improved` + `encoding.make_preprocessor`
is the better way: a tidy frame and an encoder *fitted once* that gives the same width on any new batch.
`parsers` holds the only parsers of the file's times, dates, durations and stops.
"""

from workbook.features.columns import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    RAW_COLUMNS,
    TALK_FEATURE_NAMES,
    TALK_NUMERIC_NAMES,
    require_columns,
)
from workbook.features.encoding import (
    get_dummies_breaks_demo,
    make_preprocessor,
    predict_with_dummies_error,
    unseen_categories,
)
from workbook.features.improved import (
    CITY_ALIASES,
    DAY_PERIODS,
    KNOWN_ADDITIONAL_INFO,
    MISSING_LABEL,
    clean_route,
    clean_text,
    day_period,
    flight_key,
    improved_features,
    market_of,
    minutes_after_midnight,
    normalise_additional_info,
    stops_count,
    unify_city,
)
from workbook.features.parsers import (
    DATE_FORMAT,
    STOPS_MAP,
    has_date_part,
    parse_clock,
    parse_duration_minutes,
    parse_duration_parts,
    parse_journey_date,
    parse_stops,
    stops_from_route,
)
from workbook.features.talk import (
    RARE_AIRLINES,
    drop_rare_airlines,
    talk_dropna,
    talk_feature_frame,
    talk_features,
    talk_numeric_columns,
    talk_split,
)

__all__ = [
    "CATEGORICAL_FEATURES",
    "CITY_ALIASES",
    "DATE_FORMAT",
    "DAY_PERIODS",
    "KNOWN_ADDITIONAL_INFO",
    "MISSING_LABEL",
    "NUMERIC_FEATURES",
    "RARE_AIRLINES",
    "RAW_COLUMNS",
    "STOPS_MAP",
    "TALK_FEATURE_NAMES",
    "TALK_NUMERIC_NAMES",
    "clean_route",
    "clean_text",
    "day_period",
    "drop_rare_airlines",
    "flight_key",
    "get_dummies_breaks_demo",
    "has_date_part",
    "improved_features",
    "make_preprocessor",
    "market_of",
    "minutes_after_midnight",
    "normalise_additional_info",
    "parse_clock",
    "parse_duration_minutes",
    "parse_duration_parts",
    "parse_journey_date",
    "parse_stops",
    "predict_with_dummies_error",
    "require_columns",
    "stops_count",
    "stops_from_route",
    "talk_dropna",
    "talk_feature_frame",
    "talk_features",
    "talk_numeric_columns",
    "talk_split",
    "unify_city",
    "unseen_categories",
]
