"""Tests for workbook.data.fidelity and for the twin's calibration to the real file's Price structure.

Each calibrated figure is pinned on two seeds (42, the default, and 7) within a stated tolerance of the real
file's published value, so the calibration is a property of the price process, not of one draw. Figures the
twin does not match closely yet have wider tolerances, each with the reason (see TWIN_REPORT / the issue).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from workbook.data import TwinConfig, make_flights
from workbook.data.fidelity import (
    REAL_PRICE_STRUCTURE,
    explained_share,
    fidelity_report,
    format_report,
    price_structure,
)

# Relative tolerance of |twin / real - 1| per figure (absolute where marked in ABSOLUTE).
TOLERANCES: dict[str, float] = {
    "rows": 0.0,
    "R2 by Airline": 0.10,
    "R2 by Source+Destination": 0.12,
    "R2 by Airline+Route": 0.08,
    "R2 by flight": 0.06,
    "R2 by flight+date": 0.02,
    "R2 by Additional_Info": 0.25,
    # Known gaps (wider): routes and stops explain less on the twin (0.57-0.58 vs 0.691, 0.41-0.42 vs 0.551), and the
    # journey date more (0.28-0.29 vs 0.211): dear dates draw dear flights a little too strongly on the twin.
    "R2 by Route": 0.20,
    "R2 by Total_Stops": 0.30,
    "R2 by journey date": 0.50,
    "distinct flights": 0.05,
    "share of rows sharing flight and date": 0.15,
    "median CV, same flight same date": 0.15,
    "median CV, one flight across dates": 0.30,  # 0.22 on the twin: a flight's fares move a bit more across dates
    "price quantile 1%": 0.10,
    "price quantile 5%": 0.25,  # 2,900 vs 3,573: the twin's cheapest fares spread lower
    "price quantile 25%": 0.10,
    "price quantile 50%": 0.05,
    "price quantile 75%": 0.10,
    "price quantile 95%": 0.20,
    "price quantile 99%": 0.20,  # ~25k vs 22,270: dear early-March dates make the dearest connections dearer
    **{f"median price {day} March": 0.20 for day in (1, 3, 6, 9, 12, 15, 18, 21, 24, 27)},
    **{f"median price {day}": 0.10 for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")},
    **{f"median price dep {p}": 0.12 for p in ("0-6 h", "6-12 h", "12-18 h", "18-24 h")},
}
ABSOLUTE = {"median rows per flight": 1.0}  # rows: a median of small counts moves in whole steps


def _figures(seed: int) -> pd.Series:
    return price_structure(make_flights(seed=seed)).set_index("figure")["value"]


@pytest.fixture(scope="module", params=[42, 7], ids=["seed42", "seed7"])
def figures(request) -> pd.Series:
    return _figures(request.param)


def test_every_published_figure_has_a_tolerance():
    assert set(TOLERANCES) | set(ABSOLUTE) == set(REAL_PRICE_STRUCTURE)


@pytest.mark.parametrize("name", sorted(TOLERANCES))
def test_calibrated_figure_is_close_to_the_real_file(figures, name):
    real = REAL_PRICE_STRUCTURE[name]
    assert abs(figures[name] / real - 1) <= TOLERANCES[name], f"{name}: twin {figures[name]:.3f}, real {real}"


@pytest.mark.parametrize("name", sorted(ABSOLUTE))
def test_calibrated_count_is_close_to_the_real_file(figures, name):
    assert abs(figures[name] - REAL_PRICE_STRUCTURE[name]) <= ABSOLUTE[name], name


def test_the_old_clean_price_process_fails_the_noise_figures():
    """The calibration tests can fail: the twin before calibration (2.5 % noise, no re-quotes) is too clean."""
    clean = dataclasses.replace(TwinConfig(), noise_sigma=0.04, same_date_share=0.0, requote_step=0.0)
    figures = price_structure(make_flights(seed=42, config=clean)).set_index("figure")["value"]
    for name in ("median CV, same flight same date", "R2 by flight+date"):
        assert abs(figures[name] / REAL_PRICE_STRUCTURE[name] - 1) > TOLERANCES[name], name


def test_explained_share_on_a_frame_worked_by_hand():
    log_price = pd.Series(np.log([100.0, 100.0, 400.0, 400.0]))
    by_pair = pd.DataFrame({"g": ["a", "a", "b", "b"]})
    assert explained_share(log_price, by_pair) == pytest.approx(1.0)
    by_split = pd.DataFrame({"g": ["a", "b", "a", "b"]})
    assert explained_share(log_price, by_split) == pytest.approx(0.0)


def test_price_structure_counts_the_talks_rows_and_spreads():
    twin = make_flights(600, seed=3)
    table = price_structure(twin)
    assert list(table.columns) == ["figure", "value"] and table["figure"].is_unique
    values = table.set_index("figure")["value"]
    rare = ["Trujet", "Vistara Premium economy", "Jet Airways Business", "Multiple carriers Premium economy",
            "GoAir"]
    assert values["rows"] == len(twin.dropna()[~twin.dropna()["Airline"].isin(rare)])
    assert 0 <= values["R2 by Airline"] <= values["R2 by Airline+Route"] <= values["R2 by flight"] <= 1
    assert values["price quantile 1%"] <= values["price quantile 50%"] <= values["price quantile 99%"]


def test_fidelity_report_puts_the_real_figures_beside_the_data():
    twin = make_flights(800, seed=5)
    report = fidelity_report(twin)
    assert list(report.columns) == ["figure", "this data", "real file", "ratio"]
    real = report.set_index("figure")["real file"]
    assert real["R2 by flight+date"] == 0.966 and real["median CV, same flight same date"] == 0.163
    np.testing.assert_allclose(report["ratio"], report["this data"] / report["real file"])
    lines = format_report(report)
    assert lines[0].split() == ["figure", "this", "data", "real", "file", "ratio"]
    assert any(line.startswith("R2 by flight+date") and "0.966" in line for line in lines)
    assert fidelity_report(twin).equals(report)  # deterministic


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        price_structure([1, 2, 3])
    with pytest.raises(ValueError, match=r"needs flight column\(s\) \['Price'\]"):
        price_structure(make_flights(50, seed=1).drop(columns="Price"))
    only_rare = make_flights(300, seed=1)
    only_rare = only_rare[only_rare["Airline"] == "GoAir"]
    with pytest.raises(ValueError, match="row\\(s\\) left after dropna and the rare-airline filter"):
        price_structure(only_rare)
