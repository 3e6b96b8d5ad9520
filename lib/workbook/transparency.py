"""Transparency and explainability for the fare model: what it relies on, how it reacts, why one fare.

Notebook 06 uses four views of a fitted model that reads RAW flight rows (the file's ten columns):
- `permutation_importance_table`: how much worse (MAE, rupees) the model gets when one column is shuffled;
- `partial_dependence_table`: the average predicted fare when every row gets the same value of one column;
- `explain_prediction`: one fare split into contributions of a few feature groups (Shapley values);
- `model_card`: a Markdown card built from the MLflow run that produced the model.

Every predict call runs inside `models.fitting_context()` (one native thread) like the rest of the workbook.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

# MLflow after workbook.tracking on purpose: tracking silences MLflow's import-time warnings (notebook stderr).
import mlflow
import mlflow.artifacts
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from mlflow.tracking import MlflowClient
from sklearn.inspection import partial_dependence, permutation_importance

from workbook import models, tracking
from workbook.data import STOPS_LABELS
from workbook.errors import TransparencyError
from workbook.features import parse_duration_minutes, parse_journey_date
from workbook.files import atomic_write
from workbook.messages import first_line
from workbook.tracking import TrackingError

# Coupled raw columns move together, so an explanation never invents an impossible flight (a Route with two
# stops labelled "non-stop", a Duration that contradicts its departure and arrival times).
RAW_FEATURE_GROUPS: dict[str, list[str]] = {
    "airline": ["Airline"],
    "date": ["Date_of_Journey"],
    "itinerary": ["Source", "Destination", "Route", "Total_Stops"],
    "schedule": ["Dep_Time", "Arrival_Time", "Duration"],
    "fare class": ["Additional_Info"],
}
OTHER_GROUP = "other"  # model inputs no group names; kept so contributions still add up
METHODS = ("auto", "shap", "group-shapley")
MAX_GROUPS = 10  # 2^10 coalitions x 50 background rows is ~50k predictions: seconds, not minutes
ORDERED_COLUMNS = ("Date_of_Journey", "Dep_Time", "Arrival_Time", "Duration", "Total_Stops")  # values have an order
PD_MAX_VALUES = 8  # default grid size for a categorical column: its most common values
DEFAULT_STOPS_GRID = [STOPS_LABELS[n] for n in range(4)]  # 4 stops is too rare to say anything
DEFAULT_DEP_TIMES = [f"{hour:02d}:00" for hour in range(0, 24, 3)]

DEFAULT_INTENDED_USE = (
    "Estimate the one-way economy fare (rupees) of an Indian domestic flight on the six markets of the "
    "training data, from what a booking system knows before departure: airline, date, itinerary, schedule "
    "and fare notes. Meant for teaching MLOps and for rough fare guidance, not for pricing or refunds."
)
DEFAULT_LIMITATIONS = [
    ("Trained on past fares only (the rows named under Data); fares drift with season, fuel and competition, "
     "so watch the drift report and retrain when the error rises."),
    ("Knows only the six markets and the airlines of the training data; an unseen route or airline gets an "
     "average guess."),
    "Rare fare classes (business, premium economy) have few examples; their errors are the largest.",
    ("Explanations describe the model, not the airline's pricing: a large contribution means the model "
     "leans on that group, not that it causes the fare."),
]

_NOT_RECORDED = "not recorded"


# --------------------------------------------------------------------------------------------------
# Input checks shared by the helpers
# --------------------------------------------------------------------------------------------------


def _require_frame(frame: Any, name: str) -> pd.DataFrame:
    """`frame` if it is a non-empty DataFrame, else a one-line TransparencyError naming `name`."""
    if not isinstance(frame, pd.DataFrame):
        raise TransparencyError(f"{name} must be a pandas DataFrame of raw flight rows, got {type(frame).__name__}")
    if frame.empty:
        raise TransparencyError(f"{name} is empty; it needs at least one row")
    return frame


def _model_columns(model: Any, frame: pd.DataFrame) -> list[str]:
    """The columns the fitted model reads (its `feature_names_in_`), else every column of `frame`."""
    if not hasattr(model, "predict"):
        raise TransparencyError(f"model must be a fitted estimator with .predict, got {type(model).__name__}")
    names = getattr(model, "feature_names_in_", None)
    return [str(name) for name in names] if names is not None else [str(c) for c in frame.columns]


def _require_columns(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TransparencyError(f"{name} lacks column(s) {missing} the model reads; it has {list(frame.columns)}")


def _sample_rows(frame: pd.DataFrame, max_rows: int, random_state: int, name: str) -> np.ndarray:
    """Positions of at most `max_rows` rows, drawn without replacement and kept in their original order."""
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise TransparencyError(f"{name} must be a positive integer, got {max_rows!r}")
    if len(frame) <= max_rows:
        return np.arange(len(frame))
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(len(frame), size=max_rows, replace=False))


def _predict(model: Any, X: pd.DataFrame) -> np.ndarray:
    with models.fitting_context():
        return np.asarray(model.predict(X), dtype=float)


def _new_axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


# --------------------------------------------------------------------------------------------------
# Permutation importance
# --------------------------------------------------------------------------------------------------


def permutation_importance_table(model: Any, X_raw: pd.DataFrame, y: Any, *, n_repeats: int = 5,
                                 random_state: int = 42, max_rows: int = 2000) -> pd.DataFrame:
    """How much the MAE (rupees) grows when each raw column is shuffled: column, importance, std; sorted.

    sklearn's `permutation_importance` on held-out rows (at most `max_rows`, drawn with the seed). Every
    column of `X_raw` is shuffled, also ones the model ignores (they score exactly 0). A column shuffled
    alone can form impossible rows (a Route that contradicts Total_Stops), so coupled columns share credit
    unevenly; `explain_prediction` moves them together. `table.attrs["baseline_mae"]` is the unshuffled MAE.
    """
    X_raw = _require_frame(X_raw, "X_raw")
    _require_columns(X_raw, _model_columns(model, X_raw), "X_raw")
    y = pd.Series(np.asarray(y, dtype=float))
    if len(y) != len(X_raw):
        raise TransparencyError(f"y has {len(y)} values but X_raw has {len(X_raw)} rows; they must match")
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 1:
        raise TransparencyError(f"n_repeats must be a positive integer, got {n_repeats!r}")
    rows = _sample_rows(X_raw, max_rows, random_state, "max_rows")
    X, target = X_raw.iloc[rows], y.iloc[rows].to_numpy()
    with models.fitting_context():
        result = permutation_importance(model, X, target, scoring="neg_mean_absolute_error",
                                        n_repeats=n_repeats, random_state=random_state, n_jobs=1)
    # The score is -MAE, so "score drop" = shuffled MAE - baseline MAE: rupees of extra error.
    table = pd.DataFrame({"column": [str(c) for c in X.columns], "importance": result.importances_mean,
                          "std": result.importances_std})
    table = table.sort_values(["importance", "column"], ascending=[False, True], kind="stable")
    table = table.reset_index(drop=True)
    table.attrs["baseline_mae"] = float(np.mean(np.abs(_predict(model, X) - target)))
    return table


def plot_importance(table: pd.DataFrame, ax: Any = None) -> Any:
    """Horizontal bars of `permutation_importance_table` (most important on top), with the std as error bars."""
    _require_frame(table, "table")
    _require_columns(table, ["column", "importance", "std"], "table")
    ax = _new_axes(ax, (7, 0.4 * len(table) + 1))
    ordered = table.iloc[::-1]
    ax.barh(ordered["column"], ordered["importance"], xerr=ordered["std"], color="tab:blue", capsize=3)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("MAE increase when the column is shuffled (₹)")
    ax.set_title("Permutation importance")
    return ax


# --------------------------------------------------------------------------------------------------
# Partial dependence
# --------------------------------------------------------------------------------------------------


def _duration_grid(X: pd.DataFrame) -> list[str]:
    """Whole hours from the 5th to the 95th percentile of the durations, as the file writes them ("7h")."""
    minutes = parse_duration_minutes(X["Duration"])
    low, high = np.percentile(minutes, [5, 95]) / 60
    hours = np.unique(np.maximum(1, np.round(np.linspace(low, high, PD_MAX_VALUES))).astype(int))
    return [f"{h}h" for h in hours]


def _date_grid(X: pd.DataFrame) -> list[str]:
    """Journey dates present in X, in calendar order, thinned to at most a dozen evenly spaced ones."""
    dates = X["Date_of_Journey"].drop_duplicates()
    ordered = dates.iloc[np.argsort(parse_journey_date(dates).to_numpy(), kind="stable")].tolist()
    if len(ordered) <= 12:
        return ordered
    return [ordered[i] for i in np.unique(np.linspace(0, len(ordered) - 1, 12).round().astype(int))]


def default_pd_values(X: pd.DataFrame, column: str) -> list[str]:
    """A readable grid for `column`: stops 0-3, whole-hour durations, 3-hourly departures, dates in order,
    else the column's PD_MAX_VALUES most common values (most common first)."""
    if column == "Total_Stops":
        return list(DEFAULT_STOPS_GRID)
    if column == "Duration":
        return _duration_grid(X)
    if column == "Dep_Time":
        return list(DEFAULT_DEP_TIMES)
    if column == "Date_of_Journey":
        return _date_grid(X)
    counts = X[column].dropna().value_counts()
    return [str(v) for v in counts.index[:PD_MAX_VALUES]]


def partial_dependence_table(model: Any, X_raw: pd.DataFrame, column: str, values: list | None = None, *,
                             max_rows: int = 1000, random_state: int = 42) -> pd.DataFrame:
    """Average predicted fare when every row's `column` is set to each value: column, value, average_prediction.

    sklearn's `partial_dependence` (brute force, `custom_values`, the column treated as categorical) works on
    this version's raw text columns, so no hand-made loop is needed. Values keep the given order; the default
    grid is `default_pd_values`. Only `column` changes, so where other columns carry the same information (Route
    implies the stops) the curve shows what the model credits to `column` alone.
    """
    X_raw = _require_frame(X_raw, "X_raw")
    _require_columns(X_raw, _model_columns(model, X_raw), "X_raw")
    if column not in X_raw.columns:
        raise TransparencyError(f"column {column!r} is not in X_raw; choose one of {list(X_raw.columns)}")
    X = X_raw.iloc[_sample_rows(X_raw, max_rows, random_state, "max_rows")]
    grid = default_pd_values(X, column) if values is None else list(dict.fromkeys(values))
    if not grid:
        raise TransparencyError(f"values for column {column!r} is empty; give at least one value")
    with models.fitting_context():
        result = partial_dependence(model, X, [column], categorical_features=[column], kind="average",
                                    custom_values={column: np.asarray(grid, dtype=object)})
    averages = dict(zip(result["grid_values"][0].tolist(), result["average"][0].tolist(), strict=True))
    return pd.DataFrame({"column": column, "value": grid, "average_prediction": [averages[v] for v in grid]})


def plot_partial_dependence(table: pd.DataFrame, ax: Any = None) -> Any:
    """The partial-dependence table as a plot: a line in the order of values over ordered columns (times,
    durations, dates, stops); bars from dearest to cheapest over unordered categories such as the airline,
    where a line would suggest an order. The fare axis starts at zero, so a small effect does not look big."""
    _require_frame(table, "table")
    _require_columns(table, ["column", "value", "average_prediction"], "table")
    ax = _new_axes(ax, (7, 4))
    positions = np.arange(len(table))
    column = str(table["column"].iloc[0])
    if column in ORDERED_COLUMNS:
        ax.plot(positions, table["average_prediction"], marker="o", color="tab:blue")
    else:
        table = table.sort_values("average_prediction", ascending=False, kind="stable")
        ax.bar(positions, table["average_prediction"], color="tab:blue")
    ax.set_ylim(bottom=0)
    ax.set_xticks(positions, [str(v) for v in table["value"]], rotation=30, ha="right")
    ax.set_xlabel(column)
    ax.set_ylabel("average predicted fare (₹)")
    ax.set_title(f"Partial dependence on {column}")
    return ax


# --------------------------------------------------------------------------------------------------
# Local explanations: Shapley values over feature groups
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """One prediction split into group contributions: base_value + sum(contributions) == prediction."""

    contributions: pd.DataFrame  # group, columns, value, contribution (rupees); sorted by |contribution|
    base_value: float  # mean prediction over the background rows
    prediction: float  # the model's prediction for the row
    method: str  # "shap" or "group-shapley"


def _shap_available() -> bool:
    try:
        import shap  # noqa: F401
    except ImportError:
        return False
    return True


def _check_method(method: str) -> str:
    """The method to use: "auto" means shap when it is installed, else the exact group-Shapley fallback."""
    if method not in METHODS:
        raise TransparencyError(f"method must be one of {list(METHODS)}, got {method!r}")
    if method == "auto":
        return "shap" if _shap_available() else "group-shapley"
    if method == "shap" and not _shap_available():
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
    return _predict(model, hybrid).reshape(len(masks), n_background).mean(axis=1)


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


def explain_prediction(model: Any, row: pd.DataFrame, background: pd.DataFrame, *, method: str = "auto",
                       groups: dict[str, list[str]] = RAW_FEATURE_GROUPS, random_state: int = 42,
                       max_background: int = 50) -> Explanation:
    """Split one predicted fare into contributions (rupees) of feature groups: SHAP values for groups.

    A coalition's value is the mean prediction over (at most `max_background`) background rows whose
    columns of the coalition's groups are taken from `row` -- interventional Shapley values, which is what
    SHAP estimates. With a handful of groups all 2^groups coalitions are cheap, so "group-shapley" computes
    them exactly by brute force; "shap" (default when installed) hands the same game to shap. Either way
    base_value + contributions.sum() == prediction. Grouping keeps coupled columns (Route and Total_Stops)
    together, so no impossible flight is ever scored.
    """
    row = _require_frame(row, "row")
    if len(row) != 1:
        raise TransparencyError(f"row must hold exactly one flight, got {len(row)} rows; pass df.iloc[[i]]")
    background = _require_frame(background, "background")
    method = _check_method(method)
    columns = _model_columns(model, row)
    _require_columns(row, columns, "row")
    _require_columns(background, columns, "background")
    resolved = _resolve_groups(groups, columns)
    sample = background.iloc[_sample_rows(background, max_background, random_state, "max_background")]
    sample = sample[columns].reset_index(drop=True)
    group_columns = list(resolved.values())

    def value_of(masks: np.ndarray) -> np.ndarray:
        return _coalition_values(model, row[columns], sample, group_columns, masks)

    solver = _shap_group_values if method == "shap" else _group_shapley
    phi, base_value = solver(value_of, len(resolved))
    prediction = float(_predict(model, row[columns])[0])
    contributions = pd.DataFrame({
        "group": list(resolved),
        "columns": [", ".join(cols) for cols in group_columns],
        "value": [", ".join(str(row[c].iloc[0]) for c in cols) for cols in group_columns],
        "contribution": phi,
    })
    order = np.argsort(-np.abs(phi), kind="stable")
    return Explanation(contributions.iloc[order].reset_index(drop=True), base_value, prediction, method)


def plot_explanation(explanation: Explanation, ax: Any = None) -> Any:
    """Waterfall-like bars: from the base value, each group pushes the fare up (red) or down (blue)."""
    if not isinstance(explanation, Explanation):
        raise TransparencyError(f"explanation must come from explain_prediction, got {type(explanation).__name__}")
    table = explanation.contributions
    ax = _new_axes(ax, (8, 0.5 * len(table) + 1.5))
    start = explanation.base_value
    ends = [start]
    for position, item in enumerate(table.itertuples(index=False)):
        colour = "tab:red" if item.contribution >= 0 else "tab:blue"
        ax.barh(position, item.contribution, left=start, color=colour)
        end = start + item.contribution
        ax.text(end, position, f" {item.contribution:+,.0f} ", va="center",
                ha="left" if item.contribution >= 0 else "right", fontsize=9)
        start = end
        ends.append(end)
    low, high = min(ends), max(ends)
    pad = 0.2 * (high - low) or 1.0  # room for the value labels beside the outermost bars
    ax.set_xlim(low - pad, high + pad)
    labels = [f"{g} = {v}" if len(v) <= 40 else f"{g} = {v[:37]}..." for g, v in zip(table["group"], table["value"])]
    ax.set_yticks(np.arange(len(table)), labels)
    ax.invert_yaxis()  # largest contribution on top, as in a SHAP waterfall
    ax.axvline(explanation.base_value, color="grey", linestyle="--", linewidth=0.8)
    ax.axvline(explanation.prediction, color="black", linewidth=0.8)
    ax.set_xlabel(f"fare (₹): average {explanation.base_value:,.0f} -> this flight {explanation.prediction:,.0f}")
    ax.set_title(f"Why this fare ({explanation.method})")
    return ax


# --------------------------------------------------------------------------------------------------
# Model card from the MLflow run
# --------------------------------------------------------------------------------------------------


def _format_number(value: Any) -> str:
    """Readable numbers: rupee-sized values with thousands separators, small ones with 4 significant digits."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    if not math.isfinite(float(value)):
        return str(value)
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def _cell(value: Any) -> str:
    return _format_number(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of `frame` (index dropped), numbers formatted for reading; no extra package needed."""
    header = "| " + " | ".join(_cell(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _store_uri(tracking_uri: str | None) -> str:
    """The explicit store, else the one MLflow uses now, else the workbook's default store."""
    if tracking_uri:
        return tracking.ensure_store(tracking_uri)
    return tracking.ensure_store(mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None)


def _get_run(client: Any, run_id: str) -> Any:
    """The run, or a one-line TrackingError naming the run id."""
    if not isinstance(run_id, str) or not run_id.strip():
        raise TrackingError(f"run_id must be a non-empty string, got {run_id!r}")
    try:
        return client.get_run(run_id)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise TrackingError(f"no run with id {run_id!r} in the tracking store; check the id and the store") \
                from None
        raise TrackingError(f"cannot read run {run_id!r}: {first_line(error)}") from None


def _readable_source(source: str) -> str:
    """A dataset source without machine-specific parts: local paths and file URIs shrink to the file name."""
    try:
        uri = json.loads(source).get("uri", source)
    except (ValueError, AttributeError):
        uri = source
    uri = str(uri)
    if uri.startswith("file://") or os.path.isabs(uri):
        return Path(uri.removeprefix("file://")).name or uri
    return uri


def _dataset_rows(dataset: Any) -> str:
    try:
        return _format_number(json.loads(dataset.profile or "{}")["num_rows"])
    except (ValueError, KeyError, TypeError):
        return _NOT_RECORDED


def _data_section(run: Any) -> list[str]:
    inputs = run.inputs.dataset_inputs if run.inputs else []
    lines = ["## Data", ""]
    if inputs:
        rows = []
        for item in inputs:
            context = next((t.value for t in item.tags if t.key == "mlflow.data.context"), _NOT_RECORDED)
            rows.append({"name": item.dataset.name, "context": context, "digest": item.dataset.digest,
                         "source": _readable_source(item.dataset.source), "rows": _dataset_rows(item.dataset)})
        lines += [markdown_table(pd.DataFrame(rows)), ""]
    else:
        lines += [f"- Dataset inputs: {_NOT_RECORDED}", ""]
    tags = run.data.tags
    data_hash = tags.get("workbook.data_hash")
    lines += [f"- Data source: {tags.get('workbook.data_source', _NOT_RECORDED)}",
              f"- Data hash (SHA-256, first 12): {data_hash[:12] if data_hash else _NOT_RECORDED}", ""]
    return lines


def _run_model_id(client: Any, run: Any) -> str | None:
    """The logged model (MLflow 3) the run produced: its outputs first, else a search by source run."""
    outputs = getattr(run, "outputs", None)
    if outputs and outputs.model_outputs:
        return outputs.model_outputs[0].model_id
    try:
        found = client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                            filter_string=f"source_run_id = '{run.info.run_id}'")
    except MlflowException:
        return None
    return found[0].model_id if found else None


def _load_mlmodel(client: Any, store: str, run: Any, registered: Any) -> Any:
    """The MLmodel description (flavors, signature) of the registered version or the run's model, or None."""
    model_id = getattr(registered, "model_id", None) or _run_model_id(client, run)
    if not model_id:
        return None
    try:
        location = client.get_logged_model(model_id).artifact_location
        # Model.load reads local paths only; download_artifacts resolves file:// and server URIs of this store.
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"{location}/MLmodel", tracking_uri=store)
        return Model.load(local)
    except Exception:
        return None


def _registered_version(client: Any, model_name: str, model_version: int | None) -> Any:
    if model_version is None:
        return None
    try:
        return client.get_model_version(model_name, str(model_version))
    except MlflowException:
        return None


def _model_section(model_name: str, model_version: int | None, registered: Any, mlmodel: Any,
                   run: Any) -> list[str]:
    if model_version is None:
        version = "not registered (no version given)"
    elif registered is None:
        version = f"{model_version} ({_NOT_RECORDED} in the registry)"
    else:
        aliases = ", ".join(sorted(registered.aliases)) if registered.aliases else "none"
        same_run = "" if registered.run_id == run.info.run_id else " -- WARNING: registered from another run"
        version = f"{model_version} (aliases: {aliases}){same_run}"
    if mlmodel is None:
        flavor = _NOT_RECORDED
    else:
        flavors = [name for name in mlmodel.flavors if name != "python_function"] or list(mlmodel.flavors)
        sklearn_version = mlmodel.flavors.get("sklearn", {}).get("sklearn_version")
        flavor = ", ".join(flavors) + (f" (scikit-learn {sklearn_version})" if sklearn_version else "")
    return ["## Model", "", f"- Name: {model_name}", f"- Version: {version}", f"- Flavor: {flavor}",
            f"- Run name: {run.info.run_name or _NOT_RECORDED}", ""]


def _features_section(mlmodel: Any) -> list[str]:
    signature = getattr(mlmodel, "signature", None)
    if signature is None or signature.inputs is None:
        return ["## Features", "", f"- Input signature: {_NOT_RECORDED}", ""]
    specs = signature.inputs.to_dict()
    frame = pd.DataFrame({"column": [s.get("name", "(unnamed)") for s in specs],
                          "type": [str(s.get("type", "")) for s in specs],
                          "required": ["yes" if s.get("required", True) else "no" for s in specs]})
    lines = ["## Features", "", f"The model reads {len(frame)} raw column(s):", "", markdown_table(frame), ""]
    if signature.outputs is not None:
        lines += [f"Output: {_describe_outputs(signature.outputs.to_dict())}", ""]
    return lines


def _describe_outputs(specs: list[dict]) -> str:
    """"one float64 value per row" for a tensor output, else the output columns with their types."""
    if len(specs) == 1 and specs[0].get("type") == "tensor":
        return f"one {specs[0].get('tensor-spec', {}).get('dtype', 'numeric')} value per row"
    return ", ".join(f"{s.get('name', '(unnamed)')} ({s.get('type', '?')})" for s in specs)


def _key_value_section(title: str, values: dict[str, Any], what: str) -> list[str]:
    if not values:
        return [f"## {title}", "", f"- {what}: {_NOT_RECORDED}", ""]
    frame = pd.DataFrame({what.lower(): sorted(values), "value": [values[k] for k in sorted(values)]})
    return [f"## {title}", "", markdown_table(frame), ""]


def model_card(run_id: str, *, model_name: str, model_version: int | None = None,
               intended_use: str = DEFAULT_INTENDED_USE, limitations: list[str] | None = None,
               bias_table: pd.DataFrame | None = None, drift_status: str | None = None,
               tracking_uri: str | None = None) -> str:
    """A Markdown model card built from the MLflow run `run_id`: model, data, features, parameters, metrics,
    intended use, limitations, bias, drift and provenance. Missing pieces read "not recorded".

    The text holds no run id, timestamp or absolute path, so a notebook can show it; `limitations` defaults
    to DEFAULT_LIMITATIONS. The store is `tracking_uri`, else the one MLflow uses now, else the workbook's.
    """
    if not isinstance(model_name, str) or not model_name.strip():
        raise TransparencyError(f"model_name must be a non-empty string, got {model_name!r}")
    if bias_table is not None and not isinstance(bias_table, pd.DataFrame):
        raise TransparencyError(f"bias_table must be a DataFrame or None, got {type(bias_table).__name__}")
    if not isinstance(intended_use, str):
        raise TransparencyError(f"intended_use must be a string, got {type(intended_use).__name__}")
    if limitations is not None and (isinstance(limitations, str) or not all(isinstance(x, str) for x in limitations)):
        raise TransparencyError("limitations must be a list of strings (one limitation each)")
    if drift_status is not None and not isinstance(drift_status, str):
        raise TransparencyError(f"drift_status must be a string or None, got {type(drift_status).__name__}")
    store = _store_uri(tracking_uri)
    client = MlflowClient(store)
    run = _get_run(client, run_id)
    registered = _registered_version(client, model_name, model_version)
    mlmodel = _load_mlmodel(client, store, run, registered)
    tags = run.data.tags
    title = f"# Model card: {model_name}" + (f" v{model_version}" if model_version is not None else "")
    lines = [title, ""]
    lines += _model_section(model_name, model_version, registered, mlmodel, run)
    lines += _data_section(run)
    lines += _features_section(mlmodel)
    lines += _key_value_section("Training parameters", run.data.params, "Parameter")
    lines += _key_value_section("Metrics", run.data.metrics, "Metric")
    lines += ["## Intended use", "", intended_use.strip() or _NOT_RECORDED, ""]
    items = DEFAULT_LIMITATIONS if limitations is None else list(limitations)
    lines += ["## Limitations", "", *([f"- {item}" for item in items] or [f"- {_NOT_RECORDED}"]), ""]
    bias = markdown_table(bias_table) if bias_table is not None and not bias_table.empty else _NOT_RECORDED
    lines += ["## Bias", "", bias, ""]
    lines += ["## Drift status", "", drift_status.strip() if drift_status else _NOT_RECORDED, ""]
    commit = tags.get("mlflow.source.git.commit")
    lines += ["## Provenance", "", f"- Git commit: {commit[:12] if commit else _NOT_RECORDED}",
              f"- Workbook version: {tags.get('workbook.version', _NOT_RECORDED)}",
              f"- Notebook: {tags.get('workbook.notebook', _NOT_RECORDED)}", ""]
    return "\n".join(lines)


def write_model_card(markdown: str, path: str | os.PathLike) -> Path:
    """Write the card atomically (a reader never sees half a file); returns the path written."""
    if not isinstance(markdown, str) or not markdown.strip():
        raise TransparencyError("markdown must be a non-empty string (the text model_card returns)")
    path = Path(path)
    with atomic_write(path) as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return path
