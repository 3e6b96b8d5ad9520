"""The twin's timetable: scheduled flights with airline, market, route, stops, departure, duration and base fare."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbook.data.network import (
    DEFAULT_ROWS,
    MARKET_ROUTES,
    MARKETS,
    ONLY_PINNED_ROUTES,
    PINNED_ROUTES,
    leg_minutes,
    stop_profile,
)
from workbook.data.prices import base_fares
from workbook.data.twin_config import TwinConfig


def make_timetable(airlines: list[str], joint: np.ndarray, config: TwinConfig,
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
                          and stop_profile(airlines[a]).get(n_stops, 0) > 0] or operators
            weights = np.array([joint[a, m] * stop_profile(airlines[a]).get(n_stops, 0.01) for a in candidates])
            planned.append((candidates[rng.choice(len(candidates), p=weights / weights.sum())], route))
        # Pass 2: fill each airline's schedule up to its size, routes by stop profile and popularity.
        for a in operators:
            already = sum(1 for op, _ in planned if op == a)
            own_routes = [(r, s) for r, s in zip(routes, stops) if r not in PINNED_ROUTES]
            if airlines[a] in ONLY_PINNED_ROUTES and already > 0:
                continue
            profile = stop_profile(airlines[a])
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
    table["base_fare"] = base_fares(table, config, rng)
    return table


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


MAX_DURATION_MIN = 47 * 60 + 40  # the real file's longest journey


def _flight_duration(route: str, stops: int, rng: np.random.Generator) -> int:
    """Door-to-door minutes: legs plus layovers; a layover is a tight connection or an overnight wait."""
    codes = route.split()
    legs = sum(leg_minutes(o, d) for o, d in zip(codes, codes[1:])) + rng.integers(-2, 3) * 5
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
