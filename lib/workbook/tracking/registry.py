"""The model registry: registering versions, aliases (stages are deprecated) and promotion by a metric."""

from __future__ import annotations

import re
from typing import Any, Literal

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from workbook.errors import TrackingError
from workbook.messages import first_line
from workbook.tracking.store import active_uri

Flavor = Literal["sklearn", "pyfunc"]  # how load_by_alias loads a model


def _not_found(error: MlflowException) -> bool:
    return error.error_code == "RESOURCE_DOES_NOT_EXIST"


def _registered_model_or_fail(client: MlflowClient, name: str, uri: str):
    """The RegisteredModel `name`, or a one-line TrackingError when the store has none by that name."""
    try:
        return client.get_registered_model(name)
    except MlflowException as error:
        if _not_found(error):
            raise TrackingError(f"no registered model {name!r} at {uri}") from None
        raise TrackingError(f"registered model {name!r} at {uri}: {first_line(error)}") from None


def register_model(model_uri: str, name: str) -> int:
    """Add the model at `model_uri` (e.g. `info.model_uri`) as a new version of `name`; return the version.

    Unlike `mlflow.register_model`, prints nothing: notebooks compare stderr.
    """
    uri = active_uri()
    client = MlflowClient(uri)
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise TrackingError(f"cannot register model {name!r} at {uri}: {first_line(error)}") from None
    model_id = model_uri.removeprefix("models:/") if re.fullmatch(r"models:/m-[0-9a-f]+", model_uri) else None
    try:
        created = client.create_model_version(name, source=model_uri, model_id=model_id)
    except MlflowException as error:
        raise TrackingError(f"cannot register {model_uri} as {name!r} at {uri}: {first_line(error)}") from None
    return int(created.version)


def model_version(client: MlflowClient, name: str, version: int | str, uri: str):
    """The ModelVersion `version` of `name`, or a one-line TrackingError naming what is missing."""
    _registered_model_or_fail(client, name, uri)
    try:
        return client.get_model_version(name, str(version))
    except MlflowException as error:
        if _not_found(error):
            raise TrackingError(f"no version {version} of registered model {name!r} at {uri}") from None
        raise TrackingError(f"version {version} of {name!r} at {uri}: {first_line(error)}") from None


def _version_by_alias(client: MlflowClient, name: str, alias: str, uri: str):
    """The ModelVersion behind `name@alias`, or None when the alias is not set."""
    # Read the model's alias table rather than asking for the alias: stores disagree on the error code.
    version = _registered_model_or_fail(client, name, uri).aliases.get(alias)
    return None if version is None else model_version(client, name, version, uri)


def set_alias(name: str, alias: str, version: int | str) -> None:
    """Point `name@alias` at `version` (moving it if it pointed elsewhere)."""
    uri = active_uri()
    client = MlflowClient(uri)
    model_version(client, name, version, uri)
    try:
        client.set_registered_model_alias(name, alias, str(version))
    except MlflowException as error:
        raise TrackingError(f"cannot set alias {alias!r} of {name!r} at {uri}: {first_line(error)}") from None


def alias_version(name: str, alias: str = "champion") -> int | None:
    """The version number `name@alias` points at, or None when the alias is not set."""
    uri = active_uri()
    found = _version_by_alias(MlflowClient(uri), name, alias, uri)
    return int(found.version) if found else None


def load_by_alias(name: str, alias: str = "champion", flavor: Flavor = "sklearn") -> Any:
    """Load `models:/<name>@<alias>` as the sklearn estimator (default) or as a pyfunc model."""
    loaders = {"sklearn": mlflow.sklearn.load_model, "pyfunc": mlflow.pyfunc.load_model}
    if flavor not in loaders:
        raise ValueError(f"flavor must be one of {sorted(loaders)}, got {flavor!r}")
    uri = active_uri()
    if _version_by_alias(MlflowClient(uri), name, alias, uri) is None:
        raise TrackingError(f"no model version with alias {alias!r} for registered model {name!r} at {uri}")
    return loaders[flavor](f"models:/{name}@{alias}")


def version_metric(name: str, version: int | str, metric: str) -> float:
    """The value of `metric` in the run that produced version `version` of `name`."""
    uri = active_uri()
    client = MlflowClient(uri)
    found = model_version(client, name, version, uri)
    if not found.run_id:
        raise TrackingError(f"version {version} of {name!r} has no run behind it; pass the scores explicitly")
    metrics = client.get_run(found.run_id).data.metrics
    if metric not in metrics:
        raise TrackingError(
            f"the run behind version {version} of {name!r} has no metric {metric!r} (it has: {sorted(metrics)})"
        )
    return float(metrics[metric])


def promote_if_better(
    name: str,
    challenger_version: int | str,
    metric: str,
    higher_is_better: bool = False,
    alias: str = "champion",
    *,
    challenger_score: float | None = None,
    champion_score: float | None = None,
) -> bool:
    """Move `name@alias` to the challenger when it beats the current holder on `metric`; True if it moved.

    Scores come from the runs behind the two versions unless given. With no current holder the challenger
    takes the alias; a tie keeps the incumbent.
    """
    uri = active_uri()
    client = MlflowClient(uri)
    model_version(client, name, challenger_version, uri)
    champion = _version_by_alias(client, name, alias, uri)
    if champion is not None and int(champion.version) == int(challenger_version):
        return False
    if champion is not None:
        if challenger_score is None:
            challenger_score = version_metric(name, challenger_version, metric)
        if champion_score is None:
            champion_score = version_metric(name, champion.version, metric)
        better = challenger_score > champion_score if higher_is_better else challenger_score < champion_score
        if not better:
            return False
    set_alias(name, alias, challenger_version)
    return True


