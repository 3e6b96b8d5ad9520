"""A sweep's summary: summary.csv, the table `workbook sweep` prints, and summary.html.

summary.html shows the best points by the chosen metric, the metric over the whole grid (a heat map for two
parameters, parallel coordinates for more: see figures.py, also saved as summary.png for the MLflow parent
run) and the metric against each parameter (PNG images inside the page, so it can be mailed or archived as
one file).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbook.files import atomic_write
from workbook.render import render_page
from workbook.results import to_jsonable
from workbook.sweep.figures import SweepFigure, png_bytes, sweep_figure
from workbook.sweep.plan import SweepPlan, short_text
from workbook.sweep.result import PointReport, SweepResult, label_results, numeric_results
from workbook.sweep.store import SUMMARY_CSV, SUMMARY_HTML, SUMMARY_PNG, SWEEP_FILE

BEST_ROWS = 5


def summary_frame(reports: Sequence[PointReport], plan: SweepPlan) -> pd.DataFrame:
    """One row per point: point, key, status, params.*, metrics.* (numeric results), results.* (text and flags,
    such as 04's best_model), seconds, notebook, error."""

    names = list(plan.grid) + [name for name in plan.fixed if name not in plan.grid]
    metrics: list[str] = []
    labels: list[str] = []
    for report in sorted(reports, key=lambda r: r.point.index):
        metrics += [name for name in numeric_results(report.results) if name not in metrics]
        labels += [name for name in label_results(report.results) if name not in labels]
    rows = []
    for report in sorted(reports, key=lambda r: r.point.index):
        numbers, words = numeric_results(report.results), label_results(report.results)
        row: dict[str, Any] = {"point": report.point.index, "key": report.point.key8, "status": report.status}
        row |= {f"params.{name}": _cell(report.point.params.get(name)) for name in names}
        row |= {f"metrics.{name}": numbers.get(name) for name in metrics}
        row |= {f"results.{name}": words.get(name) for name in labels}
        row |= {"seconds": report.seconds, "notebook": report.notebook, "error": report.error}
        rows.append(row)
    columns = (["point", "key", "status"] + [f"params.{n}" for n in names] + [f"metrics.{n}" for n in metrics]
               + [f"results.{n}" for n in labels] + ["seconds", "notebook", "error"])
    frame = pd.DataFrame(rows, columns=columns)
    # A count stays a count (rows_raw 1000, not 1000.0) even where a failed point leaves its cell empty.
    counts = [name for name in metrics if all(_whole(report.results.get(name)) for report in reports)]
    return frame.astype({f"metrics.{name}": "Int64" for name in counts})


def _whole(value: Any) -> bool:
    """True for an integer result or none at all (a point that failed or did not record it)."""
    return value is None or (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)))


def _cell(value: Any) -> Any:
    """A parameter value as one table cell: lists and dicts as JSON text."""
    return json.dumps(to_jsonable(value)) if isinstance(value, (list, dict)) else value


def choose_metric(frame: pd.DataFrame, requested: str | None) -> tuple[str | None, bool]:
    """The metric to rank by and whether it was chosen by default (the first numeric result)."""
    if requested:
        return requested, False
    available = [column.removeprefix("metrics.") for column in frame.columns if column.startswith("metrics.")]
    return (available[0] if available else None), True


def best_points(frame: pd.DataFrame, metric: str | None, goal: str = "min", n: int = BEST_ROWS) -> pd.DataFrame:
    """The `n` completed points with the best value of `metric` (ties keep grid order)."""
    column = f"metrics.{metric}"
    if metric is None or column not in frame.columns:
        return frame.iloc[0:0]
    ranked = frame[(frame["status"] == "ok") & frame[column].notna()]
    ranked = ranked.sort_values([column, "point"], ascending=[goal == "min", True], kind="stable")
    return ranked.head(n)


def best_value(result: SweepResult) -> float | None:
    """The best value of the sweep's metric, or None."""
    if result.frame is None:
        return None
    best = best_points(result.frame, result.metric, result.goal, 1)
    return None if best.empty else float(best[f"metrics.{result.metric}"].iloc[0])


def write_summary(result: SweepResult) -> None:
    """Choose the metric, then write summary.csv, summary.png (grids of 2+ parameters) and summary.html."""
    result.frame = summary_frame(result.reports, result.plan)
    result.metric, result.metric_is_default = choose_metric(result.frame, result.plan.request.metric)
    with atomic_write(result.out_dir / SUMMARY_CSV, newline="") as handle:
        result.frame.to_csv(handle, index=False)
    figure = sweep_figure(result.frame, result.plan.grid, result.metric, result.goal)
    png = result.out_dir / SUMMARY_PNG
    if figure is None:
        png.unlink(missing_ok=True)  # an earlier sweep's figure in this folder is not this one's
    else:
        temporary = png.with_name(f".{png.name}.tmp")
        temporary.write_bytes(figure.png)
        temporary.replace(png)  # the parent run logs this file; never half of it
    with atomic_write(result.out_dir / SUMMARY_HTML) as handle:
        handle.write(summary_html(result, figure))


def metric_note(result: SweepResult) -> str:
    """Which metric ranks the points, and why: `rmse (min; the first numeric result, set --metric to choose)`."""
    if result.metric is None:
        return "no numeric results to rank the points by"
    why = "; the first numeric result, set --metric to choose" if result.metric_is_default else ""
    missing = ""
    if result.frame is not None and f"metrics.{result.metric}" not in result.frame.columns:
        available = [c.removeprefix("metrics.") for c in result.frame.columns if c.startswith("metrics.")]
        missing = f"; no point recorded it (results: {', '.join(available) or 'none'})"
    return f"{result.metric} ({result.goal}{why}){missing}"


def summary_table(result: SweepResult) -> str:
    """The summary as a text table: point, key, status, grid values, the metric and seconds."""
    frame = result.frame if result.frame is not None else summary_frame(result.reports, result.plan)
    columns = ["point", "key", "status"] + [f"params.{name}" for name in result.plan.grid]
    if result.metric and f"metrics.{result.metric}" in frame.columns:
        columns.append(f"metrics.{result.metric}")
    columns.append("seconds")
    shown = frame[columns].rename(columns=lambda c: c.split(".", 1)[-1])
    return shown.to_string(index=False, na_rep="")


def summary_html(result: SweepResult, figure: SweepFigure | None = None) -> str:
    """A self-contained page: the best points, the metric over the grid, against each parameter, every point."""
    frame = result.frame if result.frame is not None else summary_frame(result.reports, result.plan)
    metric = result.metric
    best = best_points(frame, metric, result.goal)
    plots = [(name, image) for name in result.plan.grid if (image := metric_plot(frame, name, metric))]
    return render_page(
        "sweep_summary.html.j2", stem=result.plan.stem, metric=metric or "", metric_label=metric or "metric",
        complete=int((frame["status"] == "ok").sum()), total=len(frame), metric_note=metric_note(result),
        csv_file=SUMMARY_CSV, sweep_file=SWEEP_FILE, png_file=SUMMARY_PNG,
        best=None if best.empty else _table(best), everything=_table(frame), plots=plots, figure=figure,
        figure_png=base64.b64encode(figure.png).decode("ascii") if figure else "",
    )


def _table(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows of the summary as the page's table shows them: text cells (the status cell styled), notebooks linked."""
    columns = [c for c in frame.columns if c not in ("notebook", "key")]
    rows = []
    for record in frame.to_dict(orient="records"):
        cells = []
        for column in columns:
            value = record[column]
            text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else short_text(value)
            cells.append((str(value) if column == "status" else None, text))
        rows.append({"key": record["key"], "href": record["notebook"] or None, "cells": cells})
    return {"headings": [c.split(".", 1)[-1] for c in columns], "rows": rows}


def metric_plot(frame: pd.DataFrame, name: str, metric: str | None) -> str | None:
    """A PNG (base64) of the metric against one grid parameter over the completed points; None if nothing to plot."""
    from matplotlib.figure import Figure

    column, param = f"metrics.{metric}", f"params.{name}"
    if metric is None or column not in frame.columns or param not in frame.columns:
        return None
    ok = frame[(frame["status"] == "ok") & frame[column].notna()]
    if ok.empty:
        return None
    figure = Figure(figsize=(4.5, 3.2), dpi=96)
    axes = figure.add_subplot()
    x, y = ok[param], ok[column].astype(float)
    if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
        means = y.groupby(x.astype(float)).mean()
        axes.plot(means.index, means.to_numpy(), color="#999", linewidth=1, zorder=1)
        axes.scatter(x.astype(float), y, zorder=2)
        if (x > 0).all() and x.max() / x.min() >= 100:  # alphas and learning rates spread over decades
            axes.set_xscale("log")
    else:
        labels = list(dict.fromkeys(map(str, x)))
        axes.scatter([labels.index(str(v)) for v in x], y)
        axes.set_xticks(range(len(labels)), labels)
        axes.set_xlim(-0.5, len(labels) - 0.5)
    axes.set_xlabel(name)
    axes.set_ylabel(metric)
    axes.set_title(f"{metric} against {name}")
    figure.tight_layout()
    return base64.b64encode(png_bytes(figure)).decode("ascii")


