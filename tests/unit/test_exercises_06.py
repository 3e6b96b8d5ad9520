"""Tests for the exercise checks of notebook 06: right answers, known slips, wrong answers, no answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from feedback_asserts import assert_status

from workbook import exercises as ex
from workbook.monitoring import DriftReport, population_stability_index


def test_check_psi_computes_the_truth_from_the_data():
    reference = pd.Series(["a"] * 50 + ["b"] * 50)
    current = pd.Series(["a"] * 80 + ["b"] * 20)
    by_hand = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert abs(population_stability_index(reference, current, categorical=True) - by_hand) < 1e-3
    assert_status(ex.check_psi(None, reference, current), ex.NOT_ANSWERED, "ln(q / p)")
    assert_status(ex.check_psi(round(by_hand, 3), reference, current), ex.CORRECT, "PSI 0.416")
    assert_status(ex.check_psi(0.3, reference, current), ex.INCORRECT, "shares")
    assert_status(ex.check_psi("big", reference, current), ex.INCORRECT, "expected a number")


def test_check_most_disparate_group_ignores_groups_too_small_to_trust():
    bias = pd.DataFrame({
        "group_by": ["Airline"] * 3, "group": ["Vistara", "Trujet", "IndiGo"],
        "count": [400, 3, 900], "MAE": [700, 2000, 400], "MAPE": [0.09, 0.3, 0.05],
        "disparity": [1.5, 5.0, 0.8], "flagged": [True, False, False],
    })
    bias.attrs.update({"metric": "MAPE", "min_count": 30})
    assert_status(ex.check_most_disparate_group(None, bias), ex.NOT_ANSWERED, "min_count")
    assert_status(ex.check_most_disparate_group("vistara", bias), ex.CORRECT, "1.50x", "400 rows")
    assert_status(ex.check_most_disparate_group("Trujet", bias), ex.CLOSE, "fewer than 30 rows")
    assert_status(ex.check_most_disparate_group("IndiGo", bias), ex.INCORRECT, "largest disparity")
    assert_status(ex.check_most_disparate_group("Air Asia", bias), ex.INCORRECT, "not a group")


def _new_category_report(alerts: list[dict], unseen: int = 75) -> DriftReport:
    data = pd.DataFrame({"month": ["2019-08", "2019-09"], "column": ["Airline", "Airline"], "n_unseen": [0, unseen]})
    return DriftReport(features=pd.DataFrame({"psi": [0.1]}), data=data,
                       model=pd.DataFrame({"month": ["2019-08", "2019-09"]}), alerts=alerts)


def test_check_new_category_alerts():
    fired = [{"month": "2019-09", "kind": kind, "feature_or_metric": "Airline"}
             for kind in ("unseen_category", "feature_drift")]
    report = _new_category_report(fired + [{"month": "2019-10", "kind": "model_drift", "feature_or_metric": "MAE"}])
    assert_status(ex.check_new_category_alerts(None, report), ex.NOT_ANSWERED, "new_category")
    assert_status(ex.check_new_category_alerts(["feature_drift"], None), ex.NOT_ANSWERED, "drift_report")
    assert_status(ex.check_new_category_alerts(["Unseen category", "feature-drift"], report), ex.CORRECT, "by name")
    assert_status(ex.check_new_category_alerts("feature_drift", report), ex.CLOSE, "unseen_category")
    # model drift fired, but a month later: not in the first alert month.
    assert_status(ex.check_new_category_alerts(["unseen_category", "feature_drift", "model_drift"], report),
                  ex.INCORRECT, "did not fire in 2019-09")
    assert_status(ex.check_new_category_alerts(["price_drift"], report), ex.INCORRECT, "not alert kinds")
    assert_status(ex.check_new_category_alerts([], report), ex.INCORRECT, "a list of names")
    assert_status(ex.check_new_category_alerts(3, report), ex.INCORRECT, "a list of names")
    # The notebook's own months (no unseen airline) are not the scenario the exercise asks for.
    assert_status(ex.check_new_category_alerts(["feature_drift"], _new_category_report(fired, unseen=0)),
                  ex.INCORRECT, "never saw")
