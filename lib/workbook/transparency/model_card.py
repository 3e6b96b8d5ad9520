"""A Markdown model card built from the MLflow run that produced the model, and writing it to a file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import mlflow
import mlflow.artifacts
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from workbook import tracking
from workbook.errors import TrackingError, TransparencyError
from workbook.files import atomic_write
from workbook.messages import first_line
from workbook.transparency.markdown import format_number, markdown_table

DEFAULT_INTENDED_USE = (
    "Estimate the one-way economy fare (rupees) of an Indian domestic flight on the five markets of the "
    "training data (six Source → Destination pairs: Delhi and New Delhi are one city), from what a booking "
    "system knows before departure: airline, date, itinerary, schedule and fare notes. Meant for teaching "
    "MLOps and for rough fare guidance, not for pricing or refunds."
)
DEFAULT_LIMITATIONS = [
    ("Trained on past fares only (the rows named under Data); fares drift with season, fuel and competition, "
     "so watch the drift report and retrain when the error rises."),
    ("Knows only the five markets and the airlines of the training data; an unseen route or airline gets an "
     "average guess."),
    "Rare fare classes (business, premium economy) have few examples; their errors are the largest.",
    ("Explanations describe the model, not the airline's pricing: a large contribution means the model "
     "leans on that group, not that it causes the fare."),
]

_NOT_RECORDED = "not recorded"


def _get_run(client: Any, run_id: str) -> Any:
    """The run, or a one-line TrackingError naming the run id."""
    if not isinstance(run_id, str) or not run_id.strip():
        raise TrackingError(f"run_id must be a non-empty string, got {run_id!r}")
    try:
        return client.get_run(run_id)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise TrackingError(f"no run with id {run_id!r} in the tracking store; check the id and the store") \
                from None
        raise TrackingError(f"cannot read run {run_id!r}: {first_line(error)}") from None


def _readable_source(source: str) -> str:
    """A dataset source without machine-specific parts: local paths and file URIs shrink to the file name."""
    try:
        uri = json.loads(source).get("uri", source)
    except (ValueError, AttributeError):
        uri = source
    uri = str(uri)
    if uri.startswith("file://") or os.path.isabs(uri):
        return Path(uri.removeprefix("file://")).name or uri
    return uri


def _dataset_rows(dataset: Any) -> str:
    try:
        return format_number(json.loads(dataset.profile or "{}")["num_rows"])
    except (ValueError, KeyError, TypeError):
        return _NOT_RECORDED


def _data_section(run: Any) -> list[str]:
    inputs = run.inputs.dataset_inputs if run.inputs else []
    lines = ["## Data", ""]
    if inputs:
        rows = []
        for item in inputs:
            context = next((t.value for t in item.tags if t.key == "mlflow.data.context"), _NOT_RECORDED)
            rows.append({"name": item.dataset.name, "context": context, "digest": item.dataset.digest,
                         "source": _readable_source(item.dataset.source), "rows": _dataset_rows(item.dataset)})
        lines += [markdown_table(pd.DataFrame(rows)), ""]
    else:
        lines += [f"- Dataset inputs: {_NOT_RECORDED}", ""]
    tags = run.data.tags
    data_hash = tags.get("workbook.data_hash")
    lines += [f"- Data source: {tags.get('workbook.data_source', _NOT_RECORDED)}",
              f"- Data hash (SHA-256, first 12): {data_hash[:12] if data_hash else _NOT_RECORDED}", ""]
    return lines


def _run_model_id(client: Any, run: Any) -> str | None:
    """The logged model (MLflow 3) the run produced: its outputs first, else a search by source run."""
    outputs = getattr(run, "outputs", None)
    if outputs and outputs.model_outputs:
        return outputs.model_outputs[0].model_id
    try:
        found = client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                            filter_string=f"source_run_id = '{run.info.run_id}'")
    except MlflowException:
        return None
    return found[0].model_id if found else None


def _load_mlmodel(client: Any, store: str, run: Any, registered: Any) -> Any:
    """The MLmodel description (flavors, signature) of the registered version or the run's model, or None."""
    model_id = getattr(registered, "model_id", None) or _run_model_id(client, run)
    if not model_id:
        return None
    try:
        location = client.get_logged_model(model_id).artifact_location
        # Model.load reads local paths only; download_artifacts resolves file:// and server URIs of this store.
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"{location}/MLmodel", tracking_uri=store)
        return Model.load(local)
    except Exception:
        return None


def _registered_version(client: Any, model_name: str, model_version: int | None) -> Any:
    if model_version is None:
        return None
    try:
        return client.get_model_version(model_name, str(model_version))
    except MlflowException:
        return None


def _model_section(model_name: str, model_version: int | None, registered: Any, mlmodel: Any,
                   run: Any) -> list[str]:
    if model_version is None:
        version = "not registered (no version given)"
    elif registered is None:
        version = f"{model_version} ({_NOT_RECORDED} in the registry)"
    else:
        aliases = ", ".join(sorted(registered.aliases)) if registered.aliases else "none"
        same_run = "" if registered.run_id == run.info.run_id else " -- WARNING: registered from another run"
        version = f"{model_version} (aliases: {aliases}){same_run}"
    if mlmodel is None:
        flavor = _NOT_RECORDED
    else:
        flavors = [name for name in mlmodel.flavors if name != "python_function"] or list(mlmodel.flavors)
        sklearn_version = mlmodel.flavors.get("sklearn", {}).get("sklearn_version")
        flavor = ", ".join(flavors) + (f" (scikit-learn {sklearn_version})" if sklearn_version else "")
    return ["## Model", "", f"- Name: {model_name}", f"- Version: {version}", f"- Flavor: {flavor}",
            f"- Run name: {run.info.run_name or _NOT_RECORDED}", ""]


def _features_section(mlmodel: Any) -> list[str]:
    signature = getattr(mlmodel, "signature", None)
    if signature is None or signature.inputs is None:
        return ["## Features", "", f"- Input signature: {_NOT_RECORDED}", ""]
    specs = signature.inputs.to_dict()
    frame = pd.DataFrame({"column": [s.get("name", "(unnamed)") for s in specs],
                          "type": [str(s.get("type", "")) for s in specs],
                          "required": ["yes" if s.get("required", True) else "no" for s in specs]})
    lines = ["## Features", "", f"The model reads {len(frame)} raw column(s):", "", markdown_table(frame), ""]
    if signature.outputs is not None:
        lines += [f"Output: {_describe_outputs(signature.outputs.to_dict())}", ""]
    return lines


def _describe_outputs(specs: list[dict]) -> str:
    """"one float64 value per row" for a tensor output, else the output columns with their types."""
    if len(specs) == 1 and specs[0].get("type") == "tensor":
        return f"one {specs[0].get('tensor-spec', {}).get('dtype', 'numeric')} value per row"
    return ", ".join(f"{s.get('name', '(unnamed)')} ({s.get('type', '?')})" for s in specs)


def _key_value_section(title: str, values: dict[str, Any], what: str) -> list[str]:
    if not values:
        return [f"## {title}", "", f"- {what}: {_NOT_RECORDED}", ""]
    frame = pd.DataFrame({what.lower(): sorted(values), "value": [values[k] for k in sorted(values)]})
    return [f"## {title}", "", markdown_table(frame), ""]


def model_card(run_id: str, *, model_name: str, model_version: int | None = None,
               intended_use: str = DEFAULT_INTENDED_USE, limitations: list[str] | None = None,
               bias_table: pd.DataFrame | None = None, drift_status: str | None = None,
               tracking_uri: str | None = None) -> str:
    """A Markdown model card built from the MLflow run `run_id`: model, data, features, parameters, metrics,
    intended use, limitations, bias, drift and provenance. Missing pieces read "not recorded".

    The text holds no run id, timestamp or absolute path, so a notebook can show it; `limitations` defaults
    to DEFAULT_LIMITATIONS. The store is `tracking_uri`, else the one MLflow uses now, else the workbook's.
    """
    if not isinstance(model_name, str) or not model_name.strip():
        raise TransparencyError(f"model_name must be a non-empty string, got {model_name!r}")
    if bias_table is not None and not isinstance(bias_table, pd.DataFrame):
        raise TransparencyError(f"bias_table must be a DataFrame or None, got {type(bias_table).__name__}")
    if not isinstance(intended_use, str):
        raise TransparencyError(f"intended_use must be a string, got {type(intended_use).__name__}")
    if limitations is not None and (isinstance(limitations, str) or not all(isinstance(x, str) for x in limitations)):
        raise TransparencyError("limitations must be a list of strings (one limitation each)")
    if drift_status is not None and not isinstance(drift_status, str):
        raise TransparencyError(f"drift_status must be a string or None, got {type(drift_status).__name__}")
    store = tracking.active_uri(tracking_uri)
    client = MlflowClient(store)
    run = _get_run(client, run_id)
    registered = _registered_version(client, model_name, model_version)
    mlmodel = _load_mlmodel(client, store, run, registered)
    tags = run.data.tags
    title = f"# Model card: {model_name}" + (f" v{model_version}" if model_version is not None else "")
    lines = [title, ""]
    lines += _model_section(model_name, model_version, registered, mlmodel, run)
    lines += _data_section(run)
    lines += _features_section(mlmodel)
    lines += _key_value_section("Training parameters", run.data.params, "Parameter")
    lines += _key_value_section("Metrics", run.data.metrics, "Metric")
    lines += ["## Intended use", "", intended_use.strip() or _NOT_RECORDED, ""]
    items = DEFAULT_LIMITATIONS if limitations is None else list(limitations)
    lines += ["## Limitations", "", *([f"- {item}" for item in items] or [f"- {_NOT_RECORDED}"]), ""]
    bias = markdown_table(bias_table) if bias_table is not None and not bias_table.empty else _NOT_RECORDED
    lines += ["## Bias", "", bias, ""] + _flag_rule(bias_table)
    lines += ["## Drift status", "", drift_status.strip() if drift_status else _NOT_RECORDED, ""]
    commit = tags.get("mlflow.source.git.commit")
    lines += ["## Provenance", "", f"- Git commit: {commit[:12] if commit else _NOT_RECORDED}",
              f"- Workbook version: {tags.get('workbook.version', _NOT_RECORDED)}",
              f"- Notebook: {tags.get('workbook.notebook', _NOT_RECORDED)}", ""]
    return "\n".join(lines)


def _flag_rule(bias_table: pd.DataFrame | None) -> list[str]:
    """The rule behind the table's `flagged` column, as bias_table records it: a reader of the card otherwise
    sees a group at 1.59 x everyone's error, unflagged, and cannot tell why."""
    attrs = bias_table.attrs if bias_table is not None else {}
    if not {"ratio", "min_count"} <= set(attrs):
        return []
    metric = attrs.get("metric", "error")
    return [f"A group is flagged when its {metric} is more than {attrs['ratio']:g} x everyone's (disparity) and it "
            f"has at least {attrs['min_count']} rows (judged before the table is rounded); a smaller group is "
            "listed but never flagged: too few rows to tell a skew from noise.", ""]


def write_model_card(markdown: str, path: str | os.PathLike) -> Path:
    """Write the card atomically (a reader never sees half a file); returns the path written."""
    if not isinstance(markdown, str) or not markdown.strip():
        raise TransparencyError("markdown must be a non-empty string (the text model_card returns)")
    path = Path(path)
    with atomic_write(path) as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return path
