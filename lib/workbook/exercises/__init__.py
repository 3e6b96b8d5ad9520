"""Self-checks for the notebooks' exercises: each says what is right, or what to look at, never just "wrong".

Every `check_*` takes the learner's answer (None = not answered yet) and, where needed, the data the notebook
uses; the right answer is always computed from that data. The result is a `Feedback` that shows its message
when it is the last expression of a cell, and is truthy only when the answer is correct.

- `data_answers`, `model_answers`: numbers and names the learner reads or computes (notebooks 01-03, 04-06);
- `code_checks`: code the learner writes (a function, a frame, a pipeline), which the check runs;
- `psi_function`: notebook 06's own PSI function, run on the notebook's feature and on cases a slip fails;
- `mlflow_checks`: what the learner logged and registered, read from the tracking store;
- `batch_answers`: notebook 07's grid point, cross-validated choice, and a point beyond the grid run by papermill.
"""

from workbook.exercises.batch_answers import check_best_grid_point, check_beyond_the_edge, check_cv_choice
from workbook.exercises.code_checks import (
                                            check_cleaning_function,
                                            check_cv_function,
                                            check_encoding_pipeline,
                                            check_weekend_medians,
)
from workbook.exercises.data_answers import (
                                            SCENARIO_HINTS,
                                            check_batch_width,
                                            check_deferred_share,
                                            check_dummy_count,
                                            check_problem_kinds,
                                            check_repeated_flights,
                                            check_rows_removed,
                                            check_steadiest_airline,
                                            check_stops_price_ratio,
)
from workbook.exercises.feedback import (
                                            CLOSE,
                                            CORRECT,
                                            INCORRECT,
                                            NOT_ANSWERED,
                                            Feedback,
                                            check_number,
                                            close,
                                            correct,
                                            incorrect,
                                            not_answered,
)
from workbook.exercises.mlflow_checks import check_mlflow_challenger
from workbook.exercises.model_answers import (
                                            check_departure_disparity,
                                            check_feature_gain,
                                            check_log_target_gain,
                                            check_merged_band_recall,
                                            check_new_category_alerts,
                                            check_psi,
                                            check_rounded_fare_classes,
                                            check_runs_within_noise,
                                            check_signature_inputs,
)
from workbook.exercises.psi_function import check_psi_function

__all__ = [
    "CLOSE", "CORRECT", "INCORRECT", "NOT_ANSWERED", "SCENARIO_HINTS", "Feedback",
    "check_batch_width", "check_best_grid_point", "check_beyond_the_edge",
    "check_steadiest_airline", "check_cleaning_function", "check_cv_choice",
    "check_cv_function", "check_deferred_share", "check_departure_disparity", "check_dummy_count",
    "check_encoding_pipeline", "check_feature_gain", "check_log_target_gain", "check_merged_band_recall",
    "check_mlflow_challenger",
    "check_new_category_alerts", "check_number", "check_problem_kinds", "check_psi",
    "check_psi_function", "check_repeated_flights",
    "check_rounded_fare_classes", "check_rows_removed", "check_runs_within_noise", "check_signature_inputs",
    "check_stops_price_ratio",
    "check_weekend_medians",
    "close", "correct", "incorrect", "not_answered",
]
