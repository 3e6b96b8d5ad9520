"""Production traffic for a deployed fare model: later months, with a named drift scenario from month `onset` on.

Production traffic comes from the twin's generator (the same scheduled flights as training, fresh journeys)
or from a pool of real held-out rows; a named scenario then changes it from month `onset` on, and the report
must raise that scenario's EXPECTED_ALERTS from then on (and nothing while the traffic is clean). Compare
monthly error with an out-of-time baseline (`month_mae(model, reference_month(...))`), not a random split's test
MAE: its test rows share journey dates (and their demand) with training rows, which can make it optimistic. On the
twin the gap is within a month's noise (seed 42, notebook 06's champion: test MAE 734, the reference month 811,
six clean months 661-784).
"""

from __future__ import annotations

import dataclasses
from typing import Literal, get_args

import numpy as np
import pandas as pd

from workbook import data, features
from workbook.monitoring.thresholds import AlertKind
from workbook.values import is_finite_number, is_int

Scenario = Literal["none", "price_shock", "mix_shift", "new_category", "schema_break"]
SCENARIOS: tuple[Scenario, ...] = get_args(Scenario)
# The alerts each scenario must raise at its onset (more may fire: a new airline also shifts the airline mix).
EXPECTED_ALERTS: dict[Scenario, set[tuple[AlertKind, str]]] = {
    "none": set(),
    "price_shock": {("model_drift", "MAE")},
    "mix_shift": {("feature_drift", "Airline")},
    "new_category": {("unseen_category", "Airline")},
    "schema_break": {("contract", "Date_of_Journey")},
}

FIRST_PRODUCTION_MONTH = pd.Period("2019-07", freq="M")  # the twin's training journeys end on 2019-06-27
LAST_TRAINING_MONTH = 6
# July to December 2019. From January the calendar wraps: day-of-year and month fall below the training
# range and the model reads them as early March (dear fares), so even scenario "none" would alert.
MAX_MONTHS = 6
MIN_ROWS_PER_MONTH = 100  # fewer rows make every drift statistic noise
# The talk drops five rare airlines before training, so the champion never prices them: production traffic
# is the model's scope too (otherwise GoAir's ~2 % of rows would be an "unseen airline" every month).
OUT_OF_SCOPE_AIRLINES = tuple(features.RARE_AIRLINES)
NEW_AIRLINE = "Akasa Air"  # a carrier founded after the data (it first flew in 2022)
FADING_AIRLINE = "Jet Airways"  # stopped flying in April 2019
BUDGET_AIRLINES = ("IndiGo", "SpiceJet", "Air Asia", "GoAir", "Trujet")
PRICE_SHOCK_PER_SEVERITY = 0.30  # price_shock: fares x (1 + 0.3 x severity)
NEW_AIRLINE_SHARE_PER_SEVERITY = 0.15  # new_category: share of a month's rows flown by the new airline
NEW_AIRLINE_FARE_FACTOR = 0.92  # ... which undercuts the budget fares it takes over
MIX_POOL_FACTOR = 4  # mix_shift draws this many candidate rows per row it keeps


# Each later journey date has a demand of its own that no model trained on earlier dates can know (log scale).
# It is what makes a fresh month harder than a random split's test rows, which share their dates with training
# (notebook 04 measures the same gap with a time-ordered holdout).
PRODUCTION_DATE_SIGMA = 0.08


def production_config() -> data.TwinConfig:
    """The twin's settings for traffic after training: June's fare level, no early-booking bump, and a fresh,
    unknowable fare level per date (PRODUCTION_DATE_SIGMA); the scheduled flights stay the same.

    A model trained on March-June cannot know later seasons, so the clean process keeps June's level.
    """
    base = data.TwinConfig()
    june = base.month_price[LAST_TRAINING_MONTH]
    return dataclasses.replace(base, early_fare_bump=0.0, date_fare_sigma=PRODUCTION_DATE_SIGMA,
                               month_price={month: june for month in range(1, 13)})


def production_months(months: int = 6, scenario: Scenario = "none", severity: float = 1.0, onset: int = 3,
                      rows_per_month: int = 2000, seed: int = 42, pool: pd.DataFrame | None = None) -> pd.DataFrame:
    """Raw rows (the 11 file columns, Price = labels that arrive later) plus `month` ("2019-07", ...).

    Without `pool` each month comes from the twin's generator with timetable seed `seed` (the training
    twin's) and fresh draws dated inside that month. With `pool` (e.g. held-out rows of a real file) each
    month is a seeded resample of the pool with its dates kept: later real fares cannot be invented, so
    `month` is then only a batch label. The scenario changes the months from `onset` (1-based) on; the
    generated months leave out OUT_OF_SCOPE_AIRLINES, which the champion never learned.
    """
    _check_production_args(months, scenario, severity, onset, rows_per_month)
    pool = None if pool is None else _pool_rows(pool)
    frames = []
    for number in range(1, months + 1):
        period = FIRST_PRODUCTION_MONTH + (number - 1)
        active = scenario if number >= onset else "none"
        mix_severity = severity if active == "mix_shift" else None
        month = _clean_month(period, number, rows_per_month, seed, pool, mix_severity)
        month = _apply_scenario(month, active, severity, np.random.default_rng(_derived_seed(seed, number, 1)))
        frames.append(month.assign(month=str(period)))
    return pd.concat(frames, ignore_index=True)


def production_from_months(later: pd.DataFrame, scenario: Scenario = "none", severity: float = 1.0, onset: int = 1,
                           seed: int = 42) -> pd.DataFrame:
    """A real file's later months (rows with a `month` column) as production, the scenario from `onset` on.

    The rows stay as they are: what really changed between the months is the lesson. On top, mix_shift
    resamples a month's own rows with the scenario's airline weights and the other scenarios change them as
    in production_months. Months come in calendar order; a month too small for drift statistics is refused.
    """
    if not isinstance(later, pd.DataFrame) or "month" not in later.columns:
        raise ValueError("later must be flight rows with a 'month' column (see journey_months.split_journey_months)")
    names = sorted(pd.unique(later["month"]))
    _check_production_args(max(len(names), 1), scenario, severity, onset, MIN_ROWS_PER_MONTH)
    frames = []
    for number, name in enumerate(names, start=1):
        month = _pool_rows(later[later["month"] == name], f"month {name}")
        active = scenario if number >= onset else "none"
        if active == "mix_shift":
            rng = np.random.default_rng(_derived_seed(seed, number, 0))
            weights = _mix_weights(month["Airline"], severity)  # drawn with replacement: a month has no spare rows
            picked = rng.choice(len(month), size=len(month), replace=True, p=weights / weights.sum())
            month = month.iloc[picked].reset_index(drop=True)
        month = _apply_scenario(month, active, severity, np.random.default_rng(_derived_seed(seed, number, 1)))
        frames.append(month.assign(month=name))
    return pd.concat(frames, ignore_index=True)


def reference_month(rows_per_month: int = 2000, seed: int = 42, pool: pd.DataFrame | None = None) -> pd.DataFrame:
    """A clean month of the production process the monitored months never reuse (month = "reference").

    Score the champion on it for an out-of-time baseline: a random split's test MAE is optimistic, because
    test rows share journey dates (and their demand) with training rows, which later months never do.
    """
    _check_production_args(1, "none", 0.0, 1, rows_per_month)
    pool = None if pool is None else _pool_rows(pool)
    month = _clean_month(FIRST_PRODUCTION_MONTH, 0, rows_per_month, seed, pool, mix_severity=None)
    return month.assign(month="reference")


def _check_production_args(months: int, scenario: Scenario, severity: float, onset: int, rows_per_month: int) -> None:
    """One-line errors naming the parameter and what it should be."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of: {', '.join(SCENARIOS)}")
    if not is_int(months) or not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be an integer from 1 to {MAX_MONTHS}, got {months!r}")
    # Scenario "none" ignores onset, so a short clean run need not move it.
    if not is_int(onset) or not 1 <= onset <= (months if scenario != "none" else MAX_MONTHS):
        raise ValueError(f"onset must be an integer from 1 to months ({months}), got {onset!r}")
    if not is_finite_number(severity) or severity < 0:
        raise ValueError(f"severity must be a finite number >= 0 (0 = no effect, 1 = the reference scenario), "
                         f"got {severity!r}")
    if not is_int(rows_per_month) or rows_per_month < MIN_ROWS_PER_MONTH:
        raise ValueError(f"rows_per_month must be an integer >= {MIN_ROWS_PER_MONTH}, got {rows_per_month!r}")


def _derived_seed(seed: int, number: int, purpose: int) -> int:
    """An independent seed per (seed, month, purpose): clean months stay identical across scenarios."""
    return int(np.random.SeedSequence([int(seed), int(number), int(purpose)]).generate_state(1)[0])


def _pool_rows(pool: pd.DataFrame, name: str = "pool") -> pd.DataFrame:
    """The rows' file columns, checked; too few rows for drift statistics are refused, naming `name`."""
    if not isinstance(pool, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame of flight rows, got {type(pool).__name__}")
    missing = [c for c in data.COLUMNS if c not in pool.columns]
    if missing:
        raise ValueError(f"{name} needs the flight columns; missing: {', '.join(missing)}")
    if len(pool) < MIN_ROWS_PER_MONTH:
        raise ValueError(f"{name} has {len(pool)} rows; drift statistics need at least {MIN_ROWS_PER_MONTH}")
    return pool[data.COLUMNS].reset_index(drop=True)


def _clean_month(period: pd.Period, number: int, n_rows: int, seed: int, pool: pd.DataFrame | None,
                 mix_severity: float | None) -> pd.DataFrame:
    """One month of scenario-free traffic; with `mix_severity` its airline mix is resampled (mix_shift)."""
    rng = np.random.default_rng(_derived_seed(seed, number, 0))
    size = n_rows * MIX_POOL_FACTOR if mix_severity is not None else n_rows
    if pool is None:
        candidates = _generated_rows(period, size, seed, _derived_seed(seed, number, 2))
    else:
        candidates = pool
    weights = None if mix_severity is None else _mix_weights(candidates["Airline"], mix_severity)
    if pool is None and weights is None:
        return candidates
    return _sample_rows(candidates, n_rows, rng, weights)


def _generated_rows(period: pd.Period, n_rows: int, seed: int, draw_seed: int) -> pd.DataFrame:
    """`n_rows` in-scope twin rows dated inside `period`, same timetable as the twin with seed `seed`."""
    extra = n_rows + n_rows // 10 + 20  # room for the out-of-scope rows dropped below
    rows = data.make_flights(extra, seed, start=str(period.start_time.date()), end=str(period.end_time.date()),
                             config=production_config(), draw_seed=draw_seed)
    rows = rows[~rows["Airline"].isin(OUT_OF_SCOPE_AIRLINES)]
    return rows.head(n_rows).reset_index(drop=True)  # rows come shuffled, so the head is a fair sample


def _sample_rows(frame: pd.DataFrame, n_rows: int, rng: np.random.Generator,
                 weights: np.ndarray | None = None) -> pd.DataFrame:
    """`n_rows` rows drawn with the weights, without replacement while enough rows can be drawn."""
    p = None if weights is None else weights / weights.sum()
    available = len(frame) if p is None else int((p > 0).sum())
    picked = rng.choice(len(frame), size=n_rows, replace=n_rows > available, p=p)
    return frame.iloc[picked].reset_index(drop=True)


def _mix_weights(airline: pd.Series, severity: float) -> np.ndarray:
    """Row weights for mix_shift: the fading airline loses 90 % x severity, budget carriers gain 100 % x severity."""
    weights = np.ones(len(airline))
    weights[(airline == FADING_AIRLINE).to_numpy()] = max(0.0, 1 - 0.9 * severity)
    weights[airline.isin(BUDGET_AIRLINES).to_numpy()] = 1 + severity
    return weights


def _apply_scenario(month: pd.DataFrame, scenario: Scenario, severity: float, rng: np.random.Generator) -> pd.DataFrame:
    """The scenario's change to one month (mix_shift already happened when the month was drawn)."""
    month = month.copy()
    if scenario == "price_shock":
        month["Price"] = _rupees_int(month["Price"] * (1 + PRICE_SHOCK_PER_SEVERITY * severity))
    elif scenario == "new_category":
        budget = np.flatnonzero(month["Airline"].isin(BUDGET_AIRLINES).to_numpy())
        count = min(len(budget), round(NEW_AIRLINE_SHARE_PER_SEVERITY * severity * len(month)))
        taken = rng.choice(budget, size=count, replace=False)
        month.loc[taken, "Airline"] = NEW_AIRLINE
        month.loc[taken, "Price"] = _rupees_int(month.loc[taken, "Price"] * NEW_AIRLINE_FARE_FACTOR)
    elif scenario == "schema_break":
        count = round(min(1.0, severity) * len(month))
        broken = rng.choice(len(month), size=count, replace=False)
        month.loc[broken, "Date_of_Journey"] = _iso_dates(month.loc[broken, "Date_of_Journey"])
    return month


def _rupees_int(prices: pd.Series) -> pd.Series:
    return prices.round().astype(np.int64)


def _iso_dates(dates: pd.Series) -> pd.Series:
    """'3/09/2019' -> '2019-09-03' (what an upstream change of format writes); unreadable values stay."""
    parsed = pd.to_datetime(dates, format=features.DATE_FORMAT, errors="coerce")
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), dates)
