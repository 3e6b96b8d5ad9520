"""The MLflow UI on the workbook's store, in the foreground: `workbook ui`."""

from __future__ import annotations

import sys

from workbook import tracking
from workbook.errors import TrackingError
from workbook.paths import DEFAULT_HOST, DEFAULT_UI_PORT
from workbook.serving.process import (
    ServerProcess,
    check_port_free,
    exit_status,
    launch,
    stop_signals,
    url_host,
    web_ui_env,
)


def ui_command_args(tracking_uri: str | None = None, port: int = DEFAULT_UI_PORT, host: str = DEFAULT_HOST,
                    workers: int = 1) -> list[str]:
    """The argument list behind `tracking.ui_command`, with host, port, one worker and the artifact folder.

    A SQLite store keeps artifacts in `artifacts/` beside the database (workbook.tracking's layout); experiments
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
            process, _ = launch(ui_command_args(uri, port, host), web_ui_env(uri), stdin=None)
            with ServerProcess(url=f"http://{url_host(host)}:{port}", process=process):
                return process.wait()  # the group is stopped also when the leader already exited
    except KeyboardInterrupt as interrupt:
        return exit_status(interrupt)
