"""The talk's MLflow demo: mlflow's classic `sklearn_elasticnet_wine` example, reproduced exactly.

The talk ran `examples/sklearn_elasticnet_wine/train.py`: the UCI red-wine file, `np.random.seed(40)`, the
default `train_test_split`, `ElasticNet(alpha, l1_ratio, random_state=42)` and RMSE/MAE/R² logged to MLflow.
With alpha = l1_ratio = 0.5 that gives RMSE 0.7932, MAE 0.6272, R² 0.1086, the run on the talk's screen.
The project ships a copy of the file (data/winequality-red.csv, UCI, CC BY 4.0), so the demo runs offline;
a path or an http(s) URL reads another copy.
"""

from __future__ import annotations

import io
import math
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

from workbook.errors import WineDataError, WineDataUnavailable
from workbook.paths import DATA_DIR
from workbook.values import is_finite_number

WINE_CSV = DATA_DIR / "winequality-red.csv"  # the copy the project ships: the default everywhere
URL_TIMEOUT_S = 5.0  # offline, a notebook should say "skipped" at once, not hang on the download
SPLIT_SEED = 40  # the example's np.random.seed(40)
MODEL_SEED = 42  # the example's ElasticNet(random_state=42)
TARGET = "quality"
FEATURES = [
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides", "free sulfur dioxide",
    "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
]
WINE_COLUMNS = FEATURES + [TARGET]
METRIC_DIGITS = 4  # the talk's MLflow screen shows four decimals


# --- the data -------------------------------------------------------------------------------------


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _fetch(url: str, timeout: float) -> bytes:
    """The bytes at `url`, or WineDataUnavailable within about `timeout` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise WineDataUnavailable(f"{url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:  # refused, no route, DNS, timeout
        reason = getattr(error, "reason", None) or error
        raise WineDataUnavailable(f"{url} cannot be reached ({reason}); offline? pass a local copy") from None


def _read_local(source: str) -> bytes:
    """The raw file behind `source`: a local path or an http(s) URL."""
    path = Path(source).expanduser()
    if not path.exists():
        raise WineDataUnavailable(f"wine file not found: {path.resolve()}")
    if path.is_dir():
        raise WineDataError(f"{path}: this is a folder; expected the winequality-red.csv file")
    return path.read_bytes()


def _check_wine_table(data: pd.DataFrame, source: str) -> pd.DataFrame:
    """The table with exactly the expected numeric, complete columns, or WineDataError naming what is wrong."""
    missing = [c for c in WINE_COLUMNS if c not in data.columns]
    if missing:
        hint = " (the UCI file is separated by ';', not ',')" if len(data.columns) == 1 else ""
        raise WineDataError(f"{source}: missing column(s) {missing}{hint}; found {list(data.columns)[:12]}")
    if data.empty:
        raise WineDataError(f"{source}: the header is there but no rows under it")
    problems = []
    for column in WINE_COLUMNS:
        numbers = pd.to_numeric(data[column], errors="coerce")
        bad = numbers.isna() & data[column].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            problems.append(f"{column!r} has {int(bad.sum())} non-numeric value(s), e.g. {data[column].iloc[row]!r} "
                            f"in data row {row + 1}")
        elif data[column].isna().any():
            problems.append(f"{column!r} has {int(data[column].isna().sum())} missing value(s)")
    if problems:
        raise WineDataError(f"{source}: " + "; ".join(problems))
    return data[WINE_COLUMNS].apply(pd.to_numeric)


def load_wine(wine_csv: str | Path | None = None, timeout: float = URL_TIMEOUT_S) -> pd.DataFrame:
    """Read the UCI red-wine CSV (';'-separated) and check its columns: None reads the copy in data/,
    otherwise a path or an http(s) URL.

    Raises WineDataUnavailable (missing file, URL unreachable within `timeout` s) or WineDataError (not the
    wine table: missing, non-numeric or empty columns).
    """
    source = str(WINE_CSV if wine_csv is None else wine_csv)
    raw = _fetch(source, timeout) if _is_url(source) else _read_local(source)
    try:
        data = pd.read_csv(io.BytesIO(raw), sep=";")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WineDataError(f"{source}: not readable as a ';'-separated CSV ({first_line})") from None
    return _check_wine_table(data, source)


# --- the model ------------------------------------------------------------------------------------


def _check_number(name: str, value: Any, low: float, high: float = math.inf) -> float:
    """`value` as a float if it is a finite number in [low, high], else a one-line ValueError."""
    if not is_finite_number(value) or not low <= value <= high:
        expected = f"a number >= {low:g}" if high == math.inf else f"a number from {low:g} to {high:g}"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return float(value)


def wine_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """RMSE, MAE and R² as the example computes them."""
    return {
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
    }


def train_wine(df: pd.DataFrame, alpha: float = 0.5, l1_ratio: float = 0.5) -> dict[str, Any]:
    """Split, fit and score exactly as the example does; returns metrics, model and the four split frames.

    The example seeds NumPy's global generator (`np.random.seed(40)`) and lets `train_test_split` draw from
    it; a RandomState(40) handed to the split draws the same rows without changing the caller's global state.
    """
    alpha = _check_number("alpha", alpha, 0.0)
    l1_ratio = _check_number("l1_ratio", l1_ratio, 0.0, 1.0)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"train_wine expects the wine table as a pandas DataFrame, got {type(df).__name__}")
    data = _check_wine_table(df, "wine data")
    train, test = train_test_split(data, random_state=np.random.RandomState(SPLIT_SEED))
    X_train, X_test = train.drop(columns=[TARGET]), test.drop(columns=[TARGET])
    y_train, y_test = train[TARGET], test[TARGET]
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=MODEL_SEED).fit(X_train, y_train)
    return {"metrics": wine_metrics(y_test, model.predict(X_test)), "model": model, "X_train": X_train,
            "X_test": X_test, "y_train": y_train, "y_test": y_test}


def run_name(alpha: float, l1_ratio: float) -> str:
    """The fixed MLflow run name for one setting, e.g. "elasticnet-a0.5-l0.5"."""
    return f"elasticnet-a{alpha:g}-l{l1_ratio:g}"


def _log_wine_run(result: dict[str, Any], alpha: float, l1_ratio: float, experiment: str, source: str,
                  registered_model_name: str | None) -> None:
    """Log the example's params, metrics and model (with signature) as one run of `experiment`."""
    import mlflow  # imported here: importing MLflow takes seconds and `log=False` does not need it

    from workbook import tracking

    tracking.setup_tracking(experiment)
    # The sweep's tags too ($WORKBOOK_RUN_TAGS), so a rerun of a killed sweep point can find this run.
    tags = tracking.extra_tags_from_env() | {"workbook.data_source": source}
    with mlflow.start_run(run_name=run_name(alpha, l1_ratio), tags=tags):
        mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio})
        mlflow.log_metrics(result["metrics"])
        tracking.log_sklearn_model(result["model"], "model", result["X_train"],
                                   registered_model_name=registered_model_name)


def run_wine_demo(wine_csv: str | Path | None = None, alpha: float = 0.5, l1_ratio: float = 0.5,
                  experiment: str = "wine", log: bool = True,
                  registered_model_name: str | None = None) -> dict[str, Any]:
    """The talk's demo end to end: load (None = the copy in data/), train, log one MLflow run (unless `log=False`).

    With `registered_model_name` (the example used "ElasticnetWineModel") the model also becomes a new
    version of that registered model.

    Returns {"wine_rmse", "wine_mae", "wine_r2"} rounded to 4 places, or {"wine_skipped": reason} when the
    file or URL cannot be had. Bad parameters and a file that is not the wine table still raise.
    """
    alpha = _check_number("alpha", alpha, 0.0)
    l1_ratio = _check_number("l1_ratio", l1_ratio, 0.0, 1.0)
    try:
        data = load_wine(wine_csv)
    except WineDataUnavailable as error:
        return {"wine_skipped": str(error)}
    result = train_wine(data, alpha, l1_ratio)
    if log:
        source = WINE_CSV.name if wine_csv is None else str(wine_csv)  # no absolute path of this machine in a tag
        _log_wine_run(result, alpha, l1_ratio, experiment, source, registered_model_name)
    return {f"wine_{name}": round(value, METRIC_DIGITS) for name, value in result["metrics"].items()}
