"""The regressor zoo: model names, feature sets, targets, each model's defaults and how to read it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal, get_args

from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import ElasticNet
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeRegressor

from workbook.features import CATEGORICAL_FEATURES
from workbook.models.parallel import N_JOBS

ModelName = Literal["elasticnet", "knn", "tree", "random_forest", "hist_gradient_boosting", "forest_boosting_mean"]
FeatureSet = Literal["talk", "improved"]
Target = Literal["raw", "log"]

ENSEMBLE: Final = "forest_boosting_mean"
# The mean of the forest's and boosting's predictions: on the real file the two err on different rows (their
# mean: MAE 584 / R2 0.914, each alone 603-625 / 0.902-0.909), so the comparison offers it as a candidate.
ENSEMBLE_MEMBERS = ("random_forest", "hist_gradient_boosting")
MODEL_NAMES: tuple[ModelName, ...] = get_args(ModelName)
FEATURE_SETS: tuple[FeatureSet, ...] = get_args(FeatureSet)
TARGETS: tuple[Target, ...] = get_args(Target)
MAX_NATIVE_CATEGORIES = 255  # HistGradientBoosting's limit per categorical feature
HIGH_CARDINALITY = ["flight"]  # ~1,300 scheduled flights: target-encoded for the tree models
LOW_CARDINALITY = [c for c in CATEGORICAL_FEATURES if c not in HIGH_CARDINALITY]  # native categories

# k-NN picks neighbours by distance, and many are at exactly equal distances (duplicate flights, the same
# flight on another date). Rounding noise used to decide which of them won: scikit-learn computes distances
# through BLAS's matrix product (|x|^2 - 2 x.y + |y|^2), whose rounding differs from one CPU to another, so a
# committed MAE read 1464 on one machine and 1463 on another. Inputs snapped to multiples of 1/KNN_GRID (a
# 256th of a standard deviation, far finer than neighbours differ) make every product and sum in it an exact
# binary fraction, so the distances are exact in any order, SIMD level or thread count; scikit-learn's search
# then keeps the earliest rows among equally distant ones (a test runs notebook 04 as two machines would).
KNN_GRID = 256

# Defaults chosen on twins of two seeds (boosting's on five), kept round, not tuned to the last digit: see below.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    # Tiny penalty: the one-hot columns are many and each carries real signal (larger alphas cost 20-80 %
    # in MAE on the twin). precompute: the Gram matrix of ~600 columns makes coordinate descent 20x faster.
    "elasticnet": {"alpha": 1e-4, "l1_ratio": 0.5, "max_iter": 2_000, "precompute": True},
    # Distance-weighted: an identical past flight (same date) should dominate its neighbours.
    "knn": {"n_neighbors": 10, "weights": "distance", "algorithm": "brute"},
    # Leaves of at least 5 rows: one fare per leaf would memorise noise.
    "tree": {"min_samples_leaf": 5},
    # 50 trees: on two twins (seeds 42, 7) MAE 0.4-1.1 % above 100 trees (the talk's count) at half the fit
    # time and half the size (35 MB instead of 70, logged four times per run of notebook 04). A third of the
    # columns per split (the classic choice for regression forests): as accurate as half of them, ~20 % faster.
    "random_forest": {"n_estimators": 50, "max_features": 1 / 3, "n_jobs": N_JOBS},
    # 200 rounds of 20-leaf trees at 0.1: on five twins (seeds 42, 7, 1, 2, 3) MAE 7 % lower on the talk's split
    # and 3 % lower on a time-ordered holdout than 31 leaves at 0.2 (a twin with the real file's fare noise
    # punishes the bolder steps); 15 or 22 leaves do as well. Small leaves (5 rows) because fares are set per
    # flight and date; mild L2. Early stopping off: it switches itself on above 10,000 rows, which would change
    # the model with the data size.
    "hist_gradient_boosting": {"learning_rate": 0.1, "max_iter": 200, "max_leaf_nodes": 20,
                               "min_samples_leaf": 5, "l2_regularization": 1.0, "early_stopping": False},
}
ESTIMATORS: dict[str, type[BaseEstimator]] = {
    "elasticnet": ElasticNet, "knn": KNeighborsRegressor, "tree": DecisionTreeRegressor,
    "random_forest": RandomForestRegressor, "hist_gradient_boosting": HistGradientBoostingRegressor,
}
SCALED_MODELS = ("elasticnet", "knn")  # coefficients and distances need comparable scales; trees do not

EXPLAINABILITY: dict[str, str] = {
    "elasticnet": "coefficients: one weight per column (a % change with the log target); linear only",
    "knn": "neighbours: show the k past flights it averaged; no global picture of the model",
    "tree": "readable tree: if/else rules, but hundreds of leaves deep; read only the top levels",
    "random_forest": "feature importances (biased to many-valued columns) + partial dependence; 50 trees",
    "hist_gradient_boosting": "permutation importance + partial dependence; 200 trees, no direct reading",
    ENSEMBLE: "permutation importance + partial dependence of the mean; a forest and a boosting model to read",
}


def check_model_name(name: str) -> str:
    """Return `name` if it is one of MODEL_NAMES, else raise a one-line ValueError listing them."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(MODEL_NAMES)}")
    return name


def check_choice(value: str, allowed: Sequence[str], what: str) -> str:
    """Return `value` if it is in `allowed`, else raise a one-line ValueError naming `what` and the choices."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(allowed)}")
    return value
