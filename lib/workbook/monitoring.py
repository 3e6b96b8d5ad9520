"""Monitoring a deployed fare model: production months with drift scenarios, drift statistics, the drift
report, closing the loop (retrain, compare, promote) and error per group (bias).

Notebook 06 follows this module top to bottom. Production traffic comes from the twin's generator (the same
scheduled flights as training, fresh journeys) or from a pool of real held-out rows; a named scenario then
changes it from month `onset` on, and the report must raise that scenario's EXPECTED_ALERTS from then on
(and nothing while the traffic is clean). Compare monthly error with an out-of-time baseline
(`month_mae(model, reference_month(...))`): a random split's test MAE is ~25-45 % lower than any later month's.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter
from scipy import stats

from workbook import data, features, models, tracking

# --------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------

SCENARIOS = ("none", "price_shock", "mix_shift", "new_category", "schema_break")
ALERT_KINDS = ("contract", "missing_values", "unseen_category", "feature_drift", "model_drift")
# The alerts each scenario must raise at its onset (more may fire: a new airline also shifts the airline mix).
EXPECTED_ALERTS: dict[str, set[tuple[str, str]]] = {
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
CHALLENGER_MODEL = "hist_gradient_boosting"  # the champion's recipe, retrained on recent months

TIME_FEATURES = ["journey_day", "journey_month", "journey_weekday", "journey_day_of_year"]
# Production is always later than training, so date features always "drift"; the flight key has ~1,300
# values (too many for a stable PSI) and is watched through Airline and Route instead.
MONITORED_NUMERIC = [c for c in features.NUMERIC_FEATURES if c not in TIME_FEATURES]
MONITORED_CATEGORICAL = [c for c in features.CATEGORICAL_FEATURES if c not in models.HIGH_CARDINALITY]
RAW_CATEGORICAL = ["Airline", "Source", "Destination", "Route", "Total_Stops", "Additional_Info"]
TABLE_LABEL = "(table)"  # data-drift row for contract problems that name no known column
PSI_EPSILON = 1e-4  # share given to an empty bin, so PSI stays finite


@dataclass(frozen=True)
class Thresholds:
    """Alert rules: PSI and p-value (both must agree), MAE ratio, missing-rate and unseen-share increases."""

    psi: float = 0.2  # >= 0.2: a shift worth acting on (0.1-0.2: watch)
    p_value: float = 0.01  # the test must also reject "same distribution"
    mae_ratio: float = 1.25  # monthly MAE above baseline x this ratio
    missing_rate: float = 0.02  # missing share above the reference's by more than this
    unseen_share: float = 0.01  # rows with a category training never saw; a few rare routes are normal

    def __post_init__(self) -> None:
        for name in ("psi", "p_value", "mae_ratio", "missing_rate", "unseen_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"Thresholds.{name} must be a finite number >= 0, got {value!r}")
        if self.p_value > 1:
            raise ValueError(f"Thresholds.p_value must be between 0 and 1, got {self.p_value!r}")


# --------------------------------------------------------------------------------------------------
# Production months and scenarios
# --------------------------------------------------------------------------------------------------


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


def production_months(months: int = 6, scenario: str = "none", severity: float = 1.0, onset: int = 3,
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


def production_from_months(later: pd.DataFrame, scenario: str = "none", severity: float = 1.0, onset: int = 1,
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


def _check_production_args(months: int, scenario: str, severity: float, onset: int, rows_per_month: int) -> None:
    """One-line errors naming the parameter and what it should be."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of: {', '.join(SCENARIOS)}")
    if not _is_int(months) or not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be an integer from 1 to {MAX_MONTHS}, got {months!r}")
    # Scenario "none" ignores onset, so a short clean run need not move it.
    if not _is_int(onset) or not 1 <= onset <= (months if scenario != "none" else MAX_MONTHS):
        raise ValueError(f"onset must be an integer from 1 to months ({months}), got {onset!r}")
    if not _is_number(severity) or not math.isfinite(severity) or severity < 0:
        raise ValueError(f"severity must be a finite number >= 0 (0 = no effect, 1 = the reference scenario), "
                         f"got {severity!r}")
    if not _is_int(rows_per_month) or rows_per_month < MIN_ROWS_PER_MONTH:
        raise ValueError(f"rows_per_month must be an integer >= {MIN_ROWS_PER_MONTH}, got {rows_per_month!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


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


def _apply_scenario(month: pd.DataFrame, scenario: str, severity: float, rng: np.random.Generator) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------------------
# Drift statistics
# --------------------------------------------------------------------------------------------------


def population_stability_index(reference: Any, current: Any, *, categorical: bool = False, bins: int = 10) -> float:
    """PSI = sum over bins of (current share - reference share) x ln(current share / reference share).

    Numeric: bins cut at the reference's deciles (duplicate edges merged), so values outside the reference
    range land in the outer bins. Categorical: one bin per reference category plus one for unseen values.
    Empty bins count as PSI_EPSILON. Missing values are left out (data drift counts them).
    """
    if not _is_int(bins) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}")
    if categorical:
        p, q = _category_shares(_labels(reference, "reference"), _labels(current, "current"))
    else:
        p, q = _numeric_shares(_numbers(reference, "reference"), _numbers(current, "current"), bins)
    return _psi(p, q)


def _present(values: Any, name: str) -> pd.Series:
    """The non-missing values; none at all is an error naming the sample."""
    series = pd.Series(values).dropna()
    if series.empty:
        raise ValueError(f"{name} has no non-missing values to compare")
    return series


def _labels(values: Any, name: str) -> pd.Series:
    return _present(values, name).astype("str")


def _numbers(values: Any, name: str) -> np.ndarray:
    present = _present(values, name)
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.isna().any():
        raise ValueError(f"{name} holds non-numeric values (e.g. {present[numbers.isna()].iloc[0]!r}); "
                         "pass categorical=True for categories")
    return numbers.to_numpy(dtype=float)


def _category_counts(reference: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Counts per category (rows: reference categories first, then values only `current` has)."""
    counts = pd.concat({"reference": reference.value_counts(), "current": current.value_counts()}, axis=1)
    return counts.fillna(0).sort_values("reference", ascending=False, kind="stable")


def _category_shares(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Shares per reference category, plus a last bin holding every value the reference never had."""
    return _shares_from_counts(_category_counts(reference, current))


def _shares_from_counts(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    seen = counts["reference"].to_numpy() > 0
    p = counts["reference"].to_numpy() / counts["reference"].sum()
    q = counts["current"].to_numpy() / counts["current"].sum()
    return np.append(p[seen], 0.0), np.append(q[seen], q[~seen].sum())


def _numeric_shares(reference: np.ndarray, current: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Shares per bin, bins cut at the reference's inner quantiles (a bin holds values <= its edge)."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    n_bins = len(edges) + 1
    p = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=n_bins) / len(reference)
    q = np.bincount(np.searchsorted(edges, current, side="left"), minlength=n_bins) / len(current)
    return p, q


def _psi(p: np.ndarray, q: np.ndarray) -> float:
    p, q = np.maximum(p, PSI_EPSILON), np.maximum(q, PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


def ks_test(reference: Any, current: Any) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test (scipy): the largest gap between the two CDFs, and its p-value."""
    result = stats.ks_2samp(_numbers(reference, "reference"), _numbers(current, "current"))
    return float(result.statistic), float(result.pvalue)


def chi_square_test(reference: Any, current: Any) -> tuple[float, float]:
    """Chi-square test of independence (scipy) on the 2 x categories table of counts, and its p-value."""
    return _chi_square_from_counts(_category_counts(_labels(reference, "reference"), _labels(current, "current")))


def _chi_square_from_counts(counts: pd.DataFrame) -> tuple[float, float]:
    if len(counts) < 2:
        return 0.0, 1.0  # one category on both sides: nothing can differ
    statistic, p_value, _, _ = stats.chi2_contingency(counts.to_numpy().T)
    return float(statistic), float(p_value)


def _compare(reference: pd.Series, current: pd.Series, categorical: bool) -> tuple[float, float, float]:
    """Statistic, p-value and PSI of one feature; categories are counted once for both."""
    if categorical:
        counts = _category_counts(_labels(reference, "reference"), _labels(current, "current"))
        return (*_chi_square_from_counts(counts), _psi(*_shares_from_counts(counts)))
    statistic, p_value = ks_test(reference, current)
    return statistic, p_value, population_stability_index(reference, current)


FEATURE_COLUMNS = ["feature", "kind", "test", "statistic", "p_value", "psi", "flagged"]


def feature_drift(reference: pd.DataFrame, current: pd.DataFrame, thresholds: Thresholds = Thresholds()
                  ) -> pd.DataFrame:
    """One row per monitored feature (improved_features frames): test, statistic, p-value, PSI, flagged.

    Flagged needs both p < thresholds.p_value and PSI >= thresholds.psi: with thousands of rows a test
    alone rejects for differences too small to matter.
    """
    monitored = MONITORED_NUMERIC + MONITORED_CATEGORICAL
    for name, frame in (("reference", reference), ("current", current)):
        missing = [c for c in monitored if c not in frame.columns]
        if missing:
            raise ValueError(f"feature_drift: {name} lacks feature column(s) {missing}; pass improved_features(rows)")
    rows = []
    for feature in monitored:
        categorical = feature in MONITORED_CATEGORICAL
        if current[feature].notna().sum() == 0:
            rows.append((feature, _kind(categorical), _test_name(categorical), np.nan, np.nan, np.nan, False))
            continue
        statistic, p_value, psi = _compare(reference[feature], current[feature], categorical)
        flagged = p_value < thresholds.p_value and psi >= thresholds.psi
        rows.append((feature, _kind(categorical), _test_name(categorical), statistic, p_value, psi, bool(flagged)))
    return pd.DataFrame(rows, columns=FEATURE_COLUMNS)


def _kind(categorical: bool) -> str:
    return "categorical" if categorical else "numeric"


def _test_name(categorical: bool) -> str:
    return "chi-square" if categorical else "KS"


# --------------------------------------------------------------------------------------------------
# Data drift: missing values, unseen categories, the loader's contract
# --------------------------------------------------------------------------------------------------

DATA_COLUMNS = ["column", "missing_rate", "reference_missing_rate", "n_unseen", "unseen_share",
                "unseen_examples", "contract", "flagged", "kind"]


def data_drift(reference_raw: pd.DataFrame, current_raw: pd.DataFrame, thresholds: Thresholds = Thresholds()
               ) -> pd.DataFrame:
    """Per file column: missing rate (and the reference's), unseen categories, contract problems, flag, kind.

    `kind` names the alert kinds the column raises ("contract", "missing_values", "unseen_category"), "" if none.
    """
    return _data_drift(_ReferenceProfile.of(reference_raw), current_raw, thresholds)


@dataclass(frozen=True)
class _ReferenceProfile:
    """What data drift needs from the training rows, computed once for all months."""

    missing_rate: dict[str, float]
    known: dict[str, frozenset[str]]

    @classmethod
    def of(cls, reference: pd.DataFrame) -> _ReferenceProfile:
        present = [c for c in data.COLUMNS if c in reference.columns]
        return cls(missing_rate={c: float(reference[c].isna().mean()) for c in present},
                   known={c: frozenset(reference[c].dropna().astype(str)) for c in RAW_CATEGORICAL if c in present})


def _data_drift(profile: _ReferenceProfile, current: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    problems = contract_problems(current)
    columns = data.COLUMNS + ([TABLE_LABEL] if TABLE_LABEL in problems else [])
    rows = [_column_drift(column, profile, current, problems.get(column, []), thresholds) for column in columns]
    return pd.DataFrame(rows, columns=DATA_COLUMNS)


def _column_drift(column: str, profile: _ReferenceProfile, current: pd.DataFrame, problems: list[str],
                  thresholds: Thresholds) -> dict:
    present = column in current.columns
    if present:
        missing_rate = float(current[column].isna().mean()) if len(current) else 0.0
    else:  # a column the batch lacks is missing everywhere; the table row has no rate at all
        missing_rate = np.nan if column == TABLE_LABEL else 1.0
    reference_rate = profile.missing_rate.get(column, np.nan)
    n_unseen, share, examples = 0, 0.0, ""
    if present and column in profile.known:
        values = current[column].dropna().astype(str)
        unseen = values[~values.isin(profile.known[column])]
        n_unseen, share = len(unseen), len(unseen) / max(1, len(current))
        examples = ", ".join(repr(v) for v in pd.unique(unseen)[:3])
    kinds = []
    if problems:
        kinds.append("contract")
    if present and missing_rate - np.nan_to_num(reference_rate) > thresholds.missing_rate:
        kinds.append("missing_values")
    if share > thresholds.unseen_share:
        kinds.append("unseen_category")
    return {"column": column, "missing_rate": missing_rate, "reference_missing_rate": reference_rate,
            "n_unseen": n_unseen, "unseen_share": share, "unseen_examples": examples,
            "contract": "; ".join(problems), "flagged": bool(kinds), "kind": ", ".join(kinds)}


def contract_problems(raw_rows: pd.DataFrame) -> dict[str, list[str]]:
    """The loader's contract (data.validate_flights) on `raw_rows`: its problems grouped by the column named."""
    frame = raw_rows.drop(columns=["month"], errors="ignore")
    try:
        data.validate_flights(frame, source="production")
    except data.DataContractError as error:
        grouped: dict[str, list[str]] = {}
        for problem in error.problems:
            # "column 'X': ..." names one column; "missing column(s) 'X', 'Y' ..." may name several.
            leading = re.match(r"column '([^']+)'", problem)
            named = [leading[1]] if leading else [c for c in re.findall(r"'([^']+)'", problem) if c in data.COLUMNS]
            named = [c for c in named if c in data.COLUMNS] or [TABLE_LABEL]
            for column in dict.fromkeys(named):
                grouped.setdefault(column, []).append(problem)
        return grouped
    return {}


def contract_valid_rows(raw_rows: pd.DataFrame) -> pd.Series:
    """True for each row the contract accepts on its own (a batch may break the contract in a few rows)."""
    frame = raw_rows.drop(columns=["month"], errors="ignore")
    if [c for c in data.COLUMNS if c not in frame.columns]:
        return pd.Series(False, index=raw_rows.index)
    checked = frame[data.COLUMNS].reset_index(drop=True)
    for column in data.TEXT_COLUMNS:
        checked[column] = checked[column].astype("str")
    from pandera.errors import SchemaErrors

    valid = np.ones(len(checked), dtype=bool)
    try:
        # The loader's own schema, so "valid" means exactly what load_flights accepts.
        data._flights_schema().validate(checked, lazy=True)
    except SchemaErrors as error:
        index = error.failure_cases["index"]
        if index.isna().any():  # a whole-column failure condemns every row
            valid[:] = False
        else:
            valid[index.astype(int).to_numpy()] = False
    return pd.Series(valid, index=raw_rows.index)


def _model_readable(raw_rows: pd.DataFrame, contract_passed: bool = False) -> pd.Series:
    """Rows the model can score: contract-valid and no missing model input (the talk's dropna).

    `contract_passed` says the whole batch already passed the contract, which skips checking row by row.
    """
    if any(c not in raw_rows.columns for c in models.RAW_COLUMNS):
        return pd.Series(False, index=raw_rows.index)
    complete = raw_rows[models.RAW_COLUMNS].notna().all(axis=1)
    return complete if contract_passed else complete & contract_valid_rows(raw_rows)


# --------------------------------------------------------------------------------------------------
# The drift report
# --------------------------------------------------------------------------------------------------

MODEL_COLUMNS = ["month", "n_rows", "MAE", "baseline_mae", "ratio", "alert", "note"]


@dataclass
class DriftReport:
    """Feature, data and model drift per month, the alerts they raise and the thresholds used."""

    features: pd.DataFrame  # month x feature: month, feature, kind, test, statistic, p_value, psi, flagged
    data: pd.DataFrame  # month x column: month + DATA_COLUMNS
    model: pd.DataFrame  # per month: MODEL_COLUMNS
    alerts: list[dict] = field(default_factory=list)  # {"month", "kind", "feature_or_metric"}, month order
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def psi_max(self) -> float:
        """The largest PSI of any monitored feature in any month (0.0 when none was computed)."""
        psi = self.features["psi"].dropna()
        return float(psi.max()) if len(psi) else 0.0

    @property
    def first_alert_month(self) -> str | None:
        """The month of the first alert, or None when nothing fired."""
        return self.alerts[0]["month"] if self.alerts else None

    def alerts_frame(self) -> pd.DataFrame:
        """The alerts as a table: month, kind, feature_or_metric."""
        return pd.DataFrame(self.alerts, columns=["month", "kind", "feature_or_metric"])


def month_mae(model: Any, raw_rows: pd.DataFrame) -> float:
    """The model's MAE on the rows it can score (contract-valid, complete, labelled), e.g. a reference_month."""
    if "Price" not in raw_rows.columns:
        raise ValueError("month_mae needs labelled rows: the frame has no 'Price' column")
    rows = raw_rows[_model_readable(raw_rows)]
    if rows.empty:
        raise ValueError("month_mae: no row passes the contract with every model input present")
    return _mae(model, rows)


def _mae(model: Any, rows: pd.DataFrame) -> float:
    with models.fitting_context():
        predicted = model.predict(rows[models.RAW_COLUMNS])
    return float(np.mean(np.abs(rows["Price"].to_numpy(dtype=float) - np.asarray(predicted, dtype=float))))


def drift_report(model: Any, train_raw: pd.DataFrame, production: pd.DataFrame, baseline_mae: float,
                 thresholds: Thresholds = Thresholds()) -> DriftReport:
    """Watch every production month against the champion's training rows; collect the alerts in month order.

    Features are compared on each month's contract-valid rows; a month that breaks the contract is not
    scored. `baseline_mae` should be an out-of-time error (see reference_month), not a random split's.
    """
    _check_report_inputs(train_raw, production, baseline_mae, thresholds)
    reference_rows = train_raw[train_raw[models.RAW_COLUMNS].notna().all(axis=1)]
    reference = features.improved_features(reference_rows[models.RAW_COLUMNS])
    profile = _ReferenceProfile.of(train_raw)
    feature_tables, data_tables, model_rows, alerts = [], [], [], []
    for month in pd.unique(production["month"]):
        rows = production[production["month"] == month].drop(columns=["month"]).reset_index(drop=True)
        data_table = _data_drift(profile, rows, thresholds)
        readable = rows[_model_readable(rows, contract_passed=not data_table["contract"].str.len().any())]
        current = features.improved_features(readable[models.RAW_COLUMNS]) if len(readable) else readable
        feature_table = (feature_drift(reference, current, thresholds) if len(readable)
                         else _empty_feature_table())
        model_row = _model_month(model, rows, readable, data_table, baseline_mae, thresholds)
        feature_tables.append(feature_table.assign(month=month))
        data_tables.append(data_table.assign(month=month))
        model_rows.append({"month": month, **model_row})
        alerts += _month_alerts(month, data_table, feature_table, model_row)
    return DriftReport(
        features=_month_first(pd.concat(feature_tables, ignore_index=True)),
        data=_month_first(pd.concat(data_tables, ignore_index=True)),
        model=pd.DataFrame(model_rows, columns=MODEL_COLUMNS),
        alerts=alerts, thresholds=thresholds)


def _check_report_inputs(train_raw: pd.DataFrame, production: pd.DataFrame, baseline: float,
                         thresholds: Thresholds) -> None:
    for name, frame in (("train_raw", train_raw), ("production", production)):
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            raise ValueError(f"{name} must be a non-empty DataFrame of flight rows")
    missing = [c for c in models.RAW_COLUMNS if c not in train_raw.columns]
    if missing:
        raise ValueError(f"train_raw lacks flight column(s) {missing}")
    if "month" not in production.columns:
        raise ValueError("production needs a 'month' column (see production_months)")
    if not _is_number(baseline) or not math.isfinite(baseline) or baseline <= 0:
        raise ValueError(f"baseline_mae must be a positive number of rupees, got {baseline!r}")
    if not isinstance(thresholds, Thresholds):
        raise TypeError(f"thresholds must be a monitoring.Thresholds, got {type(thresholds).__name__}")


def _empty_feature_table() -> pd.DataFrame:
    """Feature rows for a month with no row to compare: statistics NaN, nothing flagged."""
    rows = [(f, _kind(f in MONITORED_CATEGORICAL), _test_name(f in MONITORED_CATEGORICAL), np.nan, np.nan,
             np.nan, False) for f in MONITORED_NUMERIC + MONITORED_CATEGORICAL]
    return pd.DataFrame(rows, columns=FEATURE_COLUMNS)


def _month_first(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["month"] + [c for c in frame.columns if c != "month"]]


def _model_month(model: Any, rows: pd.DataFrame, readable: pd.DataFrame, data_table: pd.DataFrame,
                 baseline: float, thresholds: Thresholds) -> dict:
    """MAE of the month against the baseline; a contract breach or missing labels mean no score."""
    broken = data_table.loc[data_table["kind"].str.contains("contract"), "column"].tolist()
    unscored = {"n_rows": 0, "MAE": np.nan, "baseline_mae": baseline, "ratio": np.nan, "alert": False}
    if broken:
        return unscored | {"note": f"not scored: the batch breaks the contract ({', '.join(broken)})"}
    if "Price" not in rows.columns or readable.empty:
        return unscored | {"note": "not scored: no labelled rows the model can read"}
    mae = _mae(model, readable)
    ratio = mae / baseline
    alert = ratio > thresholds.mae_ratio
    skipped = len(rows) - len(readable)
    note = f"MAE {ratio:.2f} x baseline" + (" > " if alert else " <= ") + f"{thresholds.mae_ratio:g}"
    if skipped:
        note += f"; {skipped} incomplete row(s) not scored"
    return {"n_rows": len(readable), "MAE": mae, "baseline_mae": baseline, "ratio": ratio, "alert": bool(alert),
            "note": note}


def _month_alerts(month: str, data_table: pd.DataFrame, feature_table: pd.DataFrame, model_row: dict) -> list[dict]:
    """The month's alerts in ALERT_KINDS order, columns and features in table order within a kind."""
    found = []
    for kind in ("contract", "missing_values", "unseen_category"):
        for column in data_table.loc[data_table["kind"].str.contains(kind), "column"]:
            found.append({"month": month, "kind": kind, "feature_or_metric": column})
    for feature in feature_table.loc[feature_table["flagged"], "feature"]:
        found.append({"month": month, "kind": "feature_drift", "feature_or_metric": feature})
    if model_row["alert"]:
        found.append({"month": month, "kind": "model_drift", "feature_or_metric": "MAE"})
    return found


# --------------------------------------------------------------------------------------------------
# Plots, the HTML page and MLflow
# --------------------------------------------------------------------------------------------------


def psi_matrix(report: DriftReport) -> pd.DataFrame:
    """PSI as a feature x month table (the text behind the heatmap)."""
    table = report.features.pivot(index="feature", columns="month", values="psi")
    order = [f for f in MONITORED_NUMERIC + MONITORED_CATEGORICAL if f in table.index]
    return table.loc[order, list(pd.unique(report.features["month"]))]


def plot_drift_heatmap(report: DriftReport, ax: plt.Axes | None = None) -> plt.Axes:
    """Feature x month PSI; flagged cells carry a '!' and a frame, months not compared stay blank."""
    psi = psi_matrix(report)
    flagged = report.features.pivot(index="feature", columns="month", values="flagged").reindex_like(psi)
    labels = psi.map(lambda v: "" if pd.isna(v) else f"{v:.2f}") + flagged.map(lambda f: " !" if f else "")
    ax = ax or plt.subplots(figsize=(1.1 * psi.shape[1] + 3, 0.45 * psi.shape[0] + 1.5))[1]
    sns.heatmap(psi.astype(float), annot=labels.to_numpy(), fmt="", cmap="Reds", vmin=0,
                vmax=max(2 * report.thresholds.psi, float(np.nanmax(psi.to_numpy(dtype=float), initial=0))),
                linewidths=0.5, cbar_kws={"label": "PSI"}, ax=ax)
    for (i, j), is_flagged in np.ndenumerate(flagged.fillna(False).to_numpy(dtype=bool)):
        if is_flagged:
            ax.add_patch(plt.Rectangle((j, i), 1, 1, fill=False, edgecolor="black", linewidth=2))
    ax.set_xlabel("production month")
    ax.set_ylabel("feature")
    ax.set_title(f"Feature drift (PSI); '!' = flagged (PSI >= {report.thresholds.psi:g} and "
                 f"p < {report.thresholds.p_value:g})")
    return ax


def plot_error_trend(report: DriftReport, ax: plt.Axes | None = None) -> plt.Axes:
    """Monthly MAE with the baseline and the alert threshold; alert months in red, unscored months marked."""
    table = report.model
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    x = np.arange(len(table))
    baseline = float(table["baseline_mae"].iloc[0])
    limit = baseline * report.thresholds.mae_ratio
    ax.plot(x, table["MAE"], marker="o", color="tab:blue", label="monthly MAE")
    alert = table["alert"].to_numpy(dtype=bool)
    ax.scatter(x[alert], table["MAE"][alert], color="tab:red", s=80, zorder=3, label="model-drift alert")
    ax.axhline(baseline, color="grey", linestyle="--", label=f"baseline ₹{baseline:,.0f}")
    ax.axhline(limit, color="tab:red", linestyle=":", label=f"alert above ₹{limit:,.0f} "
                                                            f"(x{report.thresholds.mae_ratio:g})")
    for position in x[table["MAE"].isna().to_numpy()]:
        ax.annotate("not scored", (position, baseline), textcoords="offset points", xytext=(0, 8),
                    ha="center", fontsize=8, color="tab:red")
    ax.set_xticks(x, table["month"])
    ax.set_xlabel("production month")
    ax.set_ylabel("MAE (₹)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"₹{v:,.0f}"))
    ax.set_ylim(bottom=0)
    ax.set_title("Model error per month once the labels arrive")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def _figure_png(draw: Any, report: DriftReport) -> str:
    """Draw one plot on a fresh figure and return it as base64 PNG; the figure is closed afterwards."""
    fig, ax = plt.subplots(figsize=(9, 5))
    try:
        draw(report, ax=ax)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    finally:
        plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def report_html(report: DriftReport) -> str:
    """A self-contained HTML page: alerts, the model, feature and data tables, the two plots inline."""
    alerts = report.alerts_frame()
    flagged_data = report.data[report.data["flagged"]]
    sections = [
        "<h1>Drift report</h1>",
        (f"<p>{len(report.model)} month(s); {len(alerts)} alert(s); first alert: "
         f"{html.escape(report.first_alert_month or 'none')}; largest PSI {report.psi_max:.3f}.</p>"),
        f"<p>Thresholds: {html.escape(str(dataclasses.asdict(report.thresholds)))}</p>",
        "<h2>Alerts</h2>", _html_table(alerts) if len(alerts) else "<p>No alert.</p>",
        "<h2>Model error per month</h2>", _html_table(report.model),
        f'<img alt="error trend" src="data:image/png;base64,{_figure_png(plot_error_trend, report)}">',
        "<h2>Feature drift</h2>",
        f'<img alt="drift heatmap" src="data:image/png;base64,{_figure_png(plot_drift_heatmap, report)}">',
        _html_table(report.features),
        "<h2>Data drift (flagged columns)</h2>",
        _html_table(flagged_data) if len(flagged_data) else "<p>No missing values, unseen categories or "
                                                            "contract problems above the thresholds.</p>",
    ]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:0.85em}"
             "td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Drift report</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n")


def _html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:,.4g}", na_rep="", border=0)


def month_metrics(report: DriftReport) -> pd.DataFrame:
    """Per month (step = month number): mae, mae_ratio, psi_max, n_flagged_features; NaN where not scored."""
    psi = report.features.groupby("month", sort=False)["psi"].max()
    flagged = report.features.groupby("month", sort=False)["flagged"].sum()
    table = report.model[["month", "MAE", "ratio"]].rename(columns={"MAE": "mae", "ratio": "mae_ratio"})
    table["psi_max"] = table["month"].map(psi).astype(float)
    table["n_flagged_features"] = table["month"].map(flagged).astype(int)
    table.insert(0, "step", np.arange(1, len(table) + 1))
    return table


def log_drift_report(report: DriftReport) -> None:
    """In the active MLflow run: metrics per month (step = month number) and drift_report.html."""
    import mlflow  # here, not at the top: workbook.tracking must import it first (it quiets MLflow for notebooks)

    if mlflow.active_run() is None:
        raise tracking.TrackingError("log_drift_report needs an active run: call it inside `with mlflow.start_run():`")
    for row in month_metrics(report).itertuples(index=False):
        values = {"mae": row.mae, "mae_ratio": row.mae_ratio, "psi_max": row.psi_max,
                  "n_flagged_features": row.n_flagged_features}
        mlflow.log_metrics({k: float(v) for k, v in values.items() if pd.notna(v)}, step=int(row.step))
    mlflow.log_text(report_html(report), "drift_report.html")


# --------------------------------------------------------------------------------------------------
# Closing the loop: retrain on recent months, compare on the newest, promote only when better
# --------------------------------------------------------------------------------------------------


def load_or_train_champion(model_name: str, X_train: pd.DataFrame, y_train: pd.Series,
                           random_state: int = 42) -> tuple[Any, str]:
    """The registry's `model_name@champion` (notebook 05) and where it came from; without one, the
    champion's recipe (CHALLENGER_MODEL, improved features, log target) fitted on the given rows."""
    try:
        return tracking.load_by_alias(model_name, "champion"), f"the registry: models:/{model_name}@champion"
    except tracking.TrackingError:
        return (train_champion(X_train, y_train, random_state),
                f"trained here: the registry has no {model_name}@champion yet (run notebook 05 first)")


def train_champion(X_train: pd.DataFrame, y_train: pd.Series, random_state: int = 42) -> Any:
    """The champion's recipe (CHALLENGER_MODEL, improved features, log target) fitted on the given rows."""
    pipeline = models.make_pipeline(CHALLENGER_MODEL, "improved", log_target=True, random_state=random_state)
    with models.fitting_context():
        return pipeline.fit(X_train, y_train)


def labelled_rows(production: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """The rows of `months` a model can learn from: contract-valid, complete, with Price."""
    if "month" not in production.columns or "Price" not in production.columns:
        raise ValueError("production needs 'month' and 'Price' columns (see production_months)")
    unknown = [m for m in months if m not in set(production["month"])]
    if unknown:
        raise ValueError(f"month(s) {unknown} not in production; it has {list(pd.unique(production['month']))}")
    rows = production[production["month"].isin(months)].reset_index(drop=True)
    return rows[_model_readable(rows)].reset_index(drop=True)


def retrain_challenger(production: pd.DataFrame, months: list[str], random_state: int = 42,
                       model_name: str = CHALLENGER_MODEL) -> Any:
    """A fresh improved-feature, log-target pipeline fitted on the contract-valid rows of `months`."""
    if not months:
        raise ValueError("months must name at least one production month to train on")
    rows = labelled_rows(production, list(months))
    if rows.empty:
        raise ValueError(f"months {list(months)} hold no contract-valid labelled row to train on")
    pipeline = models.make_pipeline(model_name, "improved", log_target=True, random_state=random_state)
    with models.fitting_context():
        pipeline.fit(rows[models.RAW_COLUMNS], rows["Price"])
    return pipeline


def close_the_loop(report: DriftReport, production: pd.DataFrame, champion: Any, registered_name: str, *,
                   retrain_months: int = 2, random_state: int = 42, tags: dict | None = None) -> dict:
    """On a model-drift alert: retrain on the months before the newest, compare there, promote if better.

    The challenger is logged in a nested MLflow run, registered under `registered_name` (alias
    `challenger`) and takes the `champion` alias only when its newest-month MAE beats the champion's. The
    outcome holds the challenger itself, its run id and registered version (None when nothing was retrained).
    """
    if not _is_int(retrain_months) or retrain_months < 1:
        raise ValueError(f"retrain_months must be an integer >= 1, got {retrain_months!r}")
    outcome = {"retrained": False, "promoted": False, "challenger_mae": None, "champion_mae": None,
               "train_months": [], "eval_month": None, "reason": "", "challenger": None,
               "challenger_run_id": None, "challenger_version": None}
    if not any(a["kind"] == "model_drift" for a in report.alerts):
        return outcome | {"reason": "no model-drift alert: the champion stays, nothing is retrained"}
    months = list(report.model["month"])
    eval_month = months[-1]
    evaluation = labelled_rows(production, [eval_month])
    train_months = [m for m in months[:-1] if not labelled_rows(production, [m]).empty][-retrain_months:]
    if evaluation.empty or not train_months:
        return outcome | {"eval_month": eval_month, "train_months": train_months,
                          "reason": "not enough contract-valid labelled months to train and compare on"}
    challenger = retrain_challenger(production, train_months, random_state)
    challenger_mae, champion_mae = _mae(challenger, evaluation), _mae(champion, evaluation)
    run_id, version, promoted = _log_and_register(challenger, production, train_months, eval_month,
                                                  registered_name, challenger_mae, champion_mae, random_state, tags)
    verdict = "better" if challenger_mae < champion_mae else "not better"
    reason = (f"challenger MAE ₹{challenger_mae:,.0f} vs champion ₹{champion_mae:,.0f} on {eval_month}: {verdict}; "
              + ("champion alias moved" if promoted else "champion alias kept"))
    return outcome | {"retrained": True, "promoted": promoted, "challenger_mae": challenger_mae,
                      "champion_mae": champion_mae, "train_months": train_months, "eval_month": eval_month,
                      "reason": reason, "challenger": challenger, "challenger_run_id": run_id,
                      "challenger_version": version}


def _log_and_register(challenger: Any, production: pd.DataFrame, train_months: list[str], eval_month: str,
                      registered_name: str, challenger_mae: float, champion_mae: float, random_state: int,
                      tags: dict | None) -> tuple[str, int, bool]:
    """Nested run with params, both MAEs, the training data and the model; register; promote if better.

    Returns the challenger's run id, its registered version and whether it took the champion alias.
    """
    import mlflow  # see log_drift_report

    train_rows = labelled_rows(production, train_months)
    with mlflow.start_run(run_name="challenger", nested=mlflow.active_run() is not None,
                          tags={str(k): str(v) for k, v in (tags or {}).items()}):
        mlflow.log_params({"model": CHALLENGER_MODEL, "features": "improved", "target": "log",
                           "train_months": ", ".join(train_months), "eval_month": eval_month,
                           "n_train_rows": len(train_rows), "random_state": random_state})
        mlflow.log_metrics({"newest_month_mae": challenger_mae, "champion_newest_month_mae": champion_mae})
        tracking.log_dataset(train_rows.drop(columns=["month"]), name="production months",
                             source=f"production {', '.join(train_months)}", context="training", targets="Price")
        with models.fitting_context():  # MLflow predicts on the example rows: one native thread, as when fitting
            info = tracking.log_sklearn_model(challenger, "model", train_rows[models.RAW_COLUMNS])
    version = tracking.register_model(info.model_uri, registered_name)
    tracking.set_alias(registered_name, "challenger", version)
    if challenger_mae >= champion_mae:
        return info.run_id, version, False  # never hand the alias to a worse model, even when none holds it yet
    promoted = tracking.promote_if_better(registered_name, version, "newest_month_mae",
                                          challenger_score=challenger_mae, champion_score=champion_mae)
    return info.run_id, version, promoted


# --------------------------------------------------------------------------------------------------
# Bias: error per group
# --------------------------------------------------------------------------------------------------

BIAS_METRICS = ("MAE", "MAPE")
BIAS_COLUMNS = ["group_by", "group", "count", "MAE", "MAPE", "signed_error", "disparity", "flagged"]


def bias_groups(raw_rows: pd.DataFrame) -> pd.DataFrame:
    """Airline, market ("Delhi → Cochin", Delhi labels merged) and stops ("1 stop") for each raw row."""
    missing = [c for c in ["Airline", "Source", "Destination", "Route", "Total_Stops"] if c not in raw_rows.columns]
    if missing:
        raise ValueError(f"bias_groups needs flight column(s) {missing}")
    stops = features.stops_count(raw_rows)
    return pd.DataFrame({
        "Airline": features.clean_text(raw_rows["Airline"]),
        "market": features.unify_city(raw_rows["Source"]) + " → " + features.unify_city(raw_rows["Destination"]),
        "stops": stops.map(data.STOPS_LABELS),
    }, index=raw_rows.index)


def bias_table(y_true: Any, y_pred: Any, groups: pd.DataFrame, *, ratio: float = 1.25, min_count: int = 30,
               metric: str = "MAPE") -> pd.DataFrame:
    """Error per group value: count, MAE, MAPE, signed_error, disparity (group metric / overall) and flagged.

    signed_error is the mean of (prediction - fare) / fare: below zero the model quotes the group too low,
    above zero too high. MAE and MAPE say how far off a group is; only the sign says in which direction,
    the talk's "skewed outcomes".

    Flagged: disparity > ratio and count >= min_count (a handful of rows is noise, not a finding). MAPE is
    the default because absolute error grows with the fare itself: dear airlines would look "worse".
    """
    actual, predicted = _check_bias_inputs(y_true, y_pred, groups, ratio, min_count, metric)
    error = np.abs(actual - predicted)
    frame = pd.DataFrame({"abs_error": error, "pct_error": error / actual, "signed": (predicted - actual) / actual})
    overall = {"MAE": error.mean(), "MAPE": (error / actual).mean()}[metric]
    tables = []
    for column in groups.columns:
        labels = groups[column].astype(str).to_numpy()  # by position: the groups' index may not be the rows'
        summary = frame.groupby(labels, sort=True).agg(
            count=("abs_error", "size"), MAE=("abs_error", "mean"), MAPE=("pct_error", "mean"),
            signed_error=("signed", "mean"))
        summary = summary.reset_index(names="group").assign(group_by=column)
        summary["disparity"] = summary[metric] / overall if overall > 0 else np.nan
        summary["flagged"] = (summary["disparity"] > ratio) & (summary["count"] >= min_count)
        tables.append(summary.sort_values(["disparity", "group"], ascending=[False, True], kind="stable"))
    table = pd.concat(tables, ignore_index=True)[BIAS_COLUMNS]
    table.attrs.update({"metric": metric, "ratio": ratio, "min_count": min_count, "overall": float(overall)})
    return table


def _check_bias_inputs(y_true: Any, y_pred: Any, groups: pd.DataFrame, ratio: float, min_count: int,
                       metric: str) -> tuple[np.ndarray, np.ndarray]:
    if metric not in BIAS_METRICS:
        raise ValueError(f"metric must be one of {', '.join(BIAS_METRICS)}, got {metric!r}")
    if not _is_number(ratio) or not math.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a positive number (e.g. 1.25), got {ratio!r}")
    if not _is_int(min_count) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    if not isinstance(groups, pd.DataFrame) or groups.shape[1] == 0:
        raise ValueError("groups must be a DataFrame with one column per grouping (e.g. bias_groups(rows))")
    actual = np.asarray(y_true, dtype=float).ravel()
    predicted = np.asarray(y_pred, dtype=float).ravel()
    if not len(actual) == len(predicted) == len(groups) or len(actual) == 0:
        raise ValueError(f"y_true ({len(actual)}), y_pred ({len(predicted)}) and groups ({len(groups)}) must "
                         "have the same, non-zero number of rows")
    if (actual <= 0).any() or not np.isfinite(actual).all() or not np.isfinite(predicted).all():
        raise ValueError("y_true must be positive fares and y_pred finite (MAPE divides by the fare)")
    return actual, predicted


def month_bias(model: Any, production: pd.DataFrame, month: str, *, ratio: float = 1.25, min_count: int = 30,
               metric: str = "MAPE") -> pd.DataFrame:
    """bias_table of `model` on one production month's labelled, contract-valid rows (empty if it has none)."""
    rows = labelled_rows(production, [month])
    if rows.empty:  # a month that breaks the contract cannot be scored; model drift reports it
        return pd.DataFrame(columns=BIAS_COLUMNS)
    predicted = model.predict(rows[models.RAW_COLUMNS])
    return bias_table(rows["Price"], predicted, bias_groups(rows), ratio=ratio, min_count=min_count, metric=metric)


def bias_by_month(model: Any, production: pd.DataFrame, *, ratio: float = 1.25, min_count: int = 30,
                  metric: str = "MAPE") -> pd.DataFrame:
    """month_bias for every production month, stacked with a leading `month` column (months in order)."""
    if "month" not in production.columns:
        raise ValueError("production needs a 'month' column (see production_months)")
    tables = [month_bias(model, production, month, ratio=ratio, min_count=min_count, metric=metric)
              .assign(month=month) for month in pd.unique(production["month"])]
    return pd.concat(tables, ignore_index=True)[["month", *BIAS_COLUMNS]]


def plot_bias(table: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Disparity per group as horizontal bars (flagged red, small groups hatched), lines at 1 and at the ratio."""
    missing = [c for c in BIAS_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"plot_bias expects a bias_table; missing column(s) {missing}")
    metric, ratio, min_count = (table.attrs.get(k) for k in ("metric", "ratio", "min_count"))
    labels = table["group_by"] + ": " + table["group"]
    ax = ax or plt.subplots(figsize=(8, 0.3 * len(table) + 1.5))[1]
    colors = np.where(table["flagged"], "tab:red", "tab:blue")
    bars = ax.barh(np.arange(len(table)), table["disparity"], color=colors)
    if min_count is not None:
        for bar, small in zip(bars, table["count"] < min_count):
            if small:
                bar.set_hatch("//")
                bar.set_alpha(0.5)
    ax.set_yticks(np.arange(len(table)), labels)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=1)
    if ratio is not None:
        ax.axvline(ratio, color="tab:red", linestyle=":", label=f"flag above {ratio:g}")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel(f"disparity: group {metric or 'error'} / overall")
    ax.set_title("Error per group (hatched: too few rows to judge)")
    return ax
