"""Where runs are stored: the tracking URI, the SQLite store (created once, under a lock), a server's answer.

The default store is a SQLite database inside the project (`mlruns/mlflow.db`, artifacts in
`mlruns/artifacts/`). `MLFLOW_TRACKING_URI` or an explicit `uri` argument points everything at another
store, e.g. a shared `mlflow server`. The URI is always set explicitly: MLflow's own default depends on the
current folder and silently falls back to the file store when `./mlruns` holds file-store data.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import mlflow
from filelock import FileLock
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from workbook.errors import TrackingError
from workbook.messages import first_line
from workbook.paths import (  # noqa: F401 - the project's store, re-exported here as ever
    DEFAULT_DB,
    DEFAULT_UI_PORT,
    PROJECT_ROOT,
    TRACKING_DIR,
    default_tracking_uri,
    resolve_tracking_uri,
)
from workbook.tracking.quiet import quiet_mlflow_logs, without_noisy_warnings

REMOTE_TIMEOUT_S = 3.0

ready_stores: set[Path] = set()  # databases this process already found ready (tests clear it)
_accepted_logins: set[str] = set()  # (server, user, password) digests a server accepted in this process


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
def file_lock(path: Path) -> Iterator[None]:
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
    with file_lock(db.with_name(db.name + ".lock")):
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
    quiet_mlflow_logs()
    uri = resolve_tracking_uri(uri)
    scheme = urlsplit(uri).scheme
    if scheme in ("http", "https"):
        _check_server_answers(uri)
    elif scheme == "sqlite":
        db = sqlite_path(uri)  # the key: a relative sqlite URI names another file after a chdir
        if db not in ready_stores or not db.exists():
            _create_sqlite_store(uri)
            ready_stores.add(db)
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
    return f"mlflow ui --backend-store-uri {resolve_tracking_uri(uri)} --port {DEFAULT_UI_PORT}"


def active_uri(uri: str | None = None) -> str:
    """Point MLflow at the store to use and return it: `uri`, else the one MLflow talks to now, else the
    workbook's (MLFLOW_TRACKING_URI or the project's; never MLflow's current-folder default). Made ready first.
    """
    if uri is None and mlflow.is_tracking_uri_set():
        uri = mlflow.get_tracking_uri()
    uri = ensure_store(uri)
    mlflow.set_tracking_uri(uri)
    return uri

