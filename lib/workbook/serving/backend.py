"""What the team tracking server keeps: its SQL database (checked, created once) and the artifact folder it serves."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from workbook import tracking
from workbook.errors import TrackingError, TrackingServerError
from workbook.messages import first_line, redacted  # noqa: F401 - redacted: re-exported here as ever
from workbook.paths import SERVER_DIR as DEFAULT_SERVER_DIR

# Every experiment's artifacts go through the server (`--serve-artifacts`), never to a client's own disk.
SERVED_ARTIFACT_ROOT = "mlflow-artifacts:/"
DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")  # what MLflow's SQL stores accept


def default_backend_uri() -> str:
    """The team server's own SQLite database: `sqlite:///<project>/mlruns/server/mlflow.db`."""
    return f"sqlite:///{(DEFAULT_SERVER_DIR / 'mlflow.db').as_posix()}"


def default_artifacts_dir() -> Path:
    """Where the team server keeps the artifacts it serves: `<project>/mlruns/server/artifacts`."""
    return DEFAULT_SERVER_DIR / "artifacts"


def check_backend_uri(uri: str) -> str:
    """`uri` if MLflow can keep a server's runs and registry in it (SQLite made absolute); else a one-line error.

    Accepted: sqlite:///path.db and SQLAlchemy URLs of PostgreSQL, MySQL and SQL Server (driver suffixes
    such as postgresql+psycopg2:// too). The file store and server URLs are refused.
    """
    expected = ("expected a database URL such as sqlite:///path/to/mlflow.db, "
                "postgresql://user@host/db, mysql://user@host/db or mssql://user@host/db")
    if not isinstance(uri, str) or not uri.strip():
        raise TrackingServerError(f"backend store URI must be a non-empty string; {expected}")
    scheme = urlsplit(uri).scheme.lower()
    engine = scheme.split("+", 1)[0]
    if engine not in DATABASE_SCHEMES or "://" not in uri:
        raise TrackingServerError(f"backend store URI {redacted(uri)!r} is not a database URL; {expected}")
    if engine == "sqlite":
        try:
            db = tracking.sqlite_path(uri)
        except TrackingError:
            raise TrackingServerError(f"backend store URI {uri!r}: {expected}") from None
        query = urlsplit(uri).query  # options such as ?timeout=20 stay
        # Absolute: the server must not depend on the folder it was started from.
        return f"sqlite:///{db.as_posix()}" + (f"?{query}" if query else "")
    if not uri.split("://", 1)[1].strip("/"):
        raise TrackingServerError(f"backend store URI {uri!r} names no database server; {expected}")
    return uri


def prepare_sqlite_store(backend_uri: str) -> None:
    """Create a new SQLite backend once, under the workbook's store lock, its artifacts served by the server.

    The lock is tracking.ensure_store's, so a notebook opening the same new file at that moment waits instead
    of racing MLflow's schema creation; the Default experiment gets a served (mlflow-artifacts:/) location.
    """
    db = tracking.sqlite_path(backend_uri)
    if db is None:
        return
    try:
        tracking.create_sqlite_store(backend_uri, SERVED_ARTIFACT_ROOT)
    except Exception as error:
        problem = first_line(error)
        raise TrackingServerError(f"cannot create the backend store {backend_uri}: {problem}") from None


def local_artifact_experiments(backend_uri: str) -> list[str]:
    """Active experiments of an existing SQLite store whose artifacts live at local paths, not behind a server.

    A client on another machine cannot log artifacts to those; other kinds of database are not inspected.
    """
    db = tracking.sqlite_path(backend_uri) if backend_uri.startswith("sqlite:") else None
    if db is None or not db.exists():
        return []
    query = "SELECT name, artifact_location FROM experiments WHERE lifecycle_stage = 'active' ORDER BY experiment_id"
    try:
        with contextlib.closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=20)) as connection:
            rows = connection.execute(query).fetchall()
    except sqlite3.Error:
        return []  # not an MLflow store (yet): the server says so when it starts
    return [str(name) for name, location in rows if _is_local_location(str(location or ""))]


def _is_local_location(location: str) -> bool:
    """True for file:// URIs and bare paths (POSIX or Windows), which only this machine can write to."""
    return location.startswith(("file:", "/")) or re.match(r"^[A-Za-z]:[\\/]", location) is not None


def prepare_artifacts_dir(artifacts_dir: str | Path) -> Path:
    """The artifact folder as an absolute path, created if missing; a one-line error if it is not a usable folder."""
    text = str(artifacts_dir)
    if not text.strip():
        raise TrackingServerError("artifacts_dir must name a folder, got an empty string")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", text):
        raise TrackingServerError(f"artifacts_dir must be a local folder, got the URI {text!r}")
    folder = Path(text).expanduser().resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TrackingServerError(f"artifacts_dir {folder}: cannot create it ({error.strerror or error})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TrackingServerError(f"artifacts_dir {folder}: not writable by this user")
    return folder
