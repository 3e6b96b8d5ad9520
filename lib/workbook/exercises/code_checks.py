"""Checks that run what the learner wrote: a frame they computed, a function or a pipeline they built.

Each check runs the learner's code on the notebook's data (and, where a bug would hide there, on a small case
of its own), compares with the workbook's own computation and names the first thing to look at.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from workbook.exercises.feedback import (
    Feedback,
    as_number,
    close,
    correct,
    incorrect,
    normalise_label,
    not_answered,
    raised,
)
from workbook.features import RARE_AIRLINES, drop_rare_airlines, talk_dropna

TEXT_COLUMNS = ["Airline", "Source", "Destination"]
CV_FOLDS, CV_SEED, CV_ROWS = 5, 42, 600  # the folds the 04 exercise asks for, on a few rows to stay quick


# --- notebook 01: a frame computed with pandas ------------------------------------------------------------


def _journey_dates(flights: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(flights["Date_of_Journey"], format="%d/%m/%Y")


def _medians_for(flights: pd.DataFrame, weekend: pd.Series, how: str = "median") -> dict[str, float]:
    grouped = flights["Price"].groupby(weekend.to_numpy()).agg(how)
    return {"weekday": float(grouped.get(False, math.nan)), "weekend": float(grouped.get(True, math.nan))}


def _as_label_mapping(answer: Any) -> dict[str, Any] | None:
    """A Series, a one-column frame or a dict as {label: value}; None for anything else."""
    if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
        answer = answer.iloc[:, 0]
    if isinstance(answer, pd.Series):
        return {str(k): v for k, v in answer.items()}
    if isinstance(answer, dict):
        return {str(k): v for k, v in answer.items()}
    return None


def _same_medians(given: dict[str, float], expected: dict[str, float], tolerance: float = 0.5) -> bool:
    return all(abs(given[k] - expected[k]) <= tolerance for k in expected)


def check_weekend_medians(answer: Any, flights: pd.DataFrame) -> Feedback:
    """Exercise: the median fare of weekday and of weekend journeys, as {"weekday": ..., "weekend": ...}."""
    hint = "a Series of two median fares, labelled 'weekday' and 'weekend'"
    if answer is None:
        return not_answered(hint)
    mapping = _as_label_mapping(answer)
    yours = list(answer.keys() if isinstance(answer, dict) else getattr(answer, "index", []))  # as written
    if mapping is not None:  # "Weekday" or "weekend " mean the same label
        mapping = {normalise_label(label): value for label, value in mapping.items()}
    if mapping is None:
        return incorrect(f"expected a Series (or dict) with the labels 'weekday' and 'weekend', got "
                         f"{type(answer).__name__}. Build it with groupby(...).median(), then rename its labels.")
    missing = [label for label in ("weekday", "weekend") if label not in mapping]
    if missing:
        flags = set(mapping) in ({"false", "true"}, {"0", "1"})  # a groupby on the flag, or on it as 0/1
        return incorrect(f"the labels {missing} are missing (yours: {yours})."
                         + (" A groupby on a True/False column gives labels False/True (0/1 as integers): "
                            ".rename({False: 'weekday', True: 'weekend'})." if flags else ""))
    given = {label: as_number(mapping[label]) for label in ("weekday", "weekend")}
    if any(value is None for value in given.values()):
        return incorrect(f"expected two fares (numbers), got {mapping['weekday']!r} and {mapping['weekend']!r}.")
    dates = _journey_dates(flights)
    expected = _medians_for(flights, dates.dt.day_of_week >= 5)
    if _same_medians(given, expected):
        change = expected["weekend"] / expected["weekday"] - 1
        return correct(f"weekday ₹{expected['weekday']:,.0f}, weekend ₹{expected['weekend']:,.0f}: at the median a "
                       f"weekend journey costs {change:+.1%}. One number about the whole population is a "
                       "statistical question; its uncertainty (an interval) is the next thing to ask for.")
    if _same_medians({"weekday": given["weekend"], "weekend": given["weekday"]}, expected):
        return close("the two values are swapped: day_of_week counts Monday as 0, so >= 5 (True) is the weekend.")
    if _same_medians(given, _medians_for(flights, dates.dt.day_of_week >= 5, "mean")):
        return close("those are the means; the question asks for medians, which a few very dear fares do not pull up.")
    other_weekends = {"Sunday only": dates.dt.day_of_week == 6, "Saturday only": dates.dt.day_of_week == 5,
                      "Friday to Sunday": dates.dt.day_of_week >= 4}
    for name, weekend in other_weekends.items():
        if _same_medians(given, _medians_for(flights, weekend)):
            return close(f"your weekend is {name}; the weekend is Saturday and Sunday: day_of_week >= 5 (Monday is 0).")
    return incorrect(f"₹{given['weekday']:,.0f} (weekday) and ₹{given['weekend']:,.0f} (weekend) are not the medians "
                     "of `flights`. Check the frame (flights, after dropna()), the date format (day first) and "
                     "that you took the median of Price.")


# --- notebook 02: a cleaning function ---------------------------------------------------------------------


def check_cleaning_function(clean: Any, raw: pd.DataFrame) -> Feedback:
    """Exercise: `clean(df)` returns df after dropna(), the rare-airline filter and drop_duplicates()."""
    if clean is None:
        return not_answered("write def clean(df): ... that returns a new frame without missing values, without "
                            "the rare airlines (RARE_AIRLINES) and without duplicate rows; pass the function itself")
    if not callable(clean):
        return incorrect(f"expected a function (pass `clean`, not `clean(df)`), got {type(clean).__name__}.")
    given = raw.copy()
    try:
        result = clean(given)
    except Exception as error:
        return raised("clean(flights_raw)", error, "Run it on flights_raw yourself and read the traceback.")
    if not given.equals(raw):
        return incorrect("clean changed the frame it was given; return a new frame instead "
                         "(df.dropna() returns one: avoid inplace=True and assignments into df).")
    if not isinstance(result, pd.DataFrame):
        return incorrect(f"clean returned {type(result).__name__}, not a DataFrame: does it end with `return`?")
    problem = _cleaning_problem(result, raw)
    return _cleaning_correct(raw) if problem is None else problem  # a Feedback is falsy unless correct


def _cleaning_problem(result: pd.DataFrame, raw: pd.DataFrame) -> Feedback | None:
    """The first thing wrong with a cleaned frame, or None."""
    if list(result.columns) != list(raw.columns):
        return incorrect(f"the columns changed (now {list(result.columns)}); cleaning removes rows, not columns.")
    if result.isna().any(axis=None):
        return incorrect(f"{int(result.isna().any(axis=1).sum())} row(s) with missing values remain: dropna().")
    rare = sorted(set(result["Airline"]) & set(RARE_AIRLINES))
    if rare:
        return incorrect(f"rare airlines remain ({rare}): keep rows whose Airline is not in RARE_AIRLINES "
                         "(~df['Airline'].isin(RARE_AIRLINES)).")
    copies = int(result.duplicated().sum())
    if copies:
        return incorrect(f"{copies} duplicate row(s) remain: drop_duplicates() keeps the first of each group.")
    expected = len(drop_rare_airlines(talk_dropna(raw)).drop_duplicates())
    if len(result) != expected:
        return incorrect(f"{len(result):,} rows left, {abs(len(result) - expected):,} too "
                         f"{'few' if len(result) < expected else 'many'}: drop duplicates on every column "
                         "(no subset) and remove only the rare airlines.")
    return None


def _cleaning_correct(raw: pd.DataFrame) -> Feedback:
    after_dropna = talk_dropna(raw)
    after_filter = drop_rare_airlines(after_dropna)
    final = after_filter.drop_duplicates()
    return correct(f"{len(raw):,} -> {len(final):,} rows: dropna() removed {len(raw) - len(after_dropna)}, the "
                   f"rare-airline filter {len(after_dropna) - len(after_filter)}, drop_duplicates() "
                   f"{len(after_filter) - len(final)}. One function, so training and scoring clean alike.")


# --- notebook 03: an encoder that keeps its width -----------------------------------------------------------


def check_encoding_pipeline(answer: Any, train_rows: pd.DataFrame, unseen_airline: str = "Zephyr Air") -> Feedback:
    """Exercise: an unfitted transformer (e.g. ColumnTransformer + OneHotEncoder) of the raw flight rows whose
    width is the same for the training rows, a one-row batch and a batch with an airline it never saw."""
    if answer is None:
        return not_answered("build e.g. ColumnTransformer([('text', OneHotEncoder(handle_unknown='ignore'), "
                            f"{TEXT_COLUMNS})]) and pass it unfitted; the check fits it on the training rows")
    if not (hasattr(answer, "fit") and hasattr(answer, "transform")):
        return incorrect(f"expected a scikit-learn transformer (with fit and transform), got {type(answer).__name__}.")
    rows = train_rows.drop(columns="Price", errors="ignore")
    encoder = _fresh_copy(answer)
    try:
        encoder.fit(rows)
        width = encoder.transform(rows.head(50)).shape[1]
    except Exception as error:
        return raised("fitting it on the training rows", error, "Try encoder.fit(train_rows) yourself.")
    for find_problem in (_width_problem, _one_hot_problem):  # Feedback is falsy unless correct: no `or` here
        problem = find_problem(encoder, rows, width, unseen_airline)
        if problem is not None:
            return problem
    return correct(
        f"{width} columns for the training rows, for one booking and for a batch flown by {unseen_airline!r}: "
        "the encoder fixed its columns when it was fitted, so every batch has the model's width, and an "
        "unseen airline is all zeros in the Airline columns.")


def _fresh_copy(estimator: Any) -> Any:
    """An unfitted copy, so the check never refits the learner's own object."""
    from sklearn.base import clone

    try:
        return clone(estimator)
    except Exception:
        return copy.deepcopy(estimator)


def _width_problem(encoder: Any, rows: pd.DataFrame, width: int, unseen_airline: str) -> Feedback | None:
    """The first batch whose encoding is refused or has another width, or an encoder that ignores Airline."""
    unseen = rows.head(20).assign(Airline=unseen_airline)
    batches = {"one booking": (rows.head(1), "Transform one row yourself: encoder.transform(train_rows.head(1))."),
               f"a batch flown by {unseen_airline!r}": (unseen, "An encoder must accept labels it never saw: "
                                                               "OneHotEncoder(handle_unknown='ignore').")}
    for name, (batch, look_at) in batches.items():
        try:
            batch_width = encoder.transform(batch).shape[1]
        except Exception as error:
            return raised(f"encoding {name}", error, look_at)
        if batch_width != width:
            return incorrect(f"{name} gives {batch_width} columns, the training rows {width}: the columns must "
                             "come from the fitted encoder, not from the batch (no get_dummies inside).")
    airlines = rows["Airline"].drop_duplicates().head(2)
    if len(airlines) == 2:
        pair = pd.concat([rows.head(1)] * 2).assign(Airline=airlines.to_numpy())
        encoded = np.asarray(_dense(encoder.transform(pair)))
        if np.array_equal(encoded[0], encoded[1]):
            return incorrect("two flights that differ only in their airline are encoded the same: "
                             f"encode {TEXT_COLUMNS}, Airline included.")
    return None


def _one_hot_problem(encoder: Any, rows: pd.DataFrame, width: int, unseen_airline: str) -> Feedback | None:
    """Not 0/1 columns, not one per training label of the three columns, or an unseen airline not all zeros."""
    try:
        encoded = np.asarray(_dense(encoder.transform(rows.head(50))), dtype=float)
    except (TypeError, ValueError):
        encoded = None
    if encoded is None or not np.isin(encoded, (0.0, 1.0)).all():
        return incorrect("its output holds values other than 0 and 1 (integer codes, or raw columns passed "
                         "through): one-hot encode the three columns with a OneHotEncoder, and leave the others out.")
    labels = sum(rows[column].nunique() for column in TEXT_COLUMNS)
    if width != labels:
        return incorrect(f"{width} columns, but {TEXT_COLUMNS} hold {labels} labels in the training rows: one column "
                         "per label of these three columns and nothing else. Fewer: drop='first' left one label of "
                         "each out, and an unseen airline (all zeros) would read as the dropped one. More: other "
                         "columns are encoded too.")
    unseen = np.asarray(_dense(encoder.transform(rows.head(1).assign(Airline=unseen_airline))), dtype=float)
    if unseen.sum() != len(TEXT_COLUMNS) - 1:  # one 1 for Source, one for Destination, none for the airline
        return incorrect(f"a flight by {unseen_airline!r} is not all zeros in the Airline columns: use "
                         "OneHotEncoder(handle_unknown='ignore'), so a label the encoder never saw matches no column.")
    return None


def _dense(matrix: Any) -> Any:
    return matrix.toarray() if hasattr(matrix, "toarray") else matrix


# --- notebook 04: a cross-validation function -------------------------------------------------------------


def _cv_cases(X: pd.DataFrame, y: pd.Series) -> dict[str, tuple[Any, pd.DataFrame, pd.Series]]:
    """Two pipelines the learner's function must score: a real model and a median baseline."""
    from sklearn.dummy import DummyRegressor

    from workbook.models import make_pipeline

    rows = X.index[:CV_ROWS]
    return {"a decision tree": (make_pipeline("tree", "improved", random_state=CV_SEED), X.loc[rows], y.loc[rows]),
            "a median baseline": (DummyRegressor(strategy="median"), X.loc[rows], y.loc[rows])}


def folds_mae(pipeline: Any, X: pd.DataFrame, y: pd.Series, folds: Any) -> float:
    """Mean MAE of a fresh copy of `pipeline` over `folds` (the reference the 04 checks compare with)."""
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    return float(-cross_val_score(clone(pipeline), X, y, cv=folds, scoring="neg_mean_absolute_error").mean())


def check_cv_function(cv_mae: Any, X: pd.DataFrame, y: pd.Series) -> Feedback:
    """Exercise: `cv_mae(pipeline, X, y)` returns the mean MAE over KFold(5, shuffle=True, random_state=42)."""
    from sklearn.model_selection import KFold

    if cv_mae is None:
        return not_answered("write def cv_mae(pipeline, X, y): ... with cross_val_score, "
                            f"KFold(n_splits={CV_FOLDS}, shuffle=True, random_state={CV_SEED}) and "
                            "scoring='neg_mean_absolute_error'; return the mean MAE in rupees")
    if not callable(cv_mae):
        return incorrect(f"expected a function (pass `cv_mae`, not `cv_mae(...)`), got {type(cv_mae).__name__}.")
    shuffled = KFold(n_splits=CV_FOLDS, shuffle=True, random_state=CV_SEED)
    for name, (pipeline, X_rows, y_rows) in _cv_cases(X, y).items():
        try:
            value = cv_mae(pipeline, X_rows, y_rows)
        except Exception as error:
            return raised(f"cv_mae on {name}", error, "Call it yourself on a pipeline and a few rows.")
        expected = folds_mae(pipeline, X_rows, y_rows, shuffled)
        unshuffled = partial(folds_mae, pipeline, X_rows, y_rows, KFold(n_splits=CV_FOLDS))  # only if needed
        problem = _cv_problem(value, expected, unshuffled, name)
        if problem is not None:
            return problem
    return correct(f"your function gives the MAE over {CV_FOLDS} shuffled folds for any pipeline (a tree and a "
                   "median baseline here): the same folds for every candidate make the comparison fair.")


def _cv_problem(value: Any, expected: float, unshuffled: Callable[[], float], name: str) -> Feedback | None:
    """What is wrong with one result of the learner's cv_mae, or None when it is the expected MAE."""
    if isinstance(value, (np.ndarray, list, tuple, pd.Series)) and np.size(value) > 1:
        return incorrect(f"on {name} it returned {np.size(value)} numbers (one per fold): return their mean.")
    number = as_number(value.item() if isinstance(value, np.ndarray) else value)
    if number is None:
        return incorrect(f"on {name} it returned {value!r}; expected one number, the mean MAE in rupees.")
    if abs(number - expected) <= 0.01:
        return None
    if abs(number + expected) <= 0.01:
        return close("the sign is flipped: scikit-learn scores are 'higher is better', so "
                     "'neg_mean_absolute_error' is minus the MAE; return -scores.mean().")
    if abs(number - unshuffled()) <= 0.01:
        return close("those folds are not the exercise's: cv=5 (or an unshuffled KFold) takes each fold as one "
                     "block of rows in their order. Use KFold(n_splits=5, shuffle=True, random_state=42), so every "
                     "candidate, yours and the check's, is scored on the same shuffled folds.")
    return incorrect(f"on {name} it returned {number:,.2f}, the MAE over the exercise's folds is {expected:,.2f}. "
                     "Check the folds (KFold(5, shuffle=True, random_state=42)), the scoring (MAE) and that you "
                     "score the pipeline passed in.")
