"""A registered model as a function: load it, check rows against its signature, predict, score a file.

Everything here starts from a model URI as MLflow writes them: `models:/<name>@<alias>` (what a deployment
should use: the alias moves, the URI stays), `models:/<name>/<version>` or `runs:/<run_id>/<path>`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from workbook import tracking
from workbook.data import write_flights
from workbook.data.io import read_table
from workbook.errors import DataContractError, InputSchemaError, TrackingError
from workbook.messages import first_line

PREDICTION_COLUMN = "predicted_price"
IGNORED_INPUT_COLUMNS = ("Price",)  # the answer may travel with the rows (to compare); the model never sees it

_ALIAS_URI = re.compile(r"models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)")
_VERSION_URI = re.compile(r"models:/(?P<name>[^/@]+)/(?P<version>\d+)")
_RUN_URI = re.compile(r"runs:/(?P<run_id>[^/]+)/.+")


# --- loading a model --------------------------------------------------------------------------------


def check_model_uri(model_uri: str, tracking_uri: str | None = None) -> str:
    """Fail fast, in one line, when `model_uri` names a model, version, alias or run the store lacks.

    Cheap registry look-ups only (nothing is downloaded); returns the store's URI.
    """
    if not isinstance(model_uri, str) or not model_uri.strip():
        raise TrackingError(f"model URI must be a non-empty string like models:/<name>@champion, got {model_uri!r}")
    uri = tracking.active_uri(tracking_uri)
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


# --- checking and scoring rows ---------------------------------------------------------------------


def read_rows(path: str | Path) -> pd.DataFrame:
    """Rows to score from a .csv or .xlsx file, every cell as text (as the flight file is); missing stay NaN."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputSchemaError(f"{path}: expected a .csv or .xlsx file, got {suffix or 'no extension'!r}")
    try:
        frame = read_table(path)  # the loader's reader: same formats, same sheet choice, same messages
    except DataContractError as error:
        raise InputSchemaError(f"{path}: {error.problems[0]}") from None
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
            problem = schema_problem(error.message)
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


def schema_problem(message: str) -> str:
    """The useful line of a scoring error: MLflow prefixes it with the whole input frame's repr."""
    if "Error: " in message:
        message = message.rsplit("Error: ", 1)[1]
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"
