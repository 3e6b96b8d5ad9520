"""`TwinConfig`: every knob of the synthetic twin, its calibrated defaults, and the check of a configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbook.data.network import DEFAULT_ROWS, MARKET_ROUTES, MARKETS, REAL_AIRLINE_COUNTS, REAL_MARKET_COUNTS


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


def check_config(config: TwinConfig) -> None:
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
