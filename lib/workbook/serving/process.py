"""A server as a child process: free ports, its own process group, waiting until it answers, stopping on signals.

Every server the workbook starts (a model's scoring server, the MLflow UI, the team tracking server) runs in
its own session, so stopping it ends MLflow's CLI, uvicorn and its workers together, and a foreground command
turns SIGINT, SIGTERM and SIGHUP alike into that stop (`stop_signals`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Self

from workbook.errors import ServingError
from workbook.paths import DEFAULT_HOST

# A server usually answers in 10-15 s; on a 2-core laptop busy with notebooks (a workshop, CI) a model server
# was seen to need more than 60 s, and a server that is killed while starting helps nobody.
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.2
LOG_TAIL_LINES = 20

Readiness = Literal["answered", "exited", "timed out"]  # what ServerProcess.wait_until_answering saw


# --- addresses and ports --------------------------------------------------------------------------------


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


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def direct_opener() -> urllib.request.OpenerDirector:
    """HTTP without proxies: a proxy would answer for 127.0.0.1 itself, or not at all."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with direct_opener().open(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


# --- the server's environment ---------------------------------------------------------------------------


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


# --- signals ---------------------------------------------------------------------------------------------

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


# --- the process group -----------------------------------------------------------------------------------


def launch(command: list[str], env: dict[str, str], *, log_prefix: str | None = None, stdout: int | None = None,
           stdin: int | None = subprocess.DEVNULL) -> tuple[subprocess.Popen, Path | None]:
    """Start `command` in its own session, so stopping its process group reaches its children; (process, log).

    With `log_prefix` the server's stdout and stderr go to a new temporary log file, returned (the server
    drops it when stopped); without, its stdout goes to `stdout` (None: this process's) and stderr is inherited.
    """
    if log_prefix is None:
        return subprocess.Popen(command, env=env, stdout=stdout, stdin=stdin, start_new_session=True), None
    handle, name = tempfile.mkstemp(prefix=log_prefix, suffix=".log")
    try:
        with os.fdopen(handle, "w") as log:  # closed here: the child holds its own copy
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=stdin,
                                       start_new_session=True)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return process, Path(name)


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

    def wait_until_answering(self, path: str, timeout: float) -> Readiness:
        """Poll `url + path` until it answers: "answered", "exited" (the process ended first) or "timed out"."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return "exited"
            if answers(f"{self.url}{path}"):
                return "answered"
            time.sleep(POLL_INTERVAL_S)
        return "timed out"

    def ready_or_stop(self, check_ready: Callable[[Self], None], started: float) -> Self:
        """Run `check_ready(self)`, which raises if the server dies or hangs: then (Ctrl-C too) stop its whole
        group, never leaving a half-started server behind. Records `started_s` from `started` (monotonic)."""
        try:
            check_ready(self)
        except BaseException:
            self.stop()
            raise
        self.started_s = time.monotonic() - started
        return self


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


