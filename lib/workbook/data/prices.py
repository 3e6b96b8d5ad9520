"""The twin's fares: each flight's base fare, each journey date's level, fare classes, noise and fare ladders."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from workbook.data.network import MARKET_ROUTES, MARKETS, leg_minutes
from workbook.data.twin_config import TwinConfig


def base_fares(table: pd.DataFrame, config: TwinConfig, rng: np.random.Generator) -> np.ndarray:
    """Each scheduled flight's own fare before date, time-of-day, fare-class and noise multipliers."""
    market = np.array([config.market_price[MARKETS[m]] for m in table["market"]])
    airline = table["airline"].map(lambda a: config.airline_price.get(a, 1.0)).to_numpy(dtype=float)
    stops = table["stops"].map(config.stops_price).to_numpy(dtype=float)
    nonstop_minutes = np.array([leg_minutes(*MARKET_ROUTES[MARKETS[m]][0].split()) for m in table["market"]])
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


def fares(rows: pd.DataFrame, timetable: pd.DataFrame, levels: np.ndarray, config: TwinConfig,
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


def date_levels(dates: pd.DatetimeIndex, config: TwinConfig, rng: np.random.Generator) -> np.ndarray:
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
