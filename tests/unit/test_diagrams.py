"""Tests for workbook.diagrams: the figures draw without errors and their content matches the talk."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display in tests

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from workbook import diagrams


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_framework_table_is_three_phases_by_five_layers():
    table = diagrams.framework_table()
    assert list(table.columns) == ["build", "deploy", "monitor"]
    assert list(table.index) == ["data", "code", "artifacts", "middleware", "infrastructure"]
    assert table.notna().all().all()
    assert not table.apply(lambda col: col.str.contains("\n")).any().any()  # one line per cell in text
    assert "drift" in table.loc["data", "monitor"]


def test_framework_figure_shows_every_cell():
    fig = diagrams.framework_figure()
    texts = _texts(fig)
    for layer in diagrams.LAYERS:
        assert layer in texts
        for phase in diagrams.PHASES:
            assert diagrams.MLOPS_FRAMEWORK[layer][phase] in texts
    assert {"BUILD", "DEPLOY", "MONITOR"} <= set(texts)


def test_lifecycle_is_a_loop_through_the_notebooks_in_order():
    table = diagrams.lifecycle_table()
    assert table.index[0] == 1 and len(table) == len(diagrams.LIFECYCLE)
    assert list(table["notebook"]) == sorted(table["notebook"])  # stages follow the notebook order
    assert set(table["phase"]) == set(diagrams.PHASES)
    fig = diagrams.lifecycle_figure()
    arrows = [p for p in fig.axes[0].patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == len(diagrams.LIFECYCLE)  # one arrow per stage, the last one closing the loop


def test_ai_ml_dl_figure_nests_three_sets():
    fig = diagrams.ai_ml_dl_figure()
    ellipses = [p for p in fig.axes[0].patches if type(p).__name__ == "Ellipse"]
    widths = [e.width for e in ellipses]
    heights = [e.height for e in ellipses]
    assert len(ellipses) == 3
    assert widths == sorted(widths, reverse=True) and heights == sorted(heights, reverse=True)
    # Nested: each smaller ellipse's top stays inside the bigger one's.
    tops = [e.center[1] + e.height / 2 for e in ellipses]
    assert tops == sorted(tops, reverse=True)
    assert {"Artificial intelligence", "Machine learning", "Deep learning"} <= set(_texts(fig))


def test_hidden_debt_ml_code_is_the_smallest_box():
    areas = {label: w * h for label, _, _, w, h in diagrams.HIDDEN_DEBT_BOXES}
    assert min(areas, key=areas.get) == "ML\nCode"
    fig = diagrams.hidden_debt_figure()
    assert "Sculley" in fig.axes[0].get_title()


def test_hidden_debt_boxes_tile_the_canvas_without_overlap():
    boxes = diagrams.HIDDEN_DEBT_BOXES
    assert sum(w * h for *_, w, h in boxes) == pytest.approx(12 * 7)
    for i, (_, x1, y1, w1, h1) in enumerate(boxes):
        for _, x2, y2, w2, h2 in boxes[i + 1:]:
            overlap_w = min(x1 + w1, x2 + w2) - max(x1, x2)
            overlap_h = min(y1 + h1, y2 + h2) - max(y1, y2)
            assert overlap_w <= 1e-9 or overlap_h <= 1e-9
