"""The drift report: every production month against the training rows (features, data, model error) and its alerts.

Features are compared on each month's contract-valid rows; a month that breaks the contract is not scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbook import features, models
from workbook.monitoring.data_checks import ReferenceProfile, data_drift_from_profile, model_readable
from workbook.monitoring.drift import empty_feature_table, feature_drift
from workbook.monitoring.thresholds import DEFAULT_THRESHOLDS, Alert, Thresholds
from workbook.values import is_finite_number

MODEL_COLUMNS = ["month", "n_rows", "MAE", "baseline_mae", "ratio", "alert", "note"]


@dataclass
class DriftReport:
    """Feature, data and model drift per month, the alerts they raise and the thresholds used."""

    features: pd.DataFrame  # month x feature: month, feature, kind, test, statistic, p_value, psi, flagged
    data: pd.DataFrame  # month x column: month + DATA_COLUMNS
    model: pd.DataFrame  # per month: MODEL_COLUMNS
    alerts: list[Alert] = field(default_factory=list)  # month order
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def psi_max(self) -> float:
        """The largest PSI of any monitored feature in any month (0.0 when none was computed)."""
        psi = self.features["psi"].dropna()
        return float(psi.max()) if len(psi) else 0.0

    @property
    def first_alert_month(self) -> str | None:
        """The month of the first alert, or None when nothing fired."""
        return self.alerts[0]["month"] if self.alerts else None

    def alerts_frame(self) -> pd.DataFrame:
        """The alerts as a table: month, kind, feature_or_metric."""
        return pd.DataFrame(self.alerts, columns=["month", "kind", "feature_or_metric"])


def month_mae(model: Any, raw_rows: pd.DataFrame) -> float:
    """The model's MAE on the rows it can score (contract-valid, complete, labelled), e.g. a reference_month."""
    if "Price" not in raw_rows.columns:
        raise ValueError("month_mae needs labelled rows: the frame has no 'Price' column")
    rows = raw_rows[model_readable(raw_rows)]
    if rows.empty:
        raise ValueError("month_mae: no row passes the contract with every model input present")
    return rows_mae(model, rows)


def rows_mae(model: Any, rows: pd.DataFrame) -> float:
    """The model's MAE on rows already known to be readable and labelled (no checks)."""
    with models.fitting_context():
        predicted = model.predict(rows[models.RAW_COLUMNS])
    return float(np.mean(np.abs(rows["Price"].to_numpy(dtype=float) - np.asarray(predicted, dtype=float))))


def drift_report(model: Any, train_raw: pd.DataFrame, production: pd.DataFrame, baseline_mae: float,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS) -> DriftReport:
    """Watch every production month against the champion's training rows; collect the alerts in month order.

    Features are compared on each month's contract-valid rows; a month that breaks the contract is not
    scored. `baseline_mae` should be an out-of-time error (see reference_month), not a random split's.
    """
    _check_report_inputs(train_raw, production, baseline_mae, thresholds)
    reference_rows = train_raw[train_raw[models.RAW_COLUMNS].notna().all(axis=1)]
    reference = features.improved_features(reference_rows[models.RAW_COLUMNS])
    profile = ReferenceProfile.of(train_raw)
    feature_tables, data_tables, model_rows, alerts = [], [], [], []
    for month in pd.unique(production["month"]):
        rows = production[production["month"] == month].drop(columns=["month"]).reset_index(drop=True)
        data_table = data_drift_from_profile(profile, rows, thresholds)
        readable = rows[model_readable(rows, contract_passed=not data_table["contract"].str.len().any())]
        current = features.improved_features(readable[models.RAW_COLUMNS]) if len(readable) else readable
        feature_table = (feature_drift(reference, current, thresholds) if len(readable)
                         else empty_feature_table())
        model_row = _model_month(model, rows, readable, data_table, baseline_mae, thresholds)
        feature_tables.append(feature_table.assign(month=month))
        data_tables.append(data_table.assign(month=month))
        model_rows.append({"month": month, **model_row})
        alerts += _month_alerts(month, data_table, feature_table, model_row)
    return DriftReport(
        features=_month_first(pd.concat(feature_tables, ignore_index=True)),
        data=_month_first(pd.concat(data_tables, ignore_index=True)),
        model=pd.DataFrame(model_rows, columns=MODEL_COLUMNS),
        alerts=alerts, thresholds=thresholds)


def _check_report_inputs(train_raw: pd.DataFrame, production: pd.DataFrame, baseline: float,
                         thresholds: Thresholds) -> None:
    for name, frame in (("train_raw", train_raw), ("production", production)):
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            raise ValueError(f"{name} must be a non-empty DataFrame of flight rows")
    missing = [c for c in models.RAW_COLUMNS if c not in train_raw.columns]
    if missing:
        raise ValueError(f"train_raw lacks flight column(s) {missing}")
    if "month" not in production.columns:
        raise ValueError("production needs a 'month' column (see production_months)")
    if not is_finite_number(baseline) or baseline <= 0:
        raise ValueError(f"baseline_mae must be a positive number of rupees, got {baseline!r}")
    if not isinstance(thresholds, Thresholds):
        raise TypeError(f"thresholds must be a monitoring.Thresholds, got {type(thresholds).__name__}")


def _month_first(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["month"] + [c for c in frame.columns if c != "month"]]


def _model_month(model: Any, rows: pd.DataFrame, readable: pd.DataFrame, data_table: pd.DataFrame,
                 baseline: float, thresholds: Thresholds) -> dict:
    """MAE of the month against the baseline; a contract breach or missing labels mean no score."""
    broken = data_table.loc[data_table["kind"].str.contains("contract"), "column"].tolist()
    unscored = {"n_rows": 0, "MAE": np.nan, "baseline_mae": baseline, "ratio": np.nan, "alert": False}
    if broken:
        return unscored | {"note": f"not scored: the batch breaks the contract ({', '.join(broken)})"}
    if "Price" not in rows.columns or readable.empty:
        return unscored | {"note": "not scored: no labelled rows the model can read"}
    mae = rows_mae(model, readable)
    ratio = mae / baseline
    alert = ratio > thresholds.mae_ratio
    skipped = len(rows) - len(readable)
    # Three decimals: 1.2526 printed as 1.25 would read "1.25 > 1.25".
    note = f"MAE {ratio:.3f} x baseline" + (" > " if alert else " <= ") + f"{thresholds.mae_ratio:g}"
    if skipped:
        note += f"; {skipped} incomplete row(s) not scored"
    return {"n_rows": len(readable), "MAE": mae, "baseline_mae": baseline, "ratio": ratio, "alert": bool(alert),
            "note": note}


def _month_alerts(month: str, data_table: pd.DataFrame, feature_table: pd.DataFrame, model_row: dict) -> list[Alert]:
    """The month's alerts in ALERT_KINDS order, columns and features in table order within a kind."""
    found: list[Alert] = []
    for kind in ("contract", "missing_values", "unseen_category"):
        for column in data_table.loc[data_table["kind"].str.contains(kind), "column"]:
            found.append({"month": month, "kind": kind, "feature_or_metric": column})
    for feature in feature_table.loc[feature_table["flagged"], "feature"]:
        found.append({"month": month, "kind": "feature_drift", "feature_or_metric": feature})
    if model_row["alert"]:
        found.append({"month": month, "kind": "model_drift", "feature_or_metric": "MAE"})
    return found
