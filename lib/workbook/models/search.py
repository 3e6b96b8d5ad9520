"""Hyper-parameter search a batch run can steer: a plain space checked and turned into distributions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import KFold, RandomizedSearchCV

from workbook.models.catalog import ENSEMBLE, ENSEMBLE_MEMBERS, ESTIMATORS, FeatureSet, ModelName, check_model_name
from workbook.models.evaluate import CV_FOLDS, check_cv, check_same_length
from workbook.models.parallel import check_n_jobs, fitting_context, worker_processes
from workbook.models.pipelines import featurized_once, make_pipeline, model_step_prefix
from workbook.values import is_number


def parse_search_space(model_name: ModelName, space: dict[str, Any]) -> dict[str, Any]:
    """Turn a plain space into sampling distributions, refusing mistakes with one-line errors.

    Two numbers (lo, hi) always mean a range: ints -> uniform integers lo..hi; floats -> log-uniform when
    0 < lo and hi >= 10 * lo, else uniform. A list of one or of more than two values (or two non-numbers,
    e.g. ["uniform", "distance"]) is a set of choices; a single value is fixed.
    """
    if check_model_name(model_name) == ENSEMBLE:
        raise ValueError(f"cannot search {ENSEMBLE!r}: it is a mean of {' and '.join(ENSEMBLE_MEMBERS)}; "
                         "search one of them")
    if not isinstance(space, dict) or not space:
        raise ValueError(f"the search space for {model_name!r} is empty; give at least one parameter, "
                         "e.g. {'learning_rate': [0.03, 0.3]}")
    valid = set(ESTIMATORS[model_name]().get_params())
    return {name: _parse_dimension(model_name, name, values, valid) for name, values in space.items()}


def _parse_dimension(model_name: str, name: str, values: Any, valid: set[str]) -> Any:
    if name not in valid:
        raise ValueError(f"unknown parameter {name!r} for model {model_name!r}; valid: {', '.join(sorted(valid))}")
    if not isinstance(values, (list, tuple)):
        return [values]
    if len(values) == 0:
        raise ValueError(f"parameter {name!r}: empty list of values")
    if len(values) == 2 and all(is_number(v) for v in values):
        low, high = values
        if low > high:
            raise ValueError(f"parameter {name!r}: range ({low}, {high}) is inverted; expected low <= high")
        if all(isinstance(v, (int, np.integer)) for v in values):
            return stats.randint(int(low), int(high) + 1)
        if low == high:
            return [float(low)]
        if low > 0 and high >= 10 * low:
            return stats.loguniform(float(low), float(high))
        return stats.uniform(float(low), float(high) - float(low))
    return list(values)


def search_hyperparameters(model_name: ModelName, X: pd.DataFrame, y: Any, space: dict[str, Any], budget: int,
                           cv: int = CV_FOLDS, random_state: int = 42, feature_set: FeatureSet = "improved",
                           log_target: bool = True, *, n_jobs: int = 1) -> dict:
    """Random search over `space` with `budget` candidates, each scored by `cv`-fold MAE.

    Returns best_params (plain model parameter names), best_cv_mae, n_candidates and results (one row
    per candidate: its parameters, cv_mae_mean, cv_mae_std, rank; best first). The winner is not refitted.
    n_jobs != 1 fits the candidates' folds in that many processes (the same results). The folds are
    those of `cross_validate_model` with the same `cv` and seed, so its score of the defaults compares.
    """
    n_jobs = check_n_jobs(n_jobs)
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise ValueError(f"budget must be an integer >= 1 (number of candidates), got {budget!r}")
    check_cv(cv)
    distributions = parse_search_space(model_name, space)
    check_same_length(X, y, "X", "y")
    pipeline = make_pipeline(model_name, feature_set, log_target=log_target, random_state=random_state)
    prefix = model_step_prefix(pipeline)
    n_candidates = int(min(budget, _grid_size(distributions)))  # never ask for more than a finite grid holds
    pipeline, X = featurized_once(pipeline, X)  # raw rows to features once, not twice per candidate and fold
    search = RandomizedSearchCV(
        pipeline, {prefix + name: d for name, d in distributions.items()}, n_iter=n_candidates,
        scoring="neg_mean_absolute_error", cv=KFold(cv, shuffle=True, random_state=random_state),
        refit=False, random_state=random_state, n_jobs=n_jobs)
    with fitting_context(), worker_processes(n_jobs):
        search.fit(X, y)
    results = pd.DataFrame(search.cv_results_)
    tidy = pd.DataFrame({name: list(results[f"param_{prefix}{name}"]) for name in distributions}).infer_objects()
    tidy["cv_mae_mean"] = -results["mean_test_score"]
    tidy["cv_mae_std"] = results["std_test_score"]
    tidy["rank"] = results["rank_test_score"]
    tidy = tidy.sort_values(["rank", "cv_mae_mean"], kind="stable").reset_index(drop=True)
    best = {name.removeprefix(prefix): _plain(value) for name, value in search.best_params_.items()}
    return {"best_params": best, "best_cv_mae": float(-search.best_score_), "n_candidates": n_candidates,
            "results": tidy}


def _grid_size(distributions: dict[str, Any]) -> float:
    """Number of distinct candidates when every dimension is a list; infinite with any continuous one."""
    size = 1.0
    for values in distributions.values():
        if not isinstance(values, list):
            return math.inf
        size *= len(values)
    return size


def _plain(value: Any) -> Any:
    """numpy scalars -> Python numbers, so best_params prints and serialises cleanly."""
    return value.item() if isinstance(value, np.generic) else value
