"""The talk's classifier, measured: a RandomForestClassifier that treats each distinct fare as a class.

Accuracy, recall and F1 count exact hits of a fare to the rupee: a prediction 1 rupee off counts as wrong
as one 50,000 rupees off, test fares never seen in training can never be hit, and macro averages weigh
thousands of one-row 'classes' equally. For a price, measure how far off it is (MAE, RMSE, R2).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    recall_score,
    root_mean_squared_error,
)

from workbook.models.parallel import N_JOBS

# Trees grown per batch: two per thread, so a thread that finishes its tree early starts the next instead of
# waiting for the other, with ~0.5 GB of class probabilities in memory at a time.
BATCH_TREES = 2 * N_JOBS


def talk_classifier_report(X_train: pd.DataFrame, X_test: pd.DataFrame, y_train: pd.Series, y_test: pd.Series,
                           random_state: int = 42, *, n_estimators: int = 100, batch_size: int = BATCH_TREES) -> dict:
    """Fit the talk's RandomForestClassifier(n_estimators=100, random_state=42) and measure what it does.

    Returns fit_seconds, n_classes (distinct training fares it treats as classes), the share of test fares
    never seen in training, accuracy, macro recall/F1, MAE/RMSE/R2 of its predictions and the memory its
    trees need. See the module docstring for why the classification scores mean nothing here.
    """
    if n_estimators < 1 or batch_size < 1:
        raise ValueError(f"n_estimators and batch_size must be >= 1, got {n_estimators} and {batch_size}")
    y_train, y_test = pd.Series(y_train), pd.Series(y_test)
    proba_sum, classes, fit_seconds, stored_bytes = _grow_forest_in_batches(
        X_train, X_test, y_train, random_state, n_estimators, batch_size)
    predicted = classes[np.argmax(proba_sum, axis=1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ill-defined" recall/F1 for classes never predicted: that is the point
        macro_recall = recall_score(y_test, predicted, average="macro", zero_division=0)
        macro_f1 = f1_score(y_test, predicted, average="macro", zero_division=0)
    unseen = ~y_test.isin(set(y_train))
    return {
        "n_estimators": n_estimators,
        "fit_seconds": fit_seconds,
        "n_train": len(y_train),
        "n_classes": len(classes),
        "rows_per_class": len(y_train) / len(classes),
        "test_unseen_share": float(unseen.mean()),
        "accuracy": float(accuracy_score(y_test, predicted)),
        "best_possible_accuracy": float(1 - unseen.mean()),
        "macro_recall": float(macro_recall),
        "macro_f1": float(macro_f1),
        "MAE": float(mean_absolute_error(y_test, predicted)),
        "RMSE": float(root_mean_squared_error(y_test, predicted)),
        "R2": float(r2_score(y_test, predicted)),
        "tree_memory_gb": stored_bytes / 1e9,  # class probabilities the 100 trees store together
        "predictions": pd.Series(predicted, index=y_test.index, name="predicted"),
    }


def _grow_forest_in_batches(X_train: pd.DataFrame, X_test: pd.DataFrame, y_train: pd.Series, random_state: int,
                            n_estimators: int, batch_size: int) -> tuple[np.ndarray, np.ndarray, float, int]:
    """The talk's forest grown a few trees at a time; returns summed test probabilities, classes, fit s, bytes.

    Why batches: every node of every tree stores one probability per class. With thousands of distinct
    fares a single tree holds ~0.1 GB on the twin once grown (~0.2 GB while it grows), so the whole forest
    (~11 GB) cannot sit in memory on a laptop.
    warm_start draws the same seeds as one big fit, so these are exactly the talk's 100 trees; each batch
    adds its trees' probabilities to a running sum (as RandomForestClassifier.predict_proba does) and is
    then dropped.
    """
    forest = RandomForestClassifier(n_estimators=0, random_state=random_state, n_jobs=N_JOBS, warm_start=True)
    X_test_values = np.asarray(X_test, dtype=np.float32)
    proba_sum = np.zeros((len(X_test_values), 0))
    fit_seconds, stored_bytes, grown = 0.0, 0, 0
    while grown < n_estimators:
        forest.set_params(n_estimators=min(grown + batch_size, n_estimators))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "y could represent a regression problem": we know
            start = time.perf_counter()
            forest.fit(X_train, y_train)
            fit_seconds += time.perf_counter() - start
        if proba_sum.shape[1] == 0:
            proba_sum = np.zeros((len(X_test_values), len(forest.classes_)))
        for tree in forest.estimators_[grown:]:
            proba_sum += tree.predict_proba(X_test_values)
            stored_bytes += tree.tree_.value.nbytes
        new = len(forest.estimators_) - grown
        forest.estimators_[grown:] = [None] * new  # warm_start only counts the list; the trees' memory is freed
        grown += new
    return proba_sum, forest.classes_, fit_seconds, stored_bytes
