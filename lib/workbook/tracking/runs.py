"""What a run records: tags tying it to its notebook, data and code; its datasets and models; runs as a table."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import mlflow
import mlflow.data
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.models.model import ModelInfo
from mlflow.tracking import MlflowClient

from workbook import __version__
from workbook.errors import TrackingError
from workbook.messages import first_line
from workbook.paths import PROJECT_ROOT
from workbook.tracking.quiet import without_noisy_warnings
from workbook.tracking.registry import register_model
from workbook.tracking.store import ensure_store

GIT_TIMEOUT_S = 2.0
EXAMPLE_ROWS = 5
# A JSON object of extra tags every run_tags() call adds: a sweep sets it so the runs a notebook logs for one
# sweep point carry that point's key and can be found from the sweep's parent run.
EXTRA_TAGS_ENV = "WORKBOOK_RUN_TAGS"
# Packages a served sklearn model needs; MLflow adds `mlflow` itself. Listing them skips MLflow's
# requirement inference, which imports the model in a subprocess and takes seconds per logged model.
MODEL_PACKAGES = ["scikit-learn", "skops", "scipy", "pandas", "numpy"]
# skops refuses types that can crash a process if a file was crafted (tree nodes, KD-trees). A model we
# just fitted in this process is not crafted, so its own sklearn/workbook types are safe to trust; so are
# scipy's sparse matrices (a k-NN fitted on sparse one-hot columns keeps its training rows as one).
TRUSTED_TYPE_PREFIXES = ("sklearn.", "workbook.", "scipy.sparse.")
# scikit-learn's HistGradientBoosting keeps a functools.partial in its native-categorical preprocessing;
# skops refuses partials on principle, but this one comes from the model we just fitted ourselves.
TRUSTED_TYPE_NAMES = ("functools.partial",)

MAX_DESCRIBED_DATASETS = 16
_described_datasets: dict[tuple, mlflow.data.Dataset] = {}  # see _described_dataset


def frame_hash(df: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's column names, dtypes and values, row order included; the index is ignored."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"frame_hash expects a pandas DataFrame, got {type(df).__name__}")
    try:
        row_hashes = pd.util.hash_pandas_object(df, index=False).to_numpy(dtype=np.uint64)
    except TypeError as error:
        raise TypeError(f"frame_hash: a column holds values pandas cannot hash (lists, dicts?): {error}") from None
    digest = hashlib.sha256()
    # Column names and dtypes too: hash_pandas_object hashes values only, so a renamed column would not count.
    digest.update(repr([(str(name), str(dtype)) for name, dtype in df.dtypes.items()]).encode())
    digest.update(row_hashes.tobytes())
    return digest.hexdigest()


def git_commit(cwd: Path = PROJECT_ROOT) -> str | None:
    """The commit checked out in `cwd`, or None outside a git repository, without commits or without git."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", commit) else None


def run_tags(notebook: str, data_source: str, data_hash: str) -> dict[str, str]:
    """Tags that tie a run to its notebook, its data and the code version that produced it."""
    tags = {
        "workbook.notebook": notebook,
        "workbook.data_source": data_source,
        "workbook.data_hash": data_hash,
        "workbook.version": __version__,
    }
    if commit := git_commit():
        tags["mlflow.source.git.commit"] = commit  # MLflow's own key: the UI shows it on the run page
    return tags | extra_tags_from_env()


def extra_tags_from_env() -> dict[str, str]:
    """The tags in $WORKBOOK_RUN_TAGS (a JSON object); a malformed value is an error naming the variable."""
    text = os.environ.get(EXTRA_TAGS_ENV, "").strip()
    if not text:
        return {}
    try:
        tags = json.loads(text)
    except json.JSONDecodeError as error:
        raise TrackingError(f"{EXTRA_TAGS_ENV} must be a JSON object of tags, got {text[:60]!r}: {error.msg}") from None
    if not isinstance(tags, dict):
        raise TrackingError(f"{EXTRA_TAGS_ENV} must be a JSON object of tags, got {type(tags).__name__}")
    return {str(k): str(v) for k, v in tags.items()}


def _require_active_run(action: str) -> None:
    """Raise a clear error when a logging helper is called outside `with mlflow.start_run():`."""
    if mlflow.active_run() is None:
        raise TrackingError(f"{action} needs an active run: call it inside `with mlflow.start_run():`")


def log_dataset(
    df: pd.DataFrame, name: str, source: str, context: str = "training", targets: str | None = None
) -> mlflow.data.Dataset:
    """Record `df` as an input of the active run (schema, digest, source) under `context`.

    A whole-number `targets` column is recorded as float, as notebook 05 logs its tree's rows by hand: MLflow
    warns that an integer column cannot hold missing values, and the same rows then get one digest, not two.
    """
    _require_active_run("log_dataset")
    if targets is not None and targets in df.columns and pd.api.types.is_integer_dtype(df[targets]):
        df = df.astype({targets: float})
    with without_noisy_warnings():
        dataset = _described_dataset(mlflow.data.from_pandas(df, source=source, name=name, targets=targets))
        mlflow.log_input(dataset, context=context)
    return dataset


def _described_dataset(dataset: mlflow.data.Dataset) -> mlflow.data.Dataset:
    """The same dataset logged before in this process, if any: it already knows its schema.

    MLflow infers a dataset's schema value by value when it is logged (~0.7 s for the flights' training
    rows); notebook 04 logs the same two training sets with 21 models. Same name, source, targets, shape
    and content digest means the same dataset.
    """
    key = (dataset.name, dataset.digest, dataset.df.shape, json.dumps(dataset.source.to_dict(), sort_keys=True),
           getattr(dataset, "targets", None))  # the digest reads at most MLflow's first 10,000 rows: add the shape
    if len(_described_datasets) >= MAX_DESCRIBED_DATASETS and key not in _described_datasets:
        _described_datasets.clear()  # a handful per notebook; never let a long session grow it
    return _described_datasets.setdefault(key, dataset)


def _pinned(packages: list[str]) -> list[str]:
    """`name==installed version` for each installed package (missing ones are skipped)."""
    pins = []
    for package in packages:
        with contextlib.suppress(PackageNotFoundError):
            pins.append(f"{package}=={installed_version(package)}")
    return pins


def _example_rows(X: Any) -> Any:
    """The first few rows of a DataFrame, Series or array, kept as the model's input example."""
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[:EXAMPLE_ROWS]
    return np.asarray(X)[:EXAMPLE_ROWS]


def _own_types_to_trust(model: Any) -> list[str]:
    """The types skops would refuse in this freshly fitted model that come from sklearn or the workbook."""
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    except Exception:
        return []
    return [name for name in untrusted if name.startswith(TRUSTED_TYPE_PREFIXES) or name in TRUSTED_TYPE_NAMES]


def log_sklearn_model(
    model: Any,
    name: str,
    X_example: Any,
    y_example_or_pred: Any = None,
    registered_model_name: str | None = None,
    extra_pip_requirements: list[str] | None = None,
    skops_trusted_types: list[str] | None = None,
) -> ModelInfo:
    """Log a fitted sklearn model in the active run with a signature, an input example and pinned requirements.

    The signature comes from a few rows of `X_example` and `y_example_or_pred` (default: the model's
    predictions on those rows). With `registered_model_name` the model is also registered (quietly) and
    `info.registered_model_version` is set. Types from sklearn and the workbook are trusted for skops;
    name any other class in the model in `skops_trusted_types`. Returns MLflow's ModelInfo
    (`info.model_uri` loads it back).
    """
    _require_active_run("log_sklearn_model")
    if not hasattr(model, "predict"):
        raise TypeError(f"log_sklearn_model expects a fitted estimator with .predict, got {type(model).__name__}")
    example = _example_rows(X_example)
    outputs = model.predict(example) if y_example_or_pred is None else _example_rows(y_example_or_pred)
    with without_noisy_warnings():
        try:
            info = mlflow.sklearn.log_model(
                model,
                name=name,
                signature=infer_signature(example, outputs),
                input_example=example,
                pip_requirements=_pinned(MODEL_PACKAGES) + list(extra_pip_requirements or []),
                skops_trusted_types=_own_types_to_trust(model) + list(skops_trusted_types or []) or None,
            )
        except MlflowException as error:
            raise TrackingError(f"cannot log model {name!r}: {first_line(error)}") from None
    if registered_model_name:
        info.registered_model_version = register_model(info.model_uri, registered_model_name)
    return info


def log_model_run(
    run_name: str,
    *,
    params: dict[str, Any],
    metrics: dict[str, float],
    model: Any,
    X_train: pd.DataFrame,
    y_train: pd.Series,
    data_source: str,
    dataset_name: str,
    tags: dict[str, str] | None = None,
    log_model: bool = True,
) -> ModelInfo | None:
    """One nested run for one fitted model: params, metrics, its training rows as a dataset input, the model.

    The dataset is what the model was fitted on (`X_train` with `y_train` as the target column). With
    `log_model=False` the model itself is left out (a tag says so). Returns the ModelInfo, or None.
    """
    target = y_train.name or "target"
    with mlflow.start_run(run_name=run_name, nested=True, tags=tags):
        mlflow.log_params(params)
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)})
        log_dataset(X_train.assign(**{target: y_train}), dataset_name, data_source, targets=target)
        if not log_model:
            mlflow.set_tag("workbook.model_logged", "false")
            return None
        return log_sklearn_model(model, "model", X_train)


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    """MLflow stores params as text; turn a column back into numbers when every value is one."""
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def runs_frame(experiment: str, uri: str | None = None, *, ids: bool = False) -> pd.DataFrame:
    """One row per run of `experiment`, oldest first: run_name, status, `params.*`, `metrics.*`.

    Run ids and start times differ on every execution, so they are left out unless `ids=True`.
    """
    uri = ensure_store(uri)
    client = MlflowClient(uri)
    try:
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise TrackingError(f"no experiment named {experiment!r} at {uri}")
        runs, token = [], None
        while True:
            page = client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"], page_token=token)
            runs.extend(page)
            token = page.token
            if not token:
                break
    except MlflowException as error:
        raise TrackingError(f"runs of experiment {experiment!r} at {uri}: {first_line(error)}") from None
    fixed = ["run_id", "start_time", "run_name", "status"]
    rows = []
    for run in runs:
        row = {"run_id": run.info.run_id, "start_time": pd.Timestamp(run.info.start_time, unit="ms", tz="UTC")}
        row |= {"run_name": run.info.run_name, "status": run.info.status}
        row |= {f"params.{key}": value for key, value in run.data.params.items()}
        row |= {f"metrics.{key}": value for key, value in run.data.metrics.items()}
        rows.append(row)
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=fixed)
    params = sorted(c for c in frame.columns if c.startswith("params."))
    metrics = sorted(c for c in frame.columns if c.startswith("metrics."))
    frame = frame[fixed + params + metrics]
    for column in params:
        frame[column] = _numeric_if_possible(frame[column])
    if not ids:
        frame = frame.drop(columns=["run_id", "start_time"])
    return frame.reset_index(drop=True)
