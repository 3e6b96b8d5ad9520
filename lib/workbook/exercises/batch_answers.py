"""Checks for notebook 07's exercises: the best point of a grid, and a grid chosen by cross-validation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbook.exercises.feedback import Feedback, close, correct, incorrect, not_answered

GRID_COLUMNS = ("alpha", "l1_ratio", "rmse")


def check_best_grid_point(answer: Any, scores: pd.DataFrame) -> Feedback:
    """Exercise: which (alpha, l1_ratio) of the grid has the lowest test RMSE in `scores`?"""
    missing = [c for c in GRID_COLUMNS if c not in scores.columns]
    if missing or scores.empty:
        raise ValueError(f"scores needs rows with columns {list(GRID_COLUMNS)}; it has {list(scores.columns)}")
    ranked = scores.sort_values("rmse", kind="stable")
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
    return incorrect(f"({point[0]:g}, {point[1]:g}) is not the point with the lowest rmse; {hint}")


def _as_point(answer: Any) -> tuple[float, float] | None:
    """(alpha, l1_ratio) as two floats, or None when the answer is not a pair of numbers."""
    try:
        alpha, l1_ratio = answer
        return float(alpha), float(l1_ratio)
    except (TypeError, ValueError):
        return None


def check_cv_choice(model: Any, X_train: pd.DataFrame, y_train: pd.Series, alphas: list[float],
                    l1_ratios: list[float], *, test_choice: tuple[float, float] | None = None) -> Feedback:
    """Exercise: an ElasticNetCV fitted with 5-fold CV on the training rows only, over the given grid."""
    from sklearn.linear_model import ElasticNetCV

    hint = ("fit ElasticNetCV(alphas=alphas, l1_ratio=l1_ratios, cv=5, random_state=42) on X_train, y_train "
            "and assign it to cv_model")
    if model is None:
        return not_answered(hint)
    if not isinstance(model, ElasticNetCV):
        return incorrect(f"cv_model should be an ElasticNetCV, not a {type(model).__name__}; {hint}")
    if not hasattr(model, "alpha_"):
        return incorrect("cv_model is not fitted yet: call cv_model.fit(X_train, y_train)")
    if model.cv != 5:
        return incorrect(f"cv_model uses cv={model.cv!r}; the exercise asks for 5 folds (cv=5)")
    searched = (np.unique(np.ravel(model.l1_ratio)), np.unique(np.ravel(model.alphas_)))
    if not _same_values(searched[0], l1_ratios) or not _same_values(searched[1], alphas):
        return incorrect("cv_model searches another grid: pass alphas=alphas and l1_ratio=l1_ratios")
    if getattr(model, "n_features_in_", None) != X_train.shape[1]:
        return incorrect(f"cv_model was fitted on {model.n_features_in_} columns; X_train has {X_train.shape[1]}")
    reference = ElasticNetCV(alphas=alphas, l1_ratio=l1_ratios, cv=5, random_state=42).fit(X_train, y_train)
    if not np.allclose(model.mse_path_, reference.mse_path_):
        return incorrect("its cross-validation errors differ from 5 folds of X_train, y_train: fit on the "
                         "training rows only (the test rows must stay unseen until the end)")
    chosen = (float(model.alpha_), float(model.l1_ratio_))
    verdict = f"cross-validation on the training rows chose alpha={chosen[0]:g}, l1_ratio={chosen[1]:g}"
    if test_choice is not None and not np.allclose(chosen, test_choice):
        verdict += f"; the test split alone would have chosen {test_choice[0]:g}, {test_choice[1]:g}"
    elif test_choice is not None:
        verdict += ", the point the test split alone picks too: here the shortcut agrees, which it need not"
    return correct(verdict + ". Only now is the test split used, once, to report the chosen model.")


def _same_values(found: np.ndarray, expected: list[float]) -> bool:
    """True when `found` holds exactly the distinct values of `expected` (in any order)."""
    wanted = np.unique(np.asarray(expected, dtype=float))
    return found.shape == wanted.shape and bool(np.allclose(np.sort(found), wanted))
