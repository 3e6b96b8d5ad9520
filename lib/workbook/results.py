"""Record a notebook's key results in a small JSON file that batch runs and tests read."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbook.files import atomic_write


def to_jsonable(value: Any) -> Any:
    """Turn pandas/numpy values (Series, arrays, numpy scalars, tuples) into plain JSON types."""
    if isinstance(value, pd.Series):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot record a value of type {type(value).__name__}: {value!r}")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see either the old file or the new one, never half of it.

    Keys keep the order they were given: a notebook's results stay in the order it recorded them, and a sweep
    ranks its points by the first numeric one (07's `wine_rmse`, not the alphabetically first `wine_mae`).
    """
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def save_results(path: str | os.PathLike | None, **values: Any) -> dict[str, Any]:
    """Write a notebook's key results to `path` as one JSON object, atomically; return them as JSON types.

    Notebooks call it once, in their last cell before the summary, with their `results_path` parameter: None
    when run by hand (nothing is written), a file in the run folder when a batch run sets it. A run that fails
    earlier leaves no results file rather than a partial one that looks complete.
    """
    if not values:
        raise ValueError("save_results needs at least one result, e.g. save_results(results_path, rows=10465)")
    results = {key: to_jsonable(value) for key, value in values.items()}
    if path is not None:
        write_json_atomic(Path(path), results)
    return results
