"""A shared MLflow tracking server for a team or a workshop room: `workbook server`.

One `mlflow server` with a SQL backend (SQLite by default, any SQLAlchemy database URL accepted; see
workbook.serving.backend) that also serves the artifacts, so clients on other machines never need the server's
disk: they set `MLFLOW_TRACKING_URI=http://host:port` and log as usual. It binds 127.0.0.1 unless told otherwise
and keeps MLflow's Host-header and CORS protections on. Process handling (own process group, readiness,
stopping on Ctrl-C, SIGTERM and hang-up) is workbook.serving.process's.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from workbook.errors import ServingError, TrackingServerError
from workbook.paths import DEFAULT_HOST, DEFAULT_SERVER_URL, DEFAULT_UI_PORT, SERVER_DIR
from workbook.serving import process as server_process
from workbook.serving.backend import (
    SERVED_ARTIFACT_ROOT,
    check_backend_uri,
    default_artifacts_dir,
    default_backend_uri,
    local_artifact_experiments,
    prepare_artifacts_dir,
    prepare_sqlite_store,
    redacted,
)
from workbook.serving.process import (
    START_TIMEOUT_S,
    ServerProcess,
    exit_status,
    free_port,
    is_loopback,
    launch,
    stop_signals,
    url_host,
    web_ui_env,
)

# One uvicorn worker costs ~250 MB and several seconds of start-up; two keep the UI responsive while the
# other streams an artifact, without MLflow's default of four swamping a 2-core laptop.
DEFAULT_WORKERS = 2
# Variables `mlflow server` reads that would override what our command line says: a disabled security
# middleware or a '*' host list, artifacts written to a client-visible path, another web server. The
# command line is the one place the server's settings come from.
OVERRIDING_ENV = (
    "MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE",
    "MLFLOW_SERVER_ALLOWED_HOSTS",
    "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS",
    "MLFLOW_SERVER_X_FRAME_OPTIONS",
    "MLFLOW_DEFAULT_ARTIFACT_ROOT",
    "MLFLOW_ARTIFACTS_ONLY",
    "MLFLOW_REGISTRY_STORE_URI",
    "MLFLOW_READ_REPLICA_BACKEND_STORE_URI",
    "MLFLOW_STATIC_PREFIX",
    "MLFLOW_GUNICORN_OPTS",
    "MLFLOW_UVICORN_OPTS",
    # A room's logins come from its own folder (workbook.room), never from a variable left in a shell.
    "MLFLOW_AUTH_CONFIG_PATH",
    "MLFLOW_AUTH_ADMIN_USERNAME",
    "MLFLOW_AUTH_ADMIN_PASSWORD",
    "MLFLOW_FLASK_SERVER_SECRET_KEY",
)



# --- the command and its environment ------------------------------------------------------------------


def _check_allowed_hosts(allowed_hosts: Sequence[str]) -> list[str]:
    """The extra Host headers to accept, as a list; a '*' would switch MLflow's protection off, so it is refused."""
    hosts = [allowed_hosts] if isinstance(allowed_hosts, str) else list(allowed_hosts)
    for host in hosts:
        if not isinstance(host, str) or not host.strip() or "," in host:
            raise TrackingServerError(f"allowed_hosts: expected host names such as mlflow.example.org, got {host!r}")
        if host.strip() == "*":
            raise TrackingServerError("allowed_hosts: '*' would switch off MLflow's Host-header protection; "
                                      "name the hosts clients use instead")
    return [host.strip() for host in hosts]


def _with_defaults(hosts: Sequence[str]) -> list[str]:
    """MLflow's own allowed Host headers plus `hosts`, each with any port: --allowed-hosts replaces MLflow's
    list rather than adding to it, and matches a name without a wildcard exactly, port included, so
    `classroom.local` alone would have refused 127.0.0.1, every private address and `classroom.local:5000`."""
    from mlflow.server.security_utils import get_default_allowed_hosts

    extra = [pattern for host in hosts for pattern in ([host] if ":" in host else [host, f"{host}:*"])]
    return list(dict.fromkeys(get_default_allowed_hosts() + extra))


def server_command(backend_uri: str, artifacts_dir: Path, host: str, port: int, *,
                   workers: int = DEFAULT_WORKERS, allowed_hosts: Sequence[str] = (),
                   app_name: str | None = None) -> list[str]:
    """`mlflow server` in this environment: SQL backend, artifacts served from `artifacts_dir`, bound to host:port.

    MLflow's security middleware stays at its defaults (localhost and private-network Host headers, localhost
    CORS origins); `allowed_hosts` adds host names to them, with any port. uvicorn's per-request access log is
    off: with a sweep logging through the server, it would bury the warnings and errors that matter. `app_name`
    ("basic-auth" for a room) puts MLflow's login and permissions in front of everything.
    """
    command = [sys.executable, "-m", "mlflow", "server",
               "--backend-store-uri", backend_uri, "--registry-store-uri", backend_uri,
               "--default-artifact-root", SERVED_ARTIFACT_ROOT,
               "--serve-artifacts", "--artifacts-destination", str(Path(artifacts_dir).resolve()),
               "--host", host, "--port", str(int(port)), "--workers", str(int(workers)),
               "--uvicorn-opts", "--no-access-log"]
    hosts = _check_allowed_hosts(allowed_hosts)
    if hosts:
        command += ["--allowed-hosts", ",".join(_with_defaults(hosts))]
    if app_name:
        command += ["--app-name", app_name]
    return command


def check_port_free(host: str, port: int) -> None:
    """workbook.serving.process.check_port_free, raising TrackingServerError."""
    try:
        server_process.check_port_free(host, port)
    except ServingError as error:
        raise TrackingServerError(str(error)) from None


def server_env(backend_uri: str) -> dict[str, str]:
    """The server's environment: serving's (PATH, threads) minus variables that would override the command."""
    env = web_ui_env(backend_uri)
    for name in OVERRIDING_ENV:
        env.pop(name, None)
    return env


# --- the running server ------------------------------------------------------------------------------


@dataclass(kw_only=True)
class TrackingServer(ServerProcess):
    """A running `mlflow server`: its database and the folder whose artifacts it serves."""

    backend_uri: str
    artifacts_dir: Path
    room_dir: Path | None = None  # a room's folder (its secrets, user store), None without logins


def summary_line(tail: Sequence[str]) -> str:
    """The one log line that best says why a server died: the last error or exception line, else the last line."""
    for line in reversed(tail):
        if re.search(r"(Error|Exception|error:)", line):
            return line.strip()
    return tail[-1].strip() if tail else ""


def _stderr_fd() -> int | None:
    """This process's stderr as a file descriptor; None (inherit stdout) where stderr is not a real file."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        return None


def _wait_until_healthy(server: TrackingServer, timeout: float) -> None:
    """Poll `/health` until it answers; one-line TrackingServerError with the likeliest cause if it dies or hangs."""
    outcome = server.wait_until_answering("/health", timeout)
    if outcome == "exited":
        tail = server.log_tail()
        why = f": {summary_line(tail)}" if tail else "; see its output above"
        raise TrackingServerError(f"the MLflow tracking server for {redacted(server.backend_uri)} exited with "
                                  f"code {server.process.returncode} before answering{why}", tail)
    if outcome == "timed out":
        raise TrackingServerError(f"the MLflow tracking server for {redacted(server.backend_uri)} did not answer "
                                  f"{server.url}/health within {timeout:g} s", server.log_tail())


def start_tracking_server(backend_uri: str | None = None, artifacts_dir: str | Path | None = None,
                          host: str = DEFAULT_HOST, port: int | None = None, timeout: float = START_TIMEOUT_S, *,
                          workers: int = DEFAULT_WORKERS, allowed_hosts: Sequence[str] = (),
                          capture_output: bool = True, room: bool = False) -> TrackingServer:
    """Start `mlflow server` and wait until it answers `/health`; returns the running server (call `stop()`).

    Defaults: the project's team store under mlruns/server/, a free port on 127.0.0.1. A new SQLite backend
    is created first, under the store lock. With `capture_output` the server's log goes to a temporary file
    whose likeliest error line ends up in the error if the server dies; otherwise it prints to this terminal.
    With `room`, MLflow's basic-auth app asks every request for a login (workbook.room prepares it).
    """
    backend = check_backend_uri(backend_uri or default_backend_uri())
    if not isinstance(host, str) or not host.strip():
        raise TrackingServerError(f"host must be an address or host name such as 127.0.0.1, got {host!r}")
    if port is not None and not (isinstance(port, int) and 0 < port < 65536):
        raise TrackingServerError(f"port must be a whole number from 1 to 65535, got {port!r}")
    if not (isinstance(workers, int) and workers >= 1):
        raise TrackingServerError(f"workers must be a whole number of at least 1, got {workers!r}")
    hosts = _check_allowed_hosts(allowed_hosts)
    try:
        command_port = free_port(host) if port is None else port
    except OSError as error:  # a host name that does not resolve, an address this machine does not have
        raise TrackingServerError(f"cannot listen on {host} ({error.strerror or error}); check --host") from None
    check_port_free(host, command_port)  # before anything is created on disk
    folder = prepare_artifacts_dir(artifacts_dir if artifacts_dir is not None else default_artifacts_dir())
    env, room_dir, app_name = server_env(backend), None, None
    if room:
        room_env, room_dir, app_name = _room_settings(backend)
        env.update(room_env)
    command = server_command(backend, folder, host, command_port, workers=workers, allowed_hosts=hosts,
                             app_name=app_name)
    prepare_sqlite_store(backend)
    started = time.monotonic()
    # Without a log file, MLflow's own chatter goes to stderr as well: stdout keeps only the line the workbook prints.
    process, log_path = launch(command, env, log_prefix="workbook-tracking-server-" if capture_output else None,
                               stdout=None if capture_output else _stderr_fd())
    server = TrackingServer(url=f"http://{url_host(host)}:{command_port}", process=process, log_path=log_path,
                            backend_uri=backend, artifacts_dir=folder, room_dir=room_dir)
    return server.ready_or_stop(lambda ready: _wait_until_healthy(ready, timeout), started)


def _room_settings(backend: str) -> tuple[dict[str, str], Path, str]:
    """workbook.room.server_settings and MLflow's login app, its errors as TrackingServerError.

    Imported here: workbook.room imports requests and secrets, which a server without logins never needs.
    """
    from workbook import room

    try:
        env, folder = room.server_settings(backend)
    except room.RoomError as error:
        raise TrackingServerError(str(error)) from None
    return env, folder, room.APP_NAME


# --- the foreground command --------------------------------------------------------------------------


def exposure_warning(host: str) -> str:
    """The one-line warning for a server other machines can reach."""
    return (f"warning: listening on {host} lets other machines reach this tracking server, and anyone who can "
            "reach it may read and write every run (MLflow asks for no login); MLflow still refuses Host "
            "headers other than localhost and private-network addresses unless --allowed-host names them")


def add_users_command(server: TrackingServer, host: str = DEFAULT_HOST) -> str:
    """`workbook room add-users NAMES.txt` as this room needs it: --url and --room-dir when not the defaults,
    and --handout-url when the room listens beyond this machine (attendees cannot use its 127.0.0.1)."""
    command = ["workbook", "room", "add-users", "NAMES.txt"]
    if server.url != DEFAULT_SERVER_URL:
        command += ["--url", server.url]
    if server.room_dir is not None and Path(server.room_dir).resolve() != SERVER_DIR.resolve():
        command += ["--room-dir", str(server.room_dir)]
    if not server_process.is_loopback(host):
        command += ["--handout-url", f"http://{lan_address() or 'YOUR-IP-ADDRESS'}:{urlsplit(server.url).port}"]
    return shlex.join(command)


def lan_address() -> str | None:
    """This machine's address on the network its default route uses, or None (no network, loopback only).

    A UDP socket's connect sends nothing: it only makes the system pick the interface a packet would leave by.
    """
    import socket

    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))
        address = probe.getsockname()[0]
        return None if address.startswith("127.") else address
    return None


def ready_line(server: TrackingServer, host: str = DEFAULT_HOST) -> str:
    """The line `workbook server` prints once the server answers: where it is and how clients use it."""
    if server.room_dir is not None:
        return (f"workshop room on {server.url} (MLflow logins; admin password in {server.room_dir}/"
                f"room-secrets.json); add attendees with `{add_users_command(server, host)}`; Ctrl-C stops it")
    return (f"MLflow tracking server on {server.url} (store {redacted(server.backend_uri)}, artifacts "
            f"{server.artifacts_dir}); MLFLOW_TRACKING_URI={server.url} points notebooks and sweeps at it; "
            "Ctrl-C stops it")


def run_server(backend_uri: str | None = None, artifacts_dir: str | Path | None = None, host: str = DEFAULT_HOST,
               port: int = DEFAULT_UI_PORT, *, workers: int = DEFAULT_WORKERS, allowed_hosts: Sequence[str] = (),
               timeout: float = START_TIMEOUT_S, room: bool = False, say: Callable[[str], None],
               warn: Callable[[str], None]) -> int:
    """Run the team's tracking server in the foreground until Ctrl-C; the exit status for the command line.

    Says one line once the server answers (`say`; the CLI prints it on stdout); warnings and errors go to
    `warn` (the CLI's stderr): the library prints nothing itself. Ctrl-C, SIGTERM (a service manager,
    `docker stop`) or SIGHUP (a closed terminal) stops the whole process group and returns 128 + the signal's
    number: 130, 143, 129 (workbook.serving.process.stop_signals). Interrupted before the server was ready, it
    says so in one line first. A server that dies on its own returns its exit code after a one-line error.
    Start-up problems raise TrackingServerError.
    """
    backend = check_backend_uri(backend_uri or default_backend_uri())
    if not is_loopback(host):  # a room asks every request for a login, but over plain HTTP
        warn(f"warning: listening on {host}: logins cross the network unencrypted (HTTP); keep the room on its "
             "own network" if room else exposure_warning(host))
    if local := local_artifact_experiments(backend):
        names = ", ".join(repr(name) for name in local[:3]) + (", ..." if len(local) > 3 else "")
        warn(f"warning: {len(local)} experiment(s) in {redacted(backend)} keep artifacts in local folders "
             f"({names}); clients on other machines cannot log artifacts to them: use a fresh store")
    server = None
    try:
        with stop_signals():
            server = start_tracking_server(backend, artifacts_dir, host, port, timeout, workers=workers,
                                           allowed_hosts=allowed_hosts, capture_output=False, room=room)
            with server:  # stopped with its whole process group however the block ends
                say(ready_line(server, host))
                code = server.wait()
    except KeyboardInterrupt as interrupt:  # start_tracking_server stops a half-started server itself
        if server is None:
            with contextlib.suppress(OSError):  # a hang-up may have taken the terminal away
                warn("interrupted before the tracking server was ready")
        return exit_status(interrupt)
    if code != 0:
        warn(f"error: the MLflow tracking server exited with code {code}; see its output above")
    return code
