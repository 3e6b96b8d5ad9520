"""End-to-end: `workbook run` over the real notebooks, on the built-in twin and on a CSV file.

These are the two ways a newcomer runs the workbook; each run is made once and checked by several tests.
The default run is the session's one execution of the workbook, which nbval checks too (see conftest.py).
"""

from __future__ import annotations

import json

import pytest

from workbook.data import make_flights
from workbook.execution import discover_notebooks
from workbook.features import TALK_FEATURE_NAMES

pytestmark = pytest.mark.e2e

SPINE_KEYS = {
    "02_data_and_eda": {"rows_raw", "rows_after_dropna", "rows_after_filter", "airline_counts", "duplicate_rows"},
    "03_encoding": {"seed_train_shape", "seed_test_shape", "seed_feature_names"},
}


# `default_run` (conftest.py): `workbook run --jobs 2` over every notebook with its defaults, as `make run` does,
# made once per test session; nbval compares the committed notebooks' outputs with the same execution.


def test_default_run_executes_every_notebook(default_run) -> None:
    done, out = default_run
    assert done.returncode == 0, done.stderr[-2000:]
    stems = [path.stem for path in discover_notebooks()]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "ok"
    assert [entry["name"] for entry in run["notebooks"]] == stems
    for stem in stems:
        assert (out / f"{stem}.ipynb").is_file() and (out / f"{stem}.html").is_file()
    index = (out / "index.html").read_text()
    assert all(f'href="{stem}.html"' in index for stem in stems)


def test_default_run_records_the_talks_reference_figures(default_run) -> None:
    _, out = default_run
    results = json.loads((out / "results.json").read_text())
    for notebook, keys in SPINE_KEYS.items():
        assert keys <= set(results[notebook]), f"{notebook} lacks {keys - set(results[notebook])}"
    eda, encoding = results["02_data_and_eda"], results["03_encoding"]
    assert (eda["rows_raw"], eda["rows_after_dropna"], eda["rows_after_filter"]) == (10_683, 10_682, 10_465)
    assert eda["airline_counts"]["Jet Airways"] == 3_849 and eda["airline_counts"]["Trujet"] == 1
    assert eda["duplicate_rows"] == 220
    assert encoding["seed_train_shape"] == [7848, 24] and encoding["seed_test_shape"] == [2617, 24]
    assert encoding["seed_feature_names"] == TALK_FEATURE_NAMES


def test_scratch_files_land_in_the_run_folder_and_no_raw_pii_reaches_disk(default_run) -> None:
    """Notebook 02 ingests a bookings extract with names, e-mails and phones: none may appear in any file
    the run wrote (executed notebooks, HTML, CSV, JSON), nor in the committed notebooks."""
    from workbook.data import PII_COLUMNS, make_bookings
    from workbook.paths import NOTEBOOKS_DIR

    _, out = default_run
    assert (out / "02_data_and_eda" / "bookings_masked.csv").is_file()
    raw = make_bookings(make_flights(), n_rows=500, seed=42)  # notebook 02's defaults
    raw_values = {str(v) for column in PII_COLUMNS for v in raw[column]}
    files = [p for p in out.rglob("*") if p.is_file()] + sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        leaked = [value for value in raw_values if value in text]
        assert not leaked, f"{path.name} holds raw PII, e.g. {leaked[:2]}"


def test_every_model_run_of_the_comparison_is_tracked_with_its_model_and_data(default_run) -> None:
    """Issue 3: each regressor run in 04 has params, metrics and its training rows as an input; the rows a
    learner looks at (the chosen one, the runner-up, the final model) keep their model with a signature
    (issue 12: `-p log_models all` keeps every one); the talk's classifier (tens of GB of trees) never does."""
    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from workbook import models

    done, _ = default_run
    assert done.returncode == 0, done.stderr[-2000:]
    client = MlflowClient()  # the session's throw-away store (conftest.py), which the run logged to
    experiment = client.get_experiment_by_name("04_model_comparison")
    runs = client.search_runs([experiment.experiment_id], "tags.mlflow.parentRunId != ''", max_results=1000)
    parents = {run.data.tags["mlflow.parentRunId"] for run in runs}
    logged_models = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id], output_format="list")
    model_of_run = {model.source_run_id: model for model in logged_models}
    expected = {"-".join(combination) for combination in models.comparison_combinations()}
    for parent in parents:
        children = {run.info.run_name: run for run in runs if run.data.tags["mlflow.parentRunId"] == parent}
        assert expected | {"talk-classifier", "hyperparameter-search", "final-model"} <= set(children)
        table = pd.DataFrame([children[name].data.params | children[name].data.metrics for name in expected])
        kept = {"-".join(key) for key in models.rows_to_log(table, "chosen")}
        assert len(kept) == 2
        for name in expected | {"final-model"}:
            run = children[name]
            assert {"MAE", "R2"} <= set(run.data.metrics), name
            assert run.inputs.dataset_inputs, f"{name} has no dataset input"
            if name not in kept | {"final-model"}:
                assert run.data.tags["workbook.model_logged"] == "false", name
                assert run.info.run_id not in model_of_run, f"{name} logged a model it should leave out"
                continue
            assert run.info.run_id in model_of_run, f"{name} has no logged model"
            info = mlflow.models.get_model_info(f"models:/{model_of_run[run.info.run_id].model_id}")
            assert info.signature is not None and info.saved_input_example_info is not None, name
        assert {"cv_mae_mean", "cv_mae_std", "fit_s", "size_kb"} <= set(children["elasticnet-talk-raw"].data.metrics)
        assert children["talk-classifier"].data.tags["workbook.model_logged"] == "false"


def test_the_monitoring_notebook_records_its_alerts_card_and_promotion(default_run) -> None:
    """Issue 4: the default scenario (price_shock from month 3) raises model drift in 2019-09 and no earlier,
    promotes a retrained challenger, and leaves its model card in the run folder."""
    _, out = default_run
    results = json.loads((out / "results.json").read_text())["06_monitoring"]
    assert results["scenario"] == "price_shock"
    assert results["alerts"] and results["alerts"][0] == {"month": "2019-09", "kind": "model_drift",
                                                          "feature_or_metric": "MAE"}
    assert {alert["kind"] for alert in results["alerts"]} == {"model_drift"}
    assert results["promoted"] is True and results["psi_max"] < 0.2
    assert isinstance(results["bias_flags"], list)
    card = (out / results["model_card_path"]).read_text()
    # The card documents the model the alias points to now: the promoted challenger, not the demoted champion.
    assert card.startswith("# Model card: flights-monitoring v")
    assert "- Run name: challenger" in card and "| train_months |" in card


def test_the_monitoring_runs_nest_under_one_finished_parent(default_run) -> None:
    """Issue 10: 06 opens its parent run with a with-block (resumed once by id), so it is never left open."""
    from mlflow.tracking import MlflowClient

    done, _ = default_run
    assert done.returncode == 0, done.stderr[-2000:]
    client = MlflowClient()  # the session's throw-away store (conftest.py)
    experiment = client.get_experiment_by_name("06_monitoring")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    parents = [run for run in runs if run.info.run_name == "06-monitoring"]
    assert parents and all(run.info.status == "FINISHED" for run in runs)
    nested = [{run.info.run_name for run in runs if run.data.tags.get("mlflow.parentRunId") == parent.info.run_id}
              for parent in parents]  # other tests of the session may run 06 with scenarios that never retrain
    assert all(children in ({"champion"}, {"champion", "challenger"}) for children in nested)
    assert {"champion", "challenger"} in nested  # the default run retrains under the same parent


def test_a_default_offline_run_shows_every_lesson(default_run) -> None:
    """Issue 10: the talk's wine run from the shipped file (no network needed), both kinds of drift in 06's
    default run, and the random split's flattery measured in 04."""
    _, out = default_run
    results = json.loads((out / "results.json").read_text())
    wine = results["05_mlflow_tracking"]
    assert "wine_skipped" not in wine
    assert (wine["wine_rmse"], wine["wine_mae"], wine["wine_r2"]) == (0.7932, 0.6272, 0.1086)
    demo = results["07_batch_runs"]  # the same demo, line by line, as the unit a sweep runs
    assert (demo["wine_rmse"], demo["wine_mae"], demo["wine_r2"]) == (0.7932, 0.6272, 0.1086)
    monitoring = results["06_monitoring"]
    assert any(alert["kind"] == "model_drift" for alert in monitoring["alerts"])  # concept drift: the error
    shifted = {(alert["kind"], alert["feature_or_metric"]) for alert in monitoring["covariate_shift_alerts"]}
    assert ("feature_drift", "Airline") in shifted  # covariate shift: the inputs
    comparison = results["04_model_comparison"]
    assert comparison["time_ordered_mae"] > comparison["best_mae"]  # shared journey dates flatter the split


def test_each_notebooks_headline_result_comes_first_as_a_sweep_ranks_by_it(default_run) -> None:
    """A sweep without --metric ranks by a notebook's first numeric result: the run keeps the notebook's order."""
    _, out = default_run
    results = json.loads((out / "results.json").read_text())
    first = {stem: next(iter(recorded)) for stem, recorded in results.items()}
    assert first["01_motivation"] == "supervised_mae"
    assert first["04_model_comparison"] == "best_mae"
    assert first["07_batch_runs"] == "wine_rmse"
