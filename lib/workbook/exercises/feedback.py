"""The verdict every exercise check returns, and the shared comparison of a numeric answer with the truth."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CORRECT, CLOSE, INCORRECT, NOT_ANSWERED = "correct", "close", "incorrect", "not answered"


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: `status` (correct/close/incorrect/not answered) and a message for the learner."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:  # what a notebook shows when the check is a cell's last expression
        return self.message


def not_answered(hint: str) -> Feedback:
    return Feedback(NOT_ANSWERED, f"Not answered yet: {hint}")


def correct(detail: str) -> Feedback:
    return Feedback(CORRECT, f"Correct: {detail}")


def close(detail: str) -> Feedback:
    return Feedback(CLOSE, f"Close: {detail}")


def incorrect(detail: str) -> Feedback:
    return Feedback(INCORRECT, f"Not yet: {detail}")


def as_number(answer: Any) -> float | None:
    """The answer as a float, or None if it is not a number (bools are not numbers here)."""
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def within(value: float, target: float, tolerance: float) -> bool:
    return abs(value - target) <= tolerance


def check_number(
    answer: Any,
    expected: float,
    *,
    hint: str,
    why: str,
    look_at: str,
    near_misses: list[tuple[float, str]] = (),
    misconceptions: list[tuple[float, str]] = (),
    tolerance: float = 0.0,
    decimals: int | None = None,
    share: bool = False,
) -> Feedback:
    """Compare a numeric answer with `expected`; known wrong values get their own explanation: near_misses as
    "Close" (a small slip), misconceptions as "Not yet" (the very mistake the notebook teaches against).

    `decimals`: the answer is asked for at that many decimals; pass the unrounded values, and an answer within
    half a unit of the last decimal counts (2.27 for 2.2727, not 2.26 or 2.28). `share`: the answer is a share
    between 0 and 1, and the same number as a percentage gets a "Close" saying so.
    """
    if decimals is not None:
        tolerance = max(tolerance, 0.5 * 10**-decimals + 1e-9)
    if answer is None:
        return not_answered(hint)
    value = as_number(answer)
    if value is None:
        return incorrect(f"expected a number, got {described(answer)}. {look_at}")
    if within(value, expected, tolerance):
        return correct(why)
    if share and 1 < value <= 100 and within(value / 100, expected, tolerance):
        return close("give it as a share between 0 and 1, not as a percentage.")
    for wrong_value, explanation in near_misses:
        if within(value, wrong_value, tolerance):
            return close(explanation)
    for wrong_value, explanation in misconceptions:
        if within(value, wrong_value, tolerance):
            return incorrect(explanation)
    return incorrect(f"{format_number(value)} is not it. {look_at}")


def raised(what: str, error: BaseException, look_at: str) -> Feedback:
    """The learner's code raised: say where, what, and where to look."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return incorrect(f"{what} raised {type(error).__name__}{': ' + message if message else ''}. {look_at}")


def described(answer: Any) -> str:
    """An answer as feedback quotes it: short values as they are, a Series or an array by its kind and size (a
    learner who passes the rounded fares instead of their count should not get 8,000 of them back)."""
    shape = getattr(answer, "shape", None)
    if shape is not None and len(shape) > 0:
        return f"a {type(answer).__name__} of shape {tuple(shape)}"
    text = repr(answer)
    return text if len(text) <= 80 else f"{text[:77]}..."


def format_number(value: float) -> str:
    """A learner's number as they gave it, to four decimals at most: 0.9551 must not read as a right 0.96."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{value:.3g}"  # 0.00001 is not 0


def normalise_label(text: Any) -> str:
    return " ".join(str(text).replace("-", " ").replace("_", " ").split()).casefold()


def match_label(answer: Any, labels: Any) -> str:
    return next(label for label in labels if normalise_label(label) == normalise_label(answer))
