"""End-to-end: the MLproject's entry points through `mlflow run`, as the README shows them, offline.

The store is a SQLite file in tmp_path, prepared as the notebooks leave theirs (the `wine` experiment exists),
so the run lands where notebook 05's wine demo does and nothing touches the user's mlruns/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from workbook import models, tracking
from workbook.paths import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")]


def environment(uri: str) -> dict[str, str]:
    """The workbook's environment, active (its bin/ first on PATH, as `source .venv/bin/activate` does)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "MLFLOW_TRACKING_URI": uri, "PATH": path}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, new_store) -> str:
    """A store with the `wine` and `05_mlflow_tracking` experiments, as notebook 05 leaves the project's."""
    uri = f"sqlite:///{new_store(tmp_path_factory.mktemp('mlproject') / 'mlruns' / 'mlflow.db')}"
    for experiment in ("wine", "05_mlflow_tracking"):
        tracking.setup_tracking(experiment, uri)
    tracking.forget_tracking_state()
    return uri


def test_mlflow_run_of_the_wine_entry_point_logs_the_demo_into_the_notebooks_experiment(store: str,
                                                                                        tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "mlflow"), "run", str(PROJECT_ROOT), "-e", "wine",
               "-P", "alpha=0.3", "-P", "l1_ratio=0.7", "--env-manager", "local", "--experiment-name", "wine"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=environment(store), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rmse 0.7747  mae 0.608  r2 0.1496" in done.stdout
    assert "note:" not in done.stderr  # the notebooks' store and experiment: nothing to warn about
    client = MlflowClient(store)
    (run,) = client.search_runs([client.get_experiment_by_name("wine").experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "elasticnet-a0.3-l0.7"
    assert run.data.params == {"alpha": "0.3", "l1_ratio": "0.7"}
    assert {k: round(v, 4) for k, v in run.data.metrics.items()} == {"rmse": 0.7747, "mae": 0.608, "r2": 0.1496}
    assert run.data.tags["mlflow.project.entryPoint"] == "wine"  # MLflow's own run, not a second one
    assert run.data.tags["workbook.data_source"] == "winequality-red.csv"


def test_mlflow_run_of_the_flights_entry_point_logs_a_flight_model_beside_notebook_05s(store: str,
                                                                                       tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "mlflow"), "run", str(PROJECT_ROOT), "-e", "flights",
               "-P", "learning_rate=0.2", "-P", "n_rows=1500", "--env-manager", "local",
               "--experiment-name", "05_mlflow_tracking"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=environment(store), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "note:" not in done.stderr
    client = MlflowClient(store)
    experiment = client.get_experiment_by_name("05_mlflow_tracking")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "hist_gradient_boosting-lr0.2"
    assert run.data.tags["mlflow.project.entryPoint"] == "flights"
    assert {k: run.data.params[k] for k in ("model_name", "learning_rate", "n_rows")} == {
        "model_name": "hist_gradient_boosting", "learning_rate": "0.2", "n_rows": "1500"}
    assert set(run.data.metrics) == {"MAE", "RMSE", "R2", "MAPE", "cv_MAE", "cv_MAE_std"}
    assert 0.5 < run.data.metrics["R2"] <= 1 and run.data.metrics["MAE"] > 0
    logged = client.search_logged_models(experiment_ids=[experiment.experiment_id])
    assert [model.source_run_id for model in logged] == [run.info.run_id]  # the model, in MLflow's own run


def test_the_entry_points_command_alone_gives_the_talks_numbers_in_the_wine_experiment(store: str) -> None:
    done = subprocess.run([sys.executable, "-m", "workbook.cli", "train-wine"], capture_output=True, text=True,
                          timeout=300, env=environment(store), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("rmse 0.7932  mae 0.6272  r2 0.1086\nrun ")
    assert "in experiment 'wine' at " in done.stdout


def test_a_bad_parameter_ends_in_one_line(store: str) -> None:
    done = subprocess.run([sys.executable, "-m", "workbook.cli", "train-flights", "--model-name", "forest"],
                          capture_output=True, text=True, timeout=300, env=environment(store), check=False)
    assert done.returncode == 1
    assert done.stderr == f"error: unknown model 'forest'; known models: {', '.join(models.MODEL_NAMES)}\n"
