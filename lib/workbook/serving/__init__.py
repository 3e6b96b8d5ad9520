"""Packaging and serving a registered model, and the workbook's servers.

model (load, check rows, predict, score a file), process (one ServerProcess: ports, process groups, readiness,
signals), model_server (`workbook serve`), ui (`workbook ui`), robustness (`workbook test-model`),
tracking_server and backend (`workbook server`). Notebooks use `from workbook import serving` and
`serving.<name>`: the names below are theirs and the command line's.
"""

from workbook.errors import InputSchemaError, ServingError, TrackingError
from workbook.serving.model import (
    check_model_uri,
    input_columns,
    load_model,
    predict_frame,
    score_file,
)
from workbook.serving.model_server import (
    dataframe_split_payload,
    invoke,
    invoke_raw,
    serve,
    serve_command,
    server_message,
    start_server,
)
from workbook.serving.process import (
    STOP_STATUSES,
    StopSignal,
    check_port_free,
    child_env,
    exit_status,
    free_port,
    is_loopback,
    stop_signals,
    url_host,
    web_ui_env,
)
from workbook.serving.robustness import run_model_tests
from workbook.serving.ui import run_ui, ui_command_args

__all__ = [
    "STOP_STATUSES",
    "InputSchemaError",
    "ServingError",
    "StopSignal",
    "TrackingError",
    "check_model_uri",
    "check_port_free",
    "child_env",
    "dataframe_split_payload",
    "exit_status",
    "free_port",
    "input_columns",
    "invoke",
    "invoke_raw",
    "is_loopback",
    "load_model",
    "predict_frame",
    "run_model_tests",
    "run_ui",
    "score_file",
    "serve",
    "serve_command",
    "server_message",
    "start_server",
    "stop_signals",
    "ui_command_args",
    "url_host",
    "web_ui_env",
]
