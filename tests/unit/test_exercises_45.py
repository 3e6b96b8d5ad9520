"""Tests for the exercise checks of notebooks 04 and 05: right answers, known slips, wrong answers, no answer."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from feedback_asserts import assert_status

from workbook import exercises as ex
from workbook.data import COLUMNS
from workbook.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

# ---------------------------------------------------------------- notebook 04


def test_check_classifier_classes():
    y_train = pd.Series([100, 100, 200, 300, 300, 300, 400])  # 7 rows, 4 distinct fares
    y_test = pd.Series([100, 500, 600])  # 3 distinct, 2 of them unseen: 6 distinct overall
    assert_status(ex.check_classifier_classes(None, y_train, y_test), ex.NOT_ANSWERED, "y_train")
    assert_status(ex.check_classifier_classes(4, y_train, y_test), ex.CORRECT, "4 distinct", "1.8 rows per class")
    assert_status(ex.check_classifier_classes(7, y_train, y_test), ex.CLOSE, "training rows")
    assert_status(ex.check_classifier_classes(3, y_train, y_test), ex.CLOSE, "distinct test fares")
    assert_status(ex.check_classifier_classes(6, y_train, y_test), ex.CLOSE, "test fares too")
    assert_status(ex.check_classifier_classes(9, y_train, y_test), ex.INCORRECT, "nunique()")


@pytest.fixture()
def table() -> pd.DataFrame:
    return pd.DataFrame({
        "model": ["hist_gradient_boosting", "random_forest", "hist_gradient_boosting", "tree", "elasticnet"],
        "features": ["improved", "improved", "talk", "talk", "talk"],
        "target": ["log", "raw", "log", "raw", "raw"],
        "MAE": [520.4, 740.0, 711.2, 1200.0, 2000.0],
    }).sort_values("MAE")


def test_check_feature_gain(table):
    gain = round(711.2 - 520.4)  # best talk row minus best improved row: 191
    assert_status(ex.check_feature_gain(None, table), ex.NOT_ANSWERED, "best_row")
    assert_status(ex.check_feature_gain(gain, table), ex.CORRECT, "₹711", "₹520", "₹191")
    assert_status(ex.check_feature_gain(gain + 0.6, table), ex.CORRECT)  # rounding differences are fine
    assert_status(ex.check_feature_gain(-gain, table), ex.CLOSE, "sign is flipped")
    assert_status(ex.check_feature_gain(500, table), ex.INCORRECT, "500 is not it", "features column")


def test_check_feature_gain_names_a_same_model_comparison():
    # The talk's best is a tree whose improved twin is not the improved best: comparing those two is a slip.
    table = pd.DataFrame({
        "model": ["hist_gradient_boosting", "tree", "tree", "elasticnet"],
        "features": ["improved", "improved", "talk", "talk"],
        "target": ["log", "raw", "raw", "raw"],
        "MAE": [520.4, 900.0, 1000.0, 2000.0],
    })
    assert_status(ex.check_feature_gain(round(1000.0 - 520.4), table), ex.CORRECT, "tree")
    assert_status(ex.check_feature_gain(100, table), ex.CLOSE, "one model on both feature sets")


def test_check_feature_gain_refuses_a_table_it_cannot_read(table):
    with pytest.raises(ValueError, match="MAE"):
        ex.check_feature_gain(1, table.drop(columns="MAE"))
    with pytest.raises(ValueError, match="talk"):
        ex.check_feature_gain(1, table[table["features"] == "improved"])


@pytest.fixture()
def confusion() -> pd.DataFrame:
    bands = ["budget", "standard", "premium"]
    counts = np.array([[80, 20, 0],
                       [10, 70, 20],
                       [0, 40, 60]])
    return pd.DataFrame(counts, index=pd.Index(bands, name="actual"), columns=pd.Index(bands, name="predicted"))


def test_check_band_recall(confusion):
    # premium: 60 of the 100 actual premium fares found (recall 0.60); 60 of 80 predicted premium right (0.75)
    assert_status(ex.check_band_recall(None, confusion, "premium"), ex.NOT_ANSWERED, "row's total")
    assert_status(ex.check_band_recall(0.6, confusion, "premium"), ex.CORRECT, "60 of the 100", "0.75")
    assert_status(ex.check_band_recall(0.75, confusion, "premium"), ex.CLOSE, "precision")
    assert_status(ex.check_band_recall(0.7, confusion, "premium"), ex.CLOSE, "overall accuracy")
    assert_status(ex.check_band_recall(60, confusion, "premium"), ex.CLOSE, "percentage")
    assert_status(ex.check_band_recall(0.3, confusion, "premium"), ex.INCORRECT, "sum of the row 'premium'")
    assert_status(ex.check_band_recall(0.8, confusion, "budget"), ex.CORRECT)
    with pytest.raises(ValueError, match="luxury"):
        ex.check_band_recall(0.5, confusion, "luxury")


# ---------------------------------------------------------------- notebook 05


@pytest.fixture()
def runs() -> pd.DataFrame:
    return pd.DataFrame({
        "run_name": ["05-flight-runs", "boosting-lr0.05", "boosting-lr0.2", "tree"],
        "status": ["FINISHED"] * 4,
        "metrics.MAE": [np.nan, 690.0, 521.0, 980.0],
        "metrics.cv_MAE": [np.nan, 700.0, 733.0, 1010.0],
    })


def test_check_best_run(runs):
    assert_status(ex.check_best_run(None, runs), ex.NOT_ANSWERED, "metrics.MAE")
    assert_status(ex.check_best_run("boosting-lr0.2", runs), ex.CORRECT, "521", "chose its challenger by cv_MAE")
    assert_status(ex.check_best_run("boosting-lr0.05", runs, metric="metrics.cv_MAE"), ex.CORRECT, "700",
                  "how the registry's challenger was chosen")
    assert_status(ex.check_best_run("Boosting LR0.2", runs), ex.CORRECT)  # case and separators do not matter
    assert_status(ex.check_best_run("tree", runs), ex.CLOSE, "largest MAE")
    assert_status(ex.check_best_run("05-flight-runs", runs), ex.CLOSE, "parent run")
    assert_status(ex.check_best_run("boosting-lr0.05", runs), ex.INCORRECT, "690")
    assert_status(ex.check_best_run("knn", runs), ex.INCORRECT, "not a run name")
    with pytest.raises(ValueError, match="metrics.R2"):
        ex.check_best_run("tree", runs, metric="metrics.R2")


def _model_with_inputs(columns: list[str]) -> SimpleNamespace:
    """A stand-in for a pyfunc model: only `metadata.get_input_schema()`, built by MLflow from a frame."""
    from mlflow.models import infer_signature

    signature = infer_signature(pd.DataFrame({c: ["x"] for c in columns}), np.array([1.0]))
    return SimpleNamespace(metadata=SimpleNamespace(get_input_schema=lambda: signature.inputs))


def test_check_signature_inputs():
    raw_columns = [c for c in COLUMNS if c != "Price"]
    model = _model_with_inputs(raw_columns)
    assert_status(ex.check_signature_inputs(None, model), ex.NOT_ANSWERED, "get_input_schema")
    assert_status(ex.check_signature_inputs(len(raw_columns), model), ex.CORRECT, "Airline", "Additional_Info")
    assert_status(ex.check_signature_inputs(len(COLUMNS), model), ex.CLOSE, "Price")
    assert_status(ex.check_signature_inputs(len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES), model), ex.CLOSE,
                   "computes inside")
    assert_status(ex.check_signature_inputs(3, model), ex.INCORRECT, "not the features")
    unnamed = SimpleNamespace(metadata=SimpleNamespace(get_input_schema=lambda: None))
    with pytest.raises(ValueError, match="input example"):
        ex.check_signature_inputs(3, unnamed)
