"""Packaging and serving a registered model: load it, score a file with it, serve it over REST, test it.

Everything here starts from a model URI as MLflow writes them: `models:/<name>@<alias>` (what a deployment
should use: the alias moves, the URI stays), `models:/<name>/<version>` or `runs:/<run_id>/<path>`.
The server is MLflow's own scoring server (`mlflow models serve`), bound to 127.0.0.1 unless asked otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

# MLflow after workbook.tracking on purpose: tracking silences MLflow's import-time warnings (notebook stderr).
import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from workbook import tracking
from workbook.data import write_flights
from workbook.errors import InputSchemaError, ServingError
from workbook.messages import first_line
from workbook.tracking import TrackingError

PREDICTION_COLUMN = "predicted_price"
IGNORED_INPUT_COLUMNS = ("Price",)  # the answer may travel with the rows (to compare); the model never sees it
DEFAULT_HOST = "127.0.0.1"  # never expose a model or the UI beyond this machine unless asked
DEFAULT_UI_PORT = 5000
DEFAULT_SERVE_PORT = 5001  # next to the UI's 5000, so both can run at once
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.2
LOG_TAIL_LINES = 20
MODEL_TESTS_DIR = Path(__file__).resolve().parent / "model_tests"

_ALIAS_URI = re.compile(r"models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)")
_VERSION_URI = re.compile(r"models:/(?P<name>[^/@]+)/(?P<version>\d+)")
_RUN_URI = re.compile(r"runs:/(?P<run_id>[^/]+)/.+")


# --- loading a model --------------------------------------------------------------------------------


def store_uri(tracking_uri: str | None = None) -> str:
    """Point MLflow at the store that model URIs refer to and return it.

    The store is the argument, else the one MLflow uses already, else MLFLOW_TRACKING_URI or the project's.
    """
    if tracking_uri is None and mlflow.is_tracking_uri_set():
        tracking_uri = mlflow.get_tracking_uri()
    uri = tracking.ensure_store(tracking_uri)
    mlflow.set_tracking_uri(uri)
    return uri


def check_model_uri(model_uri: str, tracking_uri: str | None = None) -> str:
    """Fail fast, in one line, when `model_uri` names a model, version, alias or run the store lacks.

    Cheap registry look-ups only (nothing is downloaded); returns the store's URI.
    """
    if not isinstance(model_uri, str) or not model_uri.strip():
        raise TrackingError(f"model URI must be a non-empty string like models:/<name>@champion, got {model_uri!r}")
    uri = store_uri(tracking_uri)
    try:
        _check_registry_entry(model_uri, uri)
    except TrackingError as error:
        message = str(error)
        raise TrackingError(message if message.startswith(model_uri) else f"{model_uri}: {message}") from None
    return uri


def _check_registry_entry(model_uri: str, uri: str) -> None:
    """The look-ups behind check_model_uri; TrackingError from the tracking helpers when something is missing."""
    client = MlflowClient(uri)
    if match := _ALIAS_URI.fullmatch(model_uri):
        if tracking.alias_version(match["name"], match["alias"]) is None:
            raise TrackingError(f"{model_uri}: registered model {match['name']!r} has no alias "
                                f"{match['alias']!r} at {uri}")
    elif match := _VERSION_URI.fullmatch(model_uri):
        tracking.model_version(client, match["name"], match["version"], uri)
    elif match := _RUN_URI.fullmatch(model_uri):
        try:
            client.get_run(match["run_id"])
        except MlflowException as error:
            raise TrackingError(f"{model_uri}: no run {match['run_id']!r} at {uri} "
                                f"({first_line(error)})") from None
    elif ":/" not in model_uri and not Path(model_uri).expanduser().exists():
        raise TrackingError(f"{model_uri}: not a model URI; expected models:/<name>@<alias>, "
                            "models:/<name>/<version>, runs:/<run_id>/<path> or a model folder")


def load_model(model_uri: str, tracking_uri: str | None = None) -> Any:
    """The model at `model_uri` as an MLflow pyfunc model; a one-line TrackingError naming URI and store if not."""
    uri = check_model_uri(model_uri, tracking_uri)
    with tracking.without_noisy_warnings():
        try:
            return mlflow.pyfunc.load_model(model_uri)
        except (MlflowException, OSError) as error:
            raise TrackingError(f"cannot load {model_uri} from {uri}: {first_line(error)}") from None


def input_columns(model: Any) -> tuple[list[str], list[str]]:
    """The (required, optional) input column names of a pyfunc model's signature; ([], []) without one."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return [], []
    return [str(c) for c in schema.required_input_names()], [str(c) for c in schema.optional_input_names()]


# --- batch scoring ----------------------------------------------------------------------------------


def read_rows(path: str | Path) -> pd.DataFrame:
    """Rows to score from a .csv or .xlsx file, every cell as text (as the flight file is); missing stay NaN."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputSchemaError(f"{path}: expected a .csv or .xlsx file, got {suffix or 'no extension'!r}")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        else:
            frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    except pd.errors.EmptyDataError:
        raise InputSchemaError(f"{path}: the file is empty") from None
    except Exception as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise InputSchemaError(f"{path}: cannot be read as a {suffix} table ({first_line})") from None
    if frame.empty:
        raise InputSchemaError(f"{path}: no rows to score (only a header)")
    return frame


def check_columns(frame: pd.DataFrame, required: list[str], optional: list[str], source: str) -> None:
    """One-line InputSchemaError naming missing and unexpected columns (Price is always allowed)."""
    present = [str(c) for c in frame.columns]
    missing = [c for c in required if c not in present]
    allowed = set(required) | set(optional) | set(IGNORED_INPUT_COLUMNS)
    extra = [c for c in present if c not in allowed]
    problems = []
    if missing:
        problems.append(f"missing column(s) {missing}")
    if extra:
        problems.append(f"unexpected column(s) {extra}")
    if problems:
        raise InputSchemaError(f"{source}: {'; '.join(problems)}; the model expects {required}")


# The pandas dtype each numeric signature type needs: MLflow refuses even int64 where it expects float64.
_NUMERIC_DTYPES = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32"}


def _numeric_columns(model: Any) -> dict[str, str]:
    """Input columns the signature types as numbers, with the dtype each needs (text must be converted first)."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return {}
    kinds = {str(spec.name): getattr(getattr(spec, "type", None), "name", "") for spec in schema.inputs}
    return {name: _NUMERIC_DTYPES[kind] for name, kind in kinds.items() if kind in _NUMERIC_DTYPES}


def _to_model_types(frame: pd.DataFrame, model: Any, source: str) -> pd.DataFrame:
    """Convert the columns the model wants as numbers; a one-line error names column, row and value if one is not."""
    frame = frame.copy()
    for column, dtype in _numeric_columns(model).items():
        if column not in frame.columns:
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        whole = dtype.startswith("int")
        bad = (numbers.isna() & frame[column].notna()) | (whole & numbers.notna() & (numbers % 1 != 0))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            kind = "whole numbers" if whole else "numbers"
            raise InputSchemaError(f"{source}: column {column!r} must hold {kind}; data row {row + 1} has "
                                   f"{frame[column].iloc[row]!r}")
        # A gap in a whole-number column stays float (NaN); MLflow then names the column itself.
        frame[column] = numbers.astype(dtype) if not (whole and numbers.isna().any()) else numbers
    return frame


def predict_frame(model: Any, frame: pd.DataFrame, source: str = "input", model_uri: str = "the model") -> np.ndarray:
    """Predictions of a pyfunc `model` for `frame` after checking its columns against the signature."""
    required, optional = input_columns(model)
    if required:
        check_columns(frame, required, optional, source)
        frame = frame[required + [c for c in optional if c in frame.columns]]
    frame = _to_model_types(frame, model, source)
    with tracking.without_noisy_warnings():
        try:
            predicted = model.predict(frame)
        except MlflowException as error:  # MLflow's schema enforcement
            problem = _schema_problem(error.message)
            raise InputSchemaError(f"{source}: {model_uri} refused the rows: {problem}") from None
        except Exception as error:
            raise InputSchemaError(f"{source}: {model_uri} cannot score these rows: "
                                   f"{first_line(error)}") from None
    return np.asarray(predicted, dtype=float).ravel()


def score_file(model_uri: str, in_path: str | Path, out_path: str | Path,
               tracking_uri: str | None = None) -> pd.DataFrame:
    """Batch scoring: the rows of `in_path` plus a `predicted_price` column, written to `out_path` atomically.

    `in_path` holds raw flight rows (.csv/.xlsx; the file's columns, Price optional and kept for comparison).
    Missing or unexpected columns raise InputSchemaError naming them and the file; the output is .csv or .xlsx.
    """
    out = Path(out_path)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise InputSchemaError(f"{out}: the output must be a .csv or .xlsx file")
    rows = read_rows(in_path)
    model = load_model(model_uri, tracking_uri)
    scored = rows.copy()
    scored[PREDICTION_COLUMN] = predict_frame(model, rows, source=str(in_path), model_uri=model_uri)
    write_flights(scored, out)
    return scored


# --- serving over REST ------------------------------------------------------------------------------


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def check_port_free(host: str, port: int) -> None:
    """A one-line ServingError when something listens on host:port already.

    Probes as uvicorn binds (SO_REUSEADDR on POSIX), so a port a stopped server left in TIME_WAIT counts as
    free: uvicorn binds it at once, while a plain bind would call it busy for a minute after every restart.
    """
    with socket.socket() as probe:
        if os.name != "nt":  # on Windows the option would let two servers share a port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServingError(f"cannot listen on {host}:{port} ({error.strerror or error}); "
                               "is a server running there already? choose another --port") from None


def url_host(host: str) -> str:
    """The address to reach a server bound to `host` from this machine."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _direct_opener() -> urllib.request.OpenerDirector:
    """HTTP without proxies: a proxy would answer for 127.0.0.1 itself, or not at all."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def child_env(tracking_uri: str) -> dict[str, str]:
    """The server's environment: the store, and this environment's bin/ first on PATH (for `uvicorn`)."""
    env = os.environ.copy()
    env["MLFLOW_TRACKING_URI"] = tracking_uri
    # One OpenMP thread unless the user chose: on 2 cores, boosting's threads spinning against the server's
    # own made single-row latency jump from ~40 ms to 300 ms and more (see also workbook.models).
    env.setdefault("OMP_NUM_THREADS", "1")
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")]) if env.get("PATH") else bin_dir
    return env


# MLflow 3.17 starts a job runner and seven huey consumers beside its web server by default (GenAI scorer and
# judge jobs the workbook never uses): measured here, ~1.6 GB more memory and a slower start (the UI answered
# after 12.7 s with them, 7.8 s without, on a busy machine). `mlflow ui` and `mlflow server` both run them.
JOB_EXECUTION_ENV = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"


def web_ui_env(tracking_uri: str) -> dict[str, str]:
    """child_env for MLflow's web server (`mlflow ui`, `mlflow server`): without MLflow's job runner."""
    env = child_env(tracking_uri)
    env.setdefault(JOB_EXECUTION_ENV, "false")  # someone who set it wants MLflow's jobs: leave it
    return env


def serve_command(model_uri: str, port: int, host: str = DEFAULT_HOST) -> list[str]:
    """`mlflow models serve` for `model_uri` in this environment (no new virtualenv), bound to host:port."""
    return [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
            "--host", host, "--port", str(port)]


# What stops a foreground server: Ctrl-C, `kill`/`timeout`/`docker stop`, and a terminal that closes.
# Windows has no SIGHUP: the names are looked up, so nothing here fails to import there.
STOP_SIGNAL_NAMES = ("SIGINT", "SIGTERM", "SIGHUP")
# The exit statuses they end a command with, 128 + the signal's number: 130, 143 and 129 on POSIX.
STOP_STATUSES = frozenset(128 + int(getattr(signal, name)) for name in STOP_SIGNAL_NAMES if hasattr(signal, name))


class StopSignal(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived inside `stop_signals()`; a KeyboardInterrupt, so Ctrl-C code handles it."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(signal.Signals(self.signum).name)


def exit_status(interrupt: BaseException) -> int:
    """The conventional exit status of a command a signal stopped: 128 + its number (130 for a plain Ctrl-C)."""
    return 128 + (interrupt.signum if isinstance(interrupt, StopSignal) else int(signal.SIGINT))


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Inside the block SIGINT, SIGTERM and SIGHUP (where it exists) raise StopSignal, as Ctrl-C raises
    KeyboardInterrupt; the previous handlers come back afterwards.

    A server runs in its own session (so Ctrl-C reaches the command, which stops it, rather than the server
    alone); SIGTERM or a hang-up would otherwise end the command at once and leave the server running with
    parent 1, holding its port. Only the first signal raises: another one while the server stops (a second
    Ctrl-C, the SIGTERM after a hang-up) must not cut `ServerProcess.stop()` short, which is bounded anyway.
    Outside the main thread no handler can be set, and the block runs with the handlers as they are.
    """
    received: list[int] = []

    def raise_once(signum: int, frame: object) -> None:
        if not received:
            received.append(signum)
            raise StopSignal(signum)

    previous = {}
    try:
        for name in STOP_SIGNAL_NAMES:
            if hasattr(signal, name):
                number = getattr(signal, name)
                previous[number] = signal.signal(number, raise_once)
    except ValueError:  # not the main thread: signal.signal refuses, and no handler was set
        pass
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@dataclass
class ServerProcess:
    """A server running as its own process group; `stop()` ends it and everything it started.

    Used as a context manager it is stopped however the block ends. A foreground command runs the start and
    the block inside `stop_signals()`, so SIGTERM and a hang-up stop the server's whole group as Ctrl-C does,
    then exits with `exit_status()` of the StopSignal.
    """

    url: str
    process: subprocess.Popen
    log_path: Path | None = None
    started_s: float = field(default=0.0)  # seconds from launch until it answered

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> list[str]:
        """The last non-empty lines the server wrote (when its output is captured)."""
        if self.log_path is None or not self.log_path.exists():
            return []
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if line.strip()][-lines:]

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self) -> int:
        """Block until the server exits; its exit code."""
        return self.process.wait()

    def stop(self) -> None:
        """Terminate the whole process group (MLflow's CLI, uvicorn and its workers), then drop the log."""
        stop_process_group(self.process)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_until_answering(self, path: str, timeout: float) -> str:
        """Poll `url + path` until it answers: "answered", "exited" (the process ended first) or "timed out"."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return "exited"
            if answers(f"{self.url}{path}"):
                return "answered"
            time.sleep(POLL_INTERVAL_S)
        return "timed out"


@dataclass(kw_only=True)
class ModelServer(ServerProcess):
    """A running `mlflow models serve`."""

    model_uri: str


def _signal_group(process: subprocess.Popen, sig: int) -> bool:
    """Send `sig` to the process group `process` leads (its own session); False when the group is gone."""
    if os.name == "nt":  # no process groups: the process alone
        if sig != 0 and process.poll() is None:
            process.terminate()
        return process.poll() is None
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _group_gone(process: subprocess.Popen, timeout: float) -> bool:
    """Wait up to `timeout` s for the leader and every other member of its group to exit."""
    deadline = time.monotonic() + timeout
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    # The leader (MLflow's CLI) exits at once on SIGTERM; uvicorn takes a moment to shut down after it.
    while _signal_group(process, 0):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_INTERVAL_S)
    return True


def stop_process_group(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM a server's process group, SIGKILL whatever is left after `timeout` s, and reap the leader."""
    if _signal_group(process, signal.SIGTERM) and not _group_gone(process, timeout):
        _signal_group(process, getattr(signal, "SIGKILL", signal.SIGTERM))  # Windows has no SIGKILL
        _group_gone(process, timeout)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)


def answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with _direct_opener().open(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_server(model_uri: str, port: int | None = None, host: str = DEFAULT_HOST,
                 tracking_uri: str | None = None, timeout: float = START_TIMEOUT_S,
                 capture_output: bool = True) -> ModelServer:
    """Start `mlflow models serve` for `model_uri` and wait until it answers `/ping`; returns the server.

    `port=None` picks a free port. With `capture_output` the server's log goes to a temporary file (its last
    lines are in the error if it dies); otherwise it prints to this terminal. Call `stop()` when done.
    """
    uri = check_model_uri(model_uri, tracking_uri)
    port = free_port(host) if port is None else int(port)
    check_port_free(host, port)
    log_path = None
    output: Any = None
    if capture_output:
        handle, name = tempfile.mkstemp(prefix="workbook-serve-", suffix=".log")
        log_path, output = Path(name), os.fdopen(handle, "w")
    started = time.monotonic()
    try:
        process = subprocess.Popen(serve_command(model_uri, port, host), env=child_env(uri), stdout=output,
                                   stderr=subprocess.STDOUT if capture_output else None, stdin=subprocess.DEVNULL,
                                   start_new_session=True)  # its own process group: stop() ends its children too
    finally:
        if output is not None:
            output.close()  # the child holds its own copy
    server = ModelServer(url=f"http://{url_host(host)}:{port}", process=process, log_path=log_path,
                         model_uri=model_uri)
    try:
        _wait_until_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    server.started_s = time.monotonic() - started
    return server


def _wait_until_ready(server: ModelServer, timeout: float) -> None:
    """Poll `/ping` until it answers; ServingError with the server's last log line if it dies or times out."""
    outcome = server.wait_until_answering("/ping", timeout)
    if outcome == "exited":
        tail = server.log_tail()
        last = f": {tail[-1].strip()}" if tail else ""
        raise ServingError(f"the model server for {server.model_uri} exited with code "
                           f"{server.process.returncode} before answering{last}", tail)
    if outcome == "timed out":
        raise ServingError(f"the model server for {server.model_uri} did not answer {server.url}/ping within "
                           f"{timeout:g} s", server.log_tail())


@contextlib.contextmanager
def serve(model_uri: str, port: int | None = None, host: str = DEFAULT_HOST, tracking_uri: str | None = None,
          timeout: float = START_TIMEOUT_S) -> Iterator[str]:
    """Serve `model_uri` over REST for the block and yield its base URL; the server always stops afterwards."""
    server = start_server(model_uri, port, host, tracking_uri, timeout)
    try:
        yield server.url
    finally:
        server.stop()


def dataframe_split_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """The JSON body MLflow's scoring server reads: {"dataframe_split": {"columns": [...], "data": [...]}}."""
    # pandas writes NaN as null and numpy numbers as plain JSON numbers; the index means nothing to the model.
    return {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}


def invoke_raw(base_url: str, payload: Any, timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, Any]:
    """POST `payload` (a dict, or a JSON string as is) to `<base_url>/invocations`; (HTTP status, parsed body)."""
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(f"{base_url.rstrip('/')}/invocations", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with _direct_opener().open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ServingError(f"{base_url}/invocations did not answer ({reason}); is the server running?") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


def _schema_problem(message: str) -> str:
    """The useful line of a scoring error: MLflow prefixes it with the whole input frame's repr."""
    if "Error: " in message:
        message = message.rsplit("Error: ", 1)[1]
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def server_message(body: Any) -> str:
    """One line from an error body of the scoring server (JSON with "message", or text)."""
    message = body.get("message", json.dumps(body)) if isinstance(body, dict) else str(body)
    return _schema_problem(str(message))


def invoke(base_url: str, frame: pd.DataFrame, timeout: float = REQUEST_TIMEOUT_S) -> list[float]:
    """Predictions for `frame` from a model server; a one-line ServingError with the server's message on 4xx/5xx."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"invoke expects a pandas DataFrame of rows to score, got {type(frame).__name__}")
    status, body = invoke_raw(base_url, dataframe_split_payload(frame), timeout)
    if status != 200:
        raise ServingError(f"{base_url}/invocations answered HTTP {status}: {server_message(body)}")
    predictions = body.get("predictions") if isinstance(body, dict) else None
    if not isinstance(predictions, list):
        raise ServingError(f"{base_url}/invocations answered without a 'predictions' list: {str(body)[:200]}")
    try:
        return [float(value) for value in predictions]
    except (TypeError, ValueError):
        raise ServingError(f"{base_url}/invocations returned non-numeric predictions: {predictions[:3]}") from None


# --- the MLflow UI ----------------------------------------------------------------------------------


def ui_command_args(tracking_uri: str | None = None, port: int = DEFAULT_UI_PORT, host: str = DEFAULT_HOST,
                    workers: int = 1) -> list[str]:
    """The argument list behind `tracking.ui_command`, with host, port, one worker and the artifact folder.

    A SQLite store keeps artifacts in `artifacts/` beside the database (tracking.py's layout); experiments
    created from the UI go there too. One worker: the UI serves one learner, and the machine has 2 cores.
    """
    uri = tracking.resolve_tracking_uri(tracking_uri)
    if uri.startswith(("http://", "https://")):
        raise TrackingError(f"the tracking store {uri} is a server already: open it in a browser instead")
    # The command tracking.ui_command shows a learner, run with this environment's MLflow.
    args = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri]
    root = tracking.artifact_root(uri)
    if root is not None:
        args += ["--default-artifact-root", root.as_uri()]
    return args + ["--host", host, "--port", str(port), "--workers", str(workers)]


def run_ui(tracking_uri: str | None = None, port: int = DEFAULT_UI_PORT, host: str = DEFAULT_HOST) -> int:
    """Run the MLflow UI on the store in the foreground until Ctrl-C, SIGTERM or a hang-up; the exit status.

    The UI's own exit code if it ends by itself, else 128 + the signal's number (130, 143, 129) once the UI's
    whole process group (its uvicorn worker and job runners too) has stopped.
    """
    uri = tracking.ensure_store(tracking_uri)
    check_port_free(host, port)
    try:
        with stop_signals():
            process = subprocess.Popen(ui_command_args(uri, port, host), env=web_ui_env(uri), start_new_session=True)
            with ServerProcess(url=f"http://{url_host(host)}:{port}", process=process):
                return process.wait()  # the group is stopped also when the leader already exited
    except KeyboardInterrupt as interrupt:
        return exit_status(interrupt)


# --- testing a model --------------------------------------------------------------------------------


def run_model_tests(model_uri: str, data_path: str | Path | None = None, max_mae: float | None = None,
                    min_r2: float | None = None, all_rows: bool = False, extra_args: Sequence[str] = (),
                    tracking_uri: str | None = None) -> int:
    """Run the packaged robustness suite (workbook/model_tests) against `model_uri`; pytest's exit code.

    An unknown model URI raises TrackingError, a missing data file FileNotFoundError, before pytest starts.
    The project's pytest options (nbval) are switched off and no third-party plugin is loaded: the suite is its own
    root and needs none (nbval alone took seconds to import).
    """
    import pytest  # imported here: only this command needs it

    check_model_uri(model_uri, tracking_uri)
    if data_path is not None and not Path(data_path).expanduser().is_file():
        raise FileNotFoundError(f"{data_path}: no such file (--data expects a .csv or .xlsx flight file)")
    args = [str(MODEL_TESTS_DIR), "--rootdir", str(MODEL_TESTS_DIR), "-o", "addopts=", "-p", "no:cacheprovider",
            "--disable-plugin-autoload", "-q", "--model-uri", model_uri]
    if data_path is not None:
        args += ["--data", str(Path(data_path).expanduser().resolve())]
    if max_mae is not None:
        args += ["--max-mae", str(max_mae)]
    if min_r2 is not None:
        args += ["--min-r2", str(min_r2)]
    if all_rows:
        args.append("--all-rows")
    return int(pytest.main(args + list(extra_args)))
