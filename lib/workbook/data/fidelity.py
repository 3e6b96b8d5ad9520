"""How close a flight-fare frame is to the real file's price structure: the twin fidelity report.

A twin that is too clean makes every model look better than it is and picks the wrong one, so the twin is
calibrated to the figures of the real file's *Price structure* (../shared/FLIGHTS-DATA.md, measured after the
talk's dropna and rare-airline filter: 10,465 rows). `price_structure` measures the same figures on any loaded
frame; `fidelity_report` puts them beside the real file's published values (REAL_PRICE_STRUCTURE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbook.data.formats import COLUMNS
from workbook.features import DATE_FORMAT, drop_rare_airlines, talk_dropna

FLIGHT_COLUMNS = ["Airline", "Route", "Dep_Time", "Duration"]  # a scheduled flight, as FLIGHTS-DATA.md defines it
GROUPINGS: dict[str, list[str]] = {
    "Airline": ["Airline"],
    "Source+Destination": ["Source", "Destination"],
    "Route": ["Route"],
    "Airline+Route": ["Airline", "Route"],
    "flight": FLIGHT_COLUMNS,
    "journey date": ["Date_of_Journey"],
    "flight+date": [*FLIGHT_COLUMNS, "Date_of_Journey"],
    "Total_Stops": ["Total_Stops"],
    "Additional_Info": ["Additional_Info"],
}
QUANTILES = (0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99)
FIRST_DATES = 10  # the early-March journey dates whose medians are published (1, 3, ..., 27 March)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEP_PERIODS = ("0-6 h", "6-12 h", "12-18 h", "18-24 h")
REQUIRED_COLUMNS = [c for c in COLUMNS if c != "Arrival_Time"]  # every flight column a figure reads

# The real FlightDataset.xlsx after dropna + rare-airline filter (10,465 rows): public figures of FLIGHTS-DATA.md.
REAL_PRICE_STRUCTURE: dict[str, float] = {
    "rows": 10_465,
    "R2 by Airline": 0.451,
    "R2 by Source+Destination": 0.358,
    "R2 by Route": 0.691,
    "R2 by Airline+Route": 0.765,
    "R2 by flight": 0.840,
    "R2 by journey date": 0.211,
    "R2 by flight+date": 0.966,
    "R2 by Total_Stops": 0.551,
    "R2 by Additional_Info": 0.097,
    "distinct flights": 1_447,
    "median rows per flight": 4,
    "share of rows sharing flight and date": 0.31,
    "median CV, same flight same date": 0.163,
    "median CV, one flight across dates": 0.177,
    **{f"price quantile {q:.0%}": v for q, v in zip(
        QUANTILES, (2_227, 3_573, 5_403, 8_452, 12_384, 15_764, 22_270), strict=True)},
    **{f"median price {day} March": v for day, v in zip(
        (1, 3, 6, 9, 12, 15, 18, 21, 24, 27),
        (18_347, 11_832, 15_077, 9_856, 12_014, 6_657, 10_972, 7_642, 8_147, 6_681), strict=True)},
    **{f"median price {day}": v for day, v in zip(
        WEEKDAYS, (7_889, 8_907, 8_586, 8_372, 7_229, 8_477, 9_663), strict=True)},
    **{f"median price dep {period}": v for period, v in zip(
        DEP_PERIODS, (7_668, 8_403, 8_529, 8_586), strict=True)},
}


def check_flights_frame(df: object, what: str = "price_structure") -> pd.DataFrame:
    """Return `df` if it is a DataFrame with the flight columns a fidelity figure needs, else raise ValueError."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: df must be a pandas DataFrame of flight rows, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: df needs flight column(s) {missing}; it has {list(df.columns)}")
    return df


def modelled_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows every figure is measured on: the talk's dropna() and rare-airline filter (notebooks 02-04)."""
    rows = drop_rare_airlines(talk_dropna(check_flights_frame(df))).reset_index(drop=True)
    if len(rows) < 2:
        raise ValueError(f"price_structure: {len(rows)} row(s) left after dropna and the rare-airline filter; "
                         "need at least 2")
    return rows


def explained_share(log_price: pd.Series, keys: pd.DataFrame) -> float:
    """R² of a grouping: 1 - (variance within the groups of `keys`) / (total variance of `log_price`)."""
    total = float(((log_price - log_price.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    group_means = log_price.groupby([keys[c] for c in keys.columns], sort=False).transform("mean")
    return 1 - float(((log_price - group_means) ** 2).sum()) / total


def _cv(values: pd.Series) -> float:
    """Coefficient of variation (sample standard deviation / mean) of one group's prices."""
    return float(values.std(ddof=1) / values.mean())


def spread_figures(rows: pd.DataFrame) -> dict[str, float]:
    """Timetable and noise figures: flights, rows per flight, rows sharing flight+date, within-group price CVs."""
    flight = rows[FLIGHT_COLUMNS].astype("str").agg(" | ".join, axis=1)
    flight_date = flight + " | " + rows["Date_of_Journey"].astype("str")
    per_flight = flight.value_counts()
    per_flight_date = flight_date.map(flight_date.value_counts())
    price = rows["Price"].astype(float)
    same_date = price[per_flight_date > 1].groupby(flight_date[per_flight_date > 1]).agg(_cv)
    recurring = flight.map(per_flight) > 1
    across_dates = price[recurring].groupby(flight[recurring]).agg(_cv)
    return {
        "distinct flights": float(len(per_flight)),
        "median rows per flight": float(per_flight.median()),
        "share of rows sharing flight and date": float((per_flight_date > 1).mean()),
        "median CV, same flight same date": float(same_date.median()) if len(same_date) else float("nan"),
        "median CV, one flight across dates": float(across_dates.median()) if len(across_dates) else float("nan"),
    }


def median_figures(rows: pd.DataFrame) -> dict[str, float]:
    """Price quantiles and median prices of the first journey dates, by weekday and by departure period."""
    price = rows["Price"].astype(float)
    journey = pd.to_datetime(rows["Date_of_Journey"].astype("str"), format=DATE_FORMAT)
    figures = {f"price quantile {q:.0%}": float(price.quantile(q)) for q in QUANTILES}
    by_date = price.groupby(journey).median()
    for when, value in by_date.iloc[:FIRST_DATES].items():
        figures[f"median price {when.day} {when:%B}"] = float(value)
    by_weekday = price.groupby(journey.dt.day_of_week).median()
    figures.update({f"median price {WEEKDAYS[d]}": float(by_weekday[d]) for d in by_weekday.index})
    hour = pd.to_numeric(rows["Dep_Time"].astype("str").str.split(":").str[0], errors="coerce")
    by_period = price.groupby(hour // 6).median()
    figures.update({f"median price dep {DEP_PERIODS[int(p)]}": float(by_period[p]) for p in by_period.index
                    if 0 <= p < len(DEP_PERIODS)})
    return figures


def price_structure(df: pd.DataFrame) -> pd.DataFrame:
    """The *Price structure* figures of a flights frame: one row per figure (columns `figure`, `value`).

    Measured after the talk's dropna() and rare-airline filter, on log(price) for the R² rows ("how much of
    the variance each grouping explains"); "flight" is Airline + Route + Dep_Time + Duration.
    """
    rows = modelled_rows(df)
    log_price = np.log(rows["Price"].astype(float))
    figures: dict[str, float] = {"rows": float(len(rows))}
    for name, columns in GROUPINGS.items():
        figures[f"R2 by {name}"] = explained_share(log_price, rows[columns].astype("str"))
    figures.update(spread_figures(rows))
    figures.update(median_figures(rows))
    return pd.DataFrame({"figure": list(figures), "value": list(figures.values())})


def fidelity_report(df: pd.DataFrame) -> pd.DataFrame:
    """`price_structure(df)` beside the real file's figures: columns figure, this data, real file, ratio.

    `ratio` is this data / real file (1.0 = the same); figures the real file does not publish (dates outside
    early March) are left out, so every row can be compared.
    """
    measured = price_structure(df).set_index("figure")["value"]
    real = pd.Series(REAL_PRICE_STRUCTURE, dtype=float)
    shared = [name for name in real.index if name in measured.index]
    table = pd.DataFrame({"figure": shared, "this data": measured[shared].to_numpy(),
                          "real file": real[shared].to_numpy()})
    table["ratio"] = table["this data"] / table["real file"]
    return table


def format_report(table: pd.DataFrame) -> list[str]:
    """`fidelity_report`'s table as aligned text lines (R² and shares to 3 decimals, rupees and counts whole)."""
    def show(name: str, value: float) -> str:
        if pd.isna(value):
            return "-"
        return f"{value:.3f}" if name.startswith(("R2", "share", "median CV")) else f"{value:,.0f}"

    cells = [(r["figure"], show(r["figure"], r["this data"]), show(r["figure"], r["real file"]),
              f"{r['ratio']:.2f}" if pd.notna(r["ratio"]) else "-") for _, r in table.iterrows()]
    header = ("figure", "this data", "real file", "ratio")
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(4)]
    lines = [f"{header[0]:<{widths[0]}}  " + "  ".join(f"{h:>{w}}" for h, w in zip(header[1:], widths[1:]))]
    for row in cells:
        lines.append(f"{row[0]:<{widths[0]}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(row[1:], widths[1:])))
    return lines
