"""Tests for the exercise checks of notebook 06: right answers, known slips, wrong answers, no answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from feedback_asserts import assert_status

from workbook import exercises as ex
from workbook.monitoring import DriftReport, population_stability_index


def _report(alerts: list[dict]) -> DriftReport:
    months = ["2019-07", "2019-08", "2019-09"]
    return DriftReport(features=pd.DataFrame({"psi": [0.1]}), data=pd.DataFrame(),
                       model=pd.DataFrame({"month": months}), alerts=alerts)


def test_check_first_alert_month():
    report = _report([{"month": "2019-08", "kind": "model_drift", "feature_or_metric": "MAE"},
                      {"month": "2019-09", "kind": "contract", "feature_or_metric": "Date_of_Journey"}])
    assert_status(ex.check_first_alert_month(None, report), ex.NOT_ANSWERED, "alerts_frame")
    assert_status(ex.check_first_alert_month("2019-08", report), ex.CORRECT, "model_drift")
    assert_status(ex.check_first_alert_month(2, report), ex.CLOSE, "month label")
    assert_status(ex.check_first_alert_month("2019-09", report), ex.INCORRECT, "not the first")
    assert_status(ex.check_first_alert_month("2020-01", report), ex.INCORRECT, "not one of")
    quiet = _report([])
    assert_status(ex.check_first_alert_month("none", quiet), ex.CORRECT, "nothing fired")
    assert_status(ex.check_first_alert_month("2019-07", quiet), ex.INCORRECT, "no alert")


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
