"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

NewStore = Callable[..., Path]


@pytest.fixture(scope="session")
def new_store(tmp_path_factory: pytest.TempPathFactory) -> NewStore:
    """`new_store(db, artifact_root=None)`: a new, empty MLflow SQLite store at `db`, as the workbook makes one.

    Making a store's schema runs MLflow's hundred-odd alembic migrations, 3-8 s on a 2-core machine; tests
    that give each sweep a store of its own (for exact run counts) copy one made here instead. The copy is
    what `tracking.create_sqlite_store(uri, artifact_root)` leaves, down to the Default experiment's artifact
    folder (`artifact_root`, default: `artifacts/` beside `db`), so the code under test finds it ready.
    """
    from mlflow.utils.uri import append_to_uri_path

    from workbook import tracking

    template = tmp_path_factory.mktemp("store-template") / "mlflow.db"
    tracking.create_sqlite_store(f"sqlite:///{template}", str(template.parent / "artifacts"))

    def make(db: Path, artifact_root: str | None = None) -> Path:
        db.parent.mkdir(parents=True, exist_ok=True)
        root = artifact_root or str(db.parent / "artifacts")
        with contextlib.closing(sqlite3.connect(template)) as source, contextlib.closing(sqlite3.connect(db)) as copy:
            source.backup(copy)
            with copy:  # commits
                copy.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                             (append_to_uri_path(root, "0"),))
        return db

    return make
