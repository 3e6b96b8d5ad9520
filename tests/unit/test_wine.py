"""The talk's wine demo: exact reproduction, logging to a throw-away store, offline and bad-input outcomes."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import mlflow
import mlflow.tracking.fluent
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from workbook import tracking, wine
from workbook.wine import WineDataError, WineDataUnavailable

WINE_CSV = wine.WINE_CSV  # the copy the project ships
OFFLINE_URL = "http://127.0.0.1:9/winequality-red.csv"  # the discard port: nothing listens, refused at once
TALK_METRICS = {"wine_rmse": 0.7932, "wine_mae": 0.6272, "wine_r2": 0.1086}


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch) -> str:
    """Every test logs to its own SQLite store in tmp_path, never the project's mlruns/."""
    uri = f"sqlite:///{(tmp_path / 'store' / 'mlflow.db').as_posix()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.setattr("workbook.paths.DEFAULT_DB", tmp_path / "default-store" / "mlflow.db")
    yield uri
    tracking.forget_tracking_state()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_reproduces_the_run_on_the_talks_screen():
    assert wine.run_wine_demo(WINE_CSV, 0.5, 0.5, log=False) == TALK_METRICS


def test_the_default_is_the_shipped_copy_so_the_demo_runs_offline():
    """No argument reads data/winequality-red.csv: the UCI red-wine table, 1,599 wines, 11 inputs + quality."""
    assert WINE_CSV.parent.name == "data" and WINE_CSV.is_file()
    assert wine.load_wine().shape == (1_599, 12)
    assert wine.run_wine_demo(log=False) == TALK_METRICS


def test_the_shipped_copy_carries_its_attribution():
    readme = (WINE_CSV.parent / "README.md").read_text(encoding="utf-8")
    assert "winequality-red.csv" in readme and "CC BY 4.0" in readme and "Cortez" in readme


def test_split_and_fit_are_the_examples_and_leave_numpys_global_seed_alone():
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    result = wine.train_wine(wine.load_wine(WINE_CSV))
    assert np.array_equal(np.random.get_state()[1], before)
    # The example's own steps, global seed and all, pick the same rows and give the same model.
    from sklearn.model_selection import train_test_split

    np.random.seed(40)
    train, test = train_test_split(pd.read_csv(WINE_CSV, sep=";"))
    assert list(result["X_train"].index) == list(train.index)
    assert list(result["X_test"].index) == list(test.index)
    assert result["X_train"].shape == (1199, 11) and result["X_test"].shape == (400, 11)
    assert result["model"].get_params()["random_state"] == 42
    other = wine.train_wine(wine.load_wine(WINE_CSV), alpha=0.1, l1_ratio=0.9)["metrics"]
    assert other["rmse"] < result["metrics"]["rmse"]  # a weaker penalty fits this data better


def test_demo_logs_params_metrics_and_model_as_one_named_run(store, new_store):
    new_store(tracking.sqlite_path(store))  # an empty store to log to, copied: this test is not about making one
    outcome = wine.run_wine_demo(WINE_CSV, 0.5, 0.5, experiment="wine-demo", registered_model_name="ElasticnetWine")
    assert outcome == TALK_METRICS
    runs = tracking.runs_frame("wine-demo", store)
    assert list(runs["run_name"]) == ["elasticnet-a0.5-l0.5"]
    row = runs.iloc[0]
    assert (row["params.alpha"], row["params.l1_ratio"]) == (0.5, 0.5)
    assert round(row["metrics.rmse"], 4) == 0.7932 and round(row["metrics.r2"], 4) == 0.1086
    client = MlflowClient(store)
    experiment = client.get_experiment_by_name("wine-demo")
    (logged,) = client.search_logged_models([experiment.experiment_id])
    assert logged.name == "model"
    model = mlflow.pyfunc.load_model(f"models:/{logged.model_id}")
    assert model.metadata.get_input_schema().input_names() == wine.FEATURES
    (version,) = client.search_model_versions("name = 'ElasticnetWine'")
    assert version.run_id == _only_run_id(client, experiment.experiment_id)


def _only_run_id(client: MlflowClient, experiment_id: str) -> str:
    (run,) = client.search_runs([experiment_id])
    return run.info.run_id


def test_offline_url_is_skipped_within_seconds_and_logs_nothing(store):
    started = time.monotonic()
    outcome = wine.run_wine_demo(OFFLINE_URL)
    assert time.monotonic() - started < 3
    assert list(outcome) == ["wine_skipped"]
    assert OFFLINE_URL in outcome["wine_skipped"] and "\n" not in outcome["wine_skipped"]
    assert not tracking.sqlite_path(store).exists()  # nothing was logged, not even a store created


def test_missing_file_is_a_clear_skip_and_load_wine_raises(tmp_path):
    missing = tmp_path / "nowhere" / "winequality-red.csv"
    with pytest.raises(WineDataUnavailable, match="wine file not found: .*nowhere"):
        wine.load_wine(missing)
    assert wine.run_wine_demo(missing) == {"wine_skipped": f"wine file not found: {missing}"}


class _OneFile(http.server.BaseHTTPRequestHandler):
    """Serves one body at /winequality-red.csv and 404 elsewhere."""

    body = b""

    def do_GET(self):
        found = self.path == "/winequality-red.csv"
        self.send_response(200 if found else 404)
        self.end_headers()
        if found:
            self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_site(monkeypatch):
    """A web server on 127.0.0.1 in a background thread (no proxy in between)."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = http.server.HTTPServer(("127.0.0.1", 0), _OneFile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_is_read_like_a_file_and_http_errors_are_a_skip(local_site):
    _OneFile.body = b'"fixed acidity";"quality"\n7.4;5\n'
    with pytest.raises(WineDataError, match="missing column"):
        wine.load_wine(f"{local_site}/winequality-red.csv")  # fetched, then checked like any file
    header = ";".join(f'"{c}"' for c in wine.WINE_COLUMNS)
    _OneFile.body = (header + "\n" + ";".join(["1.5"] * 11 + ["6"]) + "\n").encode()
    frame = wine.load_wine(f"{local_site}/winequality-red.csv")
    assert list(frame.columns) == wine.WINE_COLUMNS and frame["quality"].tolist() == [6]
    outcome = wine.run_wine_demo(f"{local_site}/other.csv", log=False)
    assert outcome == {"wine_skipped": f"{local_site}/other.csv: HTTP 404 Not Found"}


def test_comma_separated_file_is_refused_naming_the_file_and_the_separator(tmp_path):
    path = _write(tmp_path / "wine.csv", ",".join(wine.WINE_COLUMNS) + "\n" + ",".join(["1"] * 12) + "\n")
    with pytest.raises(WineDataError) as caught:
        wine.load_wine(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "missing column(s)" in message and "';'" in message
    with pytest.raises(WineDataError, match="wine.csv"):
        wine.run_wine_demo(path)  # a wrong file is an error, not a skip


def test_non_numeric_and_missing_values_are_named_with_their_row(tmp_path):
    rows = [["1.0"] * 12 for _ in range(3)]
    rows[1][10] = "twelve"  # alcohol, second data row
    rows[2][0] = ""  # fixed acidity missing in the third
    text = ";".join(wine.WINE_COLUMNS) + "\n" + "\n".join(";".join(r) for r in rows) + "\n"
    with pytest.raises(WineDataError) as caught:
        wine.load_wine(_write(tmp_path / "bad.csv", text))
    message = str(caught.value)
    assert "bad.csv" in message
    assert "'alcohol' has 1 non-numeric value(s), e.g. 'twelve' in data row 2" in message
    assert "'fixed acidity' has 1 missing value(s)" in message


@pytest.mark.parametrize(
    ("alpha", "l1_ratio", "expected"),
    [
        (-0.1, 0.5, "alpha must be a number >= 0, got -0.1"),
        (0.5, 1.5, "l1_ratio must be a number from 0 to 1, got 1.5"),
        (0.5, -0.2, "l1_ratio must be a number from 0 to 1, got -0.2"),
        ("0.5", 0.5, "alpha must be a number >= 0, got '0.5'"),
        (True, 0.5, "alpha must be a number >= 0, got True"),
        (float("nan"), 0.5, "alpha must be a number >= 0, got nan"),
    ],
)
def test_bad_parameters_are_one_line_errors_before_any_download(alpha, l1_ratio, expected):
    with pytest.raises(ValueError) as caught:
        wine.run_wine_demo(OFFLINE_URL, alpha, l1_ratio)
    assert str(caught.value) == expected
    with pytest.raises(ValueError, match=expected.split(",")[0]):
        wine.train_wine(pd.DataFrame(), alpha, l1_ratio)


def test_run_name_is_fixed_by_the_parameters():
    assert wine.run_name(0.5, 0.5) == "elasticnet-a0.5-l0.5"
    assert wine.run_name(1, 0.25) == "elasticnet-a1-l0.25"
