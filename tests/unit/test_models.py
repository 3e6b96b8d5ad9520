"""Tests for workbook.models: the zoo, evaluation, comparison, taxonomy, search and robustness checks."""

from __future__ import annotations

import math
import os
import pickle
import time
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from workbook import models
from workbook.data import make_flights
from workbook.features import STOPS_MAP, TALK_FEATURE_NAMES
from workbook.models.compare import fit_combination
from workbook.models.parallel import worker_processes

SMALL_ROWS = 2_000


@pytest.fixture(scope="module", autouse=True)
def _one_native_thread():
    """One native thread for the whole module, as the workbook fits: two OpenMP threads on a busy machine make
    boosting ~8x slower (threadpoolctl's limit is process state, so it holds across the tests)."""
    with models.fitting_context():
        yield


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    return make_flights(SMALL_ROWS)


@pytest.fixture(scope="module")
def splits(flights) -> dict[str, tuple]:
    return models.comparison_splits(flights)


@pytest.fixture(scope="module")
def raw_split(splits):
    return splits["improved"]


@pytest.fixture(scope="module")
def good_model(raw_split):
    X_train, _, y_train, _ = raw_split
    return models.make_pipeline("hist_gradient_boosting", "improved", log_target=True).fit(X_train, y_train)


# ------------------------------------------------------------------------------------------------
# The zoo and its pipelines
# ------------------------------------------------------------------------------------------------


def test_unknown_model_name_is_one_line_error_listing_known_models():
    with pytest.raises(ValueError) as error:
        models.make_model("xgboost")
    message = str(error.value)
    assert "\n" not in message and "'xgboost'" in message
    assert all(name in message for name in models.MODEL_NAMES)
    with pytest.raises(ValueError, match="feature set 'fancy'"):
        models.make_pipeline("tree", "fancy")


def test_make_model_applies_defaults_seed_and_rejects_unknown_parameters():
    forest = models.make_model("random_forest", random_state=7, n_estimators=10)
    assert forest.get_params()["n_estimators"] == 10 and forest.get_params()["random_state"] == 7
    assert forest.get_params()["max_features"] == models.DEFAULT_PARAMS["random_forest"]["max_features"]
    with pytest.raises(ValueError, match="learning_rte"):
        models.make_model("hist_gradient_boosting", learning_rte=0.1)


def test_comparison_splits_are_the_talks_rows_and_split(splits):
    talk_X_train, talk_X_test, talk_y_train, _ = splits["talk"]
    raw_X_train, raw_X_test, raw_y_train, _ = splits["improved"]
    assert list(talk_X_train.columns) == TALK_FEATURE_NAMES
    assert talk_X_train.index.equals(raw_X_train.index) and talk_X_test.index.equals(raw_X_test.index)
    assert talk_y_train.equals(raw_y_train)
    assert len(talk_X_test) == math.ceil(0.25 * (len(talk_X_train) + len(talk_X_test)))  # test_size=0.25
    assert "Price" not in raw_X_train.columns


@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_improved_pipeline_fits_and_predicts_on_raw_rows(name, raw_split):
    X_train, X_test, y_train, _ = raw_split
    with models.fitting_context():  # pytest resets warning filters per test; this quiets ElasticNet's max_iter
        pipeline = models.make_pipeline(name, "improved").fit(X_train, y_train)
    predicted = pipeline.predict(X_test)
    assert predicted.shape == (len(X_test),)
    assert np.isfinite(predicted).all()
    # Raw rows straight from the file (with Price and the original index) work too.
    assert np.isfinite(pipeline.predict(make_flights(5, seed=3).dropna())).all()


def test_talk_pipelines_scale_linear_models_and_leave_trees_alone(splits):
    X_train, X_test, y_train, _ = splits["talk"]
    with models.fitting_context():
        linear = models.make_pipeline("elasticnet", "talk").fit(X_train, y_train)
    tree = models.make_pipeline("tree", "talk").fit(X_train, y_train)
    assert isinstance(linear.named_steps["scale"], StandardScaler)
    assert tree.named_steps["scale"] == "passthrough"
    assert np.isfinite(tree.predict(X_test)).all()


def test_improved_pipeline_refuses_rows_without_the_raw_columns(raw_split):
    X_train, _, y_train, _ = raw_split
    with pytest.raises(ValueError, match="Duration"):
        models.make_pipeline("tree", "improved").fit(X_train.drop(columns="Duration"), y_train)


def test_log_target_predicts_positive_fares_in_the_price_range(raw_split, good_model):
    _, X_test, y_train, _ = raw_split
    assert isinstance(good_model, TransformedTargetRegressor)
    predicted = good_model.predict(X_test)
    assert (predicted > 0).all()
    assert predicted.min() > 0.5 * y_train.min() and predicted.max() < 2 * y_train.max()
    # The inner pipeline learned log(price): exp of its output is the prediction.
    np.testing.assert_allclose(np.exp(good_model.regressor_.predict(X_test)), predicted, rtol=1e-9)


# ------------------------------------------------------------------------------------------------
# Evaluation, cross-validation, comparison
# ------------------------------------------------------------------------------------------------


def test_evaluate_returns_metrics_timings_size_and_the_fitted_pipeline(raw_split):
    X_train, X_test, y_train, y_test = raw_split
    pipeline = models.make_pipeline("tree", "improved")
    result = models.evaluate(pipeline, X_train, X_test, y_train, y_test)
    assert {"MAE", "RMSE", "R2", "MAPE", "fit_seconds", "latency_ms_per_1k", "size_bytes", "pipeline"} <= set(result)
    assert 0 < result["MAE"] <= result["RMSE"]
    assert 0 < result["R2"] <= 1 and 0 < result["MAPE"] < 1
    assert result["fit_seconds"] > 0 and result["latency_ms_per_1k"] > 0 and result["size_bytes"] > 1_000
    np.testing.assert_allclose(np.abs(y_test - result["pipeline"].predict(X_test)).mean(), result["MAE"])
    assert not hasattr(pipeline.named_steps["model"], "tree_")  # the caller's pipeline stays unfitted


def test_evaluate_names_mismatched_lengths(raw_split):
    X_train, X_test, y_train, y_test = raw_split
    with pytest.raises(ValueError, match="X_test has .* rows but y_test has"):
        models.evaluate(models.make_pipeline("tree", "improved"), X_train, X_test, y_train, y_test[:-1])


def test_cross_validation_is_reproducible_and_summarises_the_folds(splits):
    X_train, _, y_train, _ = splits["talk"]
    pipeline = models.make_pipeline("tree", "talk")
    first = models.cross_validate_model(pipeline, X_train, y_train, cv=3)
    again = models.cross_validate_model(pipeline, X_train, y_train, cv=3)
    assert len(first["cv_mae_folds"]) == 3 and first == again
    assert first["cv_mae_mean"] == pytest.approx(np.mean(first["cv_mae_folds"]))
    assert first["cv_mae_std"] == pytest.approx(np.std(first["cv_mae_folds"])) and first["cv_mae_std"] > 0
    with pytest.raises(ValueError, match="cv must be an integer >= 2"):
        models.cross_validate_model(pipeline, X_train, y_train, cv=1)


def test_features_built_once_give_the_same_cross_validated_scores(raw_split):
    """cross_validate_model and the search build raw rows' features once for all folds (issue 12): the same
    folds' scores as fitting the whole pipeline, FlightFeatures included, on each fold."""
    from sklearn.model_selection import KFold, cross_val_score

    X_train, _, y_train, _ = raw_split
    for pipeline in (models.make_pipeline("tree", "improved", log_target=True),
                     models.make_pipeline(models.ENSEMBLE, "improved")):
        folds = KFold(3, shuffle=True, random_state=42)
        whole = -cross_val_score(pipeline, X_train, y_train, cv=folds, scoring="neg_mean_absolute_error")
        assert models.cross_validate_model(pipeline, X_train, y_train, cv=3)["cv_mae_folds"] == whole.tolist()
    featurized, features = models.featurized_once(models.make_pipeline(models.ENSEMBLE, "improved"), X_train)
    assert "FlightFeatures" not in repr(featurized) and list(features.columns) == list(
        models.FlightFeatures().get_feature_names_out())
    talk_pipeline, same = models.featurized_once(models.make_pipeline("tree", "talk"), X_train)
    assert same is X_train and isinstance(talk_pipeline, Pipeline)
    with pytest.raises(ValueError, match="raw flight rows need column"):
        models.featurized_once(models.make_pipeline("tree", "improved"), X_train.drop(columns="Route"))


def test_the_search_scores_on_the_folds_of_cross_validate_model(raw_split):
    """Notebook 04 compares the search's best with the defaults' score from the comparison: same folds."""
    X_train, _, y_train, _ = raw_split
    defaults = models.search_hyperparameters("tree", X_train, y_train, {"min_samples_leaf": 5}, budget=1, cv=2)
    expected = models.cross_validate_model(models.make_pipeline("tree", "improved", log_target=True), X_train,
                                           y_train, cv=2)
    assert defaults["best_cv_mae"] == expected["cv_mae_mean"]


def test_timed_predictions_repeat_only_quick_predictions(raw_split):
    X_train, X_test, y_train, _ = raw_split

    class Counting:
        def __init__(self, seconds: float) -> None:
            self.seconds, self.calls = seconds, 0

        def predict(self, X):
            self.calls += 1
            time.sleep(self.seconds)
            return np.zeros(len(X))

    quick, slow = Counting(0.0), Counting(0.3)
    models.timed_predictions(quick, X_test)
    predicted, latency = models.timed_predictions(slow, X_test, enough_seconds=0.2)
    assert quick.calls == 3 and slow.calls == 1
    assert len(predicted) == len(X_test) and latency >= 0.3 / len(X_test) * 1e6


def test_rows_to_log_keeps_the_chosen_row_and_the_runner_up():
    table = pd.DataFrame({"model": ["knn", "tree", "elasticnet", "random_forest"], "features": ["talk"] * 4,
                          "target": ["raw"] * 4, "MAE": [1.0, 2.0, 3.0, 4.0],
                          "cv_mae_mean": [30.0, np.nan, 10.0, 20.0]})
    assert models.rows_to_log(table) == {("elasticnet", "talk", "raw"), ("random_forest", "talk", "raw")}
    assert models.rows_to_log(table.assign(cv_mae_mean=np.nan)) == {("knn", "talk", "raw"), ("tree", "talk", "raw")}
    assert len(models.rows_to_log(table, "all")) == 4
    assert models.best_row(table, by="cv_mae_mean")["model"] == "elasticnet"  # the chosen row is among them
    with pytest.raises(ValueError, match="unknown log_models 'every'; expected one of: chosen, all"):
        models.rows_to_log(table, "every")


COMPARISON = {"models": ("tree", "hist_gradient_boosting"), "targets": ("raw", "log"), "cv": 2}


@pytest.fixture(scope="module")
def comparison(flights) -> tuple[pd.DataFrame, dict, list[str]]:
    """The comparison in this process (n_jobs=1): table, fitted pipelines and the progress labels."""
    labels: list[str] = []
    table, fitted = models.compare_models_fitted(flights, **COMPARISON, progress=labels.append)
    return table, fitted, labels


def test_compare_models_gives_one_sorted_row_per_combination(flights, splits, comparison):
    table, fitted, labels = comparison
    assert labels[:2] == ["tree / talk / raw", "tree / talk / log"] and len(labels) == 8
    assert list(table.columns) == models.TABLE_COLUMNS
    assert len(table) == 2 * 2 * 2
    assert len(table.drop_duplicates(["model", "features", "target"])) == len(table)
    assert table["MAE"].is_monotonic_increasing
    assert (table["cv_mae_mean"] > 0).all() and (table["cv_mae_std"] > 0).all()  # both feature sets
    # Each row's fitted pipeline reproduces the row's test MAE.
    assert set(fitted) == {models.row_key(row) for _, row in table.iterrows()}
    for _, row in table.iterrows():
        _, X_test, _, y_test = splits[row["features"]]
        mae = models.regression_metrics(y_test, fitted[models.row_key(row)].predict(X_test))["MAE"]
        assert mae == pytest.approx(row["MAE"])
    assert models.row_name(table.iloc[0]) == "-".join(models.row_key(table.iloc[0]))
    only_improved = models.compare_models(flights, models=("tree",), targets=("raw",), cv=2,
                                          cv_feature_sets=("improved",))
    assert only_improved.loc[only_improved["features"] == "talk", "cv_mae_mean"].isna().all()
    assert set(table["explainability"]) == {models.EXPLAINABILITY["tree"],
                                            models.EXPLAINABILITY["hist_gradient_boosting"]}
    view = models.stable_view(table)
    assert not set(models.TIMING_COLUMNS) & set(view.columns)
    assert (view["MAE"] == view["MAE"].round()).all()
    best = models.best_row(table)
    assert best["MAE"] == table["MAE"].min()
    assert models.best_row(table, features="talk")["features"] == "talk"
    assert isinstance(models.pipeline_for_row(best), (TransformedTargetRegressor, Pipeline))


def test_compare_models_refuses_unknown_choices():
    with pytest.raises(ValueError, match="target 'sqrt'"):
        models.compare_models(make_flights(200), targets=("sqrt",))


def test_compare_models_in_two_processes_gives_the_same_table_and_pipelines(flights, splits, comparison):
    table, fitted, _ = comparison
    labels: list[str] = []
    table_parallel, fitted_parallel = models.compare_models_fitted(
        flights, **{**COMPARISON, "targets": ("log",)}, n_jobs=2, progress=labels.append)  # half: faster
    deterministic = [c for c in models.TABLE_COLUMNS if c not in models.TIMING_COLUMNS]
    expected = table.loc[table["target"] == "log", deterministic].reset_index(drop=True)
    pd.testing.assert_frame_equal(table_parallel[deterministic], expected, check_exact=True)
    assert list(fitted_parallel) == [key for key in fitted if key[2] == "log"]
    for key, pipeline in fitted_parallel.items():
        X_test = splits[key[1]][1]
        np.testing.assert_array_equal(pipeline.predict(X_test), fitted[key].predict(X_test))
    # Every label is reported up front, slow model and improved features first.
    assert labels == ["hist_gradient_boosting / improved / log", "hist_gradient_boosting / talk / log",
                      "tree / improved / log", "tree / talk / log"]


def test_a_comparison_row_from_unpickled_rows_is_the_same(raw_split):
    # What a worker process gets: a pickled copy of the split. k-NN stores y, whose dtype then is a copy.
    copied = pickle.loads(pickle.dumps(raw_split))
    here, there = (fit_combination("knn", "improved", "raw", split, None, 42)[0]
                   for split in (raw_split, copied))
    assert {k: there[k] for k in ("MAE", "size_kb")} == {k: here[k] for k in ("MAE", "size_kb")}


def test_worker_processes_start_with_the_native_thread_limit(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # joblib would pass the parent's value on to its workers
    names = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"]
    with worker_processes(2):
        seen = joblib.Parallel(n_jobs=2)(joblib.delayed(os.getenv)(name) for name in names)
    assert seen == [str(models.NATIVE_THREADS)] * 2


@pytest.mark.parametrize("n_jobs", [0, True, "2", 1.0])
def test_bad_n_jobs_is_a_one_line_error(raw_split, n_jobs):
    X_train, _, y_train, _ = raw_split
    with pytest.raises(ValueError, match="n_jobs") as error:
        models.compare_models(make_flights(200), n_jobs=n_jobs)
    assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match="n_jobs"):
        models.search_hyperparameters("tree", X_train, y_train, {"max_depth": [2, 12]}, budget=3, n_jobs=n_jobs)


# ------------------------------------------------------------------------------------------------
# The talk's classifier
# ------------------------------------------------------------------------------------------------


def test_classifier_report_matches_a_plain_forest_and_counts_fares_as_classes(splits):
    X_train, X_test, y_train, y_test = splits["talk"]
    report = models.talk_classifier_report(X_train, X_test, y_train, y_test, n_estimators=5, batch_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = RandomForestClassifier(n_estimators=5, random_state=42, n_jobs=models.N_JOBS).fit(X_train, y_train)
    np.testing.assert_array_equal(report["predictions"].to_numpy(), plain.predict(X_test))
    assert report["n_classes"] == y_train.nunique()
    assert report["test_unseen_share"] == pytest.approx((~y_test.isin(set(y_train))).mean())
    assert report["accuracy"] <= report["best_possible_accuracy"]
    assert 0 <= report["macro_recall"] <= 1 and 0 <= report["macro_f1"] <= 1
    assert report["MAE"] == pytest.approx(np.abs(y_test - report["predictions"]).mean())
    assert report["fit_seconds"] > 0 and report["tree_memory_gb"] > 0


def test_best_improved_pipeline_beats_the_talks_classifier(splits, raw_split, good_model):
    X_train, X_test, y_train, y_test = splits["talk"]
    classifier = models.talk_classifier_report(X_train, X_test, y_train, y_test, n_estimators=30)
    _, raw_test, _, _ = raw_split
    improved_mae = np.abs(y_test - good_model.predict(raw_test)).mean()
    assert improved_mae < 0.8 * classifier["MAE"]


# ------------------------------------------------------------------------------------------------
# Plots and tidy frames
# ------------------------------------------------------------------------------------------------


def test_prediction_frames_and_plots(raw_split, good_model):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, X_test, _, y_test = raw_split
    predicted = good_model.predict(X_test)
    frame = models.prediction_frame(y_test, predicted, X_test["Airline"], "Airline")
    assert list(frame.columns) == ["actual", "predicted", "residual", "abs_error", "Airline"]
    np.testing.assert_allclose(frame["residual"], y_test.to_numpy() - predicted)
    assert frame.index.equals(y_test.index)  # a row's label finds its flight: X_test.loc[label]
    assert models.prediction_frame(y_test.to_numpy(), predicted).index.equals(pd.RangeIndex(len(y_test)))
    summary = models.residuals_by_group(y_test, predicted, X_test["Airline"], "Airline")
    assert summary["rows"].sum() == len(X_test) and summary["MAE"].is_monotonic_decreasing
    ax = models.plot_predicted_vs_actual(y_test, predicted)
    assert "₹" in ax.get_xlabel() and "₹" in ax.get_ylabel()
    ax = models.plot_residuals_by_group(y_test, predicted, X_test["Airline"], group_name="Airline", kind="box")
    assert "₹" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(summary.index)
    plt.close("all")
    with pytest.raises(ValueError, match="y_pred has"):
        models.prediction_frame(y_test, predicted[:-1])


# ------------------------------------------------------------------------------------------------
# The evaluation taxonomy
# ------------------------------------------------------------------------------------------------


def test_fare_bands_use_the_edges_and_refuse_bad_input():
    bands = models.fare_bands([1_000, 4_000, 7_999, 8_000, 20_000], edges=(4_000, 8_000))
    assert list(bands) == ["budget", "standard", "standard", "premium", "premium"]
    tertiles = models.fare_bands(pd.Series(np.arange(1, 301)))
    assert tertiles.value_counts().to_dict() == {"budget": 100, "standard": 100, "premium": 100}
    with pytest.raises(ValueError, match="increasing"):
        models.fare_bands([1, 2], edges=(5, 3))
    with pytest.raises(ValueError, match="missing price"):
        models.fare_bands([1.0, np.nan], edges=(1, 2))


def test_fare_band_report_has_per_class_scores_and_a_3x3_confusion(raw_split):
    X_train, X_test, y_train, y_test = raw_split
    report = models.fare_band_report(X_train, X_test, y_train, y_test)
    low, high = report["edges"]
    assert y_train.min() < low < high < y_train.max()
    assert report["confusion"].shape == (3, 3)
    assert report["confusion"].to_numpy().sum() == len(X_test)
    assert list(report["per_class"]["band"]) == models.FARE_BANDS
    assert report["per_class"]["support"].sum() == len(X_test)
    assert len(report["confusion_long"]) == 9 and report["confusion_long"]["count"].sum() == len(X_test)
    assert report["accuracy"] > 0.6  # three balanced bands: chance is 1/3


def test_route_clustering_scores_are_in_range():
    data = make_flights(SMALL_ROWS)
    result = models.route_clustering(data, k=3)
    assert -1 <= result["silhouette"] <= 1 and result["silhouette"] > 0
    assert -1 <= result["ari_stops"] <= 1 and -1 <= result["ari_market"] <= 1
    assert len(result["routes"]) == data["Route"].nunique()
    assert result["routes"]["cluster"].nunique() == 3
    with pytest.raises(ValueError, match="k must be an integer"):
        models.route_clustering(data, k=1)


# ------------------------------------------------------------------------------------------------
# Hyper-parameter search
# ------------------------------------------------------------------------------------------------


def test_search_space_parsing():
    space = models.parse_search_space(
        "hist_gradient_boosting",
        {"learning_rate": [0.03, 0.3], "max_leaf_nodes": [15, 63], "l2_regularization": (0.0, 1.0),
         "max_iter": [100, 200, 300], "min_samples_leaf": 5})
    assert space["learning_rate"].dist.name == "loguniform" and space["learning_rate"].support() == (0.03, 0.3)
    assert space["max_leaf_nodes"].dist.name == "randint" and space["max_leaf_nodes"].support() == (15, 63)
    assert space["l2_regularization"].dist.name == "uniform" and space["l2_regularization"].support() == (0.0, 1.0)
    assert space["max_iter"] == [100, 200, 300] and space["min_samples_leaf"] == [5]


@pytest.mark.parametrize("space, budget, match", [
    ({}, 3, "empty"),
    ({"learning_rte": [0.01, 0.1]}, 3, "learning_rte"),
    ({"learning_rate": [0.3, 0.03]}, 3, "learning_rate.*inverted"),
    ({"learning_rate": [0.03, 0.3]}, 0, "budget"),
])
def test_search_refuses_bad_spaces_and_budgets(raw_split, space, budget, match):
    X_train, _, y_train, _ = raw_split
    with pytest.raises(ValueError, match=match) as error:
        models.search_hyperparameters("hist_gradient_boosting", X_train, y_train, space, budget=budget)
    assert "\n" not in str(error.value)


def test_search_returns_the_best_candidate_and_the_results(raw_split):
    X_train, _, y_train, _ = raw_split
    result = models.search_hyperparameters("tree", X_train, y_train, {"max_depth": [2, 12]}, budget=3, cv=2)
    results = result["results"]
    assert len(results) == 3 == result["n_candidates"]
    assert set(result["best_params"]) == {"max_depth"} and 2 <= result["best_params"]["max_depth"] <= 12
    assert result["best_cv_mae"] == pytest.approx(results["cv_mae_mean"].min())
    assert results.loc[0, "max_depth"] == result["best_params"]["max_depth"]
    # A finite grid caps the budget instead of warning.
    small = models.search_hyperparameters("tree", X_train, y_train, {"max_depth": [2, 4, 6]}, budget=10, cv=2)
    assert small["n_candidates"] == 3


def test_search_in_two_processes_gives_the_same_results(raw_split):
    X_train, _, y_train, _ = raw_split
    space = {"alpha": [1e-4, 1e-1], "l1_ratio": [0.1, 0.9]}  # ElasticNet: its sums must not depend on the process
    one, two = (models.search_hyperparameters("elasticnet", X_train, y_train, space, budget=3, cv=2, n_jobs=n)
                for n in (1, 2))
    assert two["best_params"] == one["best_params"] and two["best_cv_mae"] == one["best_cv_mae"]
    pd.testing.assert_frame_equal(two["results"], one["results"], check_exact=True)


# ------------------------------------------------------------------------------------------------
# Robustness checks
# ------------------------------------------------------------------------------------------------


class SpellingSensitiveModel:
    """A bad model: reads the raw Additional_Info label, so 'No Info' and 'No info' get different fares."""

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return np.where(rows["Additional_Info"] == "No Info", 6_000.0, 5_000.0)


class FewerStopsDearerModel:
    """A bad model: every extra stop makes the fare 2,000 rupees cheaper."""

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return 12_000.0 - 2_000.0 * rows["Total_Stops"].map(STOPS_MAP).to_numpy(dtype=float)


class NegativeModel:
    """A bad model: predicts a refund instead of a fare for every other row."""

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return np.where(np.arange(len(rows)) % 2 == 0, 5_000.0, -100.0)


def test_robustness_checks_pass_for_a_good_model(raw_split, good_model):
    _, X_test, _, y_test = raw_split
    table = models.run_robustness_checks(good_model, X_test.assign(Price=y_test), max_mae=2_000, min_r2=0.6)
    assert list(table.columns) == ["check", "passed", "detail"] and len(table) == 4
    assert table["passed"].all(), table.to_string()


def test_robustness_checks_fail_for_bad_models(raw_split, good_model):
    _, X_test, _, y_test = raw_split
    spelling = models.check_invariance_no_info_spelling(SpellingSensitiveModel(), X_test)
    assert not spelling.passed and "largest change ₹1,000.00" in spelling.detail
    directional = models.check_directional_stops(FewerStopsDearerModel(), X_test)
    assert not directional.passed and "stop(s)" in directional.detail
    outputs = models.check_valid_outputs(NegativeModel(), X_test)
    assert not outputs.passed and "negative" in outputs.detail
    performance = models.check_min_performance(good_model, X_test, y_test, max_mae=10, min_r2=0.5)
    assert not performance.passed and "limit ₹10" in performance.detail
    table = models.run_robustness_checks(NegativeModel(), X_test.assign(Price=y_test)).set_index("check")
    assert not table.loc["minimum performance", "passed"]
    assert not table.loc["valid outputs: finite and positive", "passed"]


# ------------------------------------------------------------------------------------------------
# The forest + boosting mean (issue 13: a candidate that holds under realistic noise)
# ------------------------------------------------------------------------------------------------


def test_the_ensemble_predicts_the_mean_of_its_members_and_is_reproducible(raw_split):
    X_train, X_test, y_train, _ = raw_split
    ensemble = models.make_pipeline(models.ENSEMBLE, "improved", log_target=True, random_state=3)
    ensemble.fit(X_train, y_train)
    members = [models.make_pipeline(name, "improved", log_target=True, random_state=3).fit(X_train, y_train)
               for name in models.ENSEMBLE_MEMBERS]
    expected = np.mean([member.predict(X_test) for member in members], axis=0)
    np.testing.assert_allclose(ensemble.predict(X_test), expected, rtol=1e-12)
    again = models.make_pipeline(models.ENSEMBLE, "improved", log_target=True, random_state=3).fit(X_train, y_train)
    # Equal to the last bits but one: the forest's two threads add their trees' predictions in the order they
    # finish (as for the forest alone); every checked score is rounded far above that.
    np.testing.assert_allclose(again.predict(X_test), ensemble.predict(X_test), rtol=1e-13)


def test_the_comparison_offers_the_ensemble_on_the_improved_features_only(flights):
    table, fitted = models.compare_models_fitted(flights, models=("tree", models.ENSEMBLE), targets=("log",),
                                                 cv=None)
    assert sorted(models.row_name(row) for _, row in table.iterrows()) == [
        "forest_boosting_mean-improved-log", "tree-improved-log", "tree-talk-log"]
    row = table[table["model"] == models.ENSEMBLE].iloc[0]
    assert row["explainability"] == models.EXPLAINABILITY[models.ENSEMBLE]
    assert type(models.pipeline_for_row(row)).__name__ == "VotingRegressor"
    assert models.row_key(row) in fitted


def test_the_ensemble_refuses_what_it_cannot_do(raw_split):
    X_train, _, y_train, _ = raw_split
    with pytest.raises(ValueError, match="use make_pipeline"):
        models.make_model(models.ENSEMBLE)
    with pytest.raises(ValueError, match="takes no model parameters .got n_estimators"):
        models.make_pipeline(models.ENSEMBLE, "improved", n_estimators=5)
    with pytest.raises(ValueError, match="cannot search 'forest_boosting_mean'"):
        models.search_hyperparameters(models.ENSEMBLE, X_train, y_train, {"max_iter": [10, 20]}, budget=2)


def test_an_ensemble_beside_its_members_is_assembled_with_the_scores_its_own_fit_gives(flights, splits):
    """Issue 12: the comparison no longer fits the forest and boosting a second time for their mean."""
    chosen = {"models": (*models.ENSEMBLE_MEMBERS, models.ENSEMBLE), "targets": ("log",), "cv": 2,
              "feature_sets": ("improved",)}
    table, fitted = models.compare_models_fitted(flights, **chosen)
    key = (models.ENSEMBLE, "improved", "log")
    ensemble = fitted[key]
    for name in models.ENSEMBLE_MEMBERS:  # the very members of the comparison: assembled, not refitted
        assert ensemble.named_estimators_[name] is fitted[(name, "improved", "log")]
    assembled = table.set_index(["model", "features", "target"]).loc[key]
    fit_itself = fit_combination(*key, splits["improved"], 2, 42).row
    for column in ("MAE", "RMSE", "R2", "MAPE", "cv_mae_mean", "cv_mae_std"):
        assert assembled[column] == pytest.approx(fit_itself[column], rel=1e-12), column
    members = table[table["model"].isin(models.ENSEMBLE_MEMBERS)]
    assert assembled["fit_s"] == pytest.approx(members["fit_s"].sum())
    seeded = models.compare_models_fitted(flights, **{**chosen, "cv": None}, random_state=3)[1][key]
    assert repr(seeded.estimators) == repr(models.make_ensemble("improved", log_target=True, random_state=3).estimators)
    assert assembled["size_kb"] == pytest.approx(members["size_kb"].sum(), abs=1e-3)


def test_a_mean_of_members_from_different_folds_is_refused():
    y = np.arange(6.0)
    first = [(np.array([0, 1, 2]), np.zeros(3)), (np.array([3, 4, 5]), np.zeros(3))]
    other = [(np.array([0, 1, 3]), np.zeros(3)), (np.array([2, 4, 5]), np.zeros(3))]
    assert models.mean_prediction_scores(y, [first, first])["cv_mae_folds"] == [1.0, 4.0]
    with pytest.raises(ValueError, match="folds differ"):
        models.mean_prediction_scores(y, [first, other])
