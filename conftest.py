"""Settings for the whole test session: unit, end-to-end and notebook (nbval) tests alike."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, coalesce_streams

from workbook.execution import MALLOC_REUSE, kernel_environment
from workbook.run import run_notebooks

_STORE_DIR: str | None = None
NewStore = Callable[..., Path]
# The worked solutions beside this file (not workbook.paths: the tests may import the package from elsewhere).
NOTEBOOKS_DIR = Path(__file__).resolve().parent / "notebooks"
SOLUTIONS_DIR = NOTEBOOKS_DIR / "solutions"


def pytest_configure(config: pytest.Config) -> None:
    """Point MLflow at a throwaway store: test runs (and the notebook kernels nbval starts, which inherit
    this environment) must never add runs to a learner's mlruns/ or to a team's tracking server."""
    global _STORE_DIR
    _STORE_DIR = tempfile.mkdtemp(prefix="workbook-test-mlflow-")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_STORE_DIR}/mlflow.db"
    # nbval's kernels get what `workbook run` gives its own (see workbook.execution.kernel_environment): one native
    # thread each, so two test workers do not spin OpenMP threads against each other, and no MLflow
    # download progress bars in the outputs nbval compares. Not MALLOC_REUSE: the kernel spec gives every kernel
    # that, and set here it would reach every process a test starts, servers included, which would then keep
    # up to 1 GiB of freed memory (the room server's measured memory: 926 MB instead of under 600).
    os.environ.update({name: value for name, value in kernel_environment().items() if name not in MALLOC_REUSE})


# Notebook 06 monitors the champion notebook 05 registers, and its committed outputs were made with it (make
# notebooks runs 05 first). In a parallel test session 06 may start before 05's nbval run has registered one:
# then 05 runs here first, once per worker, into the same throwaway store, as a learner would run it.
NEEDS_CHAMPION = "06_monitoring.ipynb"
_champion_checked = False


# One execution of the workbook per test session serves nbval and the end-to-end checks of a run (issue 12).
# `workbook run` executes every notebook with its defaults, as `make run` does; nbval then compares each
# committed notebook's outputs with that execution's (its own comparison and sanitize file, cell by cell), and
# tests/e2e/test_workbook_run.py checks the run folder, results.json and MLflow of the same run. Before, nbval
# executed every notebook in a kernel of its own and the e2e tests ran them all again (~190 s of two cores).
# WORKBOOK_NBVAL_REPLAY=0 gives nbval's own execution back (one notebook at a time, when debugging a cell).
REPLAY_SWITCH = "WORKBOOK_NBVAL_REPLAY"
DEFAULT_RUN_TIMEOUT_S = 1800
DEFAULT_RUN_SCOPE = "the workbook's default run"
DEFAULT_RUN_TESTS = "tests/e2e/test_workbook_run.py"


def replaying() -> bool:
    return os.environ.get(REPLAY_SWITCH, "1") != "0"


@dataclass(frozen=True)
class DefaultRun:
    """`workbook run --jobs 2 --out OUT`: the command's outcome and its run folder."""

    done: subprocess.CompletedProcess[str]
    out: Path

    def executed(self, stem: str) -> Path | None:
        """The notebook the run executed for `stem` (a failed one's partial output too), if any."""
        try:
            entries = json.loads((self.out / "run.json").read_text())["notebooks"]
        except (OSError, ValueError, KeyError):
            return None
        output = next((entry.get("output") for entry in entries if entry.get("name") == stem), None)
        return self.out / output if output else None


_default_run: DefaultRun | None = None
_replayed: set[str] | None = None  # the notebooks this process checks; None: all (the e2e checks need them all)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Note which notebooks this process replays: `pytest notebooks/01_motivation.ipynb` runs 01 alone."""
    global _replayed
    if any(Path(str(item.path)) == Path(__file__).parent / DEFAULT_RUN_TESTS for item in items):
        return
    _replayed = {Path(str(item.path)).stem for item in items if isinstance(item, ReplayedCell)}


def _with_needs(stems: set[str]) -> list[str]:
    """`stems` and every notebook they need, in the workbook's order (a run leaves unselected needs to the user)."""
    from workbook.execution import list_notebooks

    infos = list_notebooks(NOTEBOOKS_DIR)
    needs = {info.stem: set(info.needs) for info in infos}
    wanted = set(stems)
    while True:
        more = set().union(*(needs.get(stem, set()) for stem in wanted)) - wanted
        if not more:
            return [info.stem for info in infos if info.stem in wanted]
        wanted |= more


def default_run_once() -> DefaultRun:
    """This test process's one `workbook run` of the notebooks with their defaults, made on first use."""
    global _default_run
    if _default_run is None:
        out = Path(tempfile.mkdtemp(prefix="default-run-", dir=_STORE_DIR)) / "run"
        selected = [] if _replayed is None else _with_needs(_replayed)
        command = [sys.executable, "-m", "workbook.cli", "run", *selected, "--jobs", "2", "--out", str(out),
                   "--no-progress", "--notebooks-dir", str(NOTEBOOKS_DIR)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=DEFAULT_RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # every replayed cell and e2e check then fails with this, once each
            done = subprocess.CompletedProcess(command, -1, "", f"`workbook run` took over {DEFAULT_RUN_TIMEOUT_S} s")
        _default_run = DefaultRun(done, out)
    return _default_run


@pytest.fixture(scope="session")
def default_run() -> tuple[subprocess.CompletedProcess[str], Path]:
    """What `make run` does: every notebook, two at a time, default parameters (shared with nbval)."""
    run = default_run_once()
    return run.done, run.out


class ReplayedNotebook(IPyNbFile):
    """nbval's collector for one of the workbook's notebooks, checked against the default run's execution."""

    def setup(self) -> None:
        self.setup_sanitize_files()
        run = default_run_once()
        executed = run.executed(self.path.stem)
        self.run_problem: str | None = None
        self.executed_cells: dict[str, nbformat.NotebookNode] = {}
        if executed is not None:
            self.executed_cells = {cell.get("id"): cell for cell in nbformat.read(executed, as_version=4).cells}
        else:
            self.run_problem = (f"`workbook run` did not execute {self.path.name} (exit {run.done.returncode}):\n"
                                f"{run.done.stderr[-3000:]}")

    def collect(self) -> Iterator[pytest.Item]:
        for cell in super().collect():
            yield ReplayedCell.from_parent(self, name=cell.name, cell_num=cell.cell_num, cell=cell.cell,
                                           options=cell.options)


class ReplayedCell(IPyNbCell):
    """A cell nbval checks as usual, its outputs taken from the default run instead of a kernel of its own."""

    def runtest(self) -> None:
        if self.options["skip"]:
            pytest.skip()
        notebook = self.parent
        if notebook.run_problem:
            self.raise_cell_error(notebook.run_problem)
        executed = notebook.executed_cells.get(self.cell.get("id"))
        if executed is None or executed.source != self.cell.source:
            self.raise_cell_error("this cell is not in the notebook `workbook run` executed")
        if executed.get("execution_count") is None:
            self.raise_cell_error("not executed in the default run: an earlier cell failed")
        outputs = [copy.deepcopy(output) for output in executed.outputs]
        error = next((output for output in outputs if output.output_type == "error"), None)
        if error is not None and not self.options["check_exception"]:
            self.raise_cell_error("Cell execution caused an exception", "\n" + "\n".join(error.traceback))
        outputs = coalesce_streams(outputs)
        unrun = self.cell.execution_count is None
        if unrun and self.cell.outputs:
            self.raise_cell_error("Unrun reference cell has outputs")
        if self.options["check"] and not unrun and not self.compare_outputs(outputs,
                                                                             coalesce_streams(self.cell.outputs)):
            self.raise_cell_error("Cell outputs differ", "\n".join(self.comparison_traceback))


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    """nbval collects the committed notebooks; the workbook's own (not the solutions) are replayed."""
    collected = yield
    if not replaying() or file_path.parent != NOTEBOOKS_DIR:
        return collected
    return [ReplayedNotebook.from_parent(parent, path=file_path) if type(item) is IPyNbFile else item
            for item in collected]


# pytest-xdist (`--dist loadfile`) gives each worker whole files. The replayed notebooks and the e2e checks of
# the default run go to one worker as one unit, so the run is made once. Without the replay, 05 and 06 go to the
# same worker as one unit, 05 first, so 06's nbval run finds the champion 05's nbval run registered instead of
# executing 05 a second time (~60 s on two cores). A scheduler, not xdist_group marks: xdist 3.8's loadgroup
# cannot rename pytest 9.2's node ids.
SAME_WORKER = {f"notebooks/{name}": "notebooks/05+06" for name in ("05_mlflow_tracking.ipynb", NEEDS_CHAMPION)}


def in_default_run_unit(path: str) -> bool:
    """Whether a test file (relative to the project) shares the default run: a workbook notebook nbval replays,
    or the e2e checks of that run (benchmarks/suite_costs.py books them as one row too)."""
    return path == DEFAULT_RUN_TESTS or (path.startswith("notebooks/") and path.count("/") == 1)


def _scope_of(scope: str) -> str:
    if replaying() and in_default_run_unit(scope):
        return DEFAULT_RUN_SCOPE
    return SAME_WORKER.get(scope, scope)


@pytest.hookimpl(optionalhook=True)  # xdist's hook: a pytest session without xdist must still start
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, with the default run's files (or notebooks 05 and 06) scheduled as one file."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesSharingAnExecution(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope_of(super()._split_scope(nodeid))

    return FilesSharingAnExecution(config, log)


def _ensure_champion(item: pytest.Item) -> None:
    global _champion_checked
    if _champion_checked or Path(str(item.path)).name != NEEDS_CHAMPION or isinstance(item, ReplayedCell):
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
