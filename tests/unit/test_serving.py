"""Serving helpers without a real model server: loading by URI, batch scoring, requests, process handling."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import mlflow
import mlflow.tracking.fluent
import numpy as np
import pandas as pd
import pytest

from workbook import serving, tracking
from workbook.data import COLUMNS, make_flights
from workbook.models import RAW_COLUMNS, make_pipeline
from workbook.serving import InputSchemaError, ServingError, model_server, process
from workbook.tracking import TrackingError

MODEL = "fares"


def _uri(db: Path) -> str:
    return f"sqlite:///{db.as_posix()}"


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    """A small twin without the one row that has neither Route nor Total_Stops."""
    return make_flights(400, seed=3).dropna().reset_index(drop=True)


@pytest.fixture(scope="module")
def logged(tmp_path_factory, flights, new_store):
    """A store holding one small fitted pipeline on raw rows: version 1 of `fares`, alias champion."""
    db = new_store(tmp_path_factory.mktemp("serving-store") / "mlflow.db")
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    pipeline = make_pipeline("tree", "improved").fit(flights[RAW_COLUMNS], flights["Price"])
    try:
        tracking.setup_tracking("serving-tests", _uri(db))
        with mlflow.start_run() as run:
            info = tracking.log_sklearn_model(pipeline, "model", flights[RAW_COLUMNS], registered_model_name=MODEL)
        tracking.set_alias(MODEL, "champion", info.registered_model_version)
    finally:
        tracking.forget_tracking_state()
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved
    return {"db": db, "pipeline": pipeline, "run_id": run.info.run_id}


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch, logged) -> str:
    """Each test works on its own copy of the logged store (artifacts stay where the copy's rows point)."""
    db = tmp_path / "store" / "mlflow.db"
    db.parent.mkdir()
    shutil.copyfile(logged["db"], db)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", _uri(db))
    monkeypatch.setattr("workbook.paths.DEFAULT_DB", tmp_path / "default-store" / "mlflow.db")
    yield _uri(db)
    tracking.forget_tracking_state()


@pytest.fixture
def no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


# --- loading ------------------------------------------------------------------------------------------


def test_load_model_by_alias_version_and_run_predicts_like_the_pipeline(logged, flights):
    expected = logged["pipeline"].predict(flights[RAW_COLUMNS].head(20))
    for uri in (f"models:/{MODEL}@champion", f"models:/{MODEL}/1", f"runs:/{logged['run_id']}/model"):
        model = serving.load_model(uri)
        np.testing.assert_allclose(model.predict(flights[RAW_COLUMNS].head(20)), expected)
    assert serving.input_columns(model) == (RAW_COLUMNS, [])


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"models:/{MODEL}@staging", f"models:/{MODEL}@staging: registered model '{MODEL}' has no alias 'staging' at "),
        (f"models:/{MODEL}/7", f"models:/{MODEL}/7: no version 7 of registered model '{MODEL}' at "),
        ("models:/nobody@champion", "models:/nobody@champion: no registered model 'nobody' at "),
        ("runs:/0123abc/model", "runs:/0123abc/model: no run '0123abc' at "),
    ],
)
def test_unknown_model_uris_are_one_line_errors_naming_uri_and_store(store, uri, expected):
    with pytest.raises(TrackingError) as caught:
        serving.load_model(uri)
    message = str(caught.value)
    assert message.startswith(expected) and store in message and "\n" not in message


def test_a_name_that_is_no_model_uri_says_which_forms_are_expected(store):
    with pytest.raises(TrackingError, match=r"^flights@champion: not a model URI; expected models:/<name>@<alias>"):
        serving.check_model_uri("flights@champion")


def test_existing_run_without_that_artifact_is_a_one_line_error(logged, store):
    with pytest.raises(TrackingError) as caught:
        serving.load_model(f"runs:/{logged['run_id']}/no-such-model")
    assert str(caught.value).startswith(f"cannot load runs:/{logged['run_id']}/no-such-model from {store}: ")
    assert "\n" not in str(caught.value)


# --- batch scoring ------------------------------------------------------------------------------------


def test_score_file_round_trip_keeps_the_rows_and_adds_predictions(tmp_path, logged, flights):
    rows = flights.head(25)
    in_path = tmp_path / "in.csv"
    rows.to_csv(in_path, index=False)  # with Price: kept for comparison, never given to the model
    out_path = tmp_path / "out" / "scored.csv"
    scored = serving.score_file(f"models:/{MODEL}@champion", in_path, out_path)
    written = pd.read_csv(out_path, dtype={c: str for c in COLUMNS[:-1]})
    assert list(written.columns) == COLUMNS + ["predicted_price"]
    expected = logged["pipeline"].predict(rows[RAW_COLUMNS])
    np.testing.assert_allclose(written["predicted_price"], expected)
    np.testing.assert_allclose(scored["predicted_price"], expected)
    assert written["Price"].tolist() == rows["Price"].tolist()
    assert [p.name for p in out_path.parent.iterdir()] == ["scored.csv"]  # no temporary file left behind


def test_score_file_reads_xlsx_without_price_and_writes_xlsx(tmp_path, logged, flights):
    rows = flights[RAW_COLUMNS].head(5)
    rows.to_excel(tmp_path / "in.xlsx", index=False)
    serving.score_file(f"models:/{MODEL}/1", tmp_path / "in.xlsx", tmp_path / "out.xlsx")
    written = pd.read_excel(tmp_path / "out.xlsx")
    assert list(written.columns) == RAW_COLUMNS + ["predicted_price"]
    np.testing.assert_allclose(written["predicted_price"], logged["pipeline"].predict(rows))


def test_missing_and_extra_columns_are_named_with_the_file(tmp_path, flights):
    in_path = tmp_path / "batch.csv"
    flights.head(5).drop(columns=["Route", "Duration"]).assign(Seat="12A").to_csv(in_path, index=False)
    with pytest.raises(InputSchemaError) as caught:
        serving.score_file(f"models:/{MODEL}@champion", in_path, tmp_path / "out.csv")
    message = str(caught.value)
    assert message.startswith(f"{in_path}: missing column(s) ['Route', 'Duration']; unexpected column(s) ['Seat']")
    assert "\n" not in message
    assert not (tmp_path / "out.csv").exists()


def test_rows_the_model_cannot_score_are_a_one_line_error(tmp_path, flights):
    rows = flights.head(5).copy()
    rows.loc[2, ["Route", "Total_Stops"]] = np.nan  # stops unknown: the pipeline's features refuse the row
    rows.to_csv(tmp_path / "gaps.csv", index=False)
    with pytest.raises(InputSchemaError) as caught:
        serving.score_file(f"models:/{MODEL}@champion", tmp_path / "gaps.csv", tmp_path / "out.csv")
    assert str(caught.value).startswith(f"{tmp_path / 'gaps.csv'}: models:/{MODEL}@champion cannot score these rows:")
    assert "Total_Stops" in str(caught.value) and "\n" not in str(caught.value)


def test_unreadable_inputs_and_outputs_are_refused(tmp_path):
    uri = f"models:/{MODEL}@champion"
    with pytest.raises(FileNotFoundError, match="nothing.csv: no such file"):
        serving.score_file(uri, tmp_path / "nothing.csv", tmp_path / "out.csv")
    (tmp_path / "rows.txt").write_text("a,b\n1,2\n")
    with pytest.raises(InputSchemaError, match=r"rows.txt: expected a .csv or .xlsx file, got '.txt'"):
        serving.score_file(uri, tmp_path / "rows.txt", tmp_path / "out.csv")
    (tmp_path / "header.csv").write_text(",".join(RAW_COLUMNS) + "\n")
    with pytest.raises(InputSchemaError, match="header.csv: no rows to score"):
        serving.score_file(uri, tmp_path / "header.csv", tmp_path / "out.csv")
    (tmp_path / "broken.xlsx").write_text("not a workbook")
    unreadable = r"broken.xlsx: cannot be read as an Excel workbook \(.*\); is it really a .xlsx file\?"
    with pytest.raises(InputSchemaError, match=unreadable):
        serving.score_file(uri, tmp_path / "broken.xlsx", tmp_path / "out.csv")
    with pytest.raises(InputSchemaError, match="out.json: the output must be a .csv or .xlsx file"):
        serving.score_file(uri, tmp_path / "header.csv", tmp_path / "out.json")


def test_numeric_signature_columns_are_converted_and_bad_numbers_named(tmp_path):
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"minutes": [60.0, 120.0, 180.0, 240.0], "stops": [0, 1, 1, 2]})  # float and int columns
    tracking.setup_tracking("numeric")
    with mlflow.start_run():
        info = tracking.log_sklearn_model(LinearRegression().fit(X, X["minutes"] / 60 + X["stops"]), "model", X)
    (tmp_path / "ok.csv").write_text("minutes,stops\n90,1\n")
    scored = serving.score_file(info.model_uri, tmp_path / "ok.csv", tmp_path / "out.csv")
    assert scored["predicted_price"].round(6).tolist() == [2.5]
    (tmp_path / "bad.csv").write_text("minutes,stops\n90,1\nninety,1\n")
    with pytest.raises(InputSchemaError, match=r"bad.csv: column 'minutes' must hold numbers; data row 2 has 'ninety'"):
        serving.score_file(info.model_uri, tmp_path / "bad.csv", tmp_path / "out.csv")
    (tmp_path / "half.csv").write_text("minutes,stops\n90,1\n100,1.5\n")
    with pytest.raises(InputSchemaError, match=r"column 'stops' must hold whole numbers; data row 2 has '1.5'"):
        serving.score_file(info.model_uri, tmp_path / "half.csv", tmp_path / "out.csv")


# --- requests -----------------------------------------------------------------------------------------


def test_payload_is_dataframe_split_without_index_and_with_nulls():
    frame = pd.DataFrame({"Airline": ["IndiGo", None], "n": [1, 2]}, index=[7, 9])
    assert serving.dataframe_split_payload(frame) == {
        "dataframe_split": {"columns": ["Airline", "n"], "data": [["IndiGo", 1], [None, 2]]}}


def test_server_message_keeps_the_reason_not_the_echoed_frame():
    body = {"error_code": "INVALID_PARAMETER_VALUE",
            "message": "Failed to predict data '   Airline\n0  IndiGo\n'. \nError: Failed to enforce schema of data "
                       "'   Airline\n0  IndiGo' with schema '[...]'. Error: Model is missing inputs ['Route']."}
    assert serving.server_message(body) == "Model is missing inputs ['Route']."
    assert serving.server_message("plain text\nmore") == "plain text"


def test_invoke_against_a_dead_port_fails_fast(no_proxy):
    url = f"http://127.0.0.1:{serving.free_port()}"
    started = time.monotonic()
    with pytest.raises(ServingError, match=rf"{url}/invocations did not answer"):
        serving.invoke(url, pd.DataFrame({"a": [1]}))
    assert time.monotonic() - started < 5
    with pytest.raises(TypeError, match="expects a pandas DataFrame"):
        serving.invoke(url, [[1, 2]])


# --- the server process -------------------------------------------------------------------------------


def test_serve_command_uses_this_environment_and_binds_loopback(store):
    command = serving.serve_command(f"models:/{MODEL}@champion", 5123)
    assert command[:5] == [sys.executable, "-m", "mlflow", "models", "serve"]
    assert command[5:] == ["-m", f"models:/{MODEL}@champion", "--env-manager", "local", "--host", "127.0.0.1",
                           "--port", "5123"]
    env = serving.child_env(store)
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)  # `uvicorn` found there
    assert env["MLFLOW_TRACKING_URI"] == store


def test_unknown_model_fails_before_any_server_starts(monkeypatch):
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("no process should start"))
    with pytest.raises(TrackingError, match="models:/nobody@champion"):
        serving.start_server("models:/nobody@champion")


def test_a_port_in_use_is_refused_with_advice():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServingError, match=rf"cannot listen on 127.0.0.1:{port} .*choose another --port"):
            serving.start_server(f"models:/{MODEL}@champion", port=port)


def test_a_server_that_dies_reports_its_last_log_line(monkeypatch):
    script = "import sys; print('loading model'); print('OSError: model files are gone', file=sys.stderr); sys.exit(3)"
    monkeypatch.setattr(model_server, "serve_command", lambda uri, port, host: [sys.executable, "-c", script])
    with pytest.raises(ServingError) as caught:
        serving.start_server(f"models:/{MODEL}@champion", timeout=20)
    assert str(caught.value) == (f"the model server for models:/{MODEL}@champion exited with code 3 before "
                                 "answering: OSError: model files are gone")
    assert caught.value.log_tail == ["loading model", "OSError: model files are gone"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(os.name == "nt", reason="process groups are POSIX")
def test_a_silent_server_times_out_and_its_whole_process_group_is_ended(tmp_path, monkeypatch, no_proxy):
    pid_file = tmp_path / "grandchild.pid"
    # Like MLflow's CLI: a parent that starts the real server as its own child, then waits.
    script = (
        "import subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        f"open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(120)"
    )
    monkeypatch.setattr(model_server, "serve_command", lambda uri, port, host: [sys.executable, "-c", script])
    with pytest.raises(ServingError, match=r"did not answer http://127.0.0.1:\d+/ping within 1 s"):
        serving.start_server(f"models:/{MODEL}@champion", timeout=1)
    grandchild = int(pid_file.read_text())
    assert not _alive(grandchild)


# --- the MLflow UI ------------------------------------------------------------------------------------


def test_ui_command_binds_loopback_on_the_store_with_its_artifact_folder(store):
    args = serving.ui_command_args()
    db_folder = tracking.sqlite_path(store).parent
    assert args == [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", store,
                    "--default-artifact-root", (db_folder / "artifacts").as_uri(),
                    "--host", "127.0.0.1", "--port", "5000", "--workers", "1"]
    assert tracking.ui_command(store).startswith(" ".join(args[2:6]) + " ")  # what a learner would type
    assert serving.ui_command_args(port=5050, host="0.0.0.0")[-5:] == ["0.0.0.0", "--port", "5050", "--workers", "1"]
    with pytest.raises(TrackingError, match="http://127.0.0.1:5000 is a server already"):
        serving.ui_command_args("http://127.0.0.1:5000")


@pytest.mark.skipif(os.name == "nt", reason="sends itself SIGTERM and SIGHUP")
@pytest.mark.parametrize(("name", "status"), [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)])
def test_stop_signals_raise_once_with_the_conventional_status_and_restore_the_handlers(name, status):
    number = getattr(signal, name)
    before = signal.getsignal(number)
    with pytest.raises(serving.StopSignal) as stopped, serving.stop_signals():
        try:
            os.kill(os.getpid(), number)
            time.sleep(5)  # the handler raises before this ends
        finally:
            os.kill(os.getpid(), number)  # a second signal while stopping: ignored, not a new interrupt
    assert stopped.value.__context__ is None  # the second signal raised nothing
    assert isinstance(stopped.value, KeyboardInterrupt)  # code written for Ctrl-C handles it
    assert stopped.value.signum == number and serving.exit_status(stopped.value) == status
    assert status in serving.STOP_STATUSES
    assert signal.getsignal(number) is before
    assert serving.exit_status(KeyboardInterrupt()) == 130  # a plain Ctrl-C


def test_stop_signals_do_without_sighup_where_there_is_none(monkeypatch):
    monkeypatch.delattr(signal, "SIGHUP", raising=False)  # as on Windows
    with serving.stop_signals():
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    assert serving.exit_status(serving.StopSignal(signal.SIGTERM)) == 128 + signal.SIGTERM


def test_stop_signals_outside_the_main_thread_leave_the_handlers_alone():
    seen = []

    def in_a_thread():
        before = signal.getsignal(signal.SIGTERM)
        with serving.stop_signals():
            seen.append(signal.getsignal(signal.SIGTERM) is before)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join(timeout=10)
    assert seen == [True]


def test_run_ui_stops_the_ui_when_it_is_interrupted(monkeypatch, store):
    launched, stopped = [], []

    class InterruptedUi:
        """Stands in for the UI process: waiting on it is interrupted by Ctrl-C."""

        def __init__(self, args, **kwargs):
            launched.append((args, kwargs))

        def wait(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(subprocess, "Popen", InterruptedUi)
    monkeypatch.setattr(process, "stop_process_group", stopped.append)
    assert serving.run_ui(port=serving.free_port()) == 130
    ((args, kwargs),) = launched
    assert args[args.index("--host") + 1] == "127.0.0.1" and args[args.index("--backend-store-uri") + 1] == store
    assert kwargs["start_new_session"] is True and kwargs["env"]["MLFLOW_TRACKING_URI"] == store
    assert len(stopped) == 1 and isinstance(stopped[0], InterruptedUi)
