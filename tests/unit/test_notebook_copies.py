"""Cells that write a helper's calls out in sight must keep giving the helper's answer.

Notebook 01 fits its supervised demo by hand and notebook 04 clusters the routes by hand; each then names the
helper that makes the same calls (`supervised_price_demo`, `route_clustering`). nbval replays each cell's own
output, so nothing else would notice the cell and the helper drifting apart: here the helper's result, printed
as the cell prints it, must be the committed output.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from workbook import models, problem_kinds
from workbook.data import load_flights
from workbook.features import talk_dropna

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SEED, ROWS = 42, 10_683  # the notebooks' defaults


def committed_output(stem: str, marker: str) -> str:
    """Every text output of the one code cell of notebook `stem` whose source contains `marker`."""
    cells = [cell for cell in nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4).cells
             if cell.cell_type == "code" and marker in cell.source]
    assert len(cells) == 1, f"{stem}: {len(cells)} code cells contain {marker!r}"
    return "".join(output.get("text") or output.get("data", {}).get("text/plain", "")
                   for output in cells[0].outputs)


@pytest.fixture(scope="module")
def flights():
    return load_flights(None, n_rows=ROWS, seed=SEED)


def test_01_supervised_cell_is_supervised_price_demo(flights):
    table = problem_kinds.supervised_price_demo(talk_dropna(flights), random_state=SEED)
    assert committed_output("01_motivation", "forest.fit(train") == repr(table.round({"MAE (₹)": 0, "R²": 3}))


def test_04_clustering_cell_is_route_clustering(flights):
    clusters = models.route_clustering(flights, random_state=SEED)
    shown = committed_output("04_model_comparison", "KMeans(n_clusters=3")
    assert f"{len(clusters['routes'])} routes in 3 clusters: silhouette {clusters['silhouette']:.2f}\n" in shown
    assert (f"ARI against the number of stops: {clusters['ari_stops']:.2f}; "
            f"against the market: {clusters['ari_market']:.2f}\n") in shown
    medians = clusters["routes"].groupby("cluster")[["stops", "median_duration_min", "median_price"]].median()
    assert shown.endswith(repr(medians))
