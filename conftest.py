"""Settings for the whole test session: unit, end-to-end and notebook (nbval) tests alike."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from workbook.execution import kernel_environment
from workbook.run import run_notebooks

_STORE_DIR: str | None = None
NewStore = Callable[..., Path]
# The worked solutions beside this file (not workbook.paths: the tests may import the package from elsewhere).
SOLUTIONS_DIR = Path(__file__).resolve().parent / "notebooks" / "solutions"


def pytest_configure(config: pytest.Config) -> None:
    """Point MLflow at a throwaway store: test runs (and the notebook kernels nbval starts, which inherit
    this environment) must never add runs to a learner's mlruns/ or to a team's tracking server."""
    global _STORE_DIR
    _STORE_DIR = tempfile.mkdtemp(prefix="workbook-test-mlflow-")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_STORE_DIR}/mlflow.db"
    # nbval's kernels get what `workbook run` gives its own (see workbook.execution.kernel_environment): one native
    # thread each, so two test workers do not spin OpenMP threads against each other, and no MLflow
    # download progress bars in the outputs nbval compares.
    os.environ.update(kernel_environment())


# Notebook 06 monitors the champion notebook 05 registers, and its committed outputs were made with it (make
# notebooks runs 05 first). In a parallel test session 06 may start before 05's nbval run has registered one:
# then 05 runs here first, once per worker, into the same throwaway store, as a learner would run it.
NEEDS_CHAMPION = "06_monitoring.ipynb"
_champion_checked = False


# pytest-xdist (`--dist loadfile`) gives each worker whole files; 05 and 06 go to the same worker as one unit, 05
# first, so 06's nbval run finds the champion 05's nbval run registered instead of executing 05 a second time
# (~60 s on two cores). A scheduler, not xdist_group marks: xdist 3.8's loadgroup cannot rename pytest 9.2's node ids.
SAME_WORKER = {f"notebooks/{name}": "notebooks/05+06" for name in ("05_mlflow_tracking.ipynb", NEEDS_CHAMPION)}


@pytest.hookimpl(optionalhook=True)  # xdist's hook: a pytest session without xdist must still start
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, with notebooks 05 and 06 scheduled as one file."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesWith05And06Together(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return SAME_WORKER.get(scope, scope)

    return FilesWith05And06Together(config, log)


def _ensure_champion(item: pytest.Item) -> None:
    global _champion_checked
    if _champion_checked or Path(str(item.path)).name != NEEDS_CHAMPION:
        return
    _champion_checked = True
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        MlflowClient().get_model_version_by_alias("flights", "champion")
        return
    except MlflowException:
        pass
    with tempfile.TemporaryDirectory(prefix="workbook-05-for-06-") as out:
        result = run_notebooks(["05"], params={"serve_model": "false"}, out_dir=Path(out) / "run", progress=False)
    if not result.ok:
        pytest.fail(f"notebook 05, run to register the champion 06 monitors, failed: {result.error}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Re-point at the throwaway store before every test: MLflow's set_tracking_uri(None), which tests use
    to forget their own store, also deletes the variable, and later notebook kernels would inherit that.

    The solution notebooks get a store of their own: the challenger the 05 solution registers must not show
    up in notebook 05's own exercise check, whichever of the two runs first."""
    store = "solutions-mlflow.db" if SOLUTIONS_DIR in Path(str(item.path)).resolve().parents else "mlflow.db"
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_STORE_DIR}/{store}"
    _ensure_champion(item)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _STORE_DIR:
        shutil.rmtree(_STORE_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def new_store(tmp_path_factory: pytest.TempPathFactory) -> NewStore:
    """`new_store(db, artifact_root=None)`: a new, empty MLflow SQLite store at `db`, as the workbook makes one.

    Making a store's schema runs MLflow's hundred-odd alembic migrations, 3-9 s on a 2-core machine; tests
    that need a store only as a place for runs to go (a sweep's own store for exact run counts, a server's
    backend, a store to fill) copy one made here, once per session, instead. Tests of creating a store
    (races, a missing store made on first use, a server making its database) must not use it. The copy is
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
