"""`workbook.projects`: the MLproject's entry points, called in-process against a throwaway store."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from workbook import projects, tracking

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_store):
    uri = f"sqlite:///{new_store(tmp_path / 'mlflow.db')}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    yield uri
    tracking.forget_tracking_state()


def test_outside_mlflow_run_the_notebooks_experiment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    assert not projects.launched_by_mlflow_run()
    assert projects.experiment_for("wine") == "wine"


def test_notes_say_when_mlflow_run_chose_another_store_or_experiment() -> None:
    assert projects.store_notes("sqlite:////x/mlruns/mlflow.db", "wine", "wine") == []
    assert projects.store_notes("http://127.0.0.1:5000", "wine", "wine") == []
    default_store, other_experiment = projects.store_notes("sqlite:////home/me/workbook/mlflow.db", "Default",
                                                           "wine")
    assert "MLFLOW_TRACKING_URI=sqlite:///mlruns/mlflow.db mlflow run" in default_store
    assert other_experiment == "logged to experiment 'Default'; notebook 05 logs to 'wine' (add --experiment-name wine)"


def test_the_wine_entry_point_logs_the_talks_run(store: str) -> None:
    run = projects.train_wine(0.5, 0.5)
    assert run.metrics == {"rmse": 0.7932, "mae": 0.6272, "r2": 0.1086} and run.experiment == "wine"
    logged = MlflowClient(store).get_run(run.run_id)
    assert logged.data.params == {"alpha": "0.5", "l1_ratio": "0.5"} and run.notes == []


def test_the_wine_entry_point_refuses_a_bad_value_in_one_line(store: str) -> None:
    with pytest.raises(projects.EntryPointError, match=r"^l1_ratio must be a number from 0 to 1, got 1.5$"):
        projects.train_wine(0.5, 1.5)


def test_the_flights_entry_point_logs_a_notebook_05_run_with_its_model(store: str) -> None:
    run = projects.train_flights("tree", n_rows=1_500, random_state=7)
    assert run.experiment == "05_mlflow_tracking"
    assert set(run.metrics) == {"MAE", "RMSE", "R2", "MAPE", "cv_MAE", "cv_MAE_std"}
    logged = MlflowClient(store).get_run(run.run_id)
    assert logged.info.run_name == "tree" and "learning_rate" not in logged.data.params  # a tree has none
    assert logged.data.tags["workbook.notebook"] == "05_mlflow_tracking"
    assert logged.data.tags["workbook.entry_point"] == "flights"
    assert logged.outputs.model_outputs  # the model is logged with the run, ready to register
