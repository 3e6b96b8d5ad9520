"""Local explanations: one predicted fare split into contributions of feature groups (Shapley values)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from workbook.errors import TransparencyError
from workbook.transparency.inputs import model_columns, predict, require_columns, require_frame, sample_rows

# Coupled raw columns move together, so no group is ever inconsistent within itself: a Route keeps its stops, a
# Duration its departure and arrival times, an airline its fare notes ("In-flight meal not included" is only
# ever Jet Airways', "No check-in baggage included" the budget airlines'). Across groups a coalition still pairs
# one flight's airline with another's route: flights that may not exist.
RAW_FEATURE_GROUPS: dict[str, list[str]] = {
    "airline and fare notes": ["Airline", "Additional_Info"],
    "date": ["Date_of_Journey"],
    "itinerary": ["Source", "Destination", "Route", "Total_Stops"],
    "schedule": ["Dep_Time", "Arrival_Time", "Duration"],
}
OTHER_GROUP = "other"  # model inputs no group names; kept so contributions still add up
Method = Literal["auto", "shap", "group-shapley"]
METHODS: tuple[Method, ...] = get_args(Method)
MAX_GROUPS = 10  # 2^10 coalitions x 50 background rows is ~50k predictions: seconds, not minutes


@dataclass(frozen=True)
class Explanation:
    """One prediction split into group contributions: base_value + sum(contributions) == prediction."""

    contributions: pd.DataFrame  # group, columns, value, contribution (rupees); sorted by |contribution|
    base_value: float  # mean prediction over the background rows
    prediction: float  # the model's prediction for the row
    method: Literal["shap", "group-shapley"]


def shap_available() -> bool:
    """Whether the optional shap package can be imported (method "auto" then uses it)."""
    try:
        import shap  # noqa: F401
    except ImportError:
        return False
    return True


def _check_method(method: Method) -> Literal["shap", "group-shapley"]:
    """The method to use: "auto" means shap when it is installed, else the exact group-Shapley fallback."""
    if method not in METHODS:
        raise TransparencyError(f"method must be one of {list(METHODS)}, got {method!r}")
    if method == "auto":
        return "shap" if shap_available() else "group-shapley"
    if method == "shap" and not shap_available():
        raise TransparencyError("method 'shap' needs the shap package, which is not installed; use 'auto' or "
                                "'group-shapley' (same Shapley values, computed exactly)")
    return method


def _resolve_groups(groups: dict[str, list[str]], columns: list[str]) -> dict[str, list[str]]:
    """The groups, checked against the model's columns, plus OTHER_GROUP for model columns no group names."""
    if not isinstance(groups, dict) or not groups:
        raise TransparencyError("groups must be a non-empty dict of group name -> list of columns")
    seen: dict[str, str] = {}
    for name, group_columns in groups.items():
        if isinstance(group_columns, str) or not list(group_columns):
            raise TransparencyError(f"group {name!r} must be a non-empty list of column names, got {group_columns!r}")
        for column in group_columns:
            if column not in columns:
                raise TransparencyError(f"group {name!r} names column {column!r}, which the model does not read; "
                                        f"its columns are {columns}")
            if column in seen:
                raise TransparencyError(f"column {column!r} is in groups {seen[column]!r} and {name!r}; "
                                        "each column belongs to one group")
            seen[column] = name
    resolved = {str(name): list(cols) for name, cols in groups.items()}
    leftover = [c for c in columns if c not in seen]
    if leftover:
        resolved[OTHER_GROUP] = resolved.get(OTHER_GROUP, []) + leftover
    if len(resolved) > MAX_GROUPS:
        raise TransparencyError(f"at most {MAX_GROUPS} groups (2^groups coalitions are evaluated), got {len(resolved)}")
    return resolved


def _coalition_values(model: Any, row: pd.DataFrame, background: pd.DataFrame, groups: list[list[str]],
                      masks: np.ndarray) -> np.ndarray:
    """v(S) for each boolean mask S (one row of `masks`): the mean prediction over the background rows with
    the columns of the groups in S taken from `row` (interventional: the other columns stay as observed)."""
    n_background = len(background)
    hybrid = background.iloc[np.tile(np.arange(n_background), len(masks))].reset_index(drop=True)
    for g, group_columns in enumerate(groups):
        from_row = np.repeat(masks[:, g], n_background)
        for column in group_columns:
            hybrid.loc[from_row, column] = row[column].iloc[0]
    return predict(model, hybrid).reshape(len(masks), n_background).mean(axis=1)


def _exact_group_shapley(values: dict[tuple[bool, ...], float], n_groups: int) -> np.ndarray:
    """Shapley values from the value of every coalition: phi_i = sum over S without i of
    |S|! (n-|S|-1)! / n! * (v(S + i) - v(S))."""
    phi = np.zeros(n_groups)
    for i in range(n_groups):
        others = [g for g in range(n_groups) if g != i]
        for size in range(n_groups):
            weight = math.factorial(size) * math.factorial(n_groups - size - 1) / math.factorial(n_groups)
            for subset in combinations(others, size):
                without = tuple(g in subset for g in range(n_groups))
                with_i = tuple(g in subset or g == i for g in range(n_groups))
                phi[i] += weight * (values[with_i] - values[without])
    return phi


def _group_shapley(value_of: Any, n_groups: int) -> tuple[np.ndarray, float]:
    """Exact Shapley values of the group game (all 2^n coalitions) and v(empty coalition)."""
    masks = np.array([[bool(code >> g & 1) for g in range(n_groups)] for code in range(2 ** n_groups)])
    values = dict(zip(map(tuple, masks.tolist()), value_of(masks), strict=True))
    return _exact_group_shapley(values, n_groups), float(values[(False,) * n_groups])


def _shap_group_values(value_of: Any, n_groups: int) -> tuple[np.ndarray, float]:
    """The same group game handed to shap's KernelExplainer (not testable here: shap is not installed).

    A player is "on" (1, value from the row) or "off" (0, value from the background); with every one of the
    2^n coalitions sampled and no L1 penalty, KernelSHAP solves for the exact Shapley values.
    """
    import shap

    def game(z: np.ndarray) -> np.ndarray:
        return value_of(np.asarray(z) > 0.5)

    explainer = shap.KernelExplainer(game, np.zeros((1, n_groups)))
    raw = explainer.shap_values(np.ones((1, n_groups)), nsamples=2 ** n_groups, l1_reg=False, silent=True)
    base = float(np.asarray(explainer.expected_value, dtype=float).reshape(-1)[0])
    return np.asarray(raw, dtype=float).reshape(-1)[:n_groups], base


def explain_prediction(model: Any, row: pd.DataFrame, background: pd.DataFrame, *, method: Method = "auto",
                       groups: dict[str, list[str]] = RAW_FEATURE_GROUPS, random_state: int = 42,
                       max_background: int = 50) -> Explanation:
    """Split one predicted fare into contributions (rupees) of feature groups: SHAP values for groups.

    A coalition's value is the mean prediction over (at most `max_background`) background rows whose
    columns of the coalition's groups are taken from `row` -- interventional Shapley values, which is what
    SHAP estimates. With a handful of groups all 2^groups coalitions are cheap, so "group-shapley" computes
    them exactly by brute force; "shap" (default when installed) hands the same game to shap. Either way
    base_value + contributions.sum() == prediction. Grouping keeps coupled columns (Route and Total_Stops)
    together, so each group stays consistent within itself; across groups the hybrid rows can still be flights
    that do not exist (this airline on a background flight's route).
    """
    row = require_frame(row, "row")
    if len(row) != 1:
        raise TransparencyError(f"row must hold exactly one flight, got {len(row)} rows; pass df.iloc[[i]]")
    background = require_frame(background, "background")
    method = _check_method(method)
    columns = model_columns(model, row)
    require_columns(row, columns, "row")
    require_columns(background, columns, "background")
    resolved = _resolve_groups(groups, columns)
    sample = background.iloc[sample_rows(background, max_background, random_state, "max_background")]
    sample = sample[columns].reset_index(drop=True)
    group_columns = list(resolved.values())

    def value_of(masks: np.ndarray) -> np.ndarray:
        return _coalition_values(model, row[columns], sample, group_columns, masks)

    solver = _shap_group_values if method == "shap" else _group_shapley
    phi, base_value = solver(value_of, len(resolved))
    prediction = float(predict(model, row[columns])[0])
    contributions = pd.DataFrame({
        "group": list(resolved),
        "columns": [", ".join(cols) for cols in group_columns],
        "value": [", ".join(str(row[c].iloc[0]) for c in cols) for cols in group_columns],
        "contribution": phi,
    })
    order = np.argsort(-np.abs(phi), kind="stable")
    return Explanation(contributions.iloc[order].reset_index(drop=True), base_value, prediction, method)
