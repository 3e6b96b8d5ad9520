"""The monitoring plots: feature drift as a heatmap, monthly error against the baseline, error per group."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from workbook.monitoring.bias import BIAS_COLUMNS
from workbook.monitoring.drift import MONITORED_CATEGORICAL, MONITORED_NUMERIC
from workbook.monitoring.report import DriftReport


def psi_matrix(report: DriftReport) -> pd.DataFrame:
    """PSI as a feature x month table (the text behind the heatmap)."""
    table = report.features.pivot(index="feature", columns="month", values="psi")
    order = [f for f in MONITORED_NUMERIC + MONITORED_CATEGORICAL if f in table.index]
    return table.loc[order, list(pd.unique(report.features["month"]))]


def plot_drift_heatmap(report: DriftReport, ax: plt.Axes | None = None) -> plt.Axes:
    """Feature x month PSI; flagged cells carry a '!' and a frame, months not compared stay blank."""
    psi = psi_matrix(report)
    flagged = report.features.pivot(index="feature", columns="month", values="flagged").reindex_like(psi)
    labels = psi.map(lambda v: "" if pd.isna(v) else f"{v:.2f}") + flagged.map(lambda f: " !" if f else "")
    ax = ax or plt.subplots(figsize=(1.1 * psi.shape[1] + 3, 0.45 * psi.shape[0] + 1.5))[1]
    sns.heatmap(psi.astype(float), annot=labels.to_numpy(), fmt="", cmap="Reds", vmin=0,
                vmax=max(2 * report.thresholds.psi, float(np.nanmax(psi.to_numpy(dtype=float), initial=0))),
                linewidths=0.5, cbar_kws={"label": "PSI"}, ax=ax)
    for (i, j), is_flagged in np.ndenumerate(flagged.fillna(False).to_numpy(dtype=bool)):
        if is_flagged:
            ax.add_patch(plt.Rectangle((j, i), 1, 1, fill=False, edgecolor="black", linewidth=2))
    ax.set_xlabel("production month")
    ax.set_ylabel("feature")
    ax.set_title(f"Feature drift (PSI); '!' = flagged (PSI >= {report.thresholds.psi:g} and "
                 f"p < {report.thresholds.p_value:g})")
    return ax


def plot_error_trend(report: DriftReport, ax: plt.Axes | None = None) -> plt.Axes:
    """Monthly MAE with the baseline and the alert threshold; alert months in red, unscored months marked."""
    table = report.model
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    x = np.arange(len(table))
    baseline = float(table["baseline_mae"].iloc[0])
    limit = baseline * report.thresholds.mae_ratio
    ax.plot(x, table["MAE"], marker="o", color="tab:blue", label="monthly MAE")
    alert = table["alert"].to_numpy(dtype=bool)
    ax.scatter(x[alert], table["MAE"][alert], color="tab:red", s=80, zorder=3, label="model-drift alert")
    ax.axhline(baseline, color="grey", linestyle="--", label=f"baseline ₹{baseline:,.0f}")
    ax.axhline(limit, color="tab:red", linestyle=":", label=f"alert above ₹{limit:,.0f} "
                                                            f"(x{report.thresholds.mae_ratio:g})")
    for position in x[table["MAE"].isna().to_numpy()]:
        ax.annotate("not scored", (position, baseline), textcoords="offset points", xytext=(0, 8),
                    ha="center", fontsize=8, color="tab:red")
    ax.set_xticks(x, table["month"])
    ax.set_xlabel("production month")
    ax.set_ylabel("MAE (₹)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"₹{v:,.0f}"))
    ax.set_ylim(bottom=0)
    ax.set_title("Model error per month once the labels arrive")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_bias(table: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Disparity per group as horizontal bars (flagged red, small groups hatched), lines at 1 and at the ratio."""
    missing = [c for c in BIAS_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"plot_bias expects a bias_table; missing column(s) {missing}")
    metric, ratio, min_count = (table.attrs.get(k) for k in ("metric", "ratio", "min_count"))
    labels = table["group_by"] + ": " + table["group"]
    ax = ax or plt.subplots(figsize=(8, 0.3 * len(table) + 1.5))[1]
    colors = np.where(table["flagged"], "tab:red", "tab:blue")
    bars = ax.barh(np.arange(len(table)), table["disparity"], color=colors)
    if min_count is not None:
        for bar, small in zip(bars, table["count"] < min_count):
            if small:
                bar.set_hatch("//")
                bar.set_alpha(0.5)
    ax.set_yticks(np.arange(len(table)), labels)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=1)
    if ratio is not None:
        ax.axvline(ratio, color="tab:red", linestyle=":", label=f"flag above {ratio:g}")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel(f"disparity: group {metric or 'error'} / overall")
    ax.set_title("Error per group (hatched: too few rows to judge)")
    return ax
