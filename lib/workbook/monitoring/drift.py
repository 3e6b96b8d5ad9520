"""Feature drift: the population stability index (PSI), the KS and chi-square tests, one row per feature."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbook import features, models
from workbook.monitoring.thresholds import DEFAULT_THRESHOLDS, Thresholds
from workbook.values import is_int

TIME_FEATURES = ["journey_day", "journey_month", "journey_weekday", "journey_day_of_year"]
# Production is always later than training, so date features always "drift"; the flight key has ~1,300
# values (too many for a stable PSI) and is watched through Airline and Route instead.
MONITORED_NUMERIC = [c for c in features.NUMERIC_FEATURES if c not in TIME_FEATURES]
MONITORED_CATEGORICAL = [c for c in features.CATEGORICAL_FEATURES if c not in models.HIGH_CARDINALITY]
PSI_EPSILON = 1e-4  # share given to an empty bin, so PSI stays finite


def population_stability_index(reference: Any, current: Any, *, categorical: bool = False, bins: int = 10) -> float:
    """PSI = sum over bins of (current share - reference share) x ln(current share / reference share).

    Numeric: bins cut at the reference's deciles (duplicate edges merged), so values outside the reference
    range land in the outer bins. Categorical: one bin per reference category plus one for unseen values.
    Empty bins count as PSI_EPSILON. Missing values are left out (data drift counts them).
    """
    if not is_int(bins) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}")
    if categorical:
        p, q = _category_shares(_labels(reference, "reference"), _labels(current, "current"))
    else:
        p, q = _numeric_shares(_numbers(reference, "reference"), _numbers(current, "current"), bins)
    return psi_from_shares(p, q)


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
    return binned_shares(quantile_edges(reference, bins), reference, current)


def quantile_edges(reference: np.ndarray, bins: int = 10) -> np.ndarray:
    """The reference's inner quantiles cutting it into `bins` equal parts (deciles for 10), repeats merged."""
    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))


def binned_shares(edges: np.ndarray, reference: np.ndarray, current: np.ndarray,
                  side: str = "left") -> tuple[np.ndarray, np.ndarray]:
    """Each sample's share per bin between `edges`, open at both ends. side="left": a value equal to an edge
    joins the bin below it (np.searchsorted's sides)."""
    n_bins = len(edges) + 1
    p = np.bincount(np.searchsorted(edges, reference, side=side), minlength=n_bins) / len(reference)
    q = np.bincount(np.searchsorted(edges, current, side=side), minlength=n_bins) / len(current)
    return p, q


def psi_from_shares(p: np.ndarray, q: np.ndarray) -> float:
    """Sum of (q - p) x ln(q / p) over the bins, an empty bin's share counted as PSI_EPSILON."""
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
        return (*_chi_square_from_counts(counts), psi_from_shares(*_shares_from_counts(counts)))
    statistic, p_value = ks_test(reference, current)
    return statistic, p_value, population_stability_index(reference, current)


FEATURE_COLUMNS = ["feature", "kind", "test", "statistic", "p_value", "psi", "flagged"]


def feature_drift(reference: pd.DataFrame, current: pd.DataFrame, thresholds: Thresholds = DEFAULT_THRESHOLDS
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
        if current[feature].notna().sum() == 0:
            rows.append(_unscored_row(feature))
            continue
        categorical = feature in MONITORED_CATEGORICAL
        statistic, p_value, psi = _compare(reference[feature], current[feature], categorical)
        flagged = p_value < thresholds.p_value and psi >= thresholds.psi
        rows.append((feature, _kind(categorical), _test_name(categorical), statistic, p_value, psi, bool(flagged)))
    return pd.DataFrame(rows, columns=FEATURE_COLUMNS)


def _kind(categorical: bool) -> str:
    return "categorical" if categorical else "numeric"


def _test_name(categorical: bool) -> str:
    return "chi-square" if categorical else "KS"


def _unscored_row(feature: str) -> tuple:
    """A feature row with no value to compare: statistics NaN, not flagged."""
    categorical = feature in MONITORED_CATEGORICAL
    return feature, _kind(categorical), _test_name(categorical), np.nan, np.nan, np.nan, False


def empty_feature_table() -> pd.DataFrame:
    """Feature rows for a month with no row to compare: statistics NaN, nothing flagged."""
    rows = [_unscored_row(f) for f in MONITORED_NUMERIC + MONITORED_CATEGORICAL]
    return pd.DataFrame(rows, columns=FEATURE_COLUMNS)
