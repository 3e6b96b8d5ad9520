"""The fitted preprocessor (the same width on any batch) and notebook 03's demonstration of why it is needed."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workbook.features.columns import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from workbook.features.improved import improved_features
from workbook.features.talk import talk_feature_frame


def make_preprocessor(
    numeric: list[str] = NUMERIC_FEATURES,
    categorical: list[str] = CATEGORICAL_FEATURES,
    *,
    min_frequency: int | float = 5,
    scale_numeric: bool = True,
) -> ColumnTransformer:
    """Scale numeric columns and one-hot encode categorical ones; unseen categories keep the output width.

    Categories seen fewer than `min_frequency` times at fit share one "infrequent" column, and categories
    never seen at fit go there too (or to all zeros when a column has no infrequent bucket).
    """
    encoder = OneHotEncoder(
        handle_unknown="infrequent_if_exist", min_frequency=min_frequency, sparse_output=False
    )
    numeric_step = StandardScaler() if scale_numeric else "passthrough"
    return ColumnTransformer(
        [("num", numeric_step, list(numeric)), ("cat", encoder, list(categorical))],
        # Names like "duration_min" and "Airline_IndiGo" are unique already; the "num__" prefix adds nothing.
        verbose_feature_names_out=False,
    )


def unseen_categories(train: pd.DataFrame, new: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """For each column, the values in `new` that never occur in `train` (sorted; empty columns left out)."""
    unseen = {}
    for column in columns:
        values = sorted(set(new[column]) - set(train[column]))
        if values:
            unseen[column] = values
    return unseen


def get_dummies_breaks_demo(
    train_df: pd.DataFrame, new_df: pd.DataFrame, *, min_frequency: int | float = 5
) -> dict[str, Any]:
    """What notebook 03 shows: the talk's get_dummies columns change with the batch; a fitted encoder's don't.

    Both frames are raw flight rows (the 11 file columns; Price is not needed in `new_df`).
    """
    train_columns = list(talk_feature_frame(train_df).columns)
    new_columns = list(talk_feature_frame(new_df).columns)
    train_features = improved_features(train_df)
    new_features = improved_features(new_df)
    preprocessor = make_preprocessor(min_frequency=min_frequency).fit(train_features)
    return {
        "train_columns": train_columns,
        "new_columns": new_columns,
        "missing_in_new": [c for c in train_columns if c not in new_columns],
        "extra_in_new": [c for c in new_columns if c not in train_columns],
        "same_columns": train_columns == new_columns,
        "unseen_categories": unseen_categories(train_features, new_features, CATEGORICAL_FEATURES),
        "preprocessor_width_train": int(preprocessor.transform(train_features).shape[1]),
        "preprocessor_width_new": int(preprocessor.transform(new_features).shape[1]),
    }


def predict_with_dummies_error(model: Any, X_train_columns: list[str], new_df: pd.DataFrame) -> str:
    """Feed the talk's get_dummies of `new_df` to a model fitted on X_train; return scikit-learn's complaint.

    Returns "" when the new batch happens to produce exactly the training columns and prediction works.
    """
    X_new = talk_feature_frame(new_df)
    try:
        model.predict(X_new)
    except ValueError as error:
        return f"ValueError: {str(error).strip()}"
    if list(X_new.columns) != list(X_train_columns):
        # Only reachable for a model fitted on a bare array of the same width: it predicts on shuffled columns.
        return "no error, but the columns differ from training: the predictions are silently wrong"
    return ""
