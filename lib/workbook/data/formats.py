"""The real file's columns and how it writes values: clock times, durations, arrivals, stops, routes.

The writers (`clock_text`, `duration_text`, `arrival_texts`) format the twin's rows; the readers
(`clock_minutes`, `duration_minutes`) read them back leniently (NaN when unreadable) for the quality report
and the twin's own flaws. The strict parsers models use live in `workbook.features`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS: list[str] = [
    "Airline", "Date_of_Journey", "Source", "Destination", "Route", "Dep_Time", "Arrival_Time",
    "Duration", "Total_Stops", "Additional_Info", "Price",
]
TEXT_COLUMNS: list[str] = COLUMNS[:-1]
NULLABLE_COLUMNS: list[str] = ["Route", "Total_Stops"]  # the real file has one row missing both
ROUTE_ARROW = " → "  # U+2192 with a space either side, as in the real file
MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
STOPS_LABELS = {0: "non-stop", 1: "1 stop", 2: "2 stops", 3: "3 stops", 4: "4 stops"}


def clock_text(minutes: int) -> str:
    return f"{int(minutes) // 60 % 24:02d}:{int(minutes) % 60:02d}"


def duration_text(minutes: int) -> str:
    """'2h 50m', '19h' for whole hours, '5m' under an hour, as in the real file."""
    hours, mins = divmod(int(minutes), 60)
    if hours == 0:
        return f"{mins}m"
    return f"{hours}h" if mins == 0 else f"{hours}h {mins}m"


def arrival_texts(journey: pd.DatetimeIndex, dep: np.ndarray, dur: np.ndarray) -> list[str]:
    """'HH:MM' when landing the same day, else 'HH:MM DD Mon' with the landing date."""
    arrive = dep + dur
    landing = journey + pd.to_timedelta(arrive // 1440, unit="D")
    texts = []
    for minutes, day_offset, when in zip(arrive, arrive // 1440, landing):
        clock = clock_text(minutes % 1440)
        texts.append(clock if day_offset == 0 else f"{clock} {when.day:02d} {MONTH_ABBR[when.month - 1]}")
    return texts


def clock_minutes(texts: pd.Series) -> np.ndarray:
    """Minutes after midnight of the 'HH:MM' at the start of each text; NaN when unreadable."""
    parts = texts.astype("str").str.extract(r"^\s*(\d{1,2}):(\d{2})")
    return (pd.to_numeric(parts[0]) * 60 + pd.to_numeric(parts[1])).to_numpy(dtype=float)


def duration_minutes(texts: pd.Series) -> np.ndarray:
    """'2h 50m' -> 170, '19h' -> 1140, '5m' -> 5; NaN when unreadable."""
    parts = texts.astype("str").str.extract(r"^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*$")
    hours, minutes = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
    total = hours.fillna(0) * 60 + minutes.fillna(0)
    return total.where(hours.notna() | minutes.notna()).to_numpy(dtype=float)
