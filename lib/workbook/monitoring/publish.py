"""The drift report published: a self-contained HTML page, and metrics plus the page in an MLflow run."""

from __future__ import annotations

import base64
import dataclasses
import io
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from workbook.errors import TrackingError
from workbook.monitoring.plots import plot_drift_heatmap, plot_error_trend
from workbook.monitoring.report import DriftReport
from workbook.render import render_page


def _figure_png(draw: Any, report: DriftReport) -> str:
    """Draw one plot on a fresh figure and return it as base64 PNG; the figure is closed afterwards."""
    fig, ax = plt.subplots(figsize=(9, 5))
    try:
        draw(report, ax=ax)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    finally:
        plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def report_html(report: DriftReport) -> str:
    """A self-contained HTML page: alerts, the model, feature and data tables, the two plots inline."""
    alerts = report.alerts_frame()
    flagged_data = report.data[report.data["flagged"]]
    return render_page(
        "drift_report.html.j2", months=len(report.model), alerts=len(alerts),
        first_alert=report.first_alert_month or "none", psi_max=f"{report.psi_max:.3f}",
        thresholds=str(dataclasses.asdict(report.thresholds)),
        alerts_table=_html_table(alerts) if len(alerts) else "",
        model_table=_html_table(report.model), error_trend_png=_figure_png(plot_error_trend, report),
        heatmap_png=_figure_png(plot_drift_heatmap, report), features_table=_html_table(report.features),
        data_table=_html_table(flagged_data) if len(flagged_data) else "",
    )


def _html_table(frame: pd.DataFrame) -> str:
    """The frame as an HTML table; pandas escapes every value (the page includes this markup as it is)."""
    return frame.to_html(index=False, float_format=lambda v: f"{v:,.4g}", na_rep="", border=0, escape=True,
                         classes="dense")


def month_metrics(report: DriftReport) -> pd.DataFrame:
    """Per month (step = month number): mae, mae_ratio, psi_max, n_flagged_features; NaN where not scored."""
    psi = report.features.groupby("month", sort=False)["psi"].max()
    flagged = report.features.groupby("month", sort=False)["flagged"].sum()
    table = report.model[["month", "MAE", "ratio"]].rename(columns={"MAE": "mae", "ratio": "mae_ratio"})
    table["psi_max"] = table["month"].map(psi).astype(float)
    table["n_flagged_features"] = table["month"].map(flagged).astype(int)
    table.insert(0, "step", np.arange(1, len(table) + 1))
    return table


def log_drift_report(report: DriftReport) -> None:
    """In the active MLflow run: metrics per month (step = month number) and drift_report.html."""
    import mlflow  # here, not at the top: workbook.tracking must import it first (it quiets MLflow for notebooks)

    if mlflow.active_run() is None:
        raise TrackingError("log_drift_report needs an active run: call it inside `with mlflow.start_run():`")
    for row in month_metrics(report).itertuples(index=False):
        values = {"mae": row.mae, "mae_ratio": row.mae_ratio, "psi_max": row.psi_max,
                  "n_flagged_features": row.n_flagged_features}
        mlflow.log_metrics({k: float(v) for k, v in values.items() if pd.notna(v)}, step=int(row.step))
    mlflow.log_text(report_html(report), "drift_report.html")
