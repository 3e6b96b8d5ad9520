"""Parameter sweeps: one papermill execution per point of a grid, logged to MLflow, summarised, resumable.

request: grid options and the grid file; plan: checked values, points, keys and data fingerprints; point: one
point executed in a worker; executors: local pool or Dask, by name; store: the sweep folder; tracker: MLflow;
result: what a sweep did; orchestrate: run_sweep. report (summary.csv/html) and figures (the grid figure)
import pandas and matplotlib: import them as `workbook.sweep.report` and `workbook.sweep.figures`.
"""

from workbook.errors import SweepError, SweepUsageError
from workbook.sweep.executors import (
    Executor,
    check_executor_options,
    connect_dask,
    run_dask,
    run_local,
    run_points,
)
from workbook.sweep.orchestrate import run_sweep
from workbook.sweep.plan import (
    MAX_POINTS,
    SWEEP_RESERVED,
    Point,
    SweepPlan,
    canonical_json,
    data_fingerprint,
    effective_parameters,
    expand_grid,
    grid_point,
    grid_size,
    plan_sweep,
    point_key,
    resolve_notebook,
    sample_indices,
    select_points,
    short_text,
)
from workbook.sweep.point import PointOutcome, PointTask, execute_point, point_parameters
from workbook.sweep.request import (
    DEFAULT_SEED,
    GOALS,
    Goal,
    SweepRequest,
    build_request,
    load_grid_file,
    parse_grid_option,
)
from workbook.sweep.result import PointReport, SweepResult, numeric_results
from workbook.sweep.store import (
    POINT_FILE,
    RESULTS_FILE,
    SWEEP_FILE,
    completed_points,
    install_outcome,
    read_sweep_json,
    sweep_lock,
    sweep_record,
)
from workbook.sweep.tracker import PARENT_TAG, POINT_TAG, ROLE_TAG, SWEEP_EXPERIMENT, SWEEP_TAG, SweepTracker

__all__ = [
    "DEFAULT_SEED",
    "GOALS",
    "MAX_POINTS",
    "PARENT_TAG",
    "POINT_FILE",
    "POINT_TAG",
    "RESULTS_FILE",
    "ROLE_TAG",
    "SWEEP_EXPERIMENT",
    "SWEEP_FILE",
    "SWEEP_RESERVED",
    "SWEEP_TAG",
    "Executor",
    "Goal",
    "Point",
    "PointOutcome",
    "PointReport",
    "PointTask",
    "SweepError",
    "SweepPlan",
    "SweepRequest",
    "SweepResult",
    "SweepTracker",
    "SweepUsageError",
    "build_request",
    "canonical_json",
    "check_executor_options",
    "completed_points",
    "connect_dask",
    "data_fingerprint",
    "effective_parameters",
    "execute_point",
    "expand_grid",
    "grid_point",
    "grid_size",
    "install_outcome",
    "load_grid_file",
    "numeric_results",
    "parse_grid_option",
    "plan_sweep",
    "point_key",
    "point_parameters",
    "read_sweep_json",
    "resolve_notebook",
    "run_dask",
    "run_local",
    "run_points",
    "run_sweep",
    "sample_indices",
    "select_points",
    "short_text",
    "sweep_lock",
    "sweep_record",
]
