"""Flight-fare data: the synthetic twin, the loader and its contract, the quality report and PII masking.

The real file (`FlightDataset.xlsx`, Indian domestic fares, March-June 2019) cannot be shipped, so
`make_flights` generates a twin with the same schema, formats and quirks (see ../shared/FLIGHTS-DATA.md).
`load_flights` reads either the twin or a real file and refuses bad data before anything downstream runs.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import math
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from workbook.errors import DataContractError, DataFileNotFoundError
from workbook.files import atomic_write

COLUMNS: list[str] = [
    "Airline", "Date_of_Journey", "Source", "Destination", "Route", "Dep_Time", "Arrival_Time",
    "Duration", "Total_Stops", "Additional_Info", "Price",
]
TEXT_COLUMNS: list[str] = COLUMNS[:-1]
NULLABLE_COLUMNS: list[str] = ["Route", "Total_Stops"]  # the real file has one row missing both
DEFAULT_ROWS = 10_683
ROUTE_ARROW = " → "  # U+2192 with a space either side, as in the real file
MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
STOPS_LABELS = {0: "non-stop", 1: "1 stop", 2: "2 stops", 3: "3 stops", 4: "4 stops"}

# ----------------------------------------------------------------------------------------------
# Reference figures of the real file (row counts) and the twin's fixed network
# ----------------------------------------------------------------------------------------------

REAL_AIRLINE_COUNTS: dict[str, int] = {
    "Jet Airways": 3849, "IndiGo": 2053, "Air India": 1752, "Multiple carriers": 1196, "SpiceJet": 818,
    "Vistara": 479, "Air Asia": 319, "GoAir": 194, "Multiple carriers Premium economy": 13,
    "Jet Airways Business": 6, "Vistara Premium economy": 3, "Trujet": 1,
}
REAL_MARKET_COUNTS: dict[tuple[str, str], int] = {
    ("Delhi", "Cochin"): 4537, ("Kolkata", "Banglore"): 2871, ("Banglore", "Delhi"): 1265,
    ("Banglore", "New Delhi"): 932, ("Mumbai", "Hyderabad"): 697, ("Chennai", "Kolkata"): 381,
}
MARKETS: list[tuple[str, str]] = list(REAL_MARKET_COUNTS)

# Routes per market as space-separated IATA codes, most used first within each number of stops.
# 30 + 38 + 1 + 36 + 23 + 1 routes; BLR DEL serves both Delhi labels, so 128 distinct routes in all.
MARKET_ROUTES: dict[tuple[str, str], list[str]] = {
    ("Delhi", "Cochin"): [
        "DEL COK",
        "DEL BOM COK", "DEL HYD COK", "DEL MAA COK", "DEL BLR COK", "DEL AMD COK", "DEL GOI COK",
        "DEL TRV COK", "DEL PNQ COK", "DEL CCU COK", "DEL IDR COK", "DEL LKO COK", "DEL JAI COK",
        "DEL JAI BOM COK", "DEL AMD BOM COK", "DEL IDR BOM COK", "DEL NAG BOM COK", "DEL LKO BOM COK",
        "DEL BHO BOM COK", "DEL UDR BOM COK", "DEL ATQ BOM COK", "DEL JDH BOM COK", "DEL IXU BOM COK",
        "DEL GOI BOM COK", "DEL HYD MAA COK", "DEL HYD BOM COK", "DEL BDQ BOM COK",
        "DEL RPR NAG BOM COK", "DEL GWL IDR BOM COK", "DEL LKO NAG BOM COK",
    ],
    ("Kolkata", "Banglore"): [
        "CCU BLR",
        "CCU BOM BLR", "CCU DEL BLR", "CCU HYD BLR", "CCU MAA BLR", "CCU GAU BLR", "CCU BBI BLR",
        "CCU IXR BLR", "CCU PNQ BLR", "CCU AMD BLR", "CCU NAG BLR", "CCU VTZ BLR", "CCU IXB BLR",
        "CCU PAT BLR", "CCU GOI BLR", "CCU JAI BLR", "CCU IXZ BLR",
        "CCU IXR DEL BLR", "CCU IXR BBI BLR", "CCU BBI HYD BLR", "CCU DEL AMD BLR", "CCU BOM AMD BLR",
        "CCU BBI MAA BLR", "CCU IXB DEL BLR", "CCU GAU DEL BLR", "CCU PAT DEL BLR", "CCU VNS DEL BLR",
        "CCU LKO DEL BLR", "CCU BOM GOI BLR", "CCU DEL COK BLR", "CCU JAI BOM BLR", "CCU BOM PNQ BLR",
        "CCU DEL HYD BLR", "CCU VTZ MAA BLR", "CCU IXZ MAA BLR",
        "CCU BBI IXR DEL BLR", "CCU IXR DEL BOM BLR", "CCU PAT LKO DEL BLR",
    ],
    ("Banglore", "Delhi"): ["BLR DEL"],
    ("Banglore", "New Delhi"): [
        "BLR DEL",
        "BLR BOM DEL", "BLR HYD DEL", "BLR MAA DEL", "BLR AMD DEL", "BLR GOI DEL", "BLR PNQ DEL",
        "BLR CCU DEL", "BLR COK DEL", "BLR TRV DEL", "BLR IDR DEL", "BLR NAG DEL", "BLR LKO DEL",
        "BLR JAI DEL", "BLR VGA DEL", "BLR STV DEL",
        "BLR BOM AMD DEL", "BLR BOM JDH DEL", "BLR BOM IDR DEL", "BLR BOM UDR DEL", "BLR BOM BHO DEL",
        "BLR BOM NAG DEL", "BLR MAA CCU DEL", "BLR HBX BOM DEL", "BLR BOM BDQ DEL", "BLR GOI BOM DEL",
        "BLR COK BOM DEL", "BLR TRV COK DEL", "BLR VGA HYD DEL", "BLR MAA HYD DEL", "BLR BOM IXC DEL",
        "BLR BOM JAI DEL",
        "BLR BOM IDR GWL DEL", "BLR CCU BBI IXR DEL", "BLR TRZ MAA HYD DEL",
        "BLR CCU BBI HYD VGA DEL",
    ],
    ("Mumbai", "Hyderabad"): [
        "BOM HYD",
        "BOM BLR HYD", "BOM DEL HYD", "BOM MAA HYD", "BOM GOI HYD", "BOM PNQ HYD", "BOM NAG HYD",
        "BOM AMD HYD", "BOM CCU HYD", "BOM COK HYD", "BOM IDR HYD", "BOM NDC HYD",
        "BOM GOI PNQ HYD", "BOM BHO DEL HYD", "BOM JDH DEL HYD", "BOM UDR DEL HYD", "BOM DED DEL HYD",
        "BOM VNS DEL HYD", "BOM RPR VTZ HYD", "BOM AMD DEL HYD", "BOM BLR MAA HYD",
        "BOM JDH JAI DEL HYD", "BOM IDR GWL DEL HYD",
    ],
    ("Chennai", "Kolkata"): ["MAA CCU"],
}
# Routes flown by one airline only (the real file's lone 4-stop flight is Air India's; Trujet flies via Nanded).
PINNED_ROUTES: dict[str, str] = {"BLR CCU BBI HYD VGA DEL": "Air India", "BOM NDC HYD": "Trujet"}
ONLY_PINNED_ROUTES = {"Trujet"}  # airlines that fly nothing but their pinned route

# Approximate airport positions (latitude, longitude) to give each flight leg a plausible block time.
AIRPORTS: dict[str, tuple[float, float]] = {
    "DEL": (28.56, 77.10), "COK": (10.15, 76.40), "BOM": (19.09, 72.87), "BLR": (13.20, 77.71),
    "CCU": (22.65, 88.45), "HYD": (17.24, 78.43), "MAA": (12.99, 80.17), "IXR": (23.31, 85.32),
    "BBI": (20.24, 85.82), "GOI": (15.38, 73.83), "AMD": (23.07, 72.63), "JAI": (26.82, 75.81),
    "TRV": (8.48, 76.92), "IDR": (22.72, 75.80), "NAG": (21.09, 79.05), "PNQ": (18.58, 73.92),
    "LKO": (26.76, 80.89), "GAU": (26.11, 91.59), "VGA": (16.53, 80.80), "IXB": (26.68, 88.33),
    "IXC": (30.67, 76.79), "ATQ": (31.71, 74.80), "BHO": (23.29, 77.34), "VNS": (25.45, 82.86),
    "PAT": (25.59, 85.09), "IXZ": (11.64, 92.73), "UDR": (24.62, 73.90), "IXU": (19.86, 75.40),
    "STV": (21.11, 72.74), "JDH": (26.25, 73.05), "VTZ": (17.72, 83.22), "HBX": (15.36, 75.08),
    "IXA": (23.89, 91.24), "BDQ": (22.34, 73.22), "RPR": (21.18, 81.74), "IXM": (9.83, 78.09),
    "KNU": (26.40, 80.41), "TRZ": (10.77, 78.71), "NDC": (19.18, 77.32), "JLR": (23.18, 80.05),
    "IXJ": (32.69, 74.84), "GWL": (26.29, 78.23), "DED": (30.19, 78.18),
}

# Which airlines fly which market, and how much (relative affinity; iterative proportional fitting then
# matches the airline and market shares). Columns follow MARKETS.
MARKET_AFFINITY: dict[str, tuple[float, ...]] = {
    #                                   DEL-COK KOL-BLR BLR-DEL BLR-NDL BOM-HYD MAA-KOL
    "Jet Airways":                      (1.00, 0.80, 0.55, 1.30, 0.90, 0.00),
    "IndiGo":                           (0.70, 1.00, 1.30, 0.90, 1.00, 1.30),
    "Air India":                        (1.00, 1.00, 0.45, 0.70, 1.00, 0.60),
    "Multiple carriers":                (1.00, 0.00, 0.00, 0.00, 0.00, 0.00),
    "SpiceJet":                         (0.50, 1.00, 1.40, 0.40, 1.30, 1.40),
    "Vistara":                          (0.60, 1.00, 1.40, 0.40, 0.00, 1.40),
    "Air Asia":                         (0.40, 1.00, 1.40, 0.60, 0.00, 0.00),
    "GoAir":                            (1.00, 0.80, 1.00, 1.00, 0.00, 0.00),
    "Multiple carriers Premium economy": (1.00, 0.00, 0.00, 0.00, 0.00, 0.00),
    "Jet Airways Business":             (1.00, 0.00, 0.00, 1.00, 0.00, 0.00),
    "Vistara Premium economy":          (0.00, 0.00, 1.00, 0.00, 0.00, 1.00),
    "Trujet":                           (0.00, 0.00, 0.00, 0.00, 1.00, 0.00),
}
DEFAULT_AFFINITY = (1.0,) * len(MARKETS)  # an airline the table does not know flies everywhere

# Share of each airline's flights by number of stops (4 stops only through PINNED_ROUTES).
STOP_PROFILES: dict[str, dict[int, float]] = {
    "Jet Airways": {0: 0.31, 1: 0.635, 2: 0.05, 3: 0.005},
    "IndiGo": {0: 0.60, 1: 0.37, 2: 0.03},
    "Air India": {0: 0.28, 1: 0.39, 2: 0.31, 3: 0.02},
    "Multiple carriers": {1: 0.88, 2: 0.12},
    "SpiceJet": {0: 0.75, 1: 0.24, 2: 0.01},
    "Vistara": {0: 0.62, 1: 0.38},
    "Air Asia": {0: 0.52, 1: 0.45, 2: 0.03},
    "GoAir": {0: 0.62, 1: 0.38},
    "Multiple carriers Premium economy": {1: 1.0},
    "Jet Airways Business": {1: 1.0},
    "Vistara Premium economy": {0: 1.0},
    "Trujet": {1: 1.0},
}
DEFAULT_STOP_PROFILE = {0: 0.5, 1: 0.45, 2: 0.05}
BUDGET_AIRLINES = ("IndiGo", "SpiceJet", "Air Asia", "GoAir", "Trujet")


def _default_airline_price() -> dict[str, float]:
    return {
        "Jet Airways": 2.66, "IndiGo": 1.287, "Air India": 1.627, "Multiple carriers": 1.588,
        "SpiceJet": 1.107, "Vistara": 1.91, "Air Asia": 1.4, "GoAir": 1.3,
        "Multiple carriers Premium economy": 1.42, "Jet Airways Business": 7.5,
        "Vistara Premium economy": 2.76, "Trujet": 1.05,
    }


def _default_market_price() -> dict[tuple[str, str], float]:
    """Non-stop economy base fare per market in rupees, before every multiplier."""
    return {
        ("Delhi", "Cochin"): 4420.0, ("Kolkata", "Banglore"): 3900.0, ("Banglore", "Delhi"): 4070.0,
        ("Banglore", "New Delhi"): 4740.0, ("Mumbai", "Hyderabad"): 2870.0, ("Chennai", "Kolkata"): 3030.0,
    }


def _default_info_shares() -> dict[str, float]:
    """Share of rows per Additional_Info label; 'No info' takes the rest ('No Info' is a flaw, see TwinConfig)."""
    return {
        "In-flight meal not included": 1982 / DEFAULT_ROWS, "No check-in baggage included": 320 / DEFAULT_ROWS,
        "1 Long layover": 19 / DEFAULT_ROWS, "Change airports": 7 / DEFAULT_ROWS,
        "Business class": 4 / DEFAULT_ROWS, "Red-eye flight": 1 / DEFAULT_ROWS,
        "1 Short layover": 1 / DEFAULT_ROWS, "2 Long layover": 1 / DEFAULT_ROWS,
    }


def _default_info_price() -> dict[str, float]:
    return {
        "No info": 1.0, "In-flight meal not included": 0.65, "No check-in baggage included": 0.80,
        "1 Long layover": 2.4, "2 Long layover": 2.0, "1 Short layover": 1.15, "Change airports": 1.0,
        "Business class": 1.05, "Red-eye flight": 0.85,
    }


def _default_date_price() -> dict[str, float]:
    """Early-March fare levels relative to March's, calibrated to the real file's first ten date medians.

    A level acts twice (see TwinConfig.date_level_share): as a fare multiplier raised to that share, and by
    drawing dearer flights onto the date, so these numbers are far larger than the medians' ratios.
    Calibrated by a fixed-point loop on seeds 1-3 (medians scaled towards the real ones, eight rounds).
    """
    levels = (7.79, 2.05, 3.73, 1.878, 2.7, 1.804, 2.63, 1.28, 1.169, 1.12)
    return {f"2019-03-{day:02d}": level for day, level in zip((1, 3, 6, 9, 12, 15, 18, 21, 24, 27), levels)}


def _default_weekday_price() -> dict[int, float]:
    """Fare level by weekday (Monday = 0), calibrated so the weekday medians match the real file's."""
    return {0: 0.897, 1: 1.0, 2: 1.071, 3: 1.099, 4: 0.675, 5: 1.072, 6: 1.309}


@dataclass(frozen=True)
class TwinConfig:
    """Every knob of the synthetic twin; change fields with `dataclasses.replace` to build a drift scenario.

    Shares are relative weights (they need not sum to 1). Airlines missing from the network tables (a new
    entrant) fly every market with a generic stop profile and `airline_price` 1.0 unless given.
    """

    airline_shares: dict[str, float] = field(default_factory=lambda: dict(REAL_AIRLINE_COUNTS))
    market_shares: dict[tuple[str, str], float] = field(default_factory=lambda: dict(REAL_MARKET_COUNTS))
    airline_price: dict[str, float] = field(default_factory=_default_airline_price)
    market_price: dict[tuple[str, str], float] = field(default_factory=_default_market_price)
    stops_price: dict[int, float] = field(default_factory=lambda: {0: 1.0, 1: 1.611, 2: 2.0, 3: 1.75, 4: 2.256})
    price_level: float = 1.0  # global multiplier on every fare (inflation, a fuel surcharge ...)
    # Seasonal fare multiplier per calendar month and relative demand (rows per journey date) per month.
    month_price: dict[int, float] = field(default_factory=lambda: {
        1: 0.95, 2: 0.92, 3: 0.318, 4: 0.316, 5: 0.659, 6: 0.612, 7: 0.82, 8: 0.85, 9: 0.80, 10: 0.95,
        11: 1.0, 12: 1.1})
    month_demand: dict[int, float] = field(default_factory=lambda: {3: 1.0, 4: 0.4, 5: 1.27, 6: 1.25})
    early_fare_bump: float = 0.0  # fares for journeys right after `start` are dearer (booked last minute) ...
    early_fare_days: float = 6.0  # ... and the bump decays over this many days (off: date_price draws March)
    # Fare level of named journey dates ('2019-03-01': 2.0 = twice the month's level): the real file's early
    # March is dear and jagged (date medians 18.3k, 11.8k, 15.1k, 9.9k ...), not a smooth decay.
    date_price: dict[str, float] = field(default_factory=_default_date_price)
    weekday_price: dict[int, float] = field(default_factory=_default_weekday_price)  # Monday = 0
    # Fare level by departure period: night [0-6 h), morning, afternoon, evening [18-24 h).
    dep_period_price: tuple[float, float, float, float] = (0.877, 0.975, 1.022, 1.064)
    info_shares: dict[str, float] = field(default_factory=_default_info_shares)
    info_price: dict[str, float] = field(default_factory=_default_info_price)
    route_fare_sigma: float = 0.14  # spread of fares between routes of a market, shared by its airlines (log)
    flight_fare_sigma: float = 0.03  # spread of base fares between scheduled flights of a route (log scale)
    date_fare_sigma: float = 0.02  # spread between journey dates (log scale)
    # Row-level fare noise (log scale): a few %. The real file's ~16 % spread between rows of the same flight
    # on the same date comes from re-quotes in another fare class (same_date_share, requote_step): noise no
    # column explains, which caps any model's R2 near 0.91.
    noise_sigma: float = 0.04
    price_min: int = 1759  # fares bend smoothly into [price_min, price_max], the real file's range
    price_max: int = 79512
    # Airlines sell fares from a ladder of price levels, so the same fare recurs (the real file has ~1,870
    # distinct prices in 10,683 rows; 0.007 gives ~1,880 here); each airline's ladder steps by this ratio; 0 = off.
    fare_step: float = 0.007
    rows_per_flight: float = 7.3  # timetable size: about this many rows per scheduled flight at 10,683 rows
    popularity_sigma: float = 1.3  # spread of flights' popularity (log): most fly a few times, some often
    # Share of rows that re-quote a flight on a date already drawn for it (the file was scraped repeatedly):
    # 31 % of the real file's rows share flight and date with another row.
    same_date_share: float = 0.14
    requote_step: float = 0.28  # a re-quote is sold one fare class up or down: exp(+-step) times the fare
    # A journey date's fare level (month, date_price, weekday, shock) is partly paid by every flight on it
    # (this share, as an exponent) and partly which flights sell on it: dear dates draw dear flights.
    date_level_share: float = 0.5
    date_mix_strength: float = 1.0
    inject_flaws: bool = True  # the missing row, the 5-minute flight, 'No Info' spellings, duplicates
    duplicate_rate: float = 220 / DEFAULT_ROWS
    no_info_variant_share: float = 3 / DEFAULT_ROWS  # rows spelled 'No Info' instead of 'No info'
    journey_days: tuple[int, ...] = (1, 3, 6, 9, 12, 15, 18, 21, 24, 27)


# ----------------------------------------------------------------------------------------------
# The synthetic twin
# ----------------------------------------------------------------------------------------------


def make_flights(n_rows: int = DEFAULT_ROWS, seed: int = 42, *, start: str = "2019-03-01",
                 end: str = "2019-06-27", config: TwinConfig | None = None,
                 draw_seed: int | None = None) -> pd.DataFrame:
    """Generate the synthetic twin of the flight-fare file: same columns, formats and quirks, deterministic.

    Journeys are drawn from a timetable of scheduled flights, priced by airline, market, stops, duration,
    departure time, journey date and fare class, then formatted like the real file (text, Price int64).
    `seed` fixes the timetable; `draw_seed`, when given, seeds everything drawn after it (journeys, notes,
    prices, flaws, row order), so later months can fly the same scheduled flights with fresh draws.
    """
    if isinstance(n_rows, bool) or not isinstance(n_rows, (int, np.integer)) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")
    for name, value in (("seed", seed), ("draw_seed", draw_seed)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    config = config or TwinConfig()
    _check_config(config)
    rng = np.random.default_rng(seed)
    airlines, joint = _airline_market_shares(config)
    timetable = _timetable(airlines, joint, config, rng)
    if draw_seed is not None:
        rng = np.random.default_rng(draw_seed)
    dates, date_weights = _journey_dates(start, end, config)
    cells = _assign_airlines(int(n_rows), airlines, joint, config)
    levels = _date_levels(dates, config, rng)
    rows = _draw_journeys(timetable, cells, airlines, rng)
    rows["date"] = _draw_dates(rows["flight"].to_numpy(), timetable["base_fare"].to_numpy(), date_weights,
                               levels, config, rng)
    rows["date"], rows["requote"] = _requote_dates(rows["flight"].to_numpy(), rows["date"].to_numpy(),
                                                   config.same_date_share, rng)
    rows["info"] = _additional_info(rows, timetable, config, rng)
    rows["price"] = _prices(rows, timetable, levels, config, rng)
    frame = _format_columns(rows, timetable, dates)
    frame = _make_rows_distinct(frame)
    if config.inject_flaws:
        frame = _inject_flaws(frame, rows["flight"].to_numpy(), config, rng)
    order = rng.permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


def _check_config(config: TwinConfig) -> None:
    """Refuse configurations the generator cannot honour, naming the field."""
    for name in ("airline_shares", "market_shares", "info_shares"):
        shares = getattr(config, name)
        if any((not np.isfinite(v)) or v < 0 for v in shares.values()):
            raise ValueError(f"TwinConfig.{name}: shares must be finite and >= 0, got {shares}")
    if sum(config.airline_shares.values()) <= 0 or sum(config.market_shares.values()) <= 0:
        raise ValueError("TwinConfig: airline_shares and market_shares need at least one positive share")
    unknown = [m for m in config.market_shares if m not in MARKET_ROUTES]
    if unknown:
        raise ValueError(f"TwinConfig.market_shares: unknown market(s) {unknown}; known: {MARKETS}")
    if sum(config.info_shares.values()) > 1:
        raise ValueError("TwinConfig.info_shares: the shares of the non-default labels exceed 1")
    if config.price_level <= 0 or config.price_min >= config.price_max:
        raise ValueError("TwinConfig: price_level must be > 0 and price_min < price_max")


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Split `total` into integers proportional to `weights` (Hamilton's method), ties to the first."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=int)
    quotas = weights / weights.sum() * total
    counts = np.floor(quotas).astype(int)
    remainders = quotas - counts
    order = np.argsort(-remainders, kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _airline_market_shares(config: TwinConfig) -> tuple[list[str], np.ndarray]:
    """Joint airline x market shares matching both margins (iterative proportional fitting)."""
    airlines = [a for a, s in config.airline_shares.items() if s > 0]
    row_target = np.array([config.airline_shares[a] for a in airlines], dtype=float)
    row_target /= row_target.sum()
    col_target = np.array([config.market_shares.get(m, 0.0) for m in MARKETS], dtype=float)
    col_target /= col_target.sum()
    joint = np.array([MARKET_AFFINITY.get(a, DEFAULT_AFFINITY) for a in airlines], dtype=float)
    joint *= col_target > 0  # a market switched off is flown by nobody
    for a, airline in enumerate(airlines):
        if joint[a].sum() == 0:  # e.g. only flies a market the scenario switched off
            raise ValueError(f"TwinConfig: airline {airline!r} flies none of the markets with a share > 0")
    for _ in range(200):
        joint *= (row_target / joint.sum(axis=1))[:, None]
        col_sums = joint.sum(axis=0)
        joint *= np.divide(col_target, col_sums, out=np.zeros_like(col_sums), where=col_sums > 0)
    joint *= (row_target / joint.sum(axis=1))[:, None]  # finish on the rows: airline shares are exact
    return airlines, joint


def _timetable(airlines: list[str], joint: np.ndarray, config: TwinConfig,
               rng: np.random.Generator) -> pd.DataFrame:
    """Scheduled flights: airline, market, route, stops, departure, duration, base fare, popularity.

    Sized for the reference 10,683 rows whatever n_rows is, so a small sample draws from the same schedule.
    Every route of a market gets at least one flight, so route variety matches the real file.
    """
    flights: list[dict] = []
    for m, market in enumerate(MARKETS):
        operators = [a for a in range(len(airlines)) if joint[a, m] > 0]
        if not operators:
            continue
        routes = MARKET_ROUTES[market]
        stops = [len(r.split()) - 2 for r in routes]
        target = {a: max(1, round(joint[a, m] * DEFAULT_ROWS / config.rows_per_flight)) for a in operators}
        planned: list[tuple[int, str]] = []
        # Pass 1: one flight per route, flown by an airline whose profile has that many stops.
        for route, n_stops in zip(routes, stops):
            if route in PINNED_ROUTES:
                pinned = PINNED_ROUTES[route]
                if pinned in airlines and airlines.index(pinned) in operators:
                    planned.append((airlines.index(pinned), route))
                continue
            # Niche airlines (under ~50 rows at the reference size) keep to their own few flights.
            candidates = [a for a in operators if joint[a].sum() * DEFAULT_ROWS >= 50
                          and _stop_profile(airlines[a]).get(n_stops, 0) > 0] or operators
            weights = np.array([joint[a, m] * _stop_profile(airlines[a]).get(n_stops, 0.01) for a in candidates])
            planned.append((candidates[rng.choice(len(candidates), p=weights / weights.sum())], route))
        # Pass 2: fill each airline's schedule up to its size, routes by stop profile and popularity.
        for a in operators:
            already = sum(1 for op, _ in planned if op == a)
            own_routes = [(r, s) for r, s in zip(routes, stops) if r not in PINNED_ROUTES]
            if airlines[a] in ONLY_PINNED_ROUTES and already > 0:
                continue
            profile = _stop_profile(airlines[a])
            route_weights = np.array([profile.get(s, 0.0) for _, s in own_routes])
            if route_weights.sum() == 0:
                route_weights = np.ones(len(own_routes))
            # Within a stop class, earlier-listed (hub) routes are more popular.
            route_weights = route_weights * _popularity_within_class([s for _, s in own_routes])
            route_weights /= route_weights.sum()
            for i in rng.choice(len(own_routes), size=max(0, target[a] - already), p=route_weights):
                planned.append((a, own_routes[i][0]))
        for a, route in planned:
            flights.append({"airline": airlines[a], "market": m, "route": route,
                            "stops": len(route.split()) - 2})
    table = pd.DataFrame(flights)
    table["dep_min"] = _departure_minutes(table["stops"].to_numpy(), rng)
    table["dur_min"] = [_flight_duration(r, s, rng) for r, s in zip(table["route"], table["stops"])]
    class_weight = table["stops"].map({0: 1.35, 1: 1.0, 2: 1.0, 3: 0.2, 4: 1e-9})
    table["weight"] = rng.lognormal(0.0, config.popularity_sigma, len(table)) * class_weight
    table["base_fare"] = _base_fares(table, config, rng)
    return table


def _stop_profile(airline: str) -> dict[int, float]:
    return STOP_PROFILES.get(airline, DEFAULT_STOP_PROFILE)


def _popularity_within_class(stops: list[int]) -> np.ndarray:
    """1 / rank**0.8 within each stop class, ranks in listing order."""
    seen: dict[int, int] = {}
    weights = []
    for s in stops:
        seen[s] = seen.get(s, 0) + 1
        weights.append(1.0 / seen[s] ** 0.8)
    return np.array(weights)


def _departure_minutes(stops: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Departure times on a 5-minute grid: morning and evening peaks, a few red-eye flights.

    Connections lean to the morning (to land the same day); non-stops follow the plain daily profile.
    """
    hour_weights = np.array([1.5, 1.0, 1.5, 0.5, 1.0, 6.0, 7.0, 7.0, 7.0, 7.0, 5.0, 4.5,
                             4.0, 4.5, 5.0, 4.0, 5.0, 6.0, 5.5, 5.5, 5.0, 3.5, 3.0, 2.0])
    morning_bias = np.where((np.arange(24) >= 4) & (np.arange(24) <= 11), 1.5, 1.0)
    connecting = hour_weights * morning_bias
    hours = np.where(stops > 0,
                     rng.choice(24, size=len(stops), p=connecting / connecting.sum()),
                     rng.choice(24, size=len(stops), p=hour_weights / hour_weights.sum()))
    return hours * 60 + rng.integers(0, 12, size=len(stops)) * 5


def _leg_minutes(origin: str, destination: str) -> float:
    """Block time of one leg: 30 min on the ground plus ~750 km/h over the great-circle distance."""
    (lat1, lon1), (lat2, lon2) = AIRPORTS[origin], AIRPORTS[destination]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * 6371 * math.asin(math.sqrt(a))
    return 30 + km / 12.5


MAX_DURATION_MIN = 47 * 60 + 40  # the real file's longest journey


def _flight_duration(route: str, stops: int, rng: np.random.Generator) -> int:
    """Door-to-door minutes: legs plus layovers; a layover is a tight connection or an overnight wait."""
    codes = route.split()
    legs = sum(_leg_minutes(o, d) for o, d in zip(codes, codes[1:])) + rng.integers(-2, 3) * 5
    if stops == 0:
        return int(max(60, round(legs / 5) * 5))
    p_long = {1: 0.55, 2: 0.6, 3: 0.5}.get(stops, 0.5)
    is_long = rng.random(stops) < p_long
    layovers = np.where(is_long, rng.uniform(300, 1260, stops), rng.uniform(45, 240, stops))
    total = legs + layovers.sum()
    if total > MAX_DURATION_MIN:  # squeeze the waits, never the flying
        total = legs + layovers.sum() * (MAX_DURATION_MIN - legs - rng.uniform(0, 600)) / layovers.sum()
    grid = 60 if rng.random() < 0.06 else 5  # some connections are timed to the whole hour ("19h")
    return int(round(total / grid) * grid)


def _base_fares(table: pd.DataFrame, config: TwinConfig, rng: np.random.Generator) -> np.ndarray:
    """Each scheduled flight's own fare before date, time-of-day, fare-class and noise multipliers."""
    market = np.array([config.market_price[MARKETS[m]] for m in table["market"]])
    airline = table["airline"].map(lambda a: config.airline_price.get(a, 1.0)).to_numpy(dtype=float)
    stops = table["stops"].map(config.stops_price).to_numpy(dtype=float)
    nonstop_minutes = np.array([_leg_minutes(*MARKET_ROUTES[MARKETS[m]][0].split()) for m in table["market"]])
    duration = (table["dur_min"].to_numpy() / nonstop_minutes) ** 0.06  # longer journeys cost a bit more
    time_of_day = np.asarray(config.dep_period_price, dtype=float)[table["dep_min"].to_numpy() // 360 % 4]
    routes = sorted(set(zip(table["market"], table["route"])))
    route_level = dict(zip(routes, rng.lognormal(0.0, config.route_fare_sigma, len(routes)), strict=True))
    non_stop = table["stops"].to_numpy() == 0  # a market's non-stop fare is its reference level
    route = np.where(non_stop, 1.0, [route_level[key] for key in zip(table["market"], table["route"])])
    flight = rng.lognormal(0.0, config.flight_fare_sigma, len(table))
    return market * airline * stops * duration * time_of_day * _centred(route * flight, table)


def _centred(spread: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Random fare spreads divided by their popularity-weighted geometric mean per market.

    A market's fare level is then the configured one whatever the seed: without this, a few popular routes
    drawn dear or cheap moved a twin's median fare by ~5 % from one seed to the next.
    """
    log_spread = pd.Series(np.log(spread), index=table.index)
    weights = table["weight"]
    mean = (log_spread * weights).groupby(table["market"]).transform("sum") / weights.groupby(
        table["market"]).transform("sum")
    return np.exp((log_spread - mean).to_numpy())


def _journey_dates(start: str, end: str, config: TwinConfig) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Journey dates between start and end (on the configured days of the month) and their demand weights."""
    try:
        first, last = pd.Timestamp(start), pd.Timestamp(end)
    except (ValueError, TypeError) as err:
        raise ValueError(f"start/end must be dates like '2019-03-01', got {start!r}, {end!r}") from err
    days = pd.date_range(first, last, freq="D")
    dates = days[days.day.isin(config.journey_days)]
    if len(dates) == 0:
        raise ValueError(f"no journey date between start={start!r} and end={end!r} on days "
                         f"{config.journey_days} of a month")
    weights = np.array([config.month_demand.get(m, 1.0) for m in dates.month], dtype=float)
    return dates, weights / weights.sum()


def _assign_airlines(n_rows: int, airlines: list[str], joint: np.ndarray, config: TwinConfig) -> np.ndarray:
    """Rows per airline x market: exact airline quotas (largest remainder), each split over its markets."""
    shares = np.array([config.airline_shares[a] for a in airlines], dtype=float)
    per_airline = _largest_remainder(shares, n_rows)
    return np.vstack([_largest_remainder(joint[a], per_airline[a]) for a in range(len(airlines))])


def _draw_journeys(timetable: pd.DataFrame, cells: np.ndarray, airlines: list[str],
                   rng: np.random.Generator) -> pd.DataFrame:
    """Draw the flight of each row per cell; every flight flies at least once when the cell is big enough."""
    flight_ids = []
    for a, airline in enumerate(airlines):
        for m in range(len(MARKETS)):
            k = int(cells[a, m])
            if k == 0:
                continue
            mask = ((timetable["airline"] == airline) & (timetable["market"] == m)).to_numpy()
            ids = np.flatnonzero(mask)
            weights = timetable["weight"].to_numpy()[ids]
            if k >= len(ids):
                drawn = np.concatenate([ids, rng.choice(ids, size=k - len(ids), p=weights / weights.sum())])
            else:
                drawn = rng.choice(ids, size=k, replace=False, p=weights / weights.sum())
            flight_ids.append(drawn)
    return pd.DataFrame({"flight": np.concatenate(flight_ids)})


def _draw_dates(flights: np.ndarray, base_fares: np.ndarray, date_weights: np.ndarray, levels: np.ndarray,
                config: TwinConfig, rng: np.random.Generator) -> np.ndarray:
    """Each row's journey date: by demand, tilted so that dear dates draw dear flights (`date_mix_strength`).

    In the real file a date's fare level is mostly which flights sell on it: one flight's fares move little
    across dates (median CV 0.177, against 0.163 on one date), yet dates explain 21 % of the variance.
    A flight's rows take distinct dates while it has dates left (a scrape lists a flight once per date;
    `_requote_dates` adds the repeats), drawn without replacement by the Gumbel top-k trick.
    """
    flight_level = np.log(base_fares)
    flight_level = (flight_level - flight_level.mean()) / max(flight_level.std(), 1e-12)
    date_level = np.log(levels) - np.average(np.log(levels), weights=date_weights)
    dates = np.empty(len(flights), dtype=np.int64)
    order = np.argsort(flights, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(flights[order]) != 0])
    for begin, end in zip(starts, np.r_[starts[1:], len(order)]):
        logits = np.log(date_weights) + config.date_mix_strength * flight_level[flights[order[begin]]] * date_level
        picked: list[np.ndarray] = []
        while sum(len(p) for p in picked) < end - begin:  # more rows than dates: go round again
            keys = logits + rng.gumbel(size=len(logits))
            picked.append(np.argsort(-keys, kind="stable")[: end - begin - sum(len(p) for p in picked)])
        dates[order[begin:end]] = np.concatenate(picked)
    return dates


def _requote_dates(flights: np.ndarray, dates: np.ndarray, share: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Give a `share` of rows the journey date of an earlier row of the same flight: a fare quoted twice.

    Returns the dates and which rows are re-quotes (they are sold in another fare class, see `_prices`).
    Rows are visited in a random order, so a re-quoted date can be re-quoted again (clusters of 3+ rows).
    """
    dates = dates.copy()
    order = rng.permutation(len(flights))
    wanted = rng.random(len(flights)) < share
    requote = np.zeros(len(flights), dtype=bool)
    last_date: dict[int, int] = {}
    for row in order:
        flight = int(flights[row])
        if wanted[row] and flight in last_date:
            dates[row] = last_date[flight]
            requote[row] = True
        last_date[flight] = int(dates[row])
    return dates, requote


def _additional_info(rows: pd.DataFrame, timetable: pd.DataFrame, config: TwinConfig,
                     rng: np.random.Generator) -> np.ndarray:
    """Fare-class notes: exact counts per label (from the shares), each given to the rows it plausibly fits."""
    flight = timetable.iloc[rows["flight"].to_numpy()]
    airline = flight["airline"].to_numpy()
    stops = flight["stops"].to_numpy()
    hours = flight["dur_min"].to_numpy() / 60
    dep_hour = flight["dep_min"].to_numpy() // 60
    premium = np.isin(airline, ["Jet Airways Business"])
    eligible = {
        "Business class": premium,
        "In-flight meal not included": (airline == "Jet Airways") & (stops >= 1),
        "No check-in baggage included": np.isin(airline, BUDGET_AIRLINES),
        "1 Long layover": np.isin(airline, ["Jet Airways", "Air India"]) & (stops == 1) & (hours >= 15),
        "2 Long layover": (airline == "Air India") & (stops >= 2) & (hours >= 20),
        "1 Short layover": (stops == 1) & (hours <= 5),
        "Change airports": np.isin(airline, ["Jet Airways", "Air India", "Multiple carriers"]) & (stops >= 1),
        "Red-eye flight": (stops == 0) & ((dep_hour >= 22) | (dep_hour < 4)),
    }
    info = np.full(len(rows), "No info", dtype=object)
    n = len(rows)
    for label, share in config.info_shares.items():
        count = int(round(share * n))
        pool = np.flatnonzero(eligible.get(label, np.ones(n, dtype=bool)) & (info == "No info"))
        if count > 0 and len(pool) > 0:
            info[rng.choice(pool, size=min(count, len(pool)), replace=False)] = label
    return info


def _prices(rows: pd.DataFrame, timetable: pd.DataFrame, levels: np.ndarray, config: TwinConfig,
            rng: np.random.Generator) -> np.ndarray:
    """Fare = flight's base fare x date (season, early-booking, daily demand) x fare class x noise, in rupees."""
    base = timetable["base_fare"].to_numpy()[rows["flight"].to_numpy()]
    date_factor = levels[rows["date"].to_numpy()] ** config.date_level_share
    info_factor = np.array([config.info_price.get(i, 1.0) for i in rows["info"]])
    noise = rng.lognormal(0.0, config.noise_sigma, len(rows))
    noise[rows["requote"].to_numpy()] *= _fare_class_steps(int(rows["requote"].sum()), config.requote_step, rng)
    price = _soft_bounds(base * date_factor * info_factor * noise * config.price_level,
                         config.price_min, config.price_max)
    if config.fare_step > 0:
        airlines = timetable["airline"].to_numpy()[rows["flight"].to_numpy()]
        price = _snap_to_fare_ladder(price, airlines, config.fare_step, config.price_min)
    return np.round(price).astype(np.int64)


def _fare_class_steps(n: int, step: float, rng: np.random.Generator) -> np.ndarray:
    """Fare multipliers of `n` re-quotes: one fare class up or down, i.e. exp(+-step), the step varying by 30 %.

    Fare classes are discrete buckets: a re-quote sits a class away, not anywhere on a bell curve, so the
    same-date spread (median CV 0.163) comes with half the variance a lognormal jump of that median would add.
    """
    signs = rng.choice([-1.0, 1.0], size=n)
    return np.exp(signs * step * rng.uniform(0.7, 1.3, size=n))


def _date_levels(dates: pd.DatetimeIndex, config: TwinConfig, rng: np.random.Generator) -> np.ndarray:
    """Each journey date's fare level: month x named date x weekday x early-booking bump x a random shock."""
    days_from_start = (dates - dates[0]).days.to_numpy()
    named = np.array([config.date_price.get(f"{d:%Y-%m-%d}", 1.0) for d in dates])
    return (np.array([config.month_price.get(m, 1.0) for m in dates.month]) * named
            * np.array([config.weekday_price.get(d, 1.0) for d in dates.day_of_week])
            * (1 + config.early_fare_bump * np.exp(-days_from_start / config.early_fare_days))
            * rng.lognormal(0.0, config.date_fare_sigma, len(dates)))


def _snap_to_fare_ladder(price: np.ndarray, airlines: np.ndarray, step: float, low: float) -> np.ndarray:
    """Round each fare to its airline's nearest ladder level: low x (1 + step) ** (k + offset)."""
    # A fixed per-airline offset keeps airlines on different levels, as real carriers' fares are.
    offsets = np.array([zlib.crc32(str(a).encode()) % 1000 / 1000 for a in airlines])
    rungs = np.round(np.log(price / low) / np.log1p(step) - offsets)
    return low * np.exp((rungs + offsets) * np.log1p(step))


def _soft_bounds(price: np.ndarray, low: float, high: float) -> np.ndarray:
    """Bend fares smoothly into [low, high] (no pile-up at the bounds as a hard clip would make)."""
    knee_low, knee_high = low * 1.4, high / 1.25
    bent = np.where(price < knee_low,
                    low + (knee_low - low) * np.exp((np.minimum(price, knee_low) - knee_low) / (knee_low - low)),
                    price)
    return np.where(bent > knee_high,
                    high - (high - knee_high) * np.exp(-(np.maximum(bent, knee_high) - knee_high) / (high - knee_high)),
                    bent)


def _format_columns(rows: pd.DataFrame, timetable: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Write each row the way the real file does: text columns with its formats, Price as int64."""
    flight = timetable.iloc[rows["flight"].to_numpy()].reset_index(drop=True)
    journey = dates[rows["date"].to_numpy()]
    dep = flight["dep_min"].to_numpy()
    dur = flight["dur_min"].to_numpy()
    markets = [MARKETS[m] for m in flight["market"]]
    frame = pd.DataFrame({
        "Airline": flight["airline"].to_numpy(),
        "Date_of_Journey": [f"{d.day}/{d.month:02d}/{d.year}" for d in journey],
        "Source": [s for s, _ in markets],
        "Destination": [d for _, d in markets],
        "Route": [ROUTE_ARROW.join(r.split()) for r in flight["route"]],
        "Dep_Time": [_clock_text(m) for m in dep],
        "Arrival_Time": _arrival_texts(journey, dep, dur),
        "Duration": [_duration_text(m) for m in dur],
        "Total_Stops": [STOPS_LABELS[s] for s in flight["stops"]],
        "Additional_Info": rows["info"].to_numpy(),
        "Price": rows["price"].to_numpy().astype(np.int64),
    })
    return frame.astype({c: "str" for c in TEXT_COLUMNS})


def _clock_text(minutes: int) -> str:
    return f"{int(minutes) // 60 % 24:02d}:{int(minutes) % 60:02d}"


def _duration_text(minutes: int) -> str:
    """'2h 50m', '19h' for whole hours, '5m' under an hour, as in the real file."""
    hours, mins = divmod(int(minutes), 60)
    if hours == 0:
        return f"{mins}m"
    return f"{hours}h" if mins == 0 else f"{hours}h {mins}m"


def _arrival_texts(journey: pd.DatetimeIndex, dep: np.ndarray, dur: np.ndarray) -> list[str]:
    """'HH:MM' when landing the same day, else 'HH:MM DD Mon' with the landing date."""
    arrive = dep + dur
    landing = journey + pd.to_timedelta(arrive // 1440, unit="D")
    texts = []
    for minutes, day_offset, when in zip(arrive, arrive // 1440, landing):
        clock = _clock_text(minutes % 1440)
        texts.append(clock if day_offset == 0 else f"{clock} {when.day:02d} {MONTH_ABBR[when.month - 1]}")
    return texts


def _make_rows_distinct(frame: pd.DataFrame) -> pd.DataFrame:
    """Nudge the price of accidental exact repeats by a rupee, so the only duplicates are the injected ones."""
    frame = frame.copy()
    while True:
        repeats = frame.duplicated(keep="first").to_numpy()
        if not repeats.any():
            return frame
        frame.loc[repeats, "Price"] = frame.loc[repeats, "Price"] + 1


def _inject_flaws(frame: pd.DataFrame, flights: np.ndarray, config: TwinConfig,
                  rng: np.random.Generator) -> pd.DataFrame:
    """The real file's flaws: a 5-minute flight, 'No Info' spellings, one incomplete Air India row, duplicates.

    Rows are changed (never added): a duplicate overwrites a row with a copy of another row of the same
    scheduled flight, so airline counts, market totals and route variety stay exactly as drawn, and one-off
    journeys (the lone 4-stop flight) stay unique.
    """
    frame = frame.copy()
    n = len(frame)
    touched = np.zeros(n, dtype=bool)

    def pick(candidates: np.ndarray) -> int | None:
        pool = np.flatnonzero(candidates & ~touched)
        if len(pool) == 0:
            return None
        row = int(rng.choice(pool))
        touched[row] = True
        return row

    # 1. One impossible 5-minute flight: a normal Mumbai -> Hyderabad non-stop whose Duration says "5m".
    nonstop = (frame["Total_Stops"] == "non-stop").to_numpy()
    bom_hyd = nonstop & (frame["Route"] == "BOM → HYD").to_numpy()
    row = pick(bom_hyd) if bom_hyd.any() else pick(nonstop)
    if row is not None:
        dep = _clock_minutes(frame.at[row, "Dep_Time"])
        journey = pd.Timestamp(datetime.strptime(frame.at[row, "Date_of_Journey"], "%d/%m/%Y"))
        frame.at[row, "Duration"] = "5m"
        frame.at[row, "Arrival_Time"] = _arrival_texts(pd.DatetimeIndex([journey]), np.array([dep]),
                                                       np.array([5]))[0]
    # 2. 'No Info' (capital I) on a few rows, the inconsistent-spelling flaw.
    n_variants = max(1, round(config.no_info_variant_share * n)) if config.no_info_variant_share > 0 else 0
    for _ in range(n_variants):
        row = pick((frame["Additional_Info"] == "No info").to_numpy())
        if row is not None:
            frame.at[row, "Additional_Info"] = "No Info"
    # 3. One Air India row without Route and Total_Stops (preferably Delhi -> Cochin, as in the real file).
    air_india = (frame["Airline"] == "Air India").to_numpy()
    delhi_cochin = air_india & (frame["Source"] == "Delhi").to_numpy() & (frame["Total_Stops"] != "non-stop").to_numpy()
    row = pick(delhi_cochin) if (delhi_cochin & ~touched).any() else pick(air_india)
    if row is not None:
        frame.loc[row, ["Route", "Total_Stops"]] = np.nan
    # 4. Exact duplicates: a row re-scraped, i.e. overwritten by a copy of another row of the same flight.
    frame = _make_rows_distinct(frame)  # the flaws above must not have created repeats of their own
    n_dup = int(round(config.duplicate_rate * n))
    recurring = np.bincount(flights)[flights] > 1
    # A label only one row carries (e.g. '1 Short layover') must not be overwritten by a copy of another row.
    info = frame["Additional_Info"]
    one_off = info.map(info.value_counts()).to_numpy() == 1
    victims = rng.permutation(np.flatnonzero(~touched & recurring & ~one_off))
    sources_used = np.zeros(n, dtype=bool)
    pairs: list[tuple[int, int]] = []
    for victim in victims:
        if len(pairs) >= n_dup:
            break
        if sources_used[victim]:
            continue
        same_flight = np.flatnonzero((flights == flights[victim]) & ~touched)
        same_flight = same_flight[same_flight != victim]
        if len(same_flight) == 0:
            continue
        source = int(rng.choice(same_flight))
        pairs.append((int(victim), source))
        touched[victim] = True
        sources_used[source] = True
    if pairs:
        targets, sources = (np.array(side) for side in zip(*pairs))
        for column in frame.columns:  # one vectorised copy per column (row-by-row assignment is slow)
            values = frame[column].to_numpy(copy=True)
            values[targets] = values[sources]
            frame[column] = pd.Series(values, index=frame.index).astype(frame[column].dtype)
    return frame


# ----------------------------------------------------------------------------------------------
# Loader and contract
# ----------------------------------------------------------------------------------------------


_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d"
_ARRIVAL_DATE = r"(?:0?[1-9]|[12]\d|3[01]) (?:" + "|".join(MONTH_ABBR) + ")"
_PATTERNS = {
    "Dep_Time": (rf"^{_CLOCK}$", "a time like '22:20' (HH:MM)"),
    "Arrival_Time": (rf"^{_CLOCK}(?: {_ARRIVAL_DATE})?$", "a time like '13:15' or '01:10 22 Mar'"),
    "Duration": (r"^(?:\d+h(?: \d+m)?|\d+m)$", "like '2h 50m', '19h' or '5m'"),
}
_EXPECTED = {
    "Date_of_Journey": "a real date written day/month/year like '24/03/2019' or '1/05/2019'",
    "Price": "a whole number of rupees above 0",
    **{column: text for column, (_, text) in _PATTERNS.items()},
}


def _flights_schema():
    """The pandera contract: non-empty values where required, and each text column's format."""
    import pandera.pandas as pa  # imported here: pandera is slow to import and only the contract needs it

    def matches(column: str):
        pattern = _PATTERNS[column][0]
        return pa.Check(lambda s: s.astype("str").str.fullmatch(pattern), name=column)

    def real_date(s: pd.Series) -> pd.Series:
        text = s.astype("str")
        parsed = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
        return text.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}") & parsed.notna()

    def whole_positive(s: pd.Series) -> pd.Series:
        number = pd.to_numeric(s.astype("str").str.strip(), errors="coerce")
        return number.notna() & (number > 0) & (number == np.floor(number))

    columns = {c: pa.Column(nullable=c in NULLABLE_COLUMNS) for c in COLUMNS}
    columns["Date_of_Journey"] = pa.Column(checks=pa.Check(real_date, name="Date_of_Journey"))
    for column in _PATTERNS:
        columns[column] = pa.Column(checks=matches(column))
    columns["Price"] = pa.Column(checks=pa.Check(whole_positive, name="Price"))
    return pa.DataFrameSchema(columns, strict=False, ordered=False)


def validate_flights(df: pd.DataFrame, source: str = "data") -> pd.DataFrame:
    """Check `df` against the flight-file contract; return it tidy (columns in order, text str, Price int64).

    Raises DataContractError listing every problem at once (column, rows, examples, what was expected).
    """
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(source, [f"expected a table (pandas DataFrame), got {type(df).__name__}"])
    problems = _column_problems(list(df.columns))
    if problems:
        raise DataContractError(source, problems)
    if len(df) == 0:
        raise DataContractError(source, ["no data rows: the header is there but nothing under it"])
    frame = df[COLUMNS].reset_index(drop=True).copy()
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype("str")
    from pandera.errors import SchemaErrors

    try:
        _flights_schema().validate(frame, lazy=True)
    except SchemaErrors as err:
        raise DataContractError(source, _describe_failures(err.failure_cases)) from None
    frame["Price"] = pd.to_numeric(frame["Price"].astype("str").str.strip()).astype(np.int64)
    from workbook.labels import normalise_labels  # labels reads this module's tables

    return normalise_labels(frame)[0]  # `JET AIRWAYS` read as `Jet Airways`; frame.attrs says how many rows


def _normalised_name(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _column_problems(found: list) -> list[str]:
    """Missing and unexpected columns, with the closest found name suggested for each missing one."""
    missing = [c for c in COLUMNS if c not in found]
    unexpected = [c for c in found if c not in COLUMNS]
    problems = []
    if missing:
        hints = []
        by_norm = {_normalised_name(u): u for u in unexpected}
        for column in missing:
            close = difflib.get_close_matches(_normalised_name(column), list(by_norm), n=1, cutoff=0.6)
            if close:
                hints.append(f"found {by_norm[close[0]]!r}: did you mean {column!r}?")
        problems.append("missing column(s) " + ", ".join(repr(c) for c in missing)
                        + (" (" + "; ".join(hints) + ")" if hints else ""))
    if unexpected:
        note = " (an index saved with the data? write it with index=False)" if any(
            str(c).startswith("Unnamed") for c in unexpected) else ""
        problems.append("unexpected column(s) " + ", ".join(repr(str(c)) for c in unexpected) + note
                        + f"; expected exactly: {', '.join(COLUMNS)}")
    if len(found) != len(set(found)):
        problems.append("some column names appear twice: " + ", ".join(sorted({repr(c) for c in found
                                                                               if found.count(c) > 1})))
    return problems


def _row_list(rows: list[int], limit: int = 5) -> str:
    """'row 7' or 'rows 4, 17, ... and 3 more' (numbers as given)."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}{more}"


def _describe_failures(failures: pd.DataFrame) -> list[str]:
    """Turn pandera's failure table into one line per column and check, in file column order."""
    problems = []
    failures = failures.copy()
    failures["order"] = failures["column"].map(lambda c: COLUMNS.index(c) if c in COLUMNS else len(COLUMNS))
    for (_, column, check), group in failures.groupby(["order", "column", "check"], sort=True, dropna=False):
        # Spreadsheet numbering (header = row 1), so the numbers match what a user sees opening the file.
        rows = sorted(int(i) + 2 for i in group["index"].dropna())
        if not rows:  # a whole-column failure (pandera reports no row)
            detail = "; ".join(dict.fromkeys(str(v) for v in group["failure_case"]))
            problems.append(f"column {column!r}: check {check!r} failed ({detail})")
            continue
        if check == "not_nullable":
            problems.append(f"column {column!r}: {len(rows)} missing value(s) in spreadsheet {_row_list(rows)} "
                            f"(only {' and '.join(NULLABLE_COLUMNS)} may be empty)")
            continue
        examples = list(dict.fromkeys(str(v) for v in group["failure_case"]))[:3]
        expected = _EXPECTED.get(column, f"valid ({check})")
        problems.append(f"column {column!r}: {len(rows)} value(s) not {expected} in spreadsheet {_row_list(rows)} "
                        f"(e.g. {', '.join(repr(e) for e in examples)})")
    return problems


def load_flights(data_path: str | Path | None = None, *, n_rows: int = DEFAULT_ROWS, seed: int = 42) -> pd.DataFrame:
    """Load the flight data: the synthetic twin when `data_path` is None, else an .xlsx/.xls/.csv file.

    The result always passed the contract: text columns as str (missing Route/Total_Stops stay NaN),
    Price as int64. Anything else raises DataContractError naming the file, columns, rows and expectation.
    """
    if data_path is None:
        return validate_flights(make_flights(n_rows, seed), source="synthetic twin")
    path = Path(data_path).expanduser()
    source = path.name
    if not path.exists():
        raise DataFileNotFoundError(str(path), [f"file not found: {path.resolve()}"])
    if path.is_dir():
        raise DataContractError(str(path), ["this is a folder; expected a .xlsx, .xls or .csv file"])
    raw = _read_table(path)
    if raw.shape[1] == 0:
        raise DataContractError(source, ["the file is empty: no header row and no data"])
    if raw.shape[1] == 1 and ";" in str(raw.columns[0]):
        raise DataContractError(source, ["the file looks ';'-separated (one column named "
                                         f"{str(raw.columns[0])[:40]!r}...): save it with commas as separators"])
    return validate_flights(raw, source=source)


def _read_table(path: Path) -> pd.DataFrame:
    """Read every cell as text (missing cells stay NaN); translate reader failures into contract errors."""
    suffix = path.suffix.lower()
    source = path.name
    if suffix not in (".xlsx", ".xls", ".csv"):
        raise DataContractError(source, [f"not a spreadsheet: expected a .xlsx, .xls or .csv file, "
                                         f"got {suffix or 'no extension'!r}"])
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=True, encoding="utf-8-sig")
        engine = "openpyxl" if suffix == ".xlsx" else None
        return _flights_sheet(pd.read_excel(path, sheet_name=None, dtype=str, engine=engine), source)
    except DataContractError:
        raise
    except pd.errors.EmptyDataError:
        raise DataContractError(source, ["the file is empty: no header row and no data"]) from None
    except UnicodeDecodeError as err:
        raise DataContractError(source, [f"not readable as UTF-8 text (byte {err.start}): save the CSV as UTF-8"]
                                ) from None
    except ImportError as err:
        raise DataContractError(source, [f"cannot read {suffix} files here ({err}); save it as .xlsx or .csv"]
                                ) from None
    except Exception as err:  # corrupt workbooks raise zipfile/openpyxl/parser errors of many kinds
        kind = "an Excel workbook" if suffix != ".csv" else "a CSV file"
        raise DataContractError(source, [f"cannot be read as {kind} ({type(err).__name__}: {err}); "
                                         f"is it really a {suffix} file?"]) from None


def _flights_sheet(sheets: dict[str, pd.DataFrame], source: str) -> pd.DataFrame:
    """The one sheet of a workbook, or the sheet that has the flight columns; several candidates or none is
    an error naming the sheets found."""
    if len(sheets) == 1:
        return next(iter(sheets.values()))
    having = [name for name, sheet in sheets.items() if set(COLUMNS) <= set(map(str, sheet.columns))]
    if len(having) == 1:
        return sheets[having[0]]
    names = ", ".join(repr(name) for name in sheets)
    if having:
        raise DataContractError(source, [f"sheets {', '.join(map(repr, having))} all have the flight columns; "
                                         "keep the one to use in a workbook of its own"])
    raise DataContractError(source, [f"none of its sheets ({names}) has the flight columns "
                                     f"({', '.join(COLUMNS)})"])


# ----------------------------------------------------------------------------------------------
# Quality report: accuracy, reliability, relevance, timeliness
# ----------------------------------------------------------------------------------------------

PLAUSIBLE_PRICE = (1_000, 100_000)  # rupees for a one-way domestic ticket, any class
CITY_ALIASES = {"new delhi": "delhi", "banglore": "bangalore", "bengaluru": "bangalore", "bombay": "mumbai",
                "calcutta": "kolkata", "madras": "chennai", "cochin": "kochi"}


def _clock_minutes(text: object) -> float:
    """Minutes after midnight of the 'HH:MM' at the start of `text`; NaN when unreadable."""
    match = re.match(r"^\s*(\d{1,2}):(\d{2})", str(text))
    return int(match[1]) * 60 + int(match[2]) if match else float("nan")


def _clock_minutes_series(texts: pd.Series) -> np.ndarray:
    """Vectorised `_clock_minutes` for a column."""
    parts = texts.astype("str").str.extract(r"^\s*(\d{1,2}):(\d{2})")
    return (pd.to_numeric(parts[0]) * 60 + pd.to_numeric(parts[1])).to_numpy(dtype=float)


def _duration_minutes_series(texts: pd.Series) -> np.ndarray:
    """'2h 50m' -> 170, '19h' -> 1140, '5m' -> 5; NaN when unreadable."""
    parts = texts.astype("str").str.extract(r"^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*$")
    hours, minutes = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
    total = hours.fillna(0) * 60 + minutes.fillna(0)
    return total.where(hours.notna() | minutes.notna()).to_numpy(dtype=float)


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
    minutes = _duration_minutes_series(frame["Duration"])
    short = minutes < 30
    detail = (f"{short.sum()} journey(s) under 30 min, impossible for these routes "
              f"({_examples(frame, short, 'Duration')})" if short.any() else "no journey under 30 min")
    return ("accuracy", "duration under 30 min", "Duration", int(short.sum()), bool(short.any()), detail)


def _check_arrivals(frame: pd.DataFrame) -> tuple:
    """Arrival must equal journey date + departure + duration (clock time, and the landing date when shown)."""
    journey = pd.to_datetime(frame["Date_of_Journey"].astype("str"), format="%d/%m/%Y", errors="coerce")
    dep = _clock_minutes_series(frame["Dep_Time"])
    dur = _duration_minutes_series(frame["Duration"])
    arrival = frame["Arrival_Time"].astype("str")
    arr_clock = _clock_minutes_series(arrival)
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
    detail = ("; ".join(f"{c}: {n}" for c, n in counts.items()) + f" ({_row_list([r + 2 for r in rows])})"
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
    from workbook.labels import FIXES_ATTR

    fixes = df.attrs.get(FIXES_ATTR, [])
    rows = sum(fix["rows"] for fix in fixes)
    detail = "; ".join(f"{fix['column']} {fix['found']!r} read as {fix['label']!r} ({fix['rows']:,} row(s))"
                       for fix in fixes) or "every label already spelled as in the real file"
    column = ", ".join(dict.fromkeys(fix["column"] for fix in fixes)) or "(categorical columns)"
    return ("reliability", "labels normalised when loading", column, rows, bool(fixes), detail)


def _check_unknown_labels(frame: pd.DataFrame) -> tuple:
    """Labels the real file does not have, e.g. a new airline or a typo, with the closest known label."""
    from workbook.labels import describe_unknown, unknown_labels

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


# ----------------------------------------------------------------------------------------------
# PII at ingestion
# ----------------------------------------------------------------------------------------------

PII_COLUMNS = ["passenger_name", "email", "phone"]
PII_PREFIXES = {"passenger_name": "name", "email": "email", "phone": "phone"}
TOKEN_HEX_CHARS = 12
FIRST_NAMES = ["Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Krishna", "Ishaan", "Rohan",
               "Ananya", "Diya", "Aadhya", "Saanvi", "Kavya", "Priya", "Meera", "Lakshmi", "Neha", "Pooja",
               "Rahul", "Suresh", "Fatima", "Imran", "Joseph", "Mary", "Harpreet", "Gurpreet", "Anil", "Sunita"]
LAST_NAMES = ["Sharma", "Verma", "Iyer", "Nair", "Reddy", "Patel", "Shah", "Gupta", "Singh", "Kumar",
              "Das", "Banerjee", "Mukherjee", "Menon", "Pillai", "Rao", "Khan", "Fernandes", "Joshi", "Kulkarni"]
EMAIL_DOMAINS = ["example.com", "example.in", "example.org"]  # reserved domains: no real mailbox


def make_bookings(flights: pd.DataFrame, n_rows: int = 500, seed: int = 42) -> pd.DataFrame:
    """A synthetic bookings extract WITH raw PII (names, e-mails, +91 phones) on rows drawn from `flights`."""
    needed = ["Airline", "Date_of_Journey", "Route", "Price"]
    missing = [c for c in needed if c not in flights.columns]
    if missing:
        raise ValueError(f"make_bookings needs flight columns {needed}; missing: {missing}")
    if isinstance(n_rows, bool) or not isinstance(n_rows, (int, np.integer)) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")
    complete = flights.dropna(subset=needed).reset_index(drop=True)
    if complete.empty:
        raise ValueError("make_bookings: flights has no complete row to book")
    rng = np.random.default_rng(seed)
    picked = complete.iloc[rng.integers(0, len(complete), n_rows)].reset_index(drop=True)
    first = rng.choice(FIRST_NAMES, n_rows)
    last = rng.choice(LAST_NAMES, n_rows)
    numbers = rng.integers(1, 100, n_rows)
    domains = rng.choice(EMAIL_DOMAINS, n_rows)
    mobiles = rng.integers(6_000_000_000, 10_000_000_000, n_rows)  # Indian mobiles start with 6-9
    return pd.DataFrame({
        "booking_id": [f"BK{i:06d}" for i in rng.choice(1_000_000, n_rows, replace=False)],
        "passenger_name": [f"{given} {family}" for given, family in zip(first, last)],
        "email": [f"{given.lower()}.{family.lower()}{k}@{d}"
                  for given, family, k, d in zip(first, last, numbers, domains)],
        "phone": [f"+91 {str(m)[:5]} {str(m)[5:]}" for m in mobiles],
        "Airline": picked["Airline"], "Date_of_Journey": picked["Date_of_Journey"],
        "Route": picked["Route"], "Price": picked["Price"].astype(np.int64),
    })


def redact(value: object) -> str:
    """'Asha Rao' -> 'A••• R••': keeps each word's first character and the punctuation, hides the rest."""
    return re.sub(r"(?<=\w)\w", "•", str(value))


def pii_preview(df: pd.DataFrame, rows: int = 3, columns: list[str] = PII_COLUMNS) -> pd.DataFrame:
    """The first rows with PII columns redacted: a notebook output is a file on disk too."""
    preview = df.head(rows).copy()
    for column in columns:
        if column in preview.columns:
            preview[column] = preview[column].map(redact)
    return preview


def pii_token(value: object, salt: str, prefix: str) -> str:
    """Stable pseudonym: prefix + the first 12 hex characters of HMAC-SHA256(salt, value)."""
    digest = hmac.new(salt.encode("utf-8"), str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{prefix}_{digest[:TOKEN_HEX_CHARS]}"


def mask_pii(df: pd.DataFrame, salt: str, columns: list[str] = PII_COLUMNS) -> pd.DataFrame:
    """Replace each PII value by a salted token: same value -> same token (joins still work), new salt -> new tokens."""
    if not isinstance(salt, str) or not salt:
        raise ValueError("mask_pii: salt must be a non-empty string (keep it secret, outside the repository)")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"mask_pii: column(s) {missing} not in the data; columns are {list(df.columns)}")
    masked = df.copy()
    for column in columns:
        prefix = PII_PREFIXES.get(column, column)
        masked[column] = df[column].map(lambda v, p=prefix: pii_token(v, salt, p) if pd.notna(v) else v)
    return masked


def ingest_bookings(raw: pd.DataFrame, out_path: str | Path, salt: str) -> pd.DataFrame:
    """Mask PII first, then write the masked frame as CSV atomically (temp file + rename); return it."""
    masked = mask_pii(raw, salt)
    write_csv_atomic(masked, out_path)
    return masked


def write_flights(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write flight rows as .csv or .xlsx (the real file's format), atomically; return the path."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return write_csv_atomic(frame, path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: expected a .csv or .xlsx file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.xlsx")
    try:
        frame.to_excel(tmp, index=False, engine="openpyxl")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` as CSV (no index) so that a reader never sees half a file; return the path."""
    with atomic_write(path, newline="") as handle:
        frame.to_csv(handle, index=False)
    return Path(path)
