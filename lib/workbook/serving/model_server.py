"""A model served over REST with MLflow's own scoring server (`mlflow models serve`): `workbook serve`.

Bound to 127.0.0.1 unless asked otherwise; `invoke` is the client side (POST /invocations).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbook.errors import ServingError
from workbook.paths import DEFAULT_HOST
from workbook.serving.model import check_model_uri, schema_problem
from workbook.serving.process import (
    START_TIMEOUT_S,
    ServerProcess,
    check_port_free,
    child_env,
    direct_opener,
    free_port,
    launch,
    url_host,
)

REQUEST_TIMEOUT_S = 30.0


@dataclass(kw_only=True)
class ModelServer(ServerProcess):
    """A running `mlflow models serve`."""

    model_uri: str


def serve_command(model_uri: str, port: int, host: str = DEFAULT_HOST) -> list[str]:
    """`mlflow models serve` for `model_uri` in this environment (no new virtualenv), bound to host:port."""
    return [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
            "--host", host, "--port", str(port)]


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
    started = time.monotonic()
    # Its own process group: stop() ends its children too.
    process, log_path = launch(serve_command(model_uri, port, host), child_env(uri),
                               log_prefix="workbook-serve-" if capture_output else None)
    server = ModelServer(url=f"http://{url_host(host)}:{port}", process=process, log_path=log_path,
                         model_uri=model_uri)
    return server.ready_or_stop(lambda ready: _wait_until_ready(ready, timeout), started)


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
        with direct_opener().open(request, timeout=timeout) as response:
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


def server_message(body: Any) -> str:
    """One line from an error body of the scoring server (JSON with "message", or text)."""
    message = body.get("message", json.dumps(body)) if isinstance(body, dict) else str(body)
    return schema_problem(str(message))


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
