"""Checks of what the learner logged and registered, read from the MLflow tracking store.

The store is the one the workbook uses everywhere (`tracking.resolve_tracking_uri`): the `tracking_uri`
argument, else MLFLOW_TRACKING_URI, else the project's mlruns/mlflow.db. The checks only read it.
MLflow is imported when a check runs, so importing the exercises stays quick.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from workbook.exercises.feedback import Feedback, correct, incorrect, not_answered

CHAMPION = "champion"


def check_mlflow_challenger(model_name: str = "flights", alias: str = "challenger", tracking_uri: str | None = None,
                            *, version: int | str | None = None, notebook_runs: Collection[str] = ()) -> Feedback:
    """Exercise: your own model, logged in a run with its `cv_MAE`, a signature, an input example and its training
    rows as a dataset input, registered as `model_name` and aliased `alias` (a version other than the champion).

    `version` (optional) is the version you registered: the alias must then point at it. `notebook_runs`: the
    ids of the notebook's own runs; a version logged by one of them is not the learner's.
    """
    from workbook import tracking  # first: it quiets MLflow's import-time logging

    if version is not None and not str(version).strip().isdigit():
        return incorrect(f"version should be a version number, got a {type(version).__name__}: take .version of "
                         "what mlflow.register_model returned.")
    uri = tracking.resolve_tracking_uri(tracking_uri)
    if (db := tracking.sqlite_path(uri)) is not None and not db.exists():
        return not_answered("the tracking store has no database yet, so nothing is registered: log and register "
                            "your model first (the store: MLFLOW_TRACKING_URI, else mlruns/mlflow.db)")
    client = _client(uri)
    registered = _registered_model(client, model_name)
    if registered is None:
        return not_answered(f"no registered model {model_name!r} in the tracking store{_other_names(client)}: "
                            f"register your logged model with mlflow.register_model(info.model_uri, {model_name!r})")
    if alias not in registered.aliases:
        held = ", ".join(sorted(registered.aliases)) or "none"
        return not_answered(f"{model_name!r} has no alias {alias!r} yet (its aliases: {held}): "
                            "point it at your version with "
                            f"MlflowClient().set_registered_model_alias({model_name!r}, {alias!r}, version)")
    found = client.get_model_version(model_name, str(registered.aliases[alias]))
    problems = _alias_problems(found.version, registered.aliases, alias, version)
    if found.run_id in set(notebook_runs):
        problems.append(f"version {found.version} was logged by one of this notebook's own runs "
                        f"({client.get_run(found.run_id).info.run_name}): fit, log and register a model of your own.")
    problems += _run_problems(client, found)
    problems += _model_problems(client, model_name, found.version)
    if problems:
        lines = "".join(f"\n- {problem}" for problem in problems)
        return incorrect(f"{model_name}@{alias} (version {found.version}) is not a complete challenger yet:{lines}")
    beside = f"a version of its own, not @{CHAMPION}'s," if CHAMPION in registered.aliases else "a version"
    return correct(f"{model_name}@{alias} is {beside} logged from a run with its cv_MAE, a signature, an input "
                   "example and its training rows as a dataset input: what a reviewer needs to compare it with the "
                   "champion before promoting it.")


def _client(uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _registered_model(client: Any, name: str) -> Any | None:
    """The RegisteredModel `name`, or None when the store has none by that name."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_registered_model(name)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def _other_names(client: Any, limit: int = 5) -> str:
    """` (it has: a, b)` naming a few registered models, to catch a typo; empty when there are none."""
    names = sorted(model.name for model in client.search_registered_models(max_results=limit))
    return f" (it has: {', '.join(names)})" if names else " (it has none)"


def _alias_problems(found: str, aliases: dict[str, Any], alias: str, version: int | str | None) -> list[str]:
    """The alias points at the wrong version, or at the champion's."""
    problems = []
    if version is not None and str(version) != str(found):
        problems.append(f"@{alias} points at version {found}, not at version {version}, the one you registered: "
                        f"move it with set_registered_model_alias(name, {alias!r}, {version}).")
    if alias != CHAMPION and str(aliases.get(CHAMPION)) == str(found):
        problems.append(f"version {found} is also @{CHAMPION}: a challenger is a new candidate, so register your own "
                        "model as a new version and alias that one.")
    return problems


def _run_problems(client: Any, found: Any) -> list[str]:
    """The version was not logged from a run, or its run lacks a dataset input or the `cv_MAE` it is judged by."""
    if not found.run_id:
        return [f"version {found.version} was not logged from a run (it has no run id): log the model inside "
                "`with mlflow.start_run():` and register the model_uri that log_model returns."]
    run = client.get_run(found.run_id)
    if run.info.lifecycle_stage == "deleted":
        return [f"the run behind version {found.version} ({run.info.run_name}) is deleted: restore it, or log again."]
    problems = []
    if not run.inputs.dataset_inputs:
        problems.append(f"its run ({run.info.run_name}) has no dataset input: log the training rows inside the run "
                        "with mlflow.log_input(mlflow.data.from_pandas(X_train.assign(Price=y_train.astype(float)), "
                        "name='flights-train', targets='Price'), context='training').")
    if "cv_MAE" not in run.data.metrics:  # promote_if_better compares challenger and champion by it
        problems.append(f"its run ({run.info.run_name}) has no metric cv_MAE: log "
                        "models.cross_validate_model(pipeline, X_train, y_train, 3, random_state)['cv_mae_mean'] "
                        "with mlflow.log_metric('cv_MAE', ...) inside the run.")
    return problems


def _model_problems(client: Any, name: str, version: str) -> list[str]:
    """The version's model cannot be read, or lacks a signature or an input example."""
    try:
        model = _mlmodel(client, name, version)
    except Exception as error:
        return [f"no MLflow model can be read at version {version}'s source ({type(error).__name__}): register "
                "the model_uri that mlflow.sklearn.log_model returned."]
    problems = []
    if model.signature is None:
        problems.append("its model has no signature: log it with signature=infer_signature(X_example, "
                        "model.predict(X_example)) (or pass an input example, from which MLflow infers one).")
    if model.saved_input_example_info is None:
        problems.append("its model has no input example: pass input_example=X_train.head(5) to log_model, so a "
                        "reader sees what a request looks like.")
    return problems


def _mlmodel(client: Any, name: str, version: str) -> Any:
    """The MLmodel file of a version (only that file is downloaded, not the model's weights)."""
    import tempfile

    from mlflow.artifacts import download_artifacts
    from mlflow.models import Model

    source = client.get_model_version_download_uri(name, version).rstrip("/")
    with tempfile.TemporaryDirectory(prefix="workbook-check-") as scratch:
        path = download_artifacts(artifact_uri=f"{source}/MLmodel", dst_path=scratch,
                                  tracking_uri=client.tracking_uri)
        return Model.load(path)
