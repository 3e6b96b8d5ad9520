"""The one figure a sweep's reader looks at first: the metric over the whole grid.

Two grid parameters give a heat map (one cell per point, its value written in it, the best point framed);
three or more give parallel coordinates (one line per point across every parameter to the metric, the best
line drawn on top). The figure is a PNG made with matplotlib's Agg canvas and no timestamp in it, so the same
sweep gives the same bytes: summary.html embeds them and the sweep's MLflow parent run keeps them as a file.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbook.sweep.plan import short_text
from workbook.values import is_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BEST_COLOUR = "#d62728"
FIGURE_DPI = 96


@dataclass(frozen=True)
class SweepFigure:
    """A rendered figure: "heat map" or "parallel coordinates", the PNG, and the point it marks as best."""

    kind: str
    png: bytes
    best_label: str


def completed(frame: pd.DataFrame, metric: str | None) -> pd.DataFrame:
    """The points that finished and recorded the metric."""
    column = f"metrics.{metric}"
    if metric is None or column not in frame.columns:
        return frame.iloc[0:0]
    return frame[(frame["status"] == "ok") & frame[column].notna()]


def best_row(ok: pd.DataFrame, metric: str, goal: str) -> pd.Series:
    """The best completed point (ties: the first in grid order, as the summary's ranking)."""
    ranked = ok.sort_values([f"metrics.{metric}", "point"], ascending=[goal == "min", True], kind="stable")
    return ranked.iloc[0]


def sweep_figure(frame: pd.DataFrame, grid: Mapping[str, Sequence[Any]], metric: str | None,
                 goal: str = "min") -> SweepFigure | None:
    """The heat map (two grid parameters) or parallel coordinates (three or more); None for one parameter or
    when no point recorded the metric."""
    ok = completed(frame, metric)
    if ok.empty or len(grid) < 2 or metric is None:
        return None
    best = best_row(ok, metric, goal)
    label = ", ".join(f"{name}={_shown(values, best[f'params.{name}'])}" for name, values in grid.items())
    if len(grid) == 2:
        return SweepFigure("heat map", png_bytes(heat_map(ok, grid, metric, goal)), label)
    return SweepFigure("parallel coordinates", png_bytes(parallel_coordinates(ok, grid, metric, goal)), label)


def _key(value: Any) -> str:
    """Where a grid value and the summary table's cell of it meet. The table holds a grid's null as NaN, and
    whole numbers beside a null as floats (3 as 3.0): numbers meet by value, a null as "None"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "None"
    if is_number(value):
        return repr(float(value))
    return short_text(value)


def _text(value: Any) -> str:
    """A grid value as its axis shows it: as the grid wrote it, a null as None."""
    return "None" if _key(value) == "None" else short_text(value)


def _shown(grid_values: Sequence[Any], cell: Any) -> str:
    """The grid's own text for a table cell (3, not the table's 3.0)."""
    return next((_text(value) for value in grid_values if _key(value) == _key(cell)), _text(cell))


def _ordered(values: Sequence[Any]) -> list[Any]:
    """Numbers in ascending order, whatever order the grid gave them in; anything else in the grid's order."""
    if all(is_number(v) for v in values):
        return sorted(values)
    return list(values)


def _positions(values: Sequence[Any]) -> dict[str, int]:
    """Each grid value's place on its axis, by its key (a table cell and the grid's value meet there)."""
    return {_key(value): index for index, value in enumerate(_ordered(values))}


def heat_map(ok: pd.DataFrame, grid: Mapping[str, Sequence[Any]], metric: str, goal: str) -> Figure:
    """The metric for every (row parameter, column parameter) pair, values written in, the best cell framed."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    (row_name, row_values), (col_name, col_values) = list(grid.items())
    rows, cols = _positions(row_values), _positions(col_values)
    column = f"metrics.{metric}"
    surface = np.full((len(rows), len(cols)), np.nan)
    cells = ok.groupby([ok[f"params.{row_name}"].map(_key), ok[f"params.{col_name}"].map(_key)],
                       sort=False)[column].mean()  # a sampled grid may repeat nothing, but a rerun may
    for (row_text, col_text), value in cells.items():
        surface[rows[row_text], cols[col_text]] = value
    figure = Figure(figsize=(max(4.5, 1.0 * len(cols) + 2.5), max(3.2, 0.55 * len(rows) + 1.8)), dpi=FIGURE_DPI)
    axes = figure.add_subplot()
    cmap = "viridis_r" if goal == "min" else "viridis"  # the better end is the bright one either way
    image = axes.imshow(np.ma.masked_invalid(surface), cmap=cmap, aspect="auto")
    low, high = np.nanmin(surface), np.nanmax(surface)
    for (i, j), value in np.ndenumerate(surface):
        if math.isnan(value):
            axes.text(j, i, "—", ha="center", va="center", color="#888")
            continue
        bright = (value - low) / (high - low) if high > low else 0.5
        dark_text = bright < 0.5 if goal == "min" else bright > 0.5  # dark text on the bright cells
        axes.text(j, i, f"{value:.4g}", ha="center", va="center", fontsize=8,
                  color="black" if dark_text else "white")
    best = best_row(ok, metric, goal)
    i, j = rows[_key(best[f"params.{row_name}"])], cols[_key(best[f"params.{col_name}"])]
    axes.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=BEST_COLOUR, linewidth=2.5))
    axes.set_xticks(range(len(cols)), [_text(value) for value in _ordered(col_values)])
    axes.set_yticks(range(len(rows)), [_text(value) for value in _ordered(row_values)])
    axes.set_xlabel(col_name)
    axes.set_ylabel(row_name)
    axes.set_title(f"{metric} ({goal}); best framed: {row_name}={_shown(row_values, best[f'params.{row_name}'])}, "
                   f"{col_name}={_shown(col_values, best[f'params.{col_name}'])}", fontsize=9)
    figure.colorbar(image, ax=axes, label=metric)
    figure.tight_layout()
    return figure


def _axis(values: pd.Series, grid_values: Sequence[Any]) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """One parameter on a 0..1 axis: numbers by value (log when they span decades), anything else by grid order.

    Returns each point's position and the (position, label) ticks of the grid's values.
    """
    numeric = all(is_number(v) for v in grid_values)
    if numeric and len(set(grid_values)) > 1:
        numbers = np.asarray(grid_values, dtype=float)
        use_log = bool((numbers > 0).all() and numbers.max() / numbers.min() >= 100)
        scale = np.log10 if use_log else (lambda x: np.asarray(x, dtype=float))
        low, high = scale(numbers.min()), scale(numbers.max())
        place = lambda x: (scale(np.asarray(x, dtype=float)) - low) / (high - low)  # noqa: E731
        return place(values.astype(float)), [(float(place(v)), short_text(v)) for v in grid_values]
    order = _positions(grid_values)
    span = max(len(order) - 1, 1)
    ticks = [(index / span, _text(value)) for index, value in enumerate(_ordered(grid_values))]
    return np.asarray([order[_key(v)] / span for v in values]), ticks


def parallel_coordinates(ok: pd.DataFrame, grid: Mapping[str, Sequence[Any]], metric: str, goal: str) -> Figure:
    """One line per point through every grid parameter to the metric, coloured by the metric; best on top."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    names = list(grid)
    axes_values, ticks = [], []
    for name in names:
        placed, name_ticks = _axis(ok[f"params.{name}"], grid[name])
        axes_values.append(placed)
        ticks.append(name_ticks)
    scores = ok[f"metrics.{metric}"].astype(float).to_numpy()
    low, high = scores.min(), scores.max()
    axes_values.append((scores - low) / (high - low) if high > low else np.full(len(scores), 0.5))
    ticks.append([(0.0, f"{low:.4g}"), (1.0, f"{high:.4g}")] if high > low else [(0.5, f"{low:.4g}")])
    lines = np.column_stack(axes_values)
    figure = Figure(figsize=(max(5.5, 1.6 * len(lines[0]) + 1.5), 4.0), dpi=FIGURE_DPI)
    axes = figure.add_subplot()
    norm = Normalize(low, high if high > low else low + 1)
    cmap = colormaps["viridis_r" if goal == "min" else "viridis"]
    x = np.arange(lines.shape[1])
    best_index = ok.index.get_loc(best_row(ok, metric, goal).name)
    for index, (line, score) in enumerate(zip(lines, scores)):
        if index != best_index:
            axes.plot(x, line, color=cmap(norm(score)), linewidth=1.2, alpha=0.8)
    axes.plot(x, lines[best_index], color=BEST_COLOUR, linewidth=3, zorder=3)
    for position, axis_ticks in zip(x, ticks):
        axes.axvline(position, color="#444", linewidth=0.8, zorder=1)
        for height, text in axis_ticks:
            axes.text(position + 0.04, height, text, fontsize=7, va="center", zorder=4,
                      bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    axes.set_xticks(x, names + [metric])
    axes.set_yticks([])
    axes.set_ylim(-0.05, 1.05)
    axes.set_xlim(-0.2, x[-1] + 0.5)
    best = best_row(ok, metric, goal)
    label = ", ".join(f"{name}={_shown(grid[name], best[f'params.{name}'])}" for name in names)
    axes.set_title(f"{metric} ({goal}), one line per point; best in red: {label}", fontsize=9)
    figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes, label=metric)
    figure.tight_layout()
    return figure


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes with no software/date metadata: equal figures give equal bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
