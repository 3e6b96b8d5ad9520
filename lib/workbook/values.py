"""What kind of value a parameter, setting or result holds: the one place that says it.

A bool is not a number here (True + 1 == 2 in Python, but `-p months true` is a mistake, not 1), and numpy's
scalars count like Python's (a value read from a table is often np.int64 or np.float64).
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def is_int(value: Any) -> bool:
    """A whole number, Python's or numpy's, not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """An int or a float, Python's or numpy's, not a bool (NaN and infinity included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """A number that is neither NaN nor infinite."""
    return is_number(value) and math.isfinite(value)
