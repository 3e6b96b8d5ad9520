"""check_mlflow_challenger against throw-away SQLite stores: one test per missing piece, one when all is there."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from feedback_asserts import assert_status
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.linear_model import Ridge

from workbook import exercises as ex
from workbook import tracking

NAME = "flights"
REQUIREMENTS = ["scikit-learn"]  # named, so MLflow does not infer them in a subprocess (seconds per model)


@pytest.fixture(autouse=True)
def store(tmp_path, new_store, monkeypatch) -> str:
    """The test's own store (a copy of the session's empty one), named by MLFLOW_TRACKING_URI as a learner's or
    nbval's would be."""
    db = new_store(tmp_path / "store" / "mlflow.db")
    uri = f"sqlite:///{db.as_posix()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr("workbook.paths.DEFAULT_DB", tmp_path / "default-store" / "mlflow.db")
    tracking.setup_tracking("exercise", uri)
    yield uri
    tracking.forget_tracking_state()


@pytest.fixture(scope="module")
def fitted() -> tuple[Ridge, pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"duration_min": rng.normal(300, 60, 30), "stops": rng.integers(0, 3, 30).astype(float)})
    y = pd.Series(5000 + 10 * X["duration_min"] + 2000 * X["stops"], name="Price")
    return Ridge().fit(X, y), X, y


def _log(fitted, *, dataset: bool = True, signature: bool = True, example: bool = True, cv_mae: bool = True) -> str:
    """Log the model in a new run with the pieces asked for; return its model URI."""
    model, X, y = fitted
    with mlflow.start_run():
        if cv_mae:
            mlflow.log_metric("cv_MAE", 812.5)
        if dataset:
            tracking.log_dataset(X.assign(Price=y), "flights-train", "test rows", targets="Price")
        info = mlflow.sklearn.log_model(
            model, name="model", input_example=X.head(3) if example else None,
            signature=infer_signature(X, model.predict(X)) if signature else False,
            pip_requirements=REQUIREMENTS)
    return info.model_uri


def _challenger(fitted, **pieces: bool) -> int:
    """Register a newly logged model and alias it `challenger`; return its version."""
    version = tracking.register_model(_log(fitted, **pieces), NAME)
    tracking.set_alias(NAME, "challenger", version)
    return version


def _champion(fitted) -> int:
    version = tracking.register_model(_log(fitted), NAME)
    tracking.set_alias(NAME, "champion", version)
    return version


def test_a_complete_challenger_is_correct_and_names_no_version(fitted):
    _champion(fitted)
    version = _challenger(fitted)
    feedback = ex.check_mlflow_challenger(version=version)
    assert_status(feedback, ex.CORRECT, "flights@challenger", "cv_MAE", "signature", "input example", "dataset input")
    assert str(version) not in feedback.message  # the correct message is the same in every store
    assert ex.check_mlflow_challenger().correct  # without the version too


def test_a_store_without_a_database_is_not_answered(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{(tmp_path / 'nothing' / 'mlflow.db').as_posix()}")
    assert_status(ex.check_mlflow_challenger(), ex.NOT_ANSWERED, "no database yet")
    assert not (tmp_path / "nothing").exists()  # the check only reads: it creates no store


def test_no_registered_model_names_the_models_there_are(fitted):
    assert_status(ex.check_mlflow_challenger(), ex.NOT_ANSWERED, "no registered model 'flights'", "(it has none)")
    tracking.register_model(_log(fitted), "Flights-typo")
    assert_status(ex.check_mlflow_challenger(), ex.NOT_ANSWERED, "(it has: Flights-typo)", "register_model")


def test_missing_alias_lists_the_aliases_there_are(fitted):
    _champion(fitted)
    assert_status(ex.check_mlflow_challenger(), ex.NOT_ANSWERED, "no alias 'challenger'", "(its aliases: champion)",
                   "set_registered_model_alias")


def test_alias_on_the_champions_version_is_not_a_challenger(fitted):
    version = _champion(fitted)
    tracking.set_alias(NAME, "challenger", version)
    assert_status(ex.check_mlflow_challenger(), ex.INCORRECT, f"version {version} is also @champion")


def test_a_version_the_notebook_logged_is_not_the_learners(fitted):
    """The notebook's own tree, aliased challenger, is complete but not a model of the learner's."""
    version = _challenger(fitted)
    run_id = mlflow.MlflowClient().get_model_version(NAME, str(version)).run_id
    assert_status(ex.check_mlflow_challenger(version=version, notebook_runs=[run_id]), ex.INCORRECT,
                  "one of this notebook's own runs", "of your own")
    assert ex.check_mlflow_challenger(version=version, notebook_runs=["0" * 32]).correct


def test_a_version_object_for_its_number_is_named(fitted):
    version = _challenger(fitted)
    registered = mlflow.MlflowClient().get_model_version(NAME, str(version))
    feedback = ex.check_mlflow_challenger(version=registered)
    assert_status(feedback, ex.INCORRECT, "got a ModelVersion", ".version")
    assert registered.run_id not in feedback.message  # not the object's whole repr


def test_alias_on_another_version_than_the_learners(fitted):
    mine = _challenger(fitted)
    other = tracking.register_model(_log(fitted), NAME)
    assert_status(ex.check_mlflow_challenger(version=other), ex.INCORRECT,
                   f"points at version {mine}, not at version {other}")
    assert ex.check_mlflow_challenger(version=mine).correct


def test_a_version_without_a_run(fitted, tmp_path):
    model, X, _ = fitted
    saved = tmp_path / "saved-model"
    mlflow.sklearn.save_model(model, saved, input_example=X.head(3), pip_requirements=REQUIREMENTS)
    client = MlflowClient()
    client.create_registered_model(NAME)
    version = client.create_model_version(NAME, source=saved.as_uri()).version
    client.set_registered_model_alias(NAME, "challenger", version)
    assert_status(ex.check_mlflow_challenger(), ex.INCORRECT, "not logged from a run", "mlflow.start_run")


def test_a_run_without_a_dataset_input(fitted):
    _challenger(fitted, dataset=False)
    assert_status(ex.check_mlflow_challenger(), ex.INCORRECT, "no dataset input", "mlflow.log_input")


def test_a_run_without_cv_mae(fitted):
    """promote_if_better judges the challenger by it: without it the exercise's next step fails."""
    _challenger(fitted, cv_mae=False)
    assert_status(ex.check_mlflow_challenger(), ex.INCORRECT, "no metric cv_MAE", "mlflow.log_metric('cv_MAE'")


def test_a_run_that_was_deleted(fitted):
    version = _challenger(fitted)
    MlflowClient().delete_run(MlflowClient().get_model_version(NAME, str(version)).run_id)
    assert_status(ex.check_mlflow_challenger(), ex.INCORRECT, "is deleted")


def test_a_version_whose_source_holds_no_model(fitted, tmp_path):
    with mlflow.start_run() as run:
        tracking.log_dataset(fitted[1].assign(Price=fitted[2]), "flights-train", "test rows", targets="Price")
    empty = tmp_path / "empty"
    empty.mkdir()
    client = MlflowClient()
    client.create_registered_model(NAME)
    version = client.create_model_version(NAME, source=empty.as_uri(), run_id=run.info.run_id).version
    client.set_registered_model_alias(NAME, "challenger", version)
    assert_status(ex.check_mlflow_challenger(), ex.INCORRECT, "no MLflow model can be read", "log_model returned")


def test_a_model_without_a_signature(fitted):
    _challenger(fitted, signature=False)
    feedback = ex.check_mlflow_challenger()
    assert_status(feedback, ex.INCORRECT, "no signature", "infer_signature")
    assert "no input example" not in feedback.message


def test_a_model_without_an_input_example(fitted):
    _challenger(fitted, example=False)
    feedback = ex.check_mlflow_challenger()
    assert_status(feedback, ex.INCORRECT, "no input example", "input_example=")
    assert "no signature" not in feedback.message


def test_every_missing_piece_is_its_own_line(fitted):
    version = _champion(fitted)
    tracking.set_alias(NAME, "challenger", version)
    bare = tracking.register_model(_log(fitted, dataset=False, signature=False, example=False), NAME)
    tracking.set_alias(NAME, "challenger", bare)
    feedback = ex.check_mlflow_challenger(version=bare)
    assert feedback.message.count("\n- ") == 3, feedback.message  # dataset, signature, input example


def test_the_tracking_uri_argument_wins_over_the_environment(fitted, store, tmp_path, monkeypatch):
    _champion(fitted)
    _challenger(fitted)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{(tmp_path / 'elsewhere' / 'mlflow.db').as_posix()}")
    assert ex.check_mlflow_challenger().status == ex.NOT_ANSWERED
    assert ex.check_mlflow_challenger(tracking_uri=store).correct


def test_importing_the_exercises_does_not_import_mlflow():
    import subprocess
    import sys

    code = "import sys, workbook.exercises; sys.exit('mlflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
