"""Tests for notebook 07's exercise checks: the best grid point, a grid chosen by cross-validation, and a point
beyond the grid's edge run by papermill."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest
from feedback_asserts import assert_status
from sklearn.linear_model import ElasticNet, ElasticNetCV
from sklearn.model_selection import KFold, LeaveOneOut

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
    # Points the printed three decimals cannot tell apart (07's alpha=0.001 row): Close, with the fourth decimal.
    tied = scores.assign(rmse=[0.66262, 0.66258, 0.75, 0.83])
    assert_status(ex.check_best_grid_point((0.1, 0.2), tied), ex.CLOSE, "ties the best at three decimals",
                  "0.66262 against 0.66258")
    assert_status(ex.check_best_grid_point((0.1, 0.8), tied), ex.CORRECT)


def test_check_cv_choice_accepts_the_search_on_the_training_rows(rows):
    X, y = rows
    X_train, y_train = X.iloc[:150], y.iloc[:150]
    model = ElasticNetCV(alphas=ALPHAS, l1_ratio=L1_RATIOS, cv=5, random_state=42).fit(X_train, y_train)
    chosen = (model.alpha_, model.l1_ratio_)
    agreeing = pd.DataFrame({"alpha": [1.0, chosen[0]], "l1_ratio": [0.8, chosen[1]], "rmse": [0.9, 0.5]})
    assert_status(ex.check_cv_choice(model, X_train, y_train, ALPHAS, L1_RATIOS, scores=agreeing), ex.CORRECT,
                  f"alpha={model.alpha_:g}", "picks too")
    other = agreeing.assign(rmse=[0.5, 0.9])
    assert_status(ex.check_cv_choice(model, X_train, y_train, ALPHAS, L1_RATIOS, scores=other),
                  ex.CORRECT, "would have chosen 1, 0.8")
    assert_status(ex.check_cv_choice(model, X_train, y_train, ALPHAS, L1_RATIOS), ex.CORRECT, "Only now")


def test_check_cv_choice_takes_any_way_of_asking_for_five_unshuffled_folds(rows):
    """cv=None is scikit-learn's default of 5 folds, and KFold(5) is the same split: both are right."""
    X, y = rows
    X_train, y_train = X.iloc[:150], y.iloc[:150]
    for cv in (None, KFold(5)):
        model = ElasticNetCV(alphas=ALPHAS, l1_ratio=L1_RATIOS, cv=cv).fit(X_train, y_train)
        assert_status(ex.check_cv_choice(model, X_train, y_train, ALPHAS, L1_RATIOS), ex.CORRECT)
    shuffled = ElasticNetCV(alphas=ALPHAS, l1_ratio=L1_RATIOS, cv=KFold(5, shuffle=True, random_state=1))
    assert_status(ex.check_cv_choice(shuffled.fit(X_train, y_train), X_train, y_train, ALPHAS, L1_RATIOS),
                  ex.CLOSE, "honest too", "cv=5")  # not accused of using the test rows
    reversed_grid = ElasticNetCV(alphas=ALPHAS, l1_ratio=L1_RATIOS[::-1], cv=5).fit(X_train, y_train)
    assert_status(ex.check_cv_choice(reversed_grid, X_train, y_train, ALPHAS, L1_RATIOS), ex.CORRECT)
    assert_status(ex.check_cv_choice(ElasticNetCV(alphas=ALPHAS, l1_ratio=L1_RATIOS, cv=KFold(3)).fit(
        X_train, y_train), X_train, y_train, ALPHAS, L1_RATIOS), ex.INCORRECT, "(3 folds)")
    leave_one_out = ElasticNetCV(alphas=ALPHAS, l1_ratio=L1_RATIOS, cv=LeaveOneOut()).fit(X_train.head(20),
                                                                                          y_train.head(20))
    assert_status(ex.check_cv_choice(leave_one_out, X_train, y_train, ALPHAS, L1_RATIOS), ex.INCORRECT,
                  "cv=LeaveOneOut(); the exercise asks for 5 folds")


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
                  "fitted on X_train, y_train", "never with the test rows")
    # Another setting changes the errors too; it is named, and nobody is told they used the test rows.
    feedback = check(search(fit_intercept=False).fit(X_train, y_train), X_train, y_train, ALPHAS, L1_RATIOS)
    assert_status(feedback, ex.INCORRECT, "changes fit_intercept=False", "keep ElasticNetCV's defaults")
    assert "test rows" not in feedback.message
    assert_status(check(search().fit(X_train[["a", "b"]], y_train), X_train, y_train, ALPHAS, L1_RATIOS),
                  ex.INCORRECT, "2 columns")


EDGE_SCORES = pd.DataFrame({"alpha": [0.001, 0.001, 0.01], "l1_ratio": [0.2, 0.8, 0.2], "rmse": [0.66, 0.67, 0.70]})


def _executed(tmp_path, rmse: float | None = 0.65, **papermill) -> str:
    """An output notebook as papermill writes it (its metadata), and the results file its run wrote."""
    results = tmp_path / "point.json"
    results.unlink(missing_ok=True)
    if rmse is not None:
        results.write_text(json.dumps({"wine_rmse": rmse, "wine_mae": 0.5, "wine_r2": 0.4}))
    metadata = {"parameters": {"alpha": 0.0001, "l1_ratio": 0.2, "results_path": str(results)},
                "end_time": "2026-01-01T00:00:00", "exception": None} | papermill
    notebook = nbformat.v4.new_notebook(metadata={"papermill": metadata})
    path = tmp_path / "point.ipynb"
    nbformat.write(notebook, path)
    return str(path)


def test_check_beyond_the_edge_reads_the_run_as_a_batch_run_does(tmp_path):
    assert_status(ex.check_beyond_the_edge(_executed(tmp_path, 0.65), EDGE_SCORES), ex.CORRECT,
                  "test RMSE 0.6500 from its results file", "0.6600", "0.0100 lower", "widen the grid")
    assert_status(ex.check_beyond_the_edge(_executed(tmp_path, 0.659), EDGE_SCORES), ex.CORRECT,
                  "0.0010 lower", "little left to give")
    assert_status(ex.check_beyond_the_edge(_executed(tmp_path, 0.661), EDGE_SCORES), ex.CORRECT,
                  "0.0010 higher", "little left to give")


def test_check_beyond_the_edge_reads_a_sweep_points_results_beside_its_notebook(tmp_path):
    """A sweep point ran in a scratch folder, since removed: its results file is the point folder's own."""
    point = tmp_path / "points" / "001-abcd1234"
    point.mkdir(parents=True)
    (point / "results.json").write_text(json.dumps({"wine_rmse": 0.65}))
    metadata = {"parameters": {"alpha": 0.0001, "l1_ratio": 0.2,
                               "results_path": str(tmp_path / "gone" / "point" / "results.json")},
                "end_time": "2026-01-01T00:00:00", "exception": None}
    nbformat.write(nbformat.v4.new_notebook(metadata={"papermill": metadata}), point / "07_batch_runs.ipynb")
    assert_status(ex.check_beyond_the_edge(str(point / "07_batch_runs.ipynb"), EDGE_SCORES), ex.CORRECT,
                  "test RMSE 0.6500 from its results file")


def test_check_beyond_the_edge_names_each_slip(tmp_path):
    check = ex.check_beyond_the_edge
    assert_status(check(None, EDGE_SCORES), ex.NOT_ANSWERED, "pm.execute_notebook", "below 0.001", "str(")
    assert "0.2" not in check(None, EDGE_SCORES).message  # the best point's l1_ratio is exercise 1's answer
    returned = nbformat.read(_executed(tmp_path), as_version=4)  # what pm.execute_notebook returns
    assert_status(check(returned, EDGE_SCORES), ex.INCORRECT, "give the path", "not a NotebookNode")
    assert_status(check(tmp_path / "missing.ipynb", EDGE_SCORES), ex.INCORRECT, "no notebook at")
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), plain)
    assert_status(check(plain, EDGE_SCORES), ex.INCORRECT, "not written by papermill")
    assert_status(check(_executed(tmp_path, end_time=None), EDGE_SCORES), ex.INCORRECT, "prepare_only")
    assert_status(check(_executed(tmp_path, exception=True), EDGE_SCORES), ex.INCORRECT, "stopped at an error")
    inside = {"alpha": 0.01, "l1_ratio": 0.2, "results_path": "x.json"}
    assert_status(check(_executed(tmp_path, parameters=inside), EDGE_SCORES), ex.INCORRECT, "not beyond")
    assert_status(check(_executed(tmp_path, parameters={"alpha": 0.0001, "l1_ratio": 0.2}), EDGE_SCORES),
                  ex.CLOSE, "results_path")
    assert_status(check(_executed(tmp_path, rmse=None), EDGE_SCORES), ex.INCORRECT, "no wine_rmse")
    moved = {"alpha": 0.0001, "l1_ratio": 0.8, "results_path": str(tmp_path / "point.json")}
    assert_status(check(_executed(tmp_path, parameters=moved), EDGE_SCORES), ex.CLOSE, "keep l1_ratio at")
