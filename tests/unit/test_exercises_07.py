"""Tests for notebook 07's exercise checks: the best grid point, and a grid chosen by cross-validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from feedback_asserts import assert_status
from sklearn.linear_model import ElasticNet, ElasticNetCV

from workbook import exercises as ex

ALPHAS, L1_RATIOS = [0.01, 0.1, 1.0], [0.2, 0.8]


@pytest.fixture(scope="module")
def rows() -> tuple[pd.DataFrame, pd.Series]:
    """A small regression problem where weak penalties win: y is a linear mix of three columns plus noise."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    return X, X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.3, size=200)


def test_check_best_grid_point():
    scores = pd.DataFrame({"alpha": [0.1, 0.1, 1.0, 1.0], "l1_ratio": [0.2, 0.8, 0.2, 0.8],
                           "rmse": [0.70, 0.66, 0.75, 0.83]})
    assert_status(ex.check_best_grid_point(None, scores), ex.NOT_ANSWERED, "sort `scores` by rmse")
    assert_status(ex.check_best_grid_point((0.1, 0.8), scores), ex.CORRECT, "alpha=0.1, l1_ratio=0.8", "0.6600")
    assert_status(ex.check_best_grid_point([np.float64(0.1), 0.8], scores), ex.CORRECT)
    assert_status(ex.check_best_grid_point((0.8, 0.1), scores), ex.CLOSE, "swapped")
    assert_status(ex.check_best_grid_point((1.0, 0.8), scores), ex.CLOSE, "largest RMSE")
    assert_status(ex.check_best_grid_point((0.1, 0.2), scores), ex.INCORRECT, "not the point with the lowest")
    assert_status(ex.check_best_grid_point("0.1", scores), ex.INCORRECT, "tuple of two numbers")
    with pytest.raises(ValueError, match="columns"):
        ex.check_best_grid_point((0.1, 0.8), scores.drop(columns="rmse"))


def test_check_cv_choice_accepts_the_search_on_the_training_rows(rows):
    X, y = rows
    X_train, y_train = X.iloc[:150], y.iloc[:150]
    model = ElasticNetCV(alphas=ALPHAS, l1_ratio=L1_RATIOS, cv=5, random_state=42).fit(X_train, y_train)
    chosen = (model.alpha_, model.l1_ratio_)
    assert_status(ex.check_cv_choice(model, X_train, y_train, ALPHAS, L1_RATIOS, test_choice=chosen), ex.CORRECT,
                  f"alpha={model.alpha_:g}", "picks too")
    assert_status(ex.check_cv_choice(model, X_train, y_train, ALPHAS, L1_RATIOS, test_choice=(1.0, 0.8)),
                  ex.CORRECT, "would have chosen 1, 0.8")


def test_check_cv_choice_names_each_slip(rows):
    X, y = rows
    X_train, y_train = X.iloc[:150], y.iloc[:150]

    def search(**changes):
        return ElasticNetCV(**({"alphas": ALPHAS, "l1_ratio": L1_RATIOS, "cv": 5, "random_state": 42} | changes))

    check = ex.check_cv_choice
    assert_status(check(None, X_train, y_train, ALPHAS, L1_RATIOS), ex.NOT_ANSWERED, "ElasticNetCV(")
    assert_status(check(ElasticNet().fit(X_train, y_train), X_train, y_train, ALPHAS, L1_RATIOS), ex.INCORRECT,
                  "not a ElasticNet")
    assert_status(check(search(), X_train, y_train, ALPHAS, L1_RATIOS), ex.INCORRECT, "not fitted")
    assert_status(check(search(cv=3).fit(X_train, y_train), X_train, y_train, ALPHAS, L1_RATIOS), ex.INCORRECT,
                  "cv=3")
    assert_status(check(search(alphas=[0.5]).fit(X_train, y_train), X_train, y_train, ALPHAS, L1_RATIOS),
                  ex.INCORRECT, "another grid")
    assert_status(check(search().fit(X, y), X_train, y_train, ALPHAS, L1_RATIOS), ex.INCORRECT,
                  "training rows only")
    assert_status(check(search().fit(X_train[["a", "b"]], y_train), X_train, y_train, ALPHAS, L1_RATIOS),
                  ex.INCORRECT, "2 columns")
