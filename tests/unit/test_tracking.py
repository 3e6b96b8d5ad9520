"""Tracking helpers against throw-away stores in tmp_path; the project's own store is never touched."""

from __future__ import annotations

import http.server
import multiprocessing
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import mlflow
import mlflow.tracking.fluent
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge

from workbook import __version__, paths, tracking
from workbook.paths import PROJECT_ROOT
from workbook.tracking import TrackingError

# Read before any fixture swaps it for a temporary path.
REAL_DEFAULT_DB = tracking.DEFAULT_DB


@pytest.fixture(autouse=True)
def isolated_mlflow(tmp_path, monkeypatch):
    """No test sees the caller's MLflow settings or the project's store, and none leaks its own."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    # Anything that falls back to the default store lands here instead of in the project.
    monkeypatch.setattr("workbook.paths.DEFAULT_DB", tmp_path / "default-store" / "mlflow.db")
    yield
    tracking.forget_tracking_state()


def _uri(db) -> str:
    return f"sqlite:///{db.as_posix()}"


@pytest.fixture
def fresh_store(tmp_path):
    """A store that does not exist yet: the first helper to touch it creates it."""
    return _uri(tmp_path / "fresh" / "mlflow.db")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """One store created once; most tests copy it, since creating the schema takes a second or more."""
    db = tmp_path_factory.mktemp("template") / "mlflow.db"
    tracking.ensure_store(_uri(db))
    return db


@pytest.fixture
def store(tmp_path, template_db):
    """A ready store of the test's own: a copy of the template."""
    db = tmp_path / "store" / "mlflow.db"
    db.parent.mkdir()
    shutil.copyfile(template_db, db)
    return _uri(db)


def _frame(n: int = 40, seed: int = 42) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"duration_min": rng.normal(300, 60, n), "stops": rng.integers(0, 3, n)})
    y = pd.Series(5000 + 10 * X["duration_min"] + 2000 * X["stops"] + rng.normal(0, 100, n), name="Price")
    return X, y


# --- where runs are stored -------------------------------------------------------------------------


def test_default_store_is_a_sqlite_database_in_the_project():
    assert REAL_DEFAULT_DB == PROJECT_ROOT / "mlruns" / "mlflow.db"
    assert tracking.default_tracking_uri() == f"sqlite:///{paths.DEFAULT_DB.as_posix()}"
    assert tracking.sqlite_path(tracking.default_tracking_uri()) == paths.DEFAULT_DB
    assert tracking.artifact_root(tracking.default_tracking_uri()) == paths.DEFAULT_DB.parent / "artifacts"
    assert tracking.ui_command().startswith(f"mlflow ui --backend-store-uri {tracking.default_tracking_uri()} ")


def test_uri_resolution_order_is_argument_then_environment_then_default(monkeypatch):
    assert tracking.resolve_tracking_uri() == tracking.default_tracking_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    assert tracking.resolve_tracking_uri() == "http://tracking.example:5000"
    assert tracking.resolve_tracking_uri("sqlite:////tmp/other.db") == "sqlite:////tmp/other.db"


def test_sqlite_path_reads_relative_and_absolute_uris(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert tracking.sqlite_path("sqlite:///runs/m.db") == tmp_path / "runs" / "m.db"
    assert tracking.sqlite_path("sqlite:////srv/m.db?timeout=20") == Path("/srv/m.db").resolve()
    assert tracking.sqlite_path("http://127.0.0.1:5000") is None
    with pytest.raises(TrackingError, match="sqlite://"):
        tracking.sqlite_path("sqlite://")


def test_ensure_store_creates_the_schema_once_quietly_and_is_idempotent(fresh_store, capfd):
    store = fresh_store
    db = tracking.sqlite_path(store)
    assert not db.exists()
    assert tracking.ensure_store(store) == store
    assert capfd.readouterr() == ("", "")  # MLflow's "Creating initial MLflow database tables..." is silenced
    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        default_location = connection.execute("SELECT artifact_location FROM experiments").fetchall()
    assert {"experiments", "runs", "metrics", "registered_models", "model_versions"} <= tables
    assert default_location == [(str(db.parent / "artifacts" / "0"),)]

    tracking.store.ready_stores.clear()  # force the locked path again, as a second process would take it
    assert tracking.ensure_store(store) == store
    assert len(MlflowClient(store).search_experiments()) == 1


def _log_one_run(uri: str, index: int, barrier, results) -> None:
    """Child process: wait for all siblings, then open the fresh store and log one run."""
    try:
        barrier.wait(timeout=60)
        tracking.setup_tracking("race", uri)
        with mlflow.start_run(run_name=f"worker-{index}"):
            mlflow.log_metric("index", index)
        results.put("ok")
    except BaseException as error:  # report every failure to the parent instead of dying silently
        results.put(f"{type(error).__name__}: {error}")


@pytest.mark.skipif(sys.platform == "win32", reason="forkserver is POSIX-only")
def test_eight_processes_opening_a_fresh_store_lose_no_run(fresh_store):
    store = fresh_store
    # forkserver: children fork from one clean process that imported the modules once, so the eight start
    # together in well under a second (spawn would re-import mlflow eight times on two cores).
    context = multiprocessing.get_context("forkserver")
    # This module too: each child unpickles _log_one_run from it, which would import pytest eight times.
    preload = ["mlflow.store.tracking.sqlalchemy_store", "mlflow.store.model_registry.sqlalchemy_store", __name__]
    context.set_forkserver_preload(preload)
    barrier, results = context.Barrier(8), context.Queue()
    workers = [context.Process(target=_log_one_run, args=(store, i, barrier, results)) for i in range(8)]
    for worker in workers:
        worker.start()
    # Generous: this checks that no run is lost, not speed; a loaded 2-core machine once needed more than 90 s.
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert outcomes == ["ok"] * 8
    runs = tracking.runs_frame("race", store)
    assert sorted(runs["run_name"]) == [f"worker-{i}" for i in range(8)]
    assert set(runs["status"]) == {"FINISHED"}
    assert sorted(runs["metrics.index"]) == list(range(8))


@pytest.fixture
def no_proxy(monkeypatch):
    """Talk to 127.0.0.1 directly even where a proxy is configured (a proxy would answer for a dead port)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_fails_fast_naming_the_uri(monkeypatch, no_proxy):
    uri = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(TrackingError) as caught:
        tracking.ensure_store(uri)
    assert time.monotonic() - started < 5
    assert uri in str(caught.value) and "\n" not in str(caught.value)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(TrackingError, match=re.escape(uri)):
        tracking.setup_tracking("anything")


def _serve(status: int) -> http.server.HTTPServer:
    """A local web server that answers every GET with `status`, in a background thread."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("status, answers", [(200, True), (401, True), (404, False), (502, False)])
def test_a_server_counts_as_mlflow_when_its_health_page_answers(no_proxy, status, answers):
    server = _serve(status)
    uri = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        if answers:
            assert tracking.ensure_store(uri) == uri
        else:
            with pytest.raises(TrackingError, match=f"{re.escape(uri)} answered HTTP {status} at /health"):
                tracking.ensure_store(uri)
    finally:
        server.shutdown()
        server.server_close()


def test_setup_tracking_keeps_artifacts_in_the_store_not_the_working_folder(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    experiment_id = tracking.setup_tracking("flights price", store)
    assert tracking.setup_tracking("flights price", store) == experiment_id
    assert mlflow.get_tracking_uri() == store
    with mlflow.start_run() as run:
        mlflow.log_text("hello", "note.txt")
    expected_root = tracking.artifact_root(store) / "flights_price"
    assert run.info.artifact_uri.startswith(expected_root.as_uri())
    assert (expected_root / run.info.run_id / "artifacts" / "note.txt").read_text() == "hello"
    assert not (tmp_path / "mlruns").exists() and not (tmp_path / "mlflow.db").exists()


def test_setup_tracking_refuses_a_deleted_experiment(store):
    experiment_id = tracking.setup_tracking("old", store)
    MlflowClient(store).delete_experiment(experiment_id)
    with pytest.raises(TrackingError, match="experiment 'old' .* is deleted"):
        tracking.setup_tracking("old", store)


def test_logging_and_registering_print_nothing(store, capfd):
    tracking.setup_tracking("quiet", store)
    X, y = _frame()
    with mlflow.start_run():
        tracking.log_dataset(pd.concat([X, y], axis=1), "flights", source="synthetic twin", targets="Price")
        info = tracking.log_sklearn_model(Ridge().fit(X, y), "model", X, registered_model_name="quiet-model")
    tracking.set_alias("quiet-model", "champion", info.registered_model_version)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


# --- what a run records -----------------------------------------------------------------------------


def test_frame_hash_is_stable_and_sensitive_to_content_order_names_and_types():
    X, _ = _frame()
    reference = tracking.frame_hash(X)
    assert re.fullmatch(r"[0-9a-f]{64}", reference)
    assert tracking.frame_hash(X.copy()) == reference
    assert tracking.frame_hash(X.set_axis(range(100, 140))) == reference  # labels are not content
    changed = X.copy()
    changed.loc[7, "stops"] += 1
    assert tracking.frame_hash(changed) != reference
    assert tracking.frame_hash(X.iloc[::-1]) != reference
    assert tracking.frame_hash(X.rename(columns={"stops": "n_stops"})) != reference
    assert tracking.frame_hash(X.astype({"stops": "float64"})) != reference
    with pytest.raises(TypeError, match="DataFrame"):
        tracking.frame_hash(X["stops"])


def test_run_tags_name_notebook_data_version_and_commit(tmp_path):
    tags = tracking.run_tags("05_mlflow_tracking", "synthetic twin (seed 42)", "abc123")
    assert tags["workbook.notebook"] == "05_mlflow_tracking"
    assert tags["workbook.data_source"] == "synthetic twin (seed 42)"
    assert tags["workbook.data_hash"] == "abc123"
    assert tags["workbook.version"] == __version__
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert tags.get("mlflow.source.git.commit") == (head.stdout.strip() if head.returncode == 0 else None)
    assert tracking.git_commit(tmp_path) is None  # not a repository: no tag, no error


def test_run_tags_add_the_tags_a_sweep_puts_in_the_environment(monkeypatch):
    monkeypatch.setenv(tracking.EXTRA_TAGS_ENV, '{"workbook.sweep": "s1", "workbook.point": "p7"}')
    tags = tracking.run_tags("05_mlflow_tracking", "synthetic twin", "abc123")
    assert tags["workbook.sweep"] == "s1" and tags["workbook.point"] == "p7"
    assert tags["workbook.notebook"] == "05_mlflow_tracking"
    monkeypatch.setenv(tracking.EXTRA_TAGS_ENV, "[1, 2]")
    with pytest.raises(TrackingError, match="WORKBOOK_RUN_TAGS must be a JSON object"):
        tracking.run_tags("05_mlflow_tracking", "synthetic twin", "abc123")
    monkeypatch.setenv(tracking.EXTRA_TAGS_ENV, "{not json")
    with pytest.raises(TrackingError, match="WORKBOOK_RUN_TAGS"):
        tracking.run_tags("05_mlflow_tracking", "synthetic twin", "abc123")


def test_log_dataset_records_an_input_of_the_active_run(store):
    tracking.setup_tracking("data", store)
    X, y = _frame()
    with pytest.raises(TrackingError, match="active run"):
        tracking.log_dataset(X, "flights", source="synthetic twin")
    with mlflow.start_run() as run:
        tracking.log_dataset(pd.concat([X, y], axis=1), "flights", source="synthetic twin", targets="Price")
    inputs = MlflowClient(store).get_run(run.info.run_id).inputs.dataset_inputs
    assert [item.dataset.name for item in inputs] == ["flights"]
    assert {(tag.key, tag.value) for tag in inputs[0].tags} == {("mlflow.data.context", "training")}


def test_whole_number_targets_are_logged_as_float_so_rows_logged_by_hand_get_the_same_digest(store):
    """Notebook 05 logs its tree's rows by hand with Price as float, the other runs through log_dataset."""
    tracking.setup_tracking("data", store)
    X, _ = _frame()
    rows = X.assign(Price=np.arange(len(X)) * 100 + 3_000)  # whole rupees, as the flight file's
    assert pd.api.types.is_integer_dtype(rows["Price"])
    with mlflow.start_run():
        helper = tracking.log_dataset(rows, "flights-train", source="synthetic twin", targets="Price")
        by_hand = mlflow.data.from_pandas(rows.astype({"Price": float}), source="synthetic twin",
                                          name="flights-train", targets="Price")
    assert helper.digest == by_hand.digest
    assert pd.api.types.is_integer_dtype(rows["Price"])  # the caller's frame is left as it was


def test_the_same_dataset_logged_again_is_described_once_and_a_different_one_is_not_mixed_up(store):
    tracking.setup_tracking("data", store)
    X, y = _frame()
    rows = pd.concat([X, y], axis=1)
    with mlflow.start_run() as first, mlflow.start_run(nested=True):
        logged = tracking.log_dataset(rows, "flights", source="synthetic twin", targets="Price")
    with mlflow.start_run() as second:
        again = tracking.log_dataset(rows.copy(), "flights", source="synthetic twin", targets="Price")
        fewer = tracking.log_dataset(rows.iloc[:-1], "flights", source="synthetic twin", targets="Price")
        renamed = tracking.log_dataset(rows, "flights-2", source="synthetic twin", targets="Price")
    assert again is logged  # its schema was inferred once
    assert fewer is not logged and renamed is not logged
    assert fewer.profile["num_rows"] == len(rows) - 1
    client = MlflowClient(store)
    assert [i.dataset.name for i in client.get_run(first.info.run_id).inputs.dataset_inputs] == []  # the child's
    names = sorted(i.dataset.name for i in client.get_run(second.info.run_id).inputs.dataset_inputs)
    assert names == ["flights", "flights", "flights-2"]


def test_logged_model_has_signature_example_pins_and_loads_back_equal(store):
    tracking.setup_tracking("models", store)
    X, y = _frame()
    # A forest: skops refuses its tree nodes unless they are trusted, so this covers that path too.
    model = RandomForestRegressor(n_estimators=5, random_state=42).fit(X, y)
    with pytest.raises(TrackingError, match="active run"):
        tracking.log_sklearn_model(model, "model", X)
    with mlflow.start_run(), warnings.catch_warnings():
        warnings.simplefilter("error")  # MLflow's integer-column hint must not escape
        info = tracking.log_sklearn_model(model, "model", X)
    assert info.signature.inputs.input_names() == ["duration_min", "stops"]
    assert mlflow.models.Model.load(info.model_uri).saved_input_example_info["type"] == "dataframe"
    model_dir = Path(mlflow.artifacts.download_artifacts(info.model_uri))
    requirements = (model_dir / "requirements.txt").read_text().split()
    assert f"scikit-learn=={version('scikit-learn')}" in requirements
    assert f"mlflow=={mlflow.__version__}" in requirements
    loaded = mlflow.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_log_model_run_records_params_metrics_dataset_and_model_in_a_nested_run(store):
    tracking.setup_tracking("candidates", store)
    X, y = _frame()
    model = Ridge().fit(X, y)
    with mlflow.start_run() as parent:
        info = tracking.log_model_run("ridge", params={"alpha": 1.0}, metrics={"MAE": 12.5, "cv": float("nan")},
                                      model=model, X_train=X, y_train=y, data_source="synthetic twin",
                                      dataset_name="toy-train", tags={"workbook.notebook": "t"})
        skipped = tracking.log_model_run("ridge-no-model", params={"alpha": 1.0}, metrics={"MAE": 12.5},
                                         model=model, X_train=X, y_train=y, data_source="synthetic twin",
                                         dataset_name="toy-train", log_model=False)
    client = MlflowClient(store)
    children = {r.info.run_name: r for r in client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")}
    assert set(children) == {"ridge", "ridge-no-model"}
    run = children["ridge"]
    assert run.data.params == {"alpha": "1.0"} and run.data.metrics == {"MAE": 12.5}  # NaN left out
    assert run.data.tags["workbook.notebook"] == "t"
    dataset = run.inputs.dataset_inputs[0].dataset
    assert dataset.name == "toy-train" and "Price" in dataset.schema
    assert info.signature.inputs.input_names() == ["duration_min", "stops"]
    np.testing.assert_allclose(mlflow.sklearn.load_model(info.model_uri).predict(X), model.predict(X))
    assert skipped is None and children["ridge-no-model"].data.tags["workbook.model_logged"] == "false"
    assert children["ridge-no-model"].inputs.dataset_inputs  # the data is recorded even without the model


def test_a_knn_model_on_sparse_one_hot_columns_logs_without_naming_trusted_types(store):
    from scipy import sparse
    from sklearn.neighbors import KNeighborsRegressor

    tracking.setup_tracking("sparse", store)
    X, y = _frame()
    model = KNeighborsRegressor(n_neighbors=3).fit(sparse.csr_matrix(X.to_numpy()), y)
    with mlflow.start_run():
        info = tracking.log_sklearn_model(model, "model", X.to_numpy())
    loaded = mlflow.sklearn.load_model(info.model_uri)
    np.testing.assert_allclose(loaded.predict(X.to_numpy()[:5]), model.predict(X.to_numpy()[:5]))


class ConstantModel:
    """Not an sklearn class: skops only loads it when it is named as trusted."""

    def __init__(self, value: float = 1.0):
        self.value = value

    def predict(self, X):
        return np.full(len(X), self.value)


def test_a_model_class_skops_does_not_know_must_be_trusted_by_name(store):
    tracking.setup_tracking("custom", store)
    X, _ = _frame()
    with mlflow.start_run(), pytest.raises(TrackingError, match="skops_trusted_types") as caught:
        tracking.log_sklearn_model(ConstantModel(), "model", X)
    assert "\n" not in str(caught.value)
    class_name = f"{ConstantModel.__module__}.{ConstantModel.__qualname__}"
    with mlflow.start_run():
        info = tracking.log_sklearn_model(ConstantModel(7.0), "model", X, skops_trusted_types=[class_name])
    assert list(mlflow.sklearn.load_model(info.model_uri).predict(X.head(3))) == [7.0, 7.0, 7.0]


# --- the model registry -----------------------------------------------------------------------------


def _log_version(name: str, alpha: float, rmse: float) -> int:
    """Log a run with metric `rmse` and a Ridge model; register it as a new version of `name`."""
    X, y = _frame()
    with mlflow.start_run(run_name=f"ridge-{alpha}"):
        mlflow.log_param("alpha", alpha)
        mlflow.log_metric("rmse", rmse)
        info = tracking.log_sklearn_model(Ridge(alpha=alpha).fit(X, y), "model", X)
    return tracking.register_model(info.model_uri, name)


def test_register_alias_and_load_by_alias(store):
    tracking.setup_tracking("registry", store)
    assert _log_version("flights", 1.0, rmse=300.0) == 1
    assert _log_version("flights", 10.0, rmse=250.0) == 2
    tracking.set_alias("flights", "champion", 1)
    assert tracking.alias_version("flights") == 1
    X, y = _frame()
    np.testing.assert_allclose(tracking.load_by_alias("flights").predict(X), Ridge(alpha=1.0).fit(X, y).predict(X))
    pyfunc = tracking.load_by_alias("flights", flavor="pyfunc")
    np.testing.assert_allclose(np.asarray(pyfunc.predict(X)), Ridge(alpha=1.0).fit(X, y).predict(X))


def test_promote_if_better_moves_the_alias_only_for_a_better_score(store):
    tracking.setup_tracking("promotion", store)
    first = _log_version("flights", 1.0, rmse=300.0)
    worse = _log_version("flights", 2.0, rmse=320.0)
    better = _log_version("flights", 3.0, rmse=250.0)
    assert tracking.promote_if_better("flights", first, "rmse") is True  # no champion yet
    assert tracking.promote_if_better("flights", first, "rmse") is False  # already champion
    assert tracking.promote_if_better("flights", worse, "rmse") is False
    assert tracking.alias_version("flights") == first
    assert tracking.promote_if_better("flights", better, "rmse") is True
    assert tracking.alias_version("flights") == better
    # Higher is better (e.g. R²): the run metric 300 beats 250.
    assert tracking.promote_if_better("flights", first, "rmse", higher_is_better=True) is True
    assert tracking.alias_version("flights") == first
    # Given scores override the runs' metrics; a tie keeps the incumbent.
    assert tracking.promote_if_better("flights", worse, "rmse", challenger_score=1.0, champion_score=1.0) is False
    assert tracking.promote_if_better("flights", worse, "rmse", challenger_score=0.5, champion_score=1.0) is True
    assert tracking.alias_version("flights") == worse
    with pytest.raises(TrackingError, match="has no metric 'mae'"):
        tracking.promote_if_better("flights", better, "mae")


def test_missing_models_versions_and_aliases_give_one_line_errors(store):
    tracking.setup_tracking("errors", store)
    _log_version("flights", 1.0, rmse=300.0)
    expected = f"no model version with alias 'champion' for registered model 'flights' at {store}"
    with pytest.raises(TrackingError) as caught:
        tracking.load_by_alias("flights")
    assert str(caught.value) == expected
    with pytest.raises(TrackingError) as caught:
        tracking.load_by_alias("trains")
    assert str(caught.value) == f"no registered model 'trains' at {store}"
    with pytest.raises(TrackingError) as caught:
        tracking.set_alias("flights", "champion", 99)
    assert str(caught.value) == f"no version 99 of registered model 'flights' at {store}"
    assert tracking.alias_version("flights", "challenger") is None
    with pytest.raises(ValueError, match="flavor"):
        tracking.load_by_alias("flights", flavor="onnx")


# --- comparing runs from code -----------------------------------------------------------------------


def test_runs_frame_has_one_tidy_row_per_run_oldest_first(store):
    tracking.setup_tracking("compare", store)
    for alpha, rmse in [(0.1, 310.0), (1.0, 290.0), (10.0, 305.0)]:
        with mlflow.start_run(run_name=f"ridge-{alpha}"):
            mlflow.log_params({"alpha": alpha, "solver": "auto"})
            mlflow.log_metrics({"rmse": rmse, "r2": 0.9})
    runs = tracking.runs_frame("compare", store)
    assert list(runs.columns) == ["run_name", "status", "params.alpha", "params.solver", "metrics.r2", "metrics.rmse"]
    assert list(runs["run_name"]) == ["ridge-0.1", "ridge-1.0", "ridge-10.0"]
    assert list(runs["params.alpha"]) == [0.1, 1.0, 10.0]  # stored as text, read back as numbers
    assert runs.loc[runs["metrics.rmse"].idxmin(), "run_name"] == "ridge-1.0"
    with_ids = tracking.runs_frame("compare", store, ids=True)
    assert list(with_ids.columns[:2]) == ["run_id", "start_time"] and with_ids["run_id"].is_unique
    tracking.setup_tracking("empty", store)
    assert list(tracking.runs_frame("empty", store).columns) == ["run_name", "status"]
    with pytest.raises(TrackingError, match="no experiment named 'missing'"):
        tracking.runs_frame("missing", store)
