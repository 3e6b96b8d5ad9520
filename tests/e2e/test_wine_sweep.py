"""End-to-end: a sweep of notebook 07 runs the talk's demo and nothing else (issue 16, part 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")]


def test_a_sweep_of_07_logs_one_demo_run_per_point_and_nothing_else(tmp_path: Path, new_store) -> None:
    store, out = new_store(tmp_path / "mlflow.db"), tmp_path / "sweep"  # a store of its own: nothing else in it
    command = [sys.executable, "-m", "workbook.cli", "sweep", "07", "--grid", "alpha=0.01,0.5", "--workers", "2",
               "--metric", "wine_rmse", "--out", str(out), "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store}"})
    assert done.returncode == 0, done.stderr[-2000:]
    summary = pd.read_csv(out / "summary.csv").set_index("params.alpha")
    assert summary.loc[0.5, "metrics.wine_rmse"] == 0.7932  # the talk's run
    assert summary.loc[0.01, "metrics.wine_rmse"] < 0.70  # a weaker penalty does better (section 4)
    client = MlflowClient(f"sqlite:///{store}")
    experiments = {e.name: e.experiment_id for e in client.search_experiments()}
    assert set(experiments) <= {"Default", "wine", "sweeps"}  # no flight models, no registry, no serving
    demo_runs = client.search_runs([experiments["wine"]])
    assert sorted(run.info.run_name for run in demo_runs) == ["elasticnet-a0.01-l0.5", "elasticnet-a0.5-l0.5"]
    assert all(run.data.tags.get("workbook.point_key") for run in demo_runs)  # found again by a resumed sweep
    assert client.search_registered_models() == []
