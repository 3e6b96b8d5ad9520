"""`workbook.sweep.figures`: the grid figure of a sweep's summary, from hand-made summary frames."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from workbook.sweep import figures as sweep_figures


def frame(grid: dict[str, list], scores: list[float | None]) -> pd.DataFrame:
    """A summary frame over the grid's product in grid order; None is a failed point."""
    from itertools import product

    rows = []
    for index, (values, score) in enumerate(zip(product(*grid.values()), scores), 1):
        row = {"point": index, "status": "ok" if score is not None else "failed", "metrics.rmse": score}
        rows.append(row | {f"params.{name}": value for name, value in zip(grid, values)})
    return pd.DataFrame(rows)


WINE_GRID = {"alpha": [0.1, 0.5], "l1_ratio": [0.2, 0.5, 0.8]}
WINE_SCORES = [0.72, 0.73, 0.734, 0.754, 0.7932, None]


def test_two_parameters_give_a_heat_map_with_the_best_cell_framed() -> None:
    figure = sweep_figures.sweep_figure(frame(WINE_GRID, WINE_SCORES), WINE_GRID, "rmse", "min")
    assert figure.kind == "heat map" and figure.best_label == "alpha=0.1, l1_ratio=0.2"
    assert figure.png.startswith(b"\x89PNG")
    drawn = sweep_figures.heat_map(sweep_figures.completed(frame(WINE_GRID, WINE_SCORES), "rmse"), WINE_GRID,
                                   "rmse", "min")
    axes = drawn.axes[0]
    (frame_patch,) = [p for p in axes.patches if isinstance(p, Rectangle)]
    assert frame_patch.get_xy() == (-0.5, -0.5)  # row alpha=0.1, column l1_ratio=0.2
    texts = [t.get_text() for t in axes.texts]
    assert texts == ["0.72", "0.73", "0.734", "0.754", "0.7932", "—"]  # the failed point's cell stays empty


def test_a_null_in_the_grid_is_a_row_of_its_own() -> None:
    """The summary table holds a grid's null as NaN: the heat map used to fail on it (KeyError 'nan') after
    every point had run, and the sweep lost its summary."""
    grid = {"wine_csv": [None, "data/winequality-red.csv"], "alpha": [0.5, 0.1]}
    table = frame(grid, [0.75, 0.71, 0.74, 0.70])
    table["params.wine_csv"] = table["params.wine_csv"].astype(object).where(table["params.wine_csv"].notna(),
                                                                             float("nan"))
    figure = sweep_figures.sweep_figure(table, grid, "rmse", "min")
    assert figure.kind == "heat map" and figure.best_label == "wine_csv=data/winequality-red.csv, alpha=0.1"
    axes = sweep_figures.heat_map(sweep_figures.completed(table, "rmse"), grid, "rmse", "min").axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["None", "data/winequality-red.csv"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["0.1", "0.5"]  # numbers ascending, not as given
    assert [t.get_text() for t in axes.texts] == ["0.71", "0.75", "0.7", "0.74"]
    depth = {"max_depth": [None, 3, 6], "alpha": [0.1, 0.5]}  # whole numbers beside a null: a float column
    table = frame(depth, [0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    table["params.max_depth"] = table["params.max_depth"].astype(float)
    assert sweep_figures.sweep_figure(table, depth, "rmse", "min").best_label == "max_depth=6, alpha=0.5"  # not 6.0
    mixed = {"n": [3, 6.5], "alpha": [0.1, 0.5]}
    assert sweep_figures.sweep_figure(frame(mixed, [0.9, 0.8, 0.7, 0.6]), mixed, "rmse").best_label == (
        "n=6.5, alpha=0.5")
    three = grid | {"seed": [1, 2]}
    assert sweep_figures.sweep_figure(frame(three, [0.7 + i / 100 for i in range(8)]), three, "rmse").kind == (
        "parallel coordinates")


def test_the_goal_decides_the_best_point() -> None:
    figure = sweep_figures.sweep_figure(frame(WINE_GRID, WINE_SCORES), WINE_GRID, "rmse", "max")
    assert figure.best_label == "alpha=0.5, l1_ratio=0.5"


def test_three_parameters_give_parallel_coordinates() -> None:
    grid = {"x": [1, 10, 100], "mode": ["plain", "squared"], "y": [0, 1]}
    scores = [float(i) for i in range(12)][::-1]
    figure = sweep_figures.sweep_figure(frame(grid, scores), grid, "rmse", "min")
    assert figure.kind == "parallel coordinates" and figure.best_label == "x=100, mode=squared, y=1"


def test_one_parameter_or_no_result_gives_no_figure() -> None:
    grid = {"alpha": [0.1, 0.5]}
    assert sweep_figures.sweep_figure(frame(grid, [0.7, 0.8]), grid, "rmse") is None
    assert sweep_figures.sweep_figure(frame(WINE_GRID, [None] * 6), WINE_GRID, "rmse") is None
    assert sweep_figures.sweep_figure(frame(WINE_GRID, WINE_SCORES), WINE_GRID, "mae") is None


@pytest.mark.parametrize("grid", [WINE_GRID, {**WINE_GRID, "seed": [1]}])
def test_the_same_sweep_gives_the_same_bytes(grid) -> None:
    scores = WINE_SCORES if len(grid) == 2 else WINE_SCORES
    first = sweep_figures.sweep_figure(frame(grid, scores), grid, "rmse")
    again = sweep_figures.sweep_figure(frame(grid, scores), grid, "rmse")
    assert first.png == again.png
