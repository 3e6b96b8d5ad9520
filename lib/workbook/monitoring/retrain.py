"""Closing the loop: the champion's recipe, retrained on recent months, compared on the newest, promoted only
when better."""

from __future__ import annotations

from typing import Any, TypedDict

import pandas as pd
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline

from workbook import models, tracking
from workbook.errors import TrackingError
from workbook.monitoring.data_checks import labelled_rows
from workbook.monitoring.report import DriftReport, rows_mae
from workbook.values import is_int

CHALLENGER_MODEL = "hist_gradient_boosting"  # the recipe of a champion trained here when the registry has none


class LoopOutcome(TypedDict):
    """What close_the_loop did: retrained and promoted or not, both MAEs on the newest month, and why."""

    retrained: bool
    promoted: bool
    challenger_mae: float | None
    champion_mae: float | None
    train_months: list[str]
    eval_month: str | None
    reason: str
    challenger: Any
    challenger_run_id: str | None
    challenger_version: int | None


def load_or_train_champion(model_name: str, X_train: pd.DataFrame, y_train: pd.Series,
                           random_state: int = 42) -> tuple[Any, str]:
    """The registry's `model_name@champion` (notebook 05) and where it came from; without one, the
    champion's recipe (CHALLENGER_MODEL, improved features, log target) fitted on the given rows."""
    try:
        return tracking.load_by_alias(model_name, "champion"), f"the registry: models:/{model_name}@champion"
    except TrackingError:
        return (train_champion(X_train, y_train, random_state),
                f"trained here: the registry has no {model_name}@champion yet (run notebook 05 first)")


def train_champion(X_train: pd.DataFrame, y_train: pd.Series, random_state: int = 42) -> Any:
    """The champion's recipe (CHALLENGER_MODEL, improved features, log target) fitted on the given rows."""
    return _fit_recipe(CHALLENGER_MODEL, X_train, y_train, random_state)


def _fit_recipe(model_name: str, X: pd.DataFrame, y: pd.Series, random_state: int) -> Any:
    """`model_name` on improved features with a log target, fitted with one native thread."""
    pipeline = models.make_pipeline(model_name, "improved", log_target=True, random_state=random_state)
    with models.fitting_context():
        return pipeline.fit(X, y)


def retrain_challenger(production: pd.DataFrame, months: list[str], recipe: Any) -> Any:
    """`clone(recipe)` (the model's own pipeline and settings, unfitted) fitted on the contract-valid rows of
    `months`: the champion's recipe, retrained."""
    if not months:
        raise ValueError("months must name at least one production month to train on")
    rows = labelled_rows(production, list(months))
    if rows.empty:
        raise ValueError(f"months {list(months)} hold no contract-valid labelled row to train on")
    with models.fitting_context():  # one native thread: the same challenger on any machine
        return clone(recipe).fit(rows[models.RAW_COLUMNS], rows["Price"])


def close_the_loop(report: DriftReport, production: pd.DataFrame, champion: Any, registered_name: str, *,
                   retrain_months: int = 2, tags: dict | None = None) -> LoopOutcome:
    """On a model-drift alert: retrain the champion's recipe (`clone(champion)`) on the months before the
    newest, compare both on the newest month, promote the challenger if better.

    The challenger is logged in a nested MLflow run, registered under `registered_name` (alias
    `challenger`) and takes the `champion` alias only when its newest-month MAE beats the champion's. The
    outcome holds the challenger itself, its run id and registered version (None when nothing was retrained).
    """
    if not is_int(retrain_months) or retrain_months < 1:
        raise ValueError(f"retrain_months must be an integer >= 1, got {retrain_months!r}")
    outcome: LoopOutcome = {"retrained": False, "promoted": False, "challenger_mae": None, "champion_mae": None,
                            "train_months": [], "eval_month": None, "reason": "", "challenger": None,
                            "challenger_run_id": None, "challenger_version": None}
    if not any(a["kind"] == "model_drift" for a in report.alerts):
        return outcome | {"reason": "no model-drift alert: the champion stays, nothing is retrained"}
    months = list(report.model["month"])
    eval_month = months[-1]
    evaluation = labelled_rows(production, [eval_month])
    train_months = [m for m in months[:-1] if not labelled_rows(production, [m]).empty][-retrain_months:]
    if evaluation.empty or not train_months:
        return outcome | {"eval_month": eval_month, "train_months": train_months,
                          "reason": "not enough contract-valid labelled months to train and compare on"}
    challenger = retrain_challenger(production, train_months, champion)
    challenger_mae, champion_mae = rows_mae(challenger, evaluation), rows_mae(champion, evaluation)
    run_id, version, promoted = _log_and_register(challenger, production, train_months, eval_month,
                                                  registered_name, challenger_mae, champion_mae, tags)
    verdict = "better" if challenger_mae < champion_mae else "not better"
    reason = (f"challenger MAE ₹{challenger_mae:,.0f} vs champion ₹{champion_mae:,.0f} on {eval_month}: {verdict}; "
              + ("champion alias moved" if promoted else "champion alias kept"))
    return outcome | {"retrained": True, "promoted": promoted, "challenger_mae": challenger_mae,
                      "champion_mae": champion_mae, "train_months": train_months, "eval_month": eval_month,
                      "reason": reason, "challenger": challenger, "challenger_run_id": run_id,
                      "challenger_version": version}


def recipe_params(model: Any) -> dict[str, str]:
    """What a fitted pipeline is, for a run's params: its final estimator's class, its target (log or raw) and
    the estimator's own random_state (a clone keeps the champion's)."""
    log_target = isinstance(model, TransformedTargetRegressor)
    inner = model.regressor_ if log_target else model
    final = inner.steps[-1][1] if isinstance(inner, Pipeline) else inner
    return {"model": type(final).__name__, "target": "log" if log_target else "raw",
            "random_state": str(final.get_params().get("random_state"))}


def _log_and_register(challenger: Any, production: pd.DataFrame, train_months: list[str], eval_month: str,
                      registered_name: str, challenger_mae: float, champion_mae: float,
                      tags: dict | None) -> tuple[str, int, bool]:
    """Nested run with params, both MAEs, the training data and the model; register; promote if better.

    Returns the challenger's run id, its registered version and whether it took the champion alias.
    """
    import mlflow  # here, not at the top: workbook.tracking imports it first (it quiets MLflow)

    train_rows = labelled_rows(production, train_months)
    learned = train_rows.drop(columns=["month"])  # the rows as the model saw them: tagged, hashed and logged
    tags = {str(k): str(v) for k, v in (tags or {}).items()}
    # The run's data tags describe what this model learned (a model card reads them), not the parent's data.
    origin = tags.get("workbook.data_source")
    tags["workbook.data_source"] = f"{origin + ': ' if origin else ''}production months {', '.join(train_months)}"
    tags["workbook.data_hash"] = tracking.frame_hash(learned)
    with mlflow.start_run(run_name="challenger", nested=mlflow.active_run() is not None, tags=tags):
        mlflow.log_params({**recipe_params(challenger), "features": "improved",
                           "train_months": ", ".join(train_months), "eval_month": eval_month,
                           "n_train_rows": len(train_rows)})
        mlflow.log_metrics({"newest_month_mae": challenger_mae, "champion_newest_month_mae": champion_mae})
        tracking.log_dataset(learned, name="production months",
                             source=f"production {', '.join(train_months)}", context="training", targets="Price")
        with models.fitting_context():  # MLflow predicts on the example rows: one native thread, as when fitting
            info = tracking.log_sklearn_model(challenger, "model", train_rows[models.RAW_COLUMNS])
    version = tracking.register_model(info.model_uri, registered_name)
    tracking.set_alias(registered_name, "challenger", version)
    if challenger_mae >= champion_mae:
        return info.run_id, version, False  # never hand the alias to a worse model, even when none holds it yet
    promoted = tracking.promote_if_better(registered_name, version, "newest_month_mae",
                                          challenger_score=challenger_mae, champion_score=champion_mae)
    return info.run_id, version, promoted
