"""End-to-end: a registered champion scored in batch, served over REST and put through the robustness tests.

Everything runs against a throw-away store in tmp_path. `predict` and `test-model` run in this process (typer's
CliRunner, cli_outcomes.py): a subprocess would add only its ~5 s of imports, and the catalogue of bad inputs
runs real processes. `serve` stays a real process: it is stopped by Ctrl-C, as a person stops it. The REST
server takes about 6 s to start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import mlflow.tracking.fluent
import numpy as np
import pandas as pd
import pytest
from cli_outcomes import Outcome, import_what_commands_import, run_in_process
from sklearn.dummy import DummyRegressor
from threadpoolctl import threadpool_limits

from workbook import serving, tracking
from workbook.data import load_flights, make_flights
from workbook.models import RAW_COLUMNS, comparison_splits, make_pipeline

pytestmark = pytest.mark.e2e

GOOD, BAD = "fares", "fares-broken"


def workbook(*args: str | Path, env: dict[str, str]) -> Outcome:
    """`workbook ARGS` against the test store, in this process; whatever it changes here is put back."""
    outcome = run_in_process([str(arg) for arg in args], env, Path.cwd())
    assert not outcome.escaped, outcome.escaped
    return outcome


def _log_champion(model, name: str, X_example: pd.DataFrame) -> None:
    with mlflow.start_run(run_name=name):
        info = tracking.log_sklearn_model(model, "model", X_example, registered_model_name=name)
    tracking.set_alias(name, "champion", info.registered_model_version)


@pytest.fixture(scope="module")
def registry(tmp_path_factory, new_store) -> dict:
    """A store with two champions: a decent boosting pipeline and a broken constant (negative) model."""
    folder = tmp_path_factory.mktemp("serving-e2e")
    uri = f"sqlite:///{new_store(folder / 'store' / 'mlflow.db').as_posix()}"
    # The twin's training split, as notebook 04 splits it: `test-model` holds out the matching test split.
    X_train, _, y_train, _ = comparison_splits(load_flights())["improved"]
    with threadpool_limits(limits=1, user_api="openmp"):  # two OpenMP threads on 2 busy cores: 10x slower
        decent = make_pipeline("hist_gradient_boosting", "improved", log_target=True).fit(X_train, y_train)
    broken = DummyRegressor(strategy="constant", constant=-500.0).fit(X_train, y_train)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        try:
            tracking.setup_tracking("serving-e2e")
            _log_champion(decent, GOOD, X_train)
            _log_champion(broken, BAD, X_train)
        finally:
            tracking.forget_tracking_state()
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(name, None)  # the CLI talks to 127.0.0.1 only
    # Rows to score: a small twin of its own (another seed), minus the row with neither Route nor stops.
    rows = make_flights(1500, seed=5).dropna().reset_index(drop=True)
    import_what_commands_import()
    return {"uri": uri, "env": env, "decent": decent, "rows": rows, "folder": folder}


@pytest.fixture
def store(registry, monkeypatch) -> str:
    """In-process helpers (serving.serve, load_model) resolve URIs against the test store."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry["uri"])
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    yield registry["uri"]
    tracking.forget_tracking_state()


# --- batch scoring ------------------------------------------------------------------------------------


def test_predict_scores_a_file_with_the_champion(registry, tmp_path):
    in_path, out_path = tmp_path / "in.csv", tmp_path / "out.csv"
    registry["rows"].to_csv(in_path, index=False)
    done = workbook("predict", f"models:/{GOOD}@champion", in_path, out_path, env=registry["env"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {len(registry['rows']):,} predictions to {out_path}\n"
    scored = pd.read_csv(out_path)
    assert list(scored.columns) == list(registry["rows"].columns) + ["predicted_price"]
    expected = registry["decent"].predict(registry["rows"][RAW_COLUMNS])
    np.testing.assert_allclose(scored["predicted_price"], expected, rtol=1e-9)
    assert scored["Price"].tolist() == registry["rows"]["Price"].tolist()


def test_predict_errors_are_one_line(registry, tmp_path):
    bad = tmp_path / "no_route.csv"
    registry["rows"].head(10).drop(columns=["Route"]).to_csv(bad, index=False)
    done = workbook("predict", f"models:/{GOOD}@champion", bad, tmp_path / "out.csv", env=registry["env"])
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {bad}: missing column(s) ['Route']; the model expects [")
    assert done.stderr.count("\n") == 1 and not (tmp_path / "out.csv").exists()

    done = workbook("predict", f"models:/{GOOD}@staging", bad, tmp_path / "out.csv", env=registry["env"])
    assert done.returncode == 1
    assert done.stderr == (f"error: models:/{GOOD}@staging: registered model '{GOOD}' has no alias 'staging' "
                           f"at {registry['uri']}\n")


# --- serving over REST --------------------------------------------------------------------------------


def test_served_champion_predicts_like_the_model_and_rejects_a_wrong_schema(registry, store):
    rows = registry["rows"].head(8)
    local = serving.load_model(f"models:/{GOOD}@champion").predict(rows[RAW_COLUMNS])
    with serving.serve(f"models:/{GOOD}@champion") as url:
        assert url.startswith("http://127.0.0.1:")
        np.testing.assert_allclose(serving.invoke(url, rows[RAW_COLUMNS]), local, rtol=1e-9)
        status, body = serving.invoke_raw(url, serving.dataframe_split_payload(rows[RAW_COLUMNS].drop(columns="Route")))
        assert 400 <= status < 500
        assert serving.server_message(body) == "Model is missing inputs ['Route']."
        with pytest.raises(serving.ServingError, match=r"answered HTTP 400: Model is missing inputs \['Route'\]\.$"):
            serving.invoke(url, rows[RAW_COLUMNS].drop(columns="Route"))
        status, body = serving.invoke_raw(url, {"columns": ["Airline"], "data": [["IndiGo"]]})  # MLflow 1.x's shape
        assert status == 400 and server_says(body, "The input must be a JSON dictionary with exactly one of")
    with pytest.raises(serving.ServingError, match="did not answer"):
        serving.invoke(url, rows[RAW_COLUMNS])  # the server is gone once the block ends


def server_says(body: dict, start: str) -> bool:
    return serving.server_message(body).startswith(start)


def _wait_for(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        try:
            with opener.open(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.3)
    return False


@pytest.mark.skipif(os.name == "nt", reason="sends SIGINT as Ctrl-C would")
def test_workbook_serve_runs_in_the_foreground_until_ctrl_c(registry, store, tmp_path):
    port = serving.free_port()
    command = [sys.executable, "-m", "workbook.cli", "serve", f"models:/{GOOD}@champion", "--port", str(port)]
    # The server's own log goes to the command's stderr: a file, so that an undrained pipe can never stall it.
    log = (tmp_path / "serve.log").open("w")
    cli = subprocess.Popen(command, env=registry["env"], stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        # As a person would: wait for the command to say it is serving (the server may answer /ping a moment
        # before the command has noticed), then use it, then press Ctrl-C.
        lines = iter(cli.stdout.readline, "")  # the server's access log shares stdout with the command
        banner = next((line for line in lines if line.startswith("serving ")), "")
        assert banner.startswith(f"serving models:/{GOOD}@champion at http://127.0.0.1:{port}"), banner
        assert _wait_for(f"http://127.0.0.1:{port}/ping", 120), "the server never answered /ping"
        predictions = serving.invoke(f"http://127.0.0.1:{port}", registry["rows"].head(2)[RAW_COLUMNS])
        assert len(predictions) == 2 and all(p > 0 for p in predictions)
        cli.send_signal(signal.SIGINT)
        stdout, _ = cli.communicate(timeout=30)
    finally:
        if cli.poll() is None:  # a failed assertion above: let the command stop its server, as Ctrl-C does
            cli.send_signal(signal.SIGINT)
            try:
                cli.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cli.kill()
                cli.wait()
    log.close()
    assert cli.returncode == 130, stdout + (tmp_path / "serve.log").read_text()  # 128 + SIGINT, as shells say
    assert not _wait_for(f"http://127.0.0.1:{port}/ping", 0.5)  # nothing left listening on the port


# --- robustness tests ---------------------------------------------------------------------------------


def test_test_model_passes_for_a_decent_champion(registry):
    done = workbook("test-model", f"models:/{GOOD}@champion", env=registry["env"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
    for check in ("minimum performance", "invariance: 'No Info' spelling", "directional: more stops not cheaper",
                  "valid outputs: finite and positive"):
        assert f"PASS  {check}: " in done.stdout


def test_test_model_fails_for_a_broken_model_naming_the_failures(registry):
    done = workbook("test-model", f"models:/{BAD}@champion", "--max-mae", "5000", env=registry["env"])
    assert done.returncode == 1
    assert "FAIL  minimum performance: MAE" in done.stdout and "(limit ₹5,000)" in done.stdout
    assert "FAIL  valid outputs: finite and positive: " in done.stdout and "zero or negative" in done.stdout
    assert "PASS  invariance: 'No Info' spelling" in done.stdout  # a constant is invariant to everything
    assert "2 failed, 2 passed" in done.stdout


def test_test_model_with_an_unknown_model_is_one_line(registry):
    done = workbook("test-model", "models:/nobody@champion", env=registry["env"])
    assert done.returncode == 1
    assert done.stderr == f"error: models:/nobody@champion: no registered model 'nobody' at {registry['uri']}\n"
    assert done.stdout == ""
