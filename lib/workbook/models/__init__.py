"""Models for the flight fares: the talk's classifier measured, a regressor zoo, evaluation and the comparison.

Notebook 04 walks through this package: `talk_classifier` (the talk's RandomForestClassifier, each fare a
class, and what it really does); `catalog` and `pipelines` (five regressors on the talk's 24 columns and on
the improved features, raw or log target); `evaluate` and `compare` (one comparison table); `plots`;
`taxonomy` (classification bands, clustering); `search` (a small hyper-parameter search); and `robustness`
(the talk's "unit tests for model robustness" as reusable checks). `parallel` says where fits run: one
native thread per process, worker processes for n_jobs != 1.
"""

from workbook.features import RAW_COLUMNS
from workbook.models.catalog import (
    DEFAULT_PARAMS,
    ENSEMBLE,
    ENSEMBLE_MEMBERS,
    EXACT_EUCLIDEAN,
    EXPLAINABILITY,
    FEATURE_SETS,
    HIGH_CARDINALITY,
    KNN_GRID,
    LOW_CARDINALITY,
    MAX_NATIVE_CATEGORIES,
    MODEL_NAMES,
    SCALED_MODELS,
    TARGETS,
    FeatureSet,
    ModelName,
    Target,
    check_model_name,
)
from workbook.models.compare import (
    METRIC_COLUMNS,
    SLOW_MODELS,
    TABLE_COLUMNS,
    TIMING_COLUMNS,
    best_row,
    compare_models,
    compare_models_fitted,
    comparison_combinations,
    comparison_splits,
    pipeline_for_row,
    row_key,
    row_name,
    stable_view,
    talk_rows,
)
from workbook.models.evaluate import (
    cross_validate_model,
    evaluate,
    model_size_bytes,
    regression_metrics,
    timed_predictions,
)
from workbook.models.parallel import (
    N_JOBS,
    NATIVE_THREADS,
    check_n_jobs,
    fitting_context,
)
from workbook.models.pipelines import (
    FlightFeatures,
    make_ensemble,
    make_model,
    make_pipeline,
    make_tree_encoder,
    model_step_prefix,
    snap_to_grid,
)
from workbook.models.plots import (
    plot_predicted_vs_actual,
    plot_residuals_by_group,
    prediction_frame,
    residuals_by_group,
)
from workbook.models.robustness import (
    MIN_PERFORMANCE,
    CheckResult,
    check_directional_stops,
    check_invariance_no_info_spelling,
    check_min_performance,
    check_valid_outputs,
    run_robustness_checks,
)
from workbook.models.search import (
    parse_search_space,
    search_hyperparameters,
)
from workbook.models.talk_classifier import (
    talk_classifier_report,
)
from workbook.models.taxonomy import (
    FARE_BANDS,
    fare_band_edges,
    fare_band_report,
    fare_bands,
    make_band_classifier,
    route_clustering,
    route_table,
)

__all__ = [
    "CheckResult",
    "DEFAULT_PARAMS",
    "ENSEMBLE",
    "ENSEMBLE_MEMBERS",
    "EXACT_EUCLIDEAN",
    "EXPLAINABILITY",
    "FARE_BANDS",
    "FEATURE_SETS",
    "FeatureSet",
    "FlightFeatures",
    "HIGH_CARDINALITY",
    "KNN_GRID",
    "LOW_CARDINALITY",
    "MAX_NATIVE_CATEGORIES",
    "METRIC_COLUMNS",
    "MIN_PERFORMANCE",
    "MODEL_NAMES",
    "ModelName",
    "NATIVE_THREADS",
    "N_JOBS",
    "RAW_COLUMNS",
    "SCALED_MODELS",
    "SLOW_MODELS",
    "TABLE_COLUMNS",
    "TARGETS",
    "TIMING_COLUMNS",
    "Target",
    "best_row",
    "check_directional_stops",
    "check_invariance_no_info_spelling",
    "check_min_performance",
    "check_model_name",
    "check_n_jobs",
    "check_valid_outputs",
    "compare_models",
    "compare_models_fitted",
    "comparison_combinations",
    "comparison_splits",
    "cross_validate_model",
    "evaluate",
    "fare_band_edges",
    "fare_band_report",
    "fare_bands",
    "fitting_context",
    "make_band_classifier",
    "make_ensemble",
    "make_model",
    "make_pipeline",
    "make_tree_encoder",
    "model_size_bytes",
    "model_step_prefix",
    "parse_search_space",
    "pipeline_for_row",
    "plot_predicted_vs_actual",
    "plot_residuals_by_group",
    "prediction_frame",
    "regression_metrics",
    "residuals_by_group",
    "route_clustering",
    "route_table",
    "row_key",
    "row_name",
    "run_robustness_checks",
    "search_hyperparameters",
    "snap_to_grid",
    "stable_view",
    "talk_classifier_report",
    "talk_rows",
    "timed_predictions",
]
