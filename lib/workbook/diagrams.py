"""Figures drawn in code for notebook 01: the ML lifecycle, the MLOps framework, AI ⊃ ML ⊃ DL, hidden debt.

Each figure also has its content as plain data (a list or a table), so a notebook can print a deterministic
text version beside the picture and a test can check the content without looking at pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Rectangle

PHASES = ["build", "deploy", "monitor"]
LAYERS = ["data", "code", "artifacts", "middleware", "infrastructure"]

# One colour per phase, reused by every figure so "build" always looks the same.
PHASE_COLOURS = {"build": "#4C72B0", "deploy": "#DD8452", "monitor": "#55A868"}


@dataclass(frozen=True)
class LifecycleStage:
    """One step of the ML lifecycle, the MLOps phase it belongs to and the notebook that covers it."""

    name: str
    phase: str
    notebook: str


LIFECYCLE: list[LifecycleStage] = [
    LifecycleStage("Business problem", "build", "01"),
    LifecycleStage("Data collection\n& ingestion", "build", "02"),
    LifecycleStage("Data preparation\n& EDA", "build", "02"),
    LifecycleStage("Feature\nengineering", "build", "03"),
    LifecycleStage("Model training\n& evaluation", "build", "04"),
    LifecycleStage("Tracking\n& registry", "deploy", "05"),
    LifecycleStage("Deployment\n& serving", "deploy", "05"),
    LifecycleStage("Monitoring\n(drift, bias)", "monitor", "06"),
]

# The talk's MLOps framework: what each layer needs in each phase (short enough to fit in a grid cell).
MLOPS_FRAMEWORK: dict[str, dict[str, str]] = {
    "data": {
        "build": "ingest, validate,\nmask PII, version",
        "deploy": "same contract and\npreprocessing at inference",
        "monitor": "input drift,\ndata quality",
    },
    "code": {
        "build": "feature + training\ncode, unit tests, git",
        "deploy": "packaging, CI/CD,\nserving API",
        "monitor": "errors, logs,\nlatency",
    },
    "artifacts": {
        "build": "models, metrics,\nexperiment runs",
        "deploy": "model registry,\nversions + aliases",
        "monitor": "performance, bias,\nexplanations",
    },
    "middleware": {
        "build": "experiment tracking\n(MLflow), pipelines",
        "deploy": "model server (REST),\ncontainers",
        "monitor": "alerts,\ndashboards",
    },
    "infrastructure": {
        "build": "notebooks, training\ncompute (CPU/GPU)",
        "deploy": "servers or cloud,\nscaling",
        "monitor": "resource use,\ncost, uptime",
    },
}

# After Sculley et al. (2015), Fig. 1: box sizes are illustrative, not measured.
# (label, x, y, width, height) on a 12 x 7 canvas; "ML Code" is deliberately the small box in the middle.
HIDDEN_DEBT_BOXES: list[tuple[str, float, float, float, float]] = [
    ("Configuration", 0.0, 5.0, 12.0, 2.0),
    ("Data Collection", 0.0, 0.0, 3.0, 5.0),
    ("Data\nVerification", 3.0, 0.0, 2.5, 2.2),
    ("Feature\nExtraction", 3.0, 2.2, 2.5, 2.8),
    ("ML\nCode", 5.5, 2.2, 1.0, 1.0),
    ("Machine Resource\nManagement", 5.5, 3.2, 3.0, 1.8),
    ("Analysis Tools", 5.5, 0.0, 3.0, 2.2),
    ("Process\nManagement Tools", 6.5, 2.2, 2.0, 1.0),
    ("Serving\nInfrastructure", 8.5, 2.2, 3.5, 2.8),
    ("Monitoring", 8.5, 0.0, 3.5, 2.2),
]


def lifecycle_table() -> pd.DataFrame:
    """The lifecycle stages as a table (stage, MLOps phase, workbook notebook), in order."""
    return pd.DataFrame(
        {
            "stage": [s.name.replace("\n", " ") for s in LIFECYCLE],
            "phase": [s.phase for s in LIFECYCLE],
            "notebook": [s.notebook for s in LIFECYCLE],
        },
        index=pd.RangeIndex(1, len(LIFECYCLE) + 1, name="step"),
    )


def framework_table() -> pd.DataFrame:
    """The MLOps framework grid as a table: one row per layer, one column per phase."""
    table = pd.DataFrame(
        {phase: [MLOPS_FRAMEWORK[layer][phase].replace("\n", " ") for layer in LAYERS] for phase in PHASES},
        index=pd.Index(LAYERS, name="layer"),
    )
    return table


def lifecycle_figure() -> Figure:
    """The ML lifecycle as a loop of stages coloured by MLOps phase, each labelled with its notebook."""
    fig, ax = plt.subplots(figsize=(9, 7))
    n = len(LIFECYCLE)
    radius, arrow_radius = 3.1, 2.05
    step = 2 * math.pi / n
    # Start at the top and go clockwise, like a clock face, so the loop reads naturally.
    angles = [math.pi / 2 - step * i for i in range(n)]
    for stage, angle in zip(LIFECYCLE, angles):
        x, y = radius * math.cos(angle), radius * math.sin(angle)
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.95, y - 0.42), 1.9, 0.84, boxstyle="round,pad=0.05",
                facecolor=PHASE_COLOURS[stage.phase], alpha=0.9, edgecolor="white",
            )
        )
        ax.text(x, y + 0.06, stage.name, ha="center", va="center", color="white", fontsize=9, weight="bold")
        ax.text(x, y - 0.32, f"notebook {stage.notebook}", ha="center", va="center", color="white", fontsize=7)
        # The arrows form an inner ring, so they never cross a box.
        ax.add_patch(_ring_arrow(angle - 0.12, angle - step + 0.12, arrow_radius))
    ax.text(0, 0.25, "ML lifecycle", ha="center", va="center", fontsize=15, weight="bold")
    ax.text(0, -0.35, "monitoring feeds back\ninto new data and retraining", ha="center", va="center", fontsize=9)
    _phase_legend(ax)
    ax.set_xlim(-4.3, 4.3)
    ax.set_ylim(-4.0, 4.0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("The ML lifecycle: a loop, not a line", fontsize=13)
    fig.tight_layout()
    return fig


def framework_figure() -> Figure:
    """The talk's MLOps framework: phases (build, deploy, monitor) across, layers down, duties in each cell."""
    fig, ax = plt.subplots(figsize=(11, 6.5))
    cell_w, cell_h, label_w = 3.0, 1.0, 1.8
    for col, phase in enumerate(PHASES):
        x = label_w + col * cell_w
        ax.add_patch(Rectangle((x, len(LAYERS) * cell_h), cell_w, 0.6, facecolor=PHASE_COLOURS[phase]))
        ax.text(x + cell_w / 2, len(LAYERS) * cell_h + 0.3, phase.upper(), ha="center", va="center",
                color="white", weight="bold", fontsize=12)
    for row, layer in enumerate(LAYERS):
        y = (len(LAYERS) - 1 - row) * cell_h  # first layer at the top
        ax.add_patch(Rectangle((0, y), label_w, cell_h, facecolor="#E5E5E5", edgecolor="white"))
        ax.text(label_w / 2, y + cell_h / 2, layer, ha="center", va="center", weight="bold", fontsize=10)
        for col, phase in enumerate(PHASES):
            x = label_w + col * cell_w
            ax.add_patch(Rectangle((x, y), cell_w, cell_h, facecolor=PHASE_COLOURS[phase], alpha=0.15,
                                   edgecolor="white", linewidth=2))
            ax.text(x + cell_w / 2, y + cell_h / 2, MLOPS_FRAMEWORK[layer][phase], ha="center", va="center",
                    fontsize=9)
    ax.set_xlim(0, label_w + len(PHASES) * cell_w)
    ax.set_ylim(0, len(LAYERS) * cell_h + 0.6)
    ax.axis("off")
    ax.set_title("The MLOps framework: three phases × five layers", fontsize=13)
    fig.tight_layout()
    return fig


def ai_ml_dl_figure() -> Figure:
    """AI ⊃ ML ⊃ DL as nested ellipses, each with a one-line definition and an example."""
    fig, ax = plt.subplots(figsize=(8, 6))
    # (name, definition + example, width, height, colour, y of the name); the ellipses share their bottom
    # edge so each smaller set sits inside the larger one, and each name sits in its own visible band.
    sets = [
        ("Artificial intelligence", "machines doing tasks that seem to need intelligence\n"
         "e.g. a rule-based chess engine, a route planner", 9.0, 6.6, "#C7D7EE", 2.55),
        ("Machine learning", "rules learned from data instead of written by hand\n"
         "e.g. a fare-price regressor, k-means segments", 6.6, 4.6, "#8FB1DC", 0.75),
        ("Deep learning", "many-layered neural networks\ne.g. image or speech models, LLMs", 3.8, 2.3,
         "#4C72B0", -1.75),
    ]
    for name, text, width, height, colour, label_y in sets:
        centre_y = (height - 6.6) / 2
        ax.add_patch(Ellipse((0, centre_y), width, height, facecolor=colour, edgecolor="white", linewidth=2))
        ink = "white" if colour == "#4C72B0" else "black"
        ax.text(0, label_y, name, ha="center", va="center", weight="bold", fontsize=12, color=ink)
        ax.text(0, label_y - 0.6, text, ha="center", va="center", fontsize=8.5, color=ink)
    ax.set_xlim(-4.8, 4.8)
    ax.set_ylim(-3.5, 3.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("AI ⊃ ML ⊃ DL: every deep-learning model is ML, every ML system is AI", fontsize=12)
    fig.tight_layout()
    return fig


def hidden_debt_figure() -> Figure:
    """After Sculley et al. (2015), Fig. 1: the ML code is a small box among the systems around it."""
    fig, ax = plt.subplots(figsize=(10, 6))
    for label, x, y, w, h in HIDDEN_DEBT_BOXES:
        is_ml = label.startswith("ML")
        ax.add_patch(Rectangle((x, y), w, h, facecolor="#C44E52" if is_ml else "#E5E5E5", edgecolor="white",
                               linewidth=3))
        ax.text(x + w / 2, y + h / 2, label, ha="center", va="center", fontsize=10 if not is_ml else 9,
                weight="bold" if is_ml else "normal", color="white" if is_ml else "black")
    ax.set_xlim(0, 12)
    ax.set_ylim(0, 7)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("Only a small fraction of a real ML system is ML code\n"
                 "(after Sculley et al., 2015, Fig. 1; box sizes illustrative)", fontsize=12)
    fig.tight_layout()
    return fig


def _ring_arrow(from_angle: float, to_angle: float, radius: float) -> FancyArrowPatch:
    """A clockwise arc-shaped arrow on a circle of `radius`, from one angle (radians) to another."""
    start = (radius * math.cos(from_angle), radius * math.sin(from_angle))
    end = (radius * math.cos(to_angle), radius * math.sin(to_angle))
    # rad = -tan(quarter of the swept angle) makes the curve follow the circle for a clockwise sweep.
    bend = -math.tan((from_angle - to_angle) / 4)
    return FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, color="#555555",
                           connectionstyle=f"arc3,rad={bend:.3f}", linewidth=1.5)


def _phase_legend(ax: plt.Axes) -> None:
    """A legend with one coloured patch per MLOps phase."""
    handles = [Rectangle((0, 0), 1, 1, facecolor=PHASE_COLOURS[p]) for p in PHASES]
    ax.legend(handles, PHASES, loc="lower right", title="MLOps phase", frameon=False, fontsize=9)
