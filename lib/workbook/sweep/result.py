"""What a sweep did: one report per point and the sweep's result (its exit code, metric and summary frame)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbook.sweep.plan import Point, SweepPlan
from workbook.sweep.request import Goal
from workbook.sweep.store import SUMMARY_CSV, SUMMARY_HTML
from workbook.values import is_number

if TYPE_CHECKING:
    import pandas as pd

PointReportStatus = Literal["ok", "failed"]


@dataclass
class PointReport:
    """How one point went, as the summary shows it."""

    point: Point
    status: PointReportStatus  # "ok" or "failed"
    seconds: float | None
    error: str | None
    results: dict[str, Any]
    folder: str | None  # the point's folder, relative to the sweep folder (points/... or failed/...)
    notebook: str | None  # the executed notebook, relative to the sweep folder
    resumed: bool = False  # complete before this run started


@dataclass
class SweepResult:
    """What a sweep did; `exit_code` is 0 when every point ran, 1 when some failed, 130 when interrupted."""

    out_dir: Path
    plan: SweepPlan
    reports: list[PointReport]
    interrupted: bool = False
    metric: str | None = None
    metric_is_default: bool = False
    goal: Goal = "min"
    frame: pd.DataFrame | None = None
    tracking_problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[PointReport]:
        return [report for report in self.reports if report.status != "ok"]

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or self.tracking_problems else 0

    @property
    def summary_csv(self) -> Path | None:
        path = self.out_dir / SUMMARY_CSV
        return path if path.exists() else None

    @property
    def summary_html(self) -> Path | None:
        path = self.out_dir / SUMMARY_HTML
        return path if path.exists() else None


def numeric_results(results: Mapping[str, Any]) -> dict[str, float]:
    """The results that are finite numbers (not booleans): what MLflow can log as metrics."""
    return {name: float(value) for name, value in results.items() if is_number(value) and math.isfinite(value)}


def label_results(results: Mapping[str, Any]) -> dict[str, str | bool]:
    """The results that are one word or flag (04's best_model, robustness_passed): a column each in summary.csv."""
    return {name: value for name, value in results.items() if isinstance(value, (str, bool))}
