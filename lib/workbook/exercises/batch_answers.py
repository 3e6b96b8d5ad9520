"""Checks for notebook 07's exercises: the best point of a grid, a grid chosen by cross-validation, and one
point beyond the grid's edge run as a batch (papermill)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd

from workbook.exercises.feedback import Feedback, close, correct, incorrect, not_answered

GRID_COLUMNS = ("alpha", "l1_ratio", "rmse")


def check_best_grid_point(answer: Any, scores: pd.DataFrame) -> Feedback:
    """Exercise: which (alpha, l1_ratio) of the grid has the lowest test RMSE in `scores`?"""
    ranked = _ranked(scores)
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    hint = "sort `scores` by rmse and read alpha and l1_ratio of the top row, as a tuple (alpha, l1_ratio)"
    if answer is None:
        return not_answered(hint)
    point = _as_point(answer)
    if point is None:
        return incorrect(f"give a tuple of two numbers, (alpha, l1_ratio), not {answer!r}")
    if np.allclose(point, (best["alpha"], best["l1_ratio"])):
        return correct(f"alpha={best['alpha']:g}, l1_ratio={best['l1_ratio']:g} has the lowest test RMSE "
                       f"({best['rmse']:.4f}). Chosen on the test split, though: exercise 2 chooses properly.")
    if np.allclose(point[::-1], (best["alpha"], best["l1_ratio"])):
        return close("the two numbers are swapped: alpha first, then l1_ratio")
    if np.allclose(point, (worst["alpha"], worst["l1_ratio"])):
        return close("that point has the largest RMSE: for an error, lower is better")
    chosen = ranked[np.isclose(ranked["alpha"], point[0]) & np.isclose(ranked["l1_ratio"], point[1])]
    if not chosen.empty and round(float(chosen["rmse"].iloc[0]), 3) == round(float(best["rmse"]), 3):
        return close(f"({point[0]:g}, {point[1]:g}) ties the best at three decimals ({best['rmse']:.3f}); with more "
                     f"it is {float(chosen['rmse'].iloc[0]):.5f} against {best['rmse']:.5f}: sort `scores` by rmse")
    return incorrect(f"({point[0]:g}, {point[1]:g}) is not the point with the lowest rmse; {hint}")


def _ranked(scores: pd.DataFrame) -> pd.DataFrame:
    """The grid's points, lowest test RMSE first (ties kept in the grid's order)."""
    missing = [c for c in GRID_COLUMNS if c not in scores.columns]
    if missing or scores.empty:
        raise ValueError(f"scores needs rows with columns {list(GRID_COLUMNS)}; it has {list(scores.columns)}")
    return scores.sort_values("rmse", kind="stable")


def _as_point(answer: Any) -> tuple[float, float] | None:
    """(alpha, l1_ratio) as two floats, or None when the answer is not a pair of numbers."""
    try:
        alpha, l1_ratio = answer
        return float(alpha), float(l1_ratio)
    except (TypeError, ValueError):
        return None


# ElasticNetCV settings the exercise leaves at their defaults; another value changes the folds' errors.
SETTINGS_TO_KEEP = ("fit_intercept", "max_iter", "tol", "selection", "positive", "precompute")


def check_cv_choice(model: Any, X_train: pd.DataFrame, y_train: pd.Series, alphas: list[float],
                    l1_ratios: list[float], *, scores: pd.DataFrame | None = None) -> Feedback:
    """Exercise: an ElasticNetCV fitted with 5-fold CV on the training rows only, over the given grid.

    With `scores` (the grid's test RMSEs), the verdict also says whether the test split alone would have chosen
    another point.
    """
    from sklearn.linear_model import ElasticNetCV

    hint = ("fit ElasticNetCV(alphas=alphas, l1_ratio=l1_ratios, cv=5) on X_train, y_train and assign it to "
            "cv_model")
    if model is None:
        return not_answered(hint)
    if not isinstance(model, ElasticNetCV):
        return incorrect(f"cv_model should be an ElasticNetCV, not a {type(model).__name__}; {hint}")
    if not hasattr(model, "alpha_"):
        return incorrect("cv_model is not fitted yet: call cv_model.fit(X_train, y_train)")
    folds = _fold_count(model.cv)
    if folds != 5:
        counted = f" ({folds} folds)" if folds is not None else ""
        return incorrect(f"cv_model uses cv={model.cv!r}{counted}; the exercise asks for 5 folds (cv=5)")
    searched = (np.unique(np.ravel(model.l1_ratio)), np.unique(np.ravel(model.alphas_)))
    if not _same_values(searched[0], l1_ratios) or not _same_values(searched[1], alphas):
        return incorrect("cv_model searches another grid: pass alphas=alphas and l1_ratio=l1_ratios")
    if getattr(model, "n_features_in_", None) != X_train.shape[1]:
        return incorrect(f"cv_model was fitted on {model.n_features_in_} columns; X_train has {X_train.shape[1]}")
    reference = ElasticNetCV(alphas=alphas, l1_ratio=sorted(l1_ratios), cv=5).fit(X_train, y_train)
    paths = np.asarray(model.mse_path_)
    if paths.ndim == 3:  # one path per l1_ratio, in the order the learner listed them: compare in sorted order
        paths = paths[np.argsort(np.ravel(model.l1_ratio), kind="stable")]
    if getattr(model.cv, "shuffle", False):  # honest cross-validation, only not the folds the check rebuilds
        return close(f"cv_model shuffles its folds (cv={model.cv!r}): that is honest too, but pass cv=5, five "
                     "unshuffled folds, so the check can rebuild them and compare")
    if paths.shape != np.shape(reference.mse_path_) or not np.allclose(paths, reference.mse_path_):
        defaults = ElasticNetCV().get_params()
        changed = {name: value for name, value in model.get_params().items()
                   if name in SETTINGS_TO_KEEP and value != defaults[name]}
        if changed:
            settings = ", ".join(f"{name}={value!r}" for name, value in changed.items())
            return incorrect(f"cv_model changes {settings}: keep ElasticNetCV's defaults but alphas, l1_ratio and "
                             "cv=5, so its errors can be compared with the check's own search")
        return incorrect("its cross-validation errors differ from those of ElasticNetCV(alphas=alphas, "
                         "l1_ratio=l1_ratios, cv=5) fitted on X_train, y_train: fit it on those rows as they are "
                         "(not scaled or filtered, and never with the test rows)")
    chosen = (float(model.alpha_), float(model.l1_ratio_))
    verdict = f"cross-validation on the training rows chose alpha={chosen[0]:g}, l1_ratio={chosen[1]:g}"
    if scores is not None:
        best = _ranked(scores).iloc[0]
        test_choice = (float(best["alpha"]), float(best["l1_ratio"]))
        if np.allclose(chosen, test_choice):
            verdict += ", the point the test split alone picks too: here the shortcut agrees, which it need not"
        else:
            verdict += f"; the test split alone would have chosen {test_choice[0]:g}, {test_choice[1]:g}"
    return correct(verdict + ". Only now is the test split used, once, to report the chosen model.")


def _fold_count(cv: Any) -> int | None:
    """How many folds an estimator's `cv` argument means: None is scikit-learn's default of 5."""
    if cv is None:
        return 5
    if isinstance(cv, (int, np.integer)):
        return int(cv)
    try:  # a splitter; some (LeaveOneOut) can only count their folds on the data
        return int(cv.get_n_splits())
    except (AttributeError, TypeError, ValueError):
        return None


def _same_values(found: np.ndarray, expected: list[float]) -> bool:
    """True when `found` holds exactly the distinct values of `expected` (in any order)."""
    wanted = np.unique(np.asarray(expected, dtype=float))
    return found.shape == wanted.shape and bool(np.allclose(np.sort(found), wanted))


def check_beyond_the_edge(executed: str | Path | None, scores: pd.DataFrame) -> Feedback:
    """Exercise: one point beyond the grid's smallest alpha, run as a batch run is, by papermill.

    `executed` is the output notebook of `papermill.execute_notebook` with a smaller `alpha` and a
    `results_path`; the check reads its parameters from papermill's metadata and its RMSE from the results file,
    as `workbook run` and `workbook sweep` read a point.
    """
    best = _ranked(scores).iloc[0]
    edge = float(scores["alpha"].min())
    # The best point's l1_ratio is exercise 1's answer: the hint, shown before anything is run, does not give it.
    hint = ("run this notebook with pm.execute_notebook(notebook, output, parameters={'alpha': ..., "
            f"'l1_ratio': <the best point's>, 'results_path': str(...)}}, kernel_name='workbook') with an alpha "
            f"below {edge:g}, and give the output notebook's path")
    if executed is None:
        return not_answered(hint)
    if not isinstance(executed, (str, Path)):
        return incorrect(f"give the path of the executed notebook (the output path you passed to "
                         f"pm.execute_notebook), not a {type(executed).__name__}")
    path = Path(executed)
    if not path.is_file():
        return incorrect(f"no notebook at {path}: give the output path you passed to papermill.execute_notebook")
    run = nbformat.read(path, as_version=4).metadata.get("papermill")
    if run is None:
        return incorrect(f"{path.name} was not written by papermill: {hint}")
    if not run.get("end_time"):
        return incorrect(f"{path.name} was prepared but not executed: run it without prepare_only=True")
    if run.get("exception"):
        return incorrect(f"{path.name} stopped at an error: open it and read the cell that failed")
    parameters = run.get("parameters") or {}
    alpha, l1_ratio = parameters.get("alpha"), parameters.get("l1_ratio")
    if not isinstance(alpha, (int, float)) or alpha >= edge:
        return incorrect(f"alpha={alpha!r} is not beyond the grid's edge: pass an alpha below {edge:g}, the "
                         "smallest section 4 tried")
    if parameters.get("results_path") is None:
        return close("the run wrote no results file: pass results_path too, as workbook run does for each "
                     "notebook, then read the RMSE from it")
    results, beside = Path(parameters["results_path"]), path.parent / "results.json"
    if not results.exists() and beside.exists():  # a sweep point's: it ran in a scratch folder, since removed
        results = beside
    return _edge_verdict(float(alpha), l1_ratio, results, best)


def _edge_verdict(alpha: float, l1_ratio: Any, results: Path, best: pd.Series) -> Feedback:
    """Compare the beyond-the-edge point's RMSE (from its results file) with the grid's best point."""
    try:
        rmse = float(json.loads(results.read_text(encoding="utf-8"))["wine_rmse"])
    except (OSError, ValueError, KeyError, TypeError):
        return incorrect(f"no wine_rmse in a results file at {results}: the run did not reach its last cell, or "
                         "the file was moved")
    if not isinstance(l1_ratio, (int, float)) or not np.isclose(l1_ratio, best["l1_ratio"]):
        return close(f"keep l1_ratio at the best point's {best['l1_ratio']:g}, so only alpha moves")
    gain = float(best["rmse"]) - rmse
    verdict = (f"alpha={alpha:g}, l1_ratio={l1_ratio:g}: test RMSE {rmse:.4f} from its results file, against "
               f"{best['rmse']:.4f} at the grid's best point (alpha={best['alpha']:g}); ")
    if gain > 0.005:
        return correct(verdict + f"{gain:.4f} lower: the edge was hiding better points, so widen the grid that way")
    change = f"{abs(gain):.4f} {'lower' if gain > 0 else 'higher'}"  # a signed gain beside two RMSEs misread
    return correct(verdict + f"{change}: with the penalty already almost off, a smaller alpha has little left "
                   "to give. The next grid should move something else (the features, or another model)")
