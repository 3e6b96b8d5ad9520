"""Permutation importance: how much worse (MAE, rupees) the model gets when one raw column is shuffled."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from workbook import models
from workbook.errors import TransparencyError
from workbook.transparency.inputs import (
    model_columns,
    predict,
    require_columns,
    require_frame,
    require_positive_int,
    sample_rows,
)


def permutation_importance_table(model: Any, X_raw: pd.DataFrame, y: Any, *, n_repeats: int = 5,
                                 random_state: int = 42, max_rows: int = 2000) -> pd.DataFrame:
    """How much the MAE (rupees) grows when each raw column is shuffled: column, importance, std; sorted.

    sklearn's `permutation_importance` on held-out rows (at most `max_rows`, drawn with the seed). Every
    column of `X_raw` is shuffled, also ones the model ignores (they score exactly 0). A column shuffled
    alone can form impossible rows (a Route that contradicts Total_Stops), so coupled columns share credit
    unevenly; `explain_prediction` moves them together. `table.attrs["baseline_mae"]` is the unshuffled MAE.
    """
    X_raw = require_frame(X_raw, "X_raw")
    require_columns(X_raw, model_columns(model, X_raw), "X_raw")
    y = pd.Series(np.asarray(y, dtype=float))
    if len(y) != len(X_raw):
        raise TransparencyError(f"y has {len(y)} values but X_raw has {len(X_raw)} rows; they must match")
    require_positive_int(n_repeats, "n_repeats")
    rows = sample_rows(X_raw, max_rows, random_state, "max_rows")
    X, target = X_raw.iloc[rows], y.iloc[rows].to_numpy()
    with models.fitting_context():
        result = permutation_importance(model, X, target, scoring="neg_mean_absolute_error",
                                        n_repeats=n_repeats, random_state=random_state, n_jobs=1)
    # The score is -MAE, so "score drop" = shuffled MAE - baseline MAE: rupees of extra error.
    table = pd.DataFrame({"column": [str(c) for c in X.columns], "importance": result.importances_mean,
                          "std": result.importances_std})
    table = table.sort_values(["importance", "column"], ascending=[False, True], kind="stable")
    table = table.reset_index(drop=True)
    table.attrs["baseline_mae"] = float(np.mean(np.abs(predict(model, X) - target)))
    return table
