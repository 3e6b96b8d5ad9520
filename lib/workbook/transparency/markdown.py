"""Markdown for the model card: numbers formatted for reading and a pipe table, with no extra package."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def format_number(value: Any) -> str:
    """Readable numbers: rupee-sized values with thousands separators, small ones with 4 significant digits."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    if not math.isfinite(float(value)):
        return str(value)
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def _cell(value: Any) -> str:
    return format_number(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of `frame` (index dropped), numbers formatted for reading; no extra package needed."""
    header = "| " + " | ".join(_cell(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])
