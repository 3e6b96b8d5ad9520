"""MLflow for the workbook: where runs are stored, what each run records, and the model registry.

The default store is a SQLite database inside the project (`mlruns/mlflow.db`, artifacts in
`mlruns/artifacts/`). `MLFLOW_TRACKING_URI` or an explicit `uri` argument points everything at another
store, e.g. a shared `mlflow server`. The URI is always set explicitly: MLflow's own default depends on the
current folder and silently falls back to the file store when `./mlruns` holds file-store data.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import sqlite3
import subprocess
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import mlflow
import mlflow.data
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
from filelock import FileLock
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.models.model import ModelInfo
from mlflow.tracking import MlflowClient

from workbook import __version__
from workbook.errors import TrackingError
from workbook.messages import first_line
from workbook.paths import PROJECT_ROOT

TRACKING_DIR = PROJECT_ROOT / "mlruns"
DEFAULT_DB = TRACKING_DIR / "mlflow.db"
REMOTE_TIMEOUT_S = 3.0
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
# scipy's sparse matrices (k-NN on one-hot columns keeps its training rows as one).
TRUSTED_TYPE_PREFIXES = ("sklearn.", "workbook.", "scipy.sparse.")
# scikit-learn's HistGradientBoosting keeps a functools.partial in its native-categorical preprocessing;
# skops refuses partials on principle, but this one comes from the model we just fitted ourselves.
TRUSTED_TYPE_NAMES = ("functools.partial",)
# Warnings MLflow 3.17 raises on every call or import that are advice or its own housekeeping, not problems
# in the learner's code: the integer-column hint, a duplicate source registration, a SQLAlchemy deprecation.
NOISY_WARNINGS = [
    r"Hint: Inferred schema contains integer column",
    r"The specified dataset source can be interpreted in multiple ways",
    r"The ``noload`` loader strategy is deprecated",
]

_ready_stores: set[Path] = set()  # databases this process already found ready
_accepted_logins: set[str] = set()  # (server, user, password) digests a server accepted in this process
MAX_DESCRIBED_DATASETS = 16
_described_datasets: dict[tuple, mlflow.data.Dataset] = {}  # see _described_dataset


def _quiet_mlflow_logs() -> None:
    """Keep MLflow's INFO lines ("Creating initial database tables...") out of notebook stderr."""
    # An explicit MLFLOW_LOGGING_LEVEL means someone wants those lines: leave it alone.
    if "MLFLOW_LOGGING_LEVEL" not in os.environ:
        logging.getLogger("mlflow").setLevel(logging.WARNING)


@contextlib.contextmanager
def without_noisy_warnings() -> Iterator[None]:
    """Hide MLflow's known advisory warnings inside the block; every other warning still shows."""
    with warnings.catch_warnings():
        for pattern in NOISY_WARNINGS:
            warnings.filterwarnings("ignore", message=pattern)
        # pandas 3 deprecations triggered inside MLflow's own code: MLflow's to fix, not the learner's.
        warnings.filterwarnings("ignore", category=pd.errors.Pandas4Warning, module=r"mlflow\.")
        yield


# --- where runs are stored -------------------------------------------------------------------------


def default_tracking_uri() -> str:
    """The project's own store: `sqlite:///<project>/mlruns/mlflow.db`."""
    return f"sqlite:///{DEFAULT_DB.as_posix()}"


def resolve_tracking_uri(uri: str | None = None) -> str:
    """The store to use: the `uri` argument, else `MLFLOW_TRACKING_URI`, else the project's database."""
    if uri:
        return str(uri)
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()


def sqlite_path(uri: str) -> Path | None:
    """The database file behind a `sqlite:///...` URI; None for any other kind of store."""
    if not uri.startswith("sqlite:"):
        return None
    raw = uri.removeprefix("sqlite:").removeprefix("//").split("?", 1)[0]
    if not raw.startswith("/") or raw in ("/", "/:memory:"):
        raise TrackingError(f"{uri}: expected sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return Path(unquote(raw[1:])).resolve()


def artifact_root(uri: str) -> Path | None:
    """Where a local SQLite store keeps artifacts (`artifacts/` next to the database); None otherwise."""
    db = sqlite_path(uri)
    return db.parent / "artifacts" if db else None


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block; the OS releases it if the process dies.

    filelock, not fcntl: the same call on Linux, macOS and Windows laptops.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path):
        yield


def _store_created(db: Path) -> bool:
    """True once MLflow finished creating the database: its last step adds the Default experiment (id 0)."""
    if not db.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=20)) as connection:
            return connection.execute("SELECT 1 FROM experiments WHERE experiment_id = 0").fetchone() is not None
    except sqlite3.Error:
        return False  # no experiments table yet


def _create_sqlite_store(uri: str) -> None:
    """The project's kind of store: artifacts in a folder beside the database."""
    create_sqlite_store(uri, str(artifact_root(uri)))


def create_sqlite_store(uri: str, artifact_location: str) -> None:
    """Create the database, its schema and the Default experiment once, even with many processes racing.

    MLflow creates the schema without a lock, so processes opening a new database together fail on
    "table already exists"; here the first one creates it while the others wait, then find it ready.
    """
    db = sqlite_path(uri)
    with _file_lock(db.with_name(db.name + ".lock")):
        if _store_created(db):
            return  # checked cheaply: MLflow's own schema check takes ~0.5 s and would run one at a time
        # Imported here: SQLAlchemy and alembic add most of a second to importing this module.
        with without_noisy_warnings():
            from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as SqlRegistryStore
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as SqlTrackingStore

        try:
            SqlTrackingStore(uri, artifact_location)
            SqlRegistryStore(uri)
        except MlflowException as error:
            raise TrackingError(f"tracking store {uri}: {first_line(error)}") from None


def _check_server_answers(uri: str, timeout: float = REMOTE_TIMEOUT_S) -> None:
    """Fail fast unless an MLflow server answers at `uri`; MLflow's own client would retry for minutes."""
    health = f"{uri.rstrip('/')}/health"  # MLflow serves it, unauthenticated, under any static prefix
    try:
        with urllib.request.urlopen(health, timeout=timeout):
            pass
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            return  # an authenticating proxy in front of the server: it is there
        raise TrackingError(
            f"tracking server {uri} answered HTTP {error.code} at /health; is it an MLflow server?"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TrackingError(
            f"tracking server {uri} did not answer within {timeout:g} s ({reason}); start it, "
            "or unset MLFLOW_TRACKING_URI to use the project's local store"
        ) from None
    _check_credentials(uri, timeout)


def _check_credentials(uri: str, timeout: float) -> None:
    """One line, not MLflow's HTTP 401 traceback, when a server with logins (a workshop room) refuses us.

    Sends MLFLOW_TRACKING_USERNAME/PASSWORD as MLflow's client would, to one cheap read-only endpoint.
    """
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    key = hashlib.sha256(f"{uri}\0{user}\0{password}".encode()).hexdigest()  # never the password itself
    if key in _accepted_logins:
        return  # once per process: ensure_store runs before every registry call
    request = urllib.request.Request(f"{uri.rstrip('/')}/api/2.0/mlflow/experiments/search?max_results=1")
    if user and password:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            _accepted_logins.add(key)
            return
    except urllib.error.HTTPError as error:
        if error.code != 401:
            return  # anything else is MLflow's to report, with its own message, on the real call
    except (urllib.error.URLError, OSError):
        return  # it answered /health a moment ago; the real call reports what went wrong
    if user and password:
        raise TrackingError(f"tracking server {uri} refused user {user!r}: check MLFLOW_TRACKING_USERNAME and "
                            "MLFLOW_TRACKING_PASSWORD (the instructor's handout line)")
    raise TrackingError(f"tracking server {uri} asks for a login: set MLFLOW_TRACKING_USERNAME and "
                        "MLFLOW_TRACKING_PASSWORD (the instructor's handout line)")


def ensure_store(uri: str | None = None) -> str:
    """Make the store ready to log to and return its URI: create a SQLite store once, check a server answers.

    Other kinds of store (databricks, postgresql, ...) are returned unchanged. MLflow's INFO lines (a new
    database's migrations) are silenced from here on, unless MLFLOW_LOGGING_LEVEL asks for them.
    """
    _quiet_mlflow_logs()
    uri = resolve_tracking_uri(uri)
    scheme = urlsplit(uri).scheme
    if scheme in ("http", "https"):
        _check_server_answers(uri)
    elif scheme == "sqlite":
        db = sqlite_path(uri)  # the key: a relative sqlite URI names another file after a chdir
        if db not in _ready_stores or not db.exists():
            _create_sqlite_store(uri)
            _ready_stores.add(db)
    return uri


def _experiment_artifact_location(uri: str, experiment: str) -> str | None:
    """A per-experiment artifact folder for local stores; None lets a server choose."""
    root = artifact_root(uri)
    if root is None:
        return None
    folder = re.sub(r"[^A-Za-z0-9._-]+", "_", experiment).strip("_") or "experiment"
    return (root / folder).as_uri()


def _get_or_create_experiment(client: MlflowClient, experiment: str, uri: str):
    """The experiment named `experiment`, created (with its artifact folder) when the store has none."""
    try:
        found = client.get_experiment_by_name(experiment)
        if found is None:
            client.create_experiment(experiment, _experiment_artifact_location(uri, experiment))
            found = client.get_experiment_by_name(experiment)
    except MlflowException as error:
        # Another process may have created it a moment ago; anything else is a real problem.
        found = client.get_experiment_by_name(experiment) if error.error_code == "RESOURCE_ALREADY_EXISTS" else None
        if found is None:
            raise TrackingError(f"experiment {experiment!r} at {uri}: {first_line(error)}") from None
    return found


def forget_tracking_state() -> None:
    """End active runs and forget this process's tracking URI and experiment (MLflow keeps them globally).

    Note that MLflow's `set_tracking_uri(None)` also removes the MLFLOW_TRACKING_URI it exported.
    """
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    mlflow.tracking.fluent._active_experiment_id = None  # MLflow has no public way to forget it


def setup_tracking(experiment: str, uri: str | None = None) -> str:
    """Point MLflow at the store, make `experiment` the active experiment (created if new); return its id."""
    if not experiment or not isinstance(experiment, str):
        raise TrackingError(f"experiment must be a non-empty name, got {experiment!r}")
    uri = ensure_store(uri)
    mlflow.set_tracking_uri(uri)
    found = _get_or_create_experiment(MlflowClient(uri), experiment, uri)
    if found.lifecycle_stage != "active":
        raise TrackingError(
            f"experiment {experiment!r} at {uri} is deleted; restore it (mlflow experiments restore) "
            "or choose another name"
        )
    mlflow.set_experiment(experiment_id=found.experiment_id)
    return found.experiment_id


def ui_command(uri: str | None = None) -> str:
    """The shell command that opens the MLflow UI on this store (http://127.0.0.1:5000)."""
    return f"mlflow ui --backend-store-uri {resolve_tracking_uri(uri)} --port 5000"


def _active_uri() -> str:
    """The store MLflow talks to now; the workbook's store when nothing chose one yet (not MLflow's cwd one)."""
    uri = ensure_store(mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None)
    mlflow.set_tracking_uri(uri)
    return uri


# --- what a run records -----------------------------------------------------------------------------


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
    """Record `df` as an input of the active run (schema, digest, source) under `context`."""
    _require_active_run("log_dataset")
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


# --- the model registry (aliases only: stages are deprecated) --------------------------------------


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
    uri = _active_uri()
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
    uri = _active_uri()
    client = MlflowClient(uri)
    model_version(client, name, version, uri)
    try:
        client.set_registered_model_alias(name, alias, str(version))
    except MlflowException as error:
        raise TrackingError(f"cannot set alias {alias!r} of {name!r} at {uri}: {first_line(error)}") from None


def alias_version(name: str, alias: str = "champion") -> int | None:
    """The version number `name@alias` points at, or None when the alias is not set."""
    uri = _active_uri()
    found = _version_by_alias(MlflowClient(uri), name, alias, uri)
    return int(found.version) if found else None


def load_by_alias(name: str, alias: str = "champion", flavor: str = "sklearn") -> Any:
    """Load `models:/<name>@<alias>` as the sklearn estimator (default) or as a pyfunc model."""
    loaders = {"sklearn": mlflow.sklearn.load_model, "pyfunc": mlflow.pyfunc.load_model}
    if flavor not in loaders:
        raise ValueError(f"flavor must be one of {sorted(loaders)}, got {flavor!r}")
    uri = _active_uri()
    if _version_by_alias(MlflowClient(uri), name, alias, uri) is None:
        raise TrackingError(f"no model version with alias {alias!r} for registered model {name!r} at {uri}")
    return loaders[flavor](f"models:/{name}@{alias}")


def version_metric(name: str, version: int | str, metric: str) -> float:
    """The value of `metric` in the run that produced version `version` of `name`."""
    uri = _active_uri()
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
    uri = _active_uri()
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


# --- comparing runs from code -----------------------------------------------------------------------


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
