"""The alert rules (Thresholds) and the kinds of alert a drift report raises."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, TypedDict, get_args

AlertKind = Literal["contract", "missing_values", "unseen_category", "feature_drift", "model_drift"]
ALERT_KINDS: tuple[AlertKind, ...] = get_args(AlertKind)


class Alert(TypedDict):
    """One alert of a drift report: the month, its kind and the column, feature or metric that raised it."""

    month: str
    kind: AlertKind
    feature_or_metric: str


@dataclass(frozen=True)
class Thresholds:
    """Alert rules: PSI and p-value (both must agree), MAE ratio, missing-rate and unseen-share increases."""

    psi: float = 0.2  # >= 0.2: a shift worth acting on (0.1-0.2: watch)
    p_value: float = 0.01  # the test must also reject "same distribution"
    mae_ratio: float = 1.25  # monthly MAE above baseline x this ratio
    missing_rate: float = 0.02  # missing share above the reference's by more than this
    unseen_share: float = 0.01  # rows with a category training never saw; a few rare routes are normal

    def __post_init__(self) -> None:
        for name in ("psi", "p_value", "mae_ratio", "missing_rate", "unseen_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"Thresholds.{name} must be a finite number >= 0, got {value!r}")
        if self.p_value > 1:
            raise ValueError(f"Thresholds.p_value must be between 0 and 1, got {self.p_value!r}")


DEFAULT_THRESHOLDS = Thresholds()  # the default of every drift function (frozen, so one shared instance is safe)
