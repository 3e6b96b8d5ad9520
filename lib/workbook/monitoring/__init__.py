"""Monitoring a deployed fare model (notebook 06): production months with drift scenarios, drift statistics,
the drift report, closing the loop (retrain, compare, promote) and error per group (bias).

- production: later months of traffic, clean or with a named scenario from month `onset` on;
- drift: PSI and the KS / chi-square tests, one row per monitored feature;
- data_checks: missing values, unseen categories and the loader's contract per file column;
- report: every month against the training rows, with its alerts (DriftReport);
- plots, publish: the report's plots, its HTML page and its MLflow metrics;
- retrain: the champion's recipe, a challenger on recent months, promotion only when better;
- bias: error per group (airline, market, stops).
"""

from workbook.monitoring.bias import BIAS_COLUMNS, BiasMetric, bias_by_month, bias_groups, bias_table, month_bias
from workbook.monitoring.data_checks import TABLE_LABEL, data_drift, labelled_rows
from workbook.monitoring.drift import (
    MONITORED_CATEGORICAL,
    MONITORED_NUMERIC,
    PSI_EPSILON,
    TIME_FEATURES,
    chi_square_test,
    feature_drift,
    ks_test,
    population_stability_index,
)
from workbook.monitoring.plots import plot_bias, plot_drift_heatmap, plot_error_trend
from workbook.monitoring.production import (
    EXPECTED_ALERTS,
    FIRST_PRODUCTION_MONTH,
    NEW_AIRLINE,
    OUT_OF_SCOPE_AIRLINES,
    SCENARIOS,
    Scenario,
    production_from_months,
    production_months,
    reference_month,
)
from workbook.monitoring.publish import log_drift_report, month_metrics, report_html
from workbook.monitoring.report import DriftReport, drift_report, month_mae
from workbook.monitoring.retrain import (
    CHALLENGER_MODEL,
    LoopOutcome,
    close_the_loop,
    load_or_train_champion,
    recipe_params,
    retrain_challenger,
    train_champion,
)
from workbook.monitoring.thresholds import ALERT_KINDS, Alert, AlertKind, Thresholds

__all__ = [
    "ALERT_KINDS", "BIAS_COLUMNS", "CHALLENGER_MODEL", "EXPECTED_ALERTS", "FIRST_PRODUCTION_MONTH",
    "MONITORED_CATEGORICAL", "MONITORED_NUMERIC", "NEW_AIRLINE", "OUT_OF_SCOPE_AIRLINES", "PSI_EPSILON",
    "SCENARIOS", "TABLE_LABEL", "TIME_FEATURES",
    "Alert", "AlertKind", "BiasMetric", "DriftReport", "LoopOutcome", "Scenario", "Thresholds",
    "bias_by_month", "bias_groups", "bias_table", "chi_square_test", "close_the_loop", "data_drift", "drift_report",
    "feature_drift", "ks_test", "labelled_rows", "load_or_train_champion", "log_drift_report", "month_bias",
    "month_mae", "month_metrics", "plot_bias", "plot_drift_heatmap", "plot_error_trend",
    "population_stability_index", "production_from_months", "production_months", "recipe_params",
    "reference_month", "report_html", "retrain_challenger", "train_champion",
]
