"""Recalibrate the twin's fare levels to the real file's published medians; print the constants to paste.

The twin's level knobs (airline, stop, month and market levels, the early-March calendar, weekday and
departure-period levels) act through composition as well as price, so they are found by a fixed-point loop:
generate twins on calibration seeds (1, 2, 3 -- not 42 or 7, which the tests check), compare medians with
FLIGHTS-DATA.md's, scale each knob towards its target, repeat. The spread knobs (noise, re-quotes, date mix,
route and flight sigmas) are set by hand; see TwinConfig's comments.

    PYTHONPATH=lib python benchmarks/calibrate_twin.py [ROUNDS]
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pandas as pd

from workbook.data import TwinConfig, make_flights
from workbook.data.fidelity import DEP_PERIODS, REAL_PRICE_STRUCTURE, WEEKDAYS, modelled_rows

REAL_AIRLINE = {"Jet Airways": 11_467, "IndiGo": 5_000, "Air India": 9_443, "Multiple carriers": 10_197,
                "SpiceJet": 3_873, "Vistara": 7_980, "Air Asia": 5_162, "GoAir": 5_135}
REAL_STOPS_VS_NON_STOP = {1: 10_262 / 4_667, 2: 12_760 / 4_667, 3: 12_954 / 4_667}
REAL_MONTH_VS_ALL = {3: 9_650 / 8_372, 4: 5_073 / 8_372, 5: 8_891 / 8_372, 6: 8_610 / 8_372}
MARCH_DAYS = (1, 3, 6, 9, 12, 15, 18, 21, 24, 27)
CALIBRATION_SEEDS = (1, 2, 3)
DAMPING = 0.8  # move each knob 80 % of the way (in log) per round: the medians react less than one for one


def medians(config: TwinConfig, seed: int) -> dict[str, dict]:
    """The medians one twin shows for each knob's target."""
    full = make_flights(seed=seed, config=config)
    rows = modelled_rows(full)
    journey = pd.to_datetime(rows["Date_of_Journey"], format="%d/%m/%Y")
    by_stops = full.groupby("Total_Stops")["Price"].median()
    full_month = pd.to_datetime(full["Date_of_Journey"], format="%d/%m/%Y").dt.month
    by_date = rows["Price"].groupby(journey).median()
    return {
        "airline": full.groupby("Airline")["Price"].median().to_dict(),
        "stops": {k: by_stops[label] / by_stops["non-stop"] for k, label in
                  ((1, "1 stop"), (2, "2 stops"), (3, "3 stops"))},
        "month": (full["Price"].groupby(full_month).median() / full["Price"].median()).to_dict(),
        "date": {f"2019-03-{d.day:02d}": v for d, v in by_date.iloc[:len(MARCH_DAYS)].items()},
        "weekday": rows["Price"].groupby(journey.dt.day_of_week).median().to_dict(),
        "period": rows["Price"].groupby(rows["Dep_Time"].str[:2].astype(int) // 6).median().to_dict(),
        "level": {"all": float(rows["Price"].median())},
    }


def geometric_mean(measured: list[dict[str, dict]], key: str) -> dict:
    """Per target, the geometric mean over the calibration seeds."""
    return {k: float(np.exp(np.mean([np.log(m[key][k]) for m in measured]))) for k in measured[0][key]}


def relative(targets: dict, seen: dict) -> dict:
    """target / seen per key, divided by their geometric mean (for knobs that must not move the overall level)."""
    ratios = {k: targets[k] / seen[k] for k in targets}
    centre = float(np.exp(np.mean(np.log(list(ratios.values())))))
    return {k: r / centre for k, r in ratios.items()}


def one_round(config: TwinConfig) -> tuple[TwinConfig, float]:
    """Scale every level knob towards its target; return the new config and the largest log error."""
    measured = [medians(config, seed) for seed in CALIBRATION_SEEDS]
    seen = {key: geometric_mean(measured, key) for key in measured[0]}
    ratios = {
        "airline": {k: v / seen["airline"][k] for k, v in REAL_AIRLINE.items()},
        "stops": {k: v / seen["stops"][k] for k, v in REAL_STOPS_VS_NON_STOP.items()},
        "month": {k: v / seen["month"][k] for k, v in REAL_MONTH_VS_ALL.items()},
        "date": {f"2019-03-{d:02d}": REAL_PRICE_STRUCTURE[f"median price {d} March"] / seen["date"][f"2019-03-{d:02d}"]
                 for d in MARCH_DAYS},
        "weekday": relative({i: REAL_PRICE_STRUCTURE[f"median price {d}"] for i, d in enumerate(WEEKDAYS)},
                            seen["weekday"]),
        "period": relative({i: REAL_PRICE_STRUCTURE[f"median price dep {p}"] for i, p in enumerate(DEP_PERIODS)},
                           seen["period"]),
        "level": {"all": REAL_PRICE_STRUCTURE["price quantile 50%"] / seen["level"]["all"]},
    }

    def scaled(knob: dict, key: str) -> dict:
        return {k: v * ratios[key].get(k, 1.0) ** DAMPING for k, v in knob.items()}

    level = ratios["level"]["all"] ** DAMPING
    new = dataclasses.replace(
        config, airline_price=scaled(config.airline_price, "airline"), stops_price=scaled(config.stops_price, "stops"),
        month_price=scaled(config.month_price, "month"), date_price=scaled(config.date_price, "date"),
        weekday_price=scaled(config.weekday_price, "weekday"),
        dep_period_price=tuple(v * ratios["period"][i] ** DAMPING for i, v in enumerate(config.dep_period_price)),
        market_price={k: v * level for k, v in config.market_price.items()})
    worst = max(abs(np.log(r)) for table in ratios.values() for r in table.values())
    return new, float(worst)


def main(rounds: int = 8) -> None:
    """Run the loop from the current defaults and print the calibrated constants."""
    config = TwinConfig()
    for number in range(rounds):
        config, worst = one_round(config)
        print(f"round {number + 1}: largest log error before it {worst:.3f}")
    for name in ("airline_price", "stops_price", "month_price", "market_price", "date_price", "weekday_price"):
        print(f"{name} = {{{', '.join(f'{k!r}: {v:.3f}' for k, v in getattr(config, name).items())}}}")
    print(f"dep_period_price = ({', '.join(f'{v:.3f}' for v in config.dep_period_price)})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
