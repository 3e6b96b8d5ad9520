"""The comparison: each model x feature set x target fitted on the talk's split, in ONE table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple, get_args

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline

from workbook.features import RAW_COLUMNS, drop_rare_airlines, talk_dropna, talk_feature_frame, talk_split
from workbook.models.catalog import (
    ENSEMBLE,
    ENSEMBLE_MEMBERS,
    EXPLAINABILITY,
    FEATURE_SETS,
    MODEL_NAMES,
    TARGETS,
    FeatureSet,
    ModelName,
    Target,
    check_choice,
    check_model_name,
)
from workbook.models.evaluate import (
    CV_FOLDS,
    cross_validate_model,
    evaluate,
    mean_prediction_scores,
    regression_metrics,
    timed_predictions,
)
from workbook.models.parallel import check_n_jobs, fitting_context, worker_processes
from workbook.models.pipelines import assemble_ensemble, make_pipeline

TIMING_COLUMNS = ["fit_s", "latency_ms_per_1k"]
METRIC_COLUMNS = ["MAE", "RMSE", "R2", "MAPE", "cv_mae_mean", "cv_mae_std", "fit_s", "latency_ms_per_1k",
                  "size_kb"]  # the numbers of a comparison row (what a tracked run logs)
TABLE_COLUMNS = ["model", "features", "target", "MAE", "RMSE", "R2", "MAPE", "cv_mae_mean", "cv_mae_std",
                 "fit_s", "latency_ms_per_1k", "size_kb", "explainability"]
# Which comparison rows keep their fitted model in MLflow: the chosen row and the runner-up (the rows a learner
# looks at), or all of them (~270 MB on the twin, mostly k-NN, the forest+boosting means and the forests).
# Params and metrics are kept for all.
LogModels = Literal["chosen", "all"]
LOG_MODELS: tuple[LogModels, ...] = get_args(LogModels)
# Dispatched first when the comparison runs in processes, so no long fit starts last (the tail stays short).
SLOW_MODELS = (ENSEMBLE, "random_forest", "hist_gradient_boosting")
Combination = tuple[ModelName, FeatureSet, Target]
NO_CV = {"cv_mae_mean": np.nan, "cv_mae_std": np.nan}  # the CV columns of a row fitted without cross-validation


class Fitted(NamedTuple):
    """One comparison row, its fitted pipeline, and its CV folds' predictions when an ensemble reuses them."""

    row: dict
    pipeline: Any
    cv_predictions: list | None = None


def talk_rows(data: pd.DataFrame) -> pd.DataFrame:
    """The rows the talk models: dropna() and without the five rare airlines (10,465 on the real file)."""
    if "Price" not in data.columns:
        raise ValueError(f"the comparison needs a 'Price' column; the data has {list(data.columns)}")
    return drop_rare_airlines(talk_dropna(data))


def comparison_splits(data: pd.DataFrame, random_state: int = 42) -> dict[str, tuple]:
    """The talk's split for both feature sets, row for row the same rows.

    "talk" -> (X_train, X_test, y_train, y_test) with the 24 columns (get_dummies on all rows, as the talk);
    "improved" -> the same rows as raw flight rows without Price, for the pipelines that read raw rows.
    """
    rows = talk_rows(data)
    raw = rows[RAW_COLUMNS]
    raw_train, raw_test, y_train, y_test = talk_split(raw, rows["Price"], random_state=random_state)
    talk_X = talk_feature_frame(rows)
    return {
        "talk": (talk_X.loc[raw_train.index], talk_X.loc[raw_test.index], y_train, y_test),
        "improved": (raw_train, raw_test, y_train, y_test),
    }


def compare_models(data: pd.DataFrame, models: Sequence[ModelName] = MODEL_NAMES,
                   feature_sets: Sequence[FeatureSet] = FEATURE_SETS, targets: Sequence[Target] = TARGETS,
                   cv: int | None = CV_FOLDS, random_state: int = 42,
                   cv_feature_sets: Sequence[FeatureSet] = FEATURE_SETS,
                   progress: Callable[[str], None] | None = None, *, n_jobs: int = 1) -> pd.DataFrame:
    """ONE table: each model x feature set x target fitted on the talk's split, sorted by test MAE.

    See `compare_models_fitted`, which also returns the fitted pipelines.
    """
    table, _ = compare_models_fitted(data, models, feature_sets, targets, cv, random_state, cv_feature_sets,
                                     progress, n_jobs=n_jobs)
    return table


def compare_models_fitted(data: pd.DataFrame, models: Sequence[ModelName] = MODEL_NAMES,
                          feature_sets: Sequence[FeatureSet] = FEATURE_SETS, targets: Sequence[Target] = TARGETS,
                          cv: int | None = CV_FOLDS, random_state: int = 42,
                          cv_feature_sets: Sequence[FeatureSet] = FEATURE_SETS,
                          progress: Callable[[str], None] | None = None, *,
                          n_jobs: int = 1) -> tuple[pd.DataFrame, dict]:
    """The comparison table and each row's fitted pipeline, keyed by `row_key(row)`.

    Columns: TABLE_COLUMNS. cv_mae_* come from `cv`-fold CV on the training rows, for the feature sets in
    `cv_feature_sets` (NaN elsewhere; cv=None skips CV). fit_s and latency vary from run to run: show
    `stable_view(table)` where output must be deterministic. `progress`, if given, is called with a short
    label before each combination; with n_jobs != 1 (combinations fitted in that many processes, the same
    table) it is called for all of them before they are dispatched, slow ones first.
    """
    n_jobs = check_n_jobs(n_jobs)
    for name in models:
        check_model_name(name)
    for feature_set in feature_sets:
        check_choice(feature_set, FEATURE_SETS, "feature set")
    for target in targets:
        check_choice(target, TARGETS, "target")
    for feature_set in cv_feature_sets:
        check_choice(feature_set, FEATURE_SETS, "feature set in cv_feature_sets")
    splits = comparison_splits(data, random_state)
    combinations = comparison_combinations(models, feature_sets, targets)
    assembled = _assembled_from_members(combinations)
    members = {(name, *combination[1:]) for combination in assembled for name in ENSEMBLE_MEMBERS}
    fitted_here = [combination for combination in combinations if combination not in assembled]
    tasks = [(*combination, splits[combination[1]], cv if combination[1] in cv_feature_sets else None,
              random_state, combination in members) for combination in fitted_here]
    results = dict(zip(fitted_here, _run_combinations(tasks, n_jobs, progress), strict=True))
    for combination in assembled:
        _report(progress, combination)
        results[combination] = ensemble_from_members(combination, results, splits[combination[1]], random_state)
    table = pd.DataFrame([results[combination].row for combination in combinations], columns=TABLE_COLUMNS)
    table = table.sort_values(["MAE", "model", "features", "target"], kind="stable").reset_index(drop=True)
    return table, {combination: results[combination].pipeline for combination in combinations}


def _assembled_from_members(combinations: list[Combination]) -> list[Combination]:
    """The ensemble rows whose members are rows of the same comparison: they are assembled, not fitted again.

    Fitting the mean of forest and boosting again took ~30 % of the comparison's time, for the very fits of
    its member rows (same rows, folds and seeds); an ensemble asked for without its members is fitted as before.
    """
    present = set(combinations)
    return [combination for combination in combinations if combination[0] == ENSEMBLE
            and all((name, *combination[1:]) in present for name in ENSEMBLE_MEMBERS)]


def ensemble_from_members(combination: Combination, results: dict[Combination, Fitted], split: tuple,
                          random_state: int = 42) -> Fitted:
    """The ensemble row from its members' fitted pipelines and CV predictions: the scores a fit would give.

    fit_s and size are the members' together (what fitting and storing the ensemble cost; sizes measured where
    each member was fitted, so the same with any n_jobs); latency and the test metrics come from the assembled
    model's own predictions.
    """
    name, feature_set, target = combination
    member_results = [results[(member, feature_set, target)] for member in ENSEMBLE_MEMBERS]
    ensemble = assemble_ensemble({member: result.pipeline for member, result in
                                  zip(ENSEMBLE_MEMBERS, member_results, strict=True)},
                                 feature_set, log_target=target == "log", random_state=random_state)
    _, X_test, y_train, y_test = split
    with fitting_context():
        predicted, latency = timed_predictions(ensemble, X_test)
    folds = [result.cv_predictions for result in member_results]
    cv_result = (mean_prediction_scores(y_train, folds) if all(f is not None for f in folds)
                 else NO_CV)
    row = _row(combination, regression_metrics(y_test, predicted), cv_result,
               fit_s=sum(result.row["fit_s"] for result in member_results), latency_ms_per_1k=latency,
               size_bytes=round(sum(result.row["size_kb"] for result in member_results) * 1024))
    return Fitted(row, ensemble)


def comparison_combinations(models: Sequence[ModelName] = MODEL_NAMES,
                            feature_sets: Sequence[FeatureSet] = FEATURE_SETS,
                            targets: Sequence[Target] = TARGETS) -> list[tuple[ModelName, FeatureSet, Target]]:
    """The (model, feature set, target) rows a comparison fits, in the table's fitting order.

    The mean of forest and boosting is a candidate for the improved pipeline only: on the talk's 24 columns
    both members trail far behind, and its fits would double the comparison's slowest part for nothing.
    """
    return [(name, feature_set, target) for feature_set in feature_sets for name in models
            for target in targets if name != ENSEMBLE or feature_set == "improved"]


def _run_combinations(tasks: list[tuple], n_jobs: int, progress: Callable[[str], None] | None) -> list[Fitted]:
    """`fit_combination` on each task, results in the tasks' order; in worker processes when n_jobs != 1."""
    if joblib.effective_n_jobs(n_jobs) == 1:
        results = []
        for task in tasks:
            _report(progress, task)
            results.append(fit_combination(*task))
        return results
    # Slow fits first: two workers then finish together instead of one waiting on a late forest.
    order = sorted(range(len(tasks)), key=lambda i: _slow_first(tasks[i]))
    for i in order:
        _report(progress, tasks[i])
    with worker_processes(n_jobs):
        outputs = joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(fit_combination)(*tasks[i]) for i in order)
    results: list[Fitted] = [None] * len(tasks)  # type: ignore[list-item]  # every slot is filled below
    for i, output in zip(order, outputs, strict=True):
        results[i] = output
    return results


def _report(progress: Callable[[str], None] | None, task: tuple) -> None:
    if progress is not None:
        name, feature_set, target = task[:3]
        progress(f"{name} / {feature_set} / {target}")


def _slow_first(task: tuple) -> tuple[int, bool]:
    """Sort key: the forests, then boosting, then the rest; the improved feature set before the talk's."""
    name, feature_set = task[:2]
    return (SLOW_MODELS.index(name) if name in SLOW_MODELS else len(SLOW_MODELS), feature_set != "improved")


def fit_combination(name: ModelName, feature_set: FeatureSet, target: Target, split: tuple, cv: int | None,
                    random_state: int, keep_predictions: bool = False) -> Fitted:
    """One comparison row (evaluate + `cv`-fold CV unless cv is None) and its fitted pipeline.

    Module-level so worker processes can run it; evaluate and cross_validate_model fit inside
    fitting_context() in whichever process runs them. `keep_predictions` keeps the CV folds' predictions
    (for `ensemble_from_members`).
    """
    X_train, X_test, y_train, y_test = split
    y_train = _with_numpy_dtype(y_train)
    pipeline = make_pipeline(name, feature_set, log_target=target == "log", random_state=random_state)
    result = evaluate(pipeline, X_train, X_test, y_train, y_test)
    cv_result = (cross_validate_model(pipeline, X_train, y_train, cv, random_state, keep_predictions)
                 if cv else NO_CV)
    row = _row((name, feature_set, target), result, cv_result, fit_s=result["fit_seconds"],
               latency_ms_per_1k=result["latency_ms_per_1k"], size_bytes=result["size_bytes"])
    return Fitted(row, result["pipeline"], cv_result.get("cv_predictions"))


def _row(combination: Combination, metrics: dict, cv_result: dict, *, fit_s: float, latency_ms_per_1k: float,
         size_bytes: int) -> dict:
    """A comparison row (TABLE_COLUMNS) from its metrics, CV scores and costs."""
    name, feature_set, target = combination
    return {
        "model": name, "features": feature_set, "target": target,
        **{k: metrics[k] for k in ("MAE", "RMSE", "R2", "MAPE")},
        "cv_mae_mean": cv_result["cv_mae_mean"], "cv_mae_std": cv_result["cv_mae_std"],
        "fit_s": fit_s, "latency_ms_per_1k": latency_ms_per_1k,
        "size_kb": size_bytes / 1024, "explainability": EXPLAINABILITY[name],
    }


def _with_numpy_dtype(y: pd.Series) -> pd.Series:
    """`y` whose array carries numpy's own dtype object, as in the process that built it.

    Unpickled arrays (in a worker) carry a copy of their dtype. k-NN stores y, so joblib.dump could not share
    that dtype with the model's other arrays and size_kb would come out 32 bytes larger than with n_jobs=1.
    """
    if not isinstance(y, pd.Series) or not isinstance(y.dtype, np.dtype):
        return y  # pandas' own dtypes are rebuilt as they were
    return pd.Series(y.to_numpy().astype(y.dtype.str), index=y.index, name=y.name)


def row_key(row: pd.Series | dict) -> tuple[str, str, str]:
    """(model, features, target) of a comparison row: the key of `compare_models_fitted`'s pipelines."""
    return (row["model"], row["features"], row["target"])


def row_name(row: pd.Series | dict) -> str:
    """'hist_gradient_boosting-improved-log': a comparison row as a run name."""
    return "-".join(row_key(row))


def stable_view(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison without the timing columns and with rounded scores: identical on every run."""
    view = table.drop(columns=[c for c in TIMING_COLUMNS if c in table.columns])
    rounding = {"MAE": 0, "RMSE": 0, "cv_mae_mean": 0, "cv_mae_std": 0, "size_kb": 0, "R2": 3, "MAPE": 3}
    return view.round({c: d for c, d in rounding.items() if c in view.columns})


def best_row(table: pd.DataFrame, by: str = "MAE", features: FeatureSet | None = None) -> pd.Series:
    """The comparison row with the lowest `by` (optionally among one feature set)."""
    if by not in table.columns:
        raise ValueError(f"cannot rank by {by!r}; the table has columns {list(table.columns)}")
    candidates = table if features is None else table[table["features"] == features]
    if candidates.empty:
        raise ValueError(f"no row with features == {features!r}; present: {sorted(table['features'].unique())}")
    return candidates.loc[candidates[by].idxmin()]


def rows_to_log(table: pd.DataFrame, log_models: LogModels = "chosen", by: str = "cv_mae_mean",
                kept: int = 2) -> set[tuple[str, str, str]]:
    """Keys (`row_key`) of the comparison rows whose fitted model is logged: all, or the `kept` best by `by`.

    "chosen" keeps the chosen row (`best_row(table, by)`) and the runner-up; rows without a score in `by`
    (no cross-validation) come after those with one, by test MAE.
    """
    check_choice(log_models, LOG_MODELS, "log_models")
    if log_models == "all":
        return {row_key(row) for _, row in table.iterrows()}
    if by not in table.columns:
        raise ValueError(f"cannot rank by {by!r}; the table has columns {list(table.columns)}")
    ranked = table.sort_values([by, "MAE"], kind="stable", na_position="last")
    return {row_key(row) for _, row in ranked.head(kept).iterrows()}


def pipeline_for_row(row: pd.Series, random_state: int = 42) -> Pipeline | TransformedTargetRegressor:
    """An unfitted pipeline for a comparison row (its model, features and target)."""
    return make_pipeline(row["model"], row["features"], log_target=row["target"] == "log",
                         random_state=random_state)
