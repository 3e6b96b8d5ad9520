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
    """Write JSON so that readers see either the old file or the new one, never half of it."""
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")


class Recorder:
    """Collects `key -> value` results; writes them to `path` after every record when a path is set.

    Notebooks create one from their `results_path` parameter (None when run by hand: results stay in memory).
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else None
        self.values: dict[str, Any] = {}

    def record(self, key: str, value: Any) -> Any:
        """Store one result and return the value unchanged, so a cell can show what it recorded."""
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"result key must be a simple name like 'rows_raw', got {key!r}")
        self.values[key] = to_jsonable(value)
        if self.path is not None:
            write_json_atomic(self.path, self.values)
        return value
