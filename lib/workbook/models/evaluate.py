"""Scores of one pipeline: fit on training rows, measure on test rows, and cross-validated MAE."""

from __future__ import annotations

import math
import os
import tempfile
import time
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, r2_score, root_mean_squared_error
from sklearn.model_selection import KFold, cross_validate

from workbook.models.parallel import fitting_context
from workbook.models.pipelines import featurized_once

CV_FOLDS = 3  # default folds of the comparison's and the search's cross-validation; 5 is the thorough choice


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """MAE, RMSE (rupees), R2 and MAPE (a fraction: 0.05 = 5 %)."""
    return {
        "MAE": float(mean_absolute_error(y_true, y_pred)),
        "RMSE": float(root_mean_squared_error(y_true, y_pred)),
        "R2": float(r2_score(y_true, y_pred)),
        "MAPE": float(mean_absolute_percentage_error(y_true, y_pred)),
    }


def timed_predictions(model: Any, X: pd.DataFrame, repeats: int = 3,
                      enough_seconds: float = 0.5) -> tuple[np.ndarray, float]:
    """Predictions for X and the milliseconds per 1,000 rows, best of up to `repeats` runs (the least disturbed).

    Repeats stop once the runs took `enough_seconds` together: a slow model's one long run (k-NN's exact
    search, seconds) is barely disturbed by a busy moment, and repeating it would cost more than its fit.
    """
    best, predicted, spent = math.inf, None, 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        predicted = model.predict(X)
        seconds = time.perf_counter() - start
        best, spent = min(best, seconds), spent + seconds
        if spent >= enough_seconds:
            break
    return np.asarray(predicted), best / len(X) * 1_000 * 1_000


def model_size_bytes(model: Any) -> int:
    """Bytes of the model saved with joblib (what a model registry would store)."""
    fd, path = tempfile.mkstemp(suffix=".joblib")
    os.close(fd)
    try:
        joblib.dump(model, path)
        return os.path.getsize(path)
    finally:
        os.remove(path)


def evaluate(pipeline: Any, X_train: pd.DataFrame, X_test: pd.DataFrame, y_train: Any, y_test: Any) -> dict:
    """Fit a copy of `pipeline` on the training rows and measure it on the test rows.

    Returns MAE, RMSE, R2, MAPE, fit_seconds, latency_ms_per_1k (best of 3 on the test rows), size_bytes
    and the fitted `pipeline`.
    """
    check_same_length(X_train, y_train, "X_train", "y_train")
    check_same_length(X_test, y_test, "X_test", "y_test")
    fitted = clone(pipeline)
    with fitting_context():
        start = time.perf_counter()
        fitted.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        predicted, latency = timed_predictions(fitted, X_test)
    return {**regression_metrics(y_test, predicted), "fit_seconds": fit_seconds, "latency_ms_per_1k": latency,
            "size_bytes": model_size_bytes(fitted), "pipeline": fitted}


def check_same_length(X: Any, y: Any, x_name: str, y_name: str) -> None:
    """Raise a one-line ValueError unless X and y are non-empty and match row for row."""
    if len(X) != len(y):
        raise ValueError(f"{x_name} has {len(X)} rows but {y_name} has {len(y)}; they must match row for row")
    if len(X) == 0:
        raise ValueError(f"{x_name} is empty")


def check_cv(cv: Any) -> int:
    """Return `cv` if it is a number of folds (an integer >= 2), else raise a one-line ValueError."""
    if isinstance(cv, bool) or not isinstance(cv, int) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2 (number of folds), got {cv!r}")
    return cv


def cross_validate_model(pipeline: Any, X: pd.DataFrame, y: Any, cv: int = CV_FOLDS,
                         random_state: int = 42, keep_predictions: bool = False) -> dict:
    """MAE over `cv` shuffled folds (KFold with the seed, n_jobs=1): cv_mae_mean, cv_mae_std, cv_mae_folds.

    Raw flight rows are turned into features once for all folds (`featurized_once`): the same scores.
    `keep_predictions` adds cv_predictions, each fold's (held-out row positions, predictions), from which a
    mean of several models' folds is scored without fitting them again (see compare's ensemble rows).
    """
    check_cv(cv)
    check_same_length(X, y, "X", "y")
    folds = KFold(n_splits=cv, shuffle=True, random_state=random_state)
    pipeline, X = featurized_once(pipeline, X)
    with fitting_context():  # cross_validate: cross_val_score's own fits and scores, and the fitted folds if kept
        result = cross_validate(pipeline, X, y, cv=folds, scoring="neg_mean_absolute_error", n_jobs=1,
                                return_estimator=keep_predictions, return_indices=keep_predictions)
        summary = fold_summary(-result["test_score"])
        if keep_predictions:
            summary["cv_predictions"] = [(rows, np.asarray(fold.predict(X.iloc[rows])))
                                         for fold, rows in zip(result["estimator"], result["indices"]["test"],
                                                               strict=True)]
    return summary


def fold_summary(maes: Any) -> dict:
    """cv_mae_mean, cv_mae_std and cv_mae_folds of the folds' MAEs."""
    maes = np.asarray(maes, dtype=float)
    return {"cv_mae_mean": float(maes.mean()), "cv_mae_std": float(maes.std()), "cv_mae_folds": maes.tolist()}


def mean_prediction_scores(y: Any, member_folds: list[list[tuple[np.ndarray, np.ndarray]]]) -> dict:
    """cross_validate_model's scores of the mean of several models, from each member's `cv_predictions`.

    The members must come from the same folds (same X, cv and seed). Each fold's prediction is the members'
    mean, as sklearn's VotingRegressor computes it, so the scores are those of cross-validating the mean.
    """
    y = np.asarray(y)
    maes = []
    for fold in zip(*member_folds, strict=True):
        rows = fold[0][0]
        if any(not np.array_equal(rows, other) for other, _ in fold[1:]):
            raise ValueError("the members' cross-validation folds differ: fit them on the same X, cv and seed")
        mean = np.average(np.column_stack([predicted for _, predicted in fold]), axis=1)
        maes.append(mean_absolute_error(y[rows], mean))
    return fold_summary(maes)
