"""The MLproject's entry points: the talk's wine demo and one flight-fare model, logged the MLflow-project way.

`mlflow run . -e wine -P alpha=0.3 --env-manager local` creates a run in its store and experiment, then
starts the entry point's command with MLFLOW_RUN_ID set; the code here logs into that run, so the run
MLflow shows is the one with the metrics. Started directly (`workbook train-wine`), it logs a new run to the
workbook's store, in the experiments notebook 05 uses: `wine` for the demo, `05_mlflow_tracking` for flights.
The work itself is `workbook.wine` and `workbook.models`, as the notebooks call them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from workbook.errors import EntryPointError

WINE_EXPERIMENT = "wine"  # notebook 05's wine demo logs here
FLIGHTS_EXPERIMENT = "05_mlflow_tracking"
FLIGHTS_NOTEBOOK = "05_mlflow_tracking"  # the tag a diff uses to pair these runs with notebook 05's
CV_FOLDS = 3  # as notebook 05: runs are chosen by cross-validated MAE


@dataclass
class EntryPointRun:
    """What an entry point logged: the run, where, its metrics, and a note when the store is not the workbook's."""

    run_id: str
    experiment: str
    tracking_uri: str
    metrics: dict[str, float]
    notes: list[str] = field(default_factory=list)


def launched_by_mlflow_run() -> bool:
    """True inside `mlflow run`: it hands its run to the entry point in MLFLOW_RUN_ID."""
    return bool(os.environ.get("MLFLOW_RUN_ID"))


def experiment_for(default: str) -> str:
    """The experiment to log to: the one `mlflow run` created its run in, else `default`.

    MLflow refuses to resume its run under another active experiment, so inside `mlflow run` the choice is
    `--experiment-name`'s (or Default's); the README's command passes the notebooks' name.
    """
    if not launched_by_mlflow_run():
        return default
    from mlflow.tracking import MlflowClient

    from workbook import tracking

    client = MlflowClient(tracking.resolve_tracking_uri())
    run = client.get_run(os.environ["MLFLOW_RUN_ID"])
    return client.get_experiment(run.info.experiment_id).name


def looks_like_mlflow_default(uri: str) -> bool:
    """True for MLflow's own default store, `mlflow.db` in the folder `mlflow run` started in.

    `mlflow run` hands the entry point an absolute URI, so the default is known by its shape: a SQLite file
    named mlflow.db outside any `mlruns/` folder (the workbook's stores live in one).
    """
    from workbook import tracking

    db = tracking.sqlite_path(uri) if uri.startswith("sqlite:") else None
    return db is not None and db.name == "mlflow.db" and db.parent.name != "mlruns"


def store_notes(uri: str, experiment: str, wanted: str) -> list[str]:
    """What a user of `mlflow run` may not expect: MLflow's own default store, or another experiment."""
    notes = []
    if looks_like_mlflow_default(uri):
        notes.append(f"logged to MLflow's default store {uri}, not the notebooks' mlruns/mlflow.db: "
                     "run it as MLFLOW_TRACKING_URI=sqlite:///mlruns/mlflow.db mlflow run ...")
    if experiment != wanted:
        notes.append(f"logged to experiment {experiment!r}; notebook 05 logs to {wanted!r} "
                     f"(add --experiment-name {wanted})")
    return notes


def _finished(experiment: str, wanted: str, metrics: dict[str, float], launched: bool) -> EntryPointRun:
    """The run just logged (MLflow's last active run) with its store, and notes when `mlflow run` chose them."""
    import mlflow

    from workbook import tracking

    uri = tracking.resolve_tracking_uri()
    notes = store_notes(uri, experiment, wanted) if launched else []
    return EntryPointRun(mlflow.last_active_run().info.run_id, experiment, uri, metrics, notes)


def train_wine(alpha: float = 0.5, l1_ratio: float = 0.5, wine_csv: str | None = None) -> EntryPointRun:
    """The talk's demo (`workbook.wine.run_wine_demo`), one run with alpha, l1_ratio and RMSE/MAE/R²."""
    from mlflow.exceptions import MlflowException

    from workbook import tracking, wine

    launched = launched_by_mlflow_run()  # ending the run unsets MLFLOW_RUN_ID: ask now
    try:
        experiment = experiment_for(WINE_EXPERIMENT)
        result = wine.run_wine_demo(wine_csv or None, alpha, l1_ratio, experiment=experiment)
    except (ValueError, tracking.TrackingError, MlflowException) as error:
        raise EntryPointError(_one_line(error)) from None
    if "wine_skipped" in result:
        raise EntryPointError(f"wine data unavailable: {result['wine_skipped']}")
    return _finished(experiment, WINE_EXPERIMENT, {k.removeprefix("wine_"): v for k, v in result.items()}, launched)


def train_flights(model_name: str = "hist_gradient_boosting", learning_rate: float = 0.1, log_target: bool = True,
                  n_rows: int = 10_683, random_state: int = 42, data_path: str | Path | None = None) -> EntryPointRun:
    """One of notebook 05's flight-fare runs: the improved features, test-split metrics, cv_MAE (with its folds'
    spread, cv_MAE_std) and the model."""
    from workbook import models

    try:
        models.check_model_name(model_name)  # before MLflow's import: a typo is told at once
    except ValueError as error:
        raise EntryPointError(str(error)) from None
    import mlflow
    from mlflow.exceptions import MlflowException

    from workbook import tracking
    from workbook.data import load_flights

    launched = launched_by_mlflow_run()  # ending the run unsets MLFLOW_RUN_ID: ask now
    try:
        # learning_rate is boosting's; for the other models it is not a setting, so it is not logged either.
        settings = {"learning_rate": learning_rate} if model_name == "hist_gradient_boosting" else {}
        flights = load_flights(data_path or None, n_rows=n_rows, seed=random_state)
        X_train, X_test, y_train, y_test = models.comparison_splits(flights, random_state)["improved"]
        pipeline = models.make_pipeline(model_name, "improved", log_target, random_state, **settings)
        result = models.evaluate(pipeline, X_train, X_test, y_train, y_test)
        cv = models.cross_validate_model(pipeline, X_train, y_train, CV_FOLDS, random_state)
        result["cv_MAE"], result["cv_MAE_std"] = cv["cv_mae_mean"], cv["cv_mae_std"]
        experiment = experiment_for(FLIGHTS_EXPERIMENT)
        tracking.setup_tracking(experiment)
        source = "synthetic twin" if not data_path else Path(data_path).name
        tags = tracking.run_tags(FLIGHTS_NOTEBOOK, source, tracking.frame_hash(flights))
        metrics = {name: float(result[name]) for name in ("MAE", "RMSE", "R2", "MAPE", "cv_MAE", "cv_MAE_std")}
        name = f"{model_name}-lr{learning_rate:g}" if settings else model_name
        with mlflow.start_run(run_name=name, tags=tags | {"workbook.entry_point": "flights"}):
            mlflow.log_params({"model_name": model_name, "log_target": log_target, "n_rows": n_rows,
                               "random_state": random_state, **settings})
            mlflow.log_metrics(metrics)
            tracking.log_dataset(flights.loc[X_train.index], "flights-train", source, targets="Price")
            tracking.log_sklearn_model(result["pipeline"], "model", X_train)
    except (ValueError, OSError, tracking.TrackingError, MlflowException) as error:
        raise EntryPointError(_one_line(error)) from None
    return _finished(experiment, FLIGHTS_EXPERIMENT, metrics, launched)


def _one_line(error: BaseException) -> str:
    """An error's message on one line (a data-contract error lists one problem a line)."""
    from workbook.messages import first_line

    lines = [line.strip() for line in str(getattr(error, "message", None) or error).splitlines() if line.strip()]
    return " | ".join(lines) if lines else first_line(error)
