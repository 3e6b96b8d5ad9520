"""A sweep's runs in MLflow: one parent run per sweep, one child run per completed point, never twice."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbook.errors import SweepError
from workbook.results import to_jsonable
from workbook.sweep.result import numeric_results

if TYPE_CHECKING:
    from workbook.sweep.plan import Point, SweepPlan

SWEEP_EXPERIMENT = "sweeps"
SWEEP_TAG = "workbook.sweep_key"
POINT_TAG = "workbook.point_key"
ROLE_TAG = "workbook.sweep_role"  # "sweep" on the parent run, "point" on each child the sweep logs
PARENT_TAG = "mlflow.parentRunId"  # MLflow's own key: the UI nests children under their parent
# On a point's run: its params are every parameter it ran with, defaults included (runs logged before carry
# only the grid and fixed values; workbook diff fills those from the notebook as it is now).
ALL_PARAMS_TAG = "workbook.params_logged"
RANKED_BY_TAG = "workbook.ranked_by"  # on the parent: the metric and goal its best_* metric follows now
MLFLOW_PARAM_LIMIT = 6000  # characters MLflow keeps of a parameter value

RunEnd = Literal["FINISHED", "FAILED", "KILLED"]


class SweepTracker:
    """The sweep's runs in MLflow: find or create the parent, log each point's child run exactly once."""

    def __init__(self, experiment: str, sweep_key: str, stem: str, uri: str | None = None, *,
                 defaults: Mapping[str, Any] | None = None):
        """`defaults`: the notebook's parameters as it declares them, logged with each point's own values so a
        point's run says everything it ran with, even after the notebook's defaults change."""
        from mlflow.tracking import MlflowClient

        from workbook import tracking

        try:
            self.experiment_id = tracking.setup_tracking(experiment, uri)
        except tracking.TrackingError as error:
            raise SweepError(str(error)) from None
        self.uri = tracking.resolve_tracking_uri(uri)  # what setup_tracking just checked
        self.client = MlflowClient(self.uri)
        self.experiment, self.sweep_key, self.stem = experiment, sweep_key, stem
        self.defaults = dict(defaults or {})
        self.parent_id: str | None = None

    def _search(self, filter_string: str, experiment_ids: list[str] | None = None) -> list[Any]:
        """Every active run matching the filter, all pages."""
        runs, token = [], None
        while True:
            page = self.client.search_runs(experiment_ids or [self.experiment_id], filter_string, page_token=token)
            runs.extend(page)
            token = page.token
            if not token:
                return runs

    def start(self, plan: SweepPlan) -> str:
        """Reuse the parent run of this sweep (same folder) or create it; mark it running."""
        found = self._search(f"tags.`{SWEEP_TAG}` = '{self.sweep_key}' AND tags.`{ROLE_TAG}` = 'sweep'")
        if found:
            self.parent_id = min(found, key=lambda run: run.info.start_time).info.run_id
            self.client.update_run(self.parent_id, status="RUNNING")
        else:
            tags = {SWEEP_TAG: self.sweep_key, ROLE_TAG: "sweep", "workbook.notebook": self.stem}
            self.parent_id = self.client.create_run(self.experiment_id, run_name=f"sweep-{self.stem}",
                                                    tags=tags).info.run_id
        self.client.set_tag(self.parent_id, "workbook.sweep_grid", _param_text(plan.grid))
        self.client.set_tag(self.parent_id, "workbook.sweep_fixed", _param_text(plan.fixed))
        return self.parent_id

    def forget_points(self, keys: set[str]) -> int:
        """Delete every run of this sweep tagged with one of `keys` (leftovers of points about to run again)."""
        if not keys:
            return 0
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        runs = self._search(f"tags.`{SWEEP_TAG}` = '{self.sweep_key}'", experiments)
        stale = [run for run in runs if run.data.tags.get(POINT_TAG) in keys]
        for run in stale:
            self.client.delete_run(run.info.run_id)
        return len(stale)

    def ensure_child(self, point: Point, results: Mapping[str, Any], seconds: float | None, folder: str) -> str:
        """The point's FINISHED child run: found if logged before, else logged now; unfinished leftovers go."""
        assert self.parent_id is not None, "start() the sweep first"
        found = self._search(f"tags.`{POINT_TAG}` = '{point.key}' AND tags.`{ROLE_TAG}` = 'point' "
                             f"AND tags.`{PARENT_TAG}` = '{self.parent_id}'")
        finished = [run for run in found if run.info.status == "FINISHED"]
        for run in found:
            if run.info.status != "FINISHED":  # a sweep killed while logging it
                self.client.delete_run(run.info.run_id)
        if finished:
            return finished[0].info.run_id
        return self.log_child(point, results, seconds, folder)

    def log_child(self, point: Point, results: Mapping[str, Any], seconds: float | None, folder: str) -> str:
        """Create, fill and finish one child run."""
        from mlflow.entities import Metric
        from mlflow.entities import Param as MlflowParam

        tags = {PARENT_TAG: self.parent_id, SWEEP_TAG: self.sweep_key, POINT_TAG: point.key, ROLE_TAG: "point",
                ALL_PARAMS_TAG: "all",
                "workbook.notebook": self.stem, "workbook.point_folder": folder}
        run_id = self.client.create_run(self.experiment_id, run_name=f"{self.stem}-{point.folder}",
                                        tags=tags).info.run_id
        now = int(time.time() * 1000)
        metrics = [Metric(name, value, now, 0) for name, value in numeric_results(results).items()]
        if seconds is not None:
            metrics.append(Metric("seconds", float(seconds), now, 0))
        values = self.defaults | point.params
        params = [MlflowParam(name, _param_text(value)) for name, value in values.items()]
        self.client.log_batch(run_id, metrics=metrics, params=params)
        self.client.set_terminated(run_id, "FINISHED")
        return run_id

    def log_artifact(self, path: Path) -> None:
        """Keep a file of the sweep's (its summary figure) with the parent run."""
        if self.parent_id is not None:
            self.client.log_artifact(self.parent_id, str(path))

    def finish(self, status: RunEnd, summary: Mapping[str, float] | None = None, ranked_by: str | None = None) -> None:
        """Close the parent run (FINISHED, FAILED or KILLED) with the sweep's summary figures, and tag it with the
        ranking they follow (`wine_rmse (min)`): a rerun that ranks again adds its own best_* metric, and MLflow
        keeps the earlier ones."""
        if self.parent_id is None:
            return
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        metrics = [Metric(name, float(value), now, 0) for name, value in (summary or {}).items()]
        tags = [RunTag(RANKED_BY_TAG, ranked_by)] if ranked_by else []
        if metrics or tags:
            self.client.log_batch(self.parent_id, metrics=metrics, tags=tags)
        self.client.set_terminated(self.parent_id, status)


def _param_text(value: Any) -> str:
    """A parameter value as MLflow stores it: text, at most MLFLOW_PARAM_LIMIT characters."""
    text = value if isinstance(value, str) else json.dumps(to_jsonable(value), ensure_ascii=False)
    return text[:MLFLOW_PARAM_LIMIT]
