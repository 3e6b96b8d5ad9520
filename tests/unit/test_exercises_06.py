"""Tests for the exercise checks of notebook 06: right answers, known slips, wrong answers, no answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from feedback_asserts import assert_status

from workbook import exercises as ex
from workbook.exercises import model_answers as ex_answers
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


def test_departure_periods_start_on_the_hour():
    times = pd.Series(["00:00", "05:59", "06:00", "11:59", "12:00", "17:59", "18:00", "23:59"])
    assert ex_answers.departure_period(times).tolist() == ["night", "night", "morning", "morning", "afternoon",
                                                           "afternoon", "evening", "evening"]


def _flights_by_period() -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """40 test flights a period: night is 20 % off, evening 10 % off on dear fares (the most rupees), the rest 5 %."""
    fares = {"02:10": (4_000, 1.20), "06:00": (5_000, 1.05), "13:25": (6_000, 0.95), "19:45": (20_000, 1.10)}
    rows = pd.DataFrame({"Dep_Time": [t for t in fares for _ in range(40)],
                         "Airline": ["IndiGo", "Vistara"] * 80}, index=range(100, 260))
    y_true = pd.Series([fares[t][0] for t in rows["Dep_Time"]], index=rows.index, dtype=float)
    y_pred = np.array([fare * factor for fare, factor in (fares[t] for t in rows["Dep_Time"])])
    return rows, y_true, y_pred


def test_check_departure_disparity_computes_the_periods_from_the_rows():
    rows, y_true, y_pred = _flights_by_period()
    assert_status(ex.check_departure_disparity(None, rows, y_true, y_pred), ex.NOT_ANSWERED, "pd.cut")
    assert_status(ex.check_departure_disparity("Night", rows, y_true, y_pred), ex.CORRECT, "night: MAPE 0.200",
                  "2.00x", "40 flights", "so flagged")
    assert_status(ex.check_departure_disparity("evening", rows, y_true, y_pred), ex.CLOSE, "in rupees", "MAPE")
    assert_status(ex.check_departure_disparity("morning", rows, y_true, y_pred), ex.INCORRECT, "0.50",
                  "not the largest")
    assert_status(ex.check_departure_disparity("Vistara", rows, y_true, y_pred), ex.INCORRECT, "an airline")
    assert_status(ex.check_departure_disparity("dawn", rows, y_true, y_pred), ex.INCORRECT, "not a period",
                  "night, morning, afternoon, evening")


def test_check_departure_disparity_leaves_out_periods_too_small_to_trust():
    rows, y_true, y_pred = _flights_by_period()
    few = rows.index[:30]  # 10 night flights are left: too few to be the answer
    rows, y_true, y_pred = rows.drop(few), y_true.drop(few), y_pred[30:]
    assert_status(ex.check_departure_disparity("evening", rows, y_true, y_pred), ex.CORRECT, "evening")
    assert_status(ex.check_departure_disparity("night", rows, y_true, y_pred), ex.CLOSE, "fewer than 30")


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


def test_check_new_category_alerts_names_a_frame_of_months_passed_for_the_report():
    months = pd.DataFrame({"month": ["2019-09"], "Airline": ["Akasa Air"], "Price": [5000]})
    assert_status(ex.check_new_category_alerts(["feature_drift"], months), ex.INCORRECT, "a frame of months",
                  "report_new itself")
    alerts = pd.DataFrame({"month": ["2019-09"], "kind": ["feature_drift"], "feature_or_metric": ["Airline"]})
    assert_status(ex.check_new_category_alerts(["feature_drift"], alerts), ex.INCORRECT, "the alerts table")
