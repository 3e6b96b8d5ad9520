"""Ready-to-fit pipelines: a zoo model, its encoding, the raw-rows feature step and the k-NN exactness step.

Improved pipelines take RAW flight rows (the file's columns) and build their features inside, so a
registered model is callable on what the booking system sends and "No Info" vs "No info" cannot matter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import VotingRegressor
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder, StandardScaler, TargetEncoder
from sklearn.utils import Bunch

from workbook.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    RAW_COLUMNS,
    improved_features,
    make_preprocessor,
)
from workbook.models.catalog import (
    DEFAULT_PARAMS,
    ENSEMBLE,
    ENSEMBLE_MEMBERS,
    ESTIMATORS,
    FEATURE_SETS,
    HIGH_CARDINALITY,
    KNN_GRID,
    LOW_CARDINALITY,
    MAX_NATIVE_CATEGORIES,
    SCALED_MODELS,
    FeatureSet,
    ModelName,
    check_choice,
    check_model_name,
)


class FlightFeatures(TransformerMixin, BaseEstimator):
    """Raw flight rows (the file's columns; Price ignored) -> `improved_features`; learns nothing.

    Putting this step inside the pipeline makes the fitted model callable on raw rows, so every cleaning
    rule (e.g. "No Info" -> "No info") travels with the model instead of living in a notebook.
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> FlightFeatures:
        self._check_raw(X)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_raw(X)
        return improved_features(X)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(NUMERIC_FEATURES + CATEGORICAL_FEATURES, dtype=object)

    @staticmethod
    def _check_raw(X: Any) -> None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"FlightFeatures expects raw flight rows as a DataFrame with columns {RAW_COLUMNS}, "
                            f"got {type(X).__name__}")
        require_raw_columns(X, "FlightFeatures")


def featurized_once(pipeline: Any, X: pd.DataFrame) -> tuple[Any, pd.DataFrame]:
    """A copy of `pipeline` that starts from features, and X's features, for fitting it many times on X's rows.

    FlightFeatures learns nothing and works row by row, so the features of a subset of rows are those rows
    of X's features: cross-validation and the search then build them once instead of twice per fold (a
    third of an improved fit's time), with the same scores. Pipelines without the step come back as clones
    with X unchanged.
    """
    pipeline = clone(pipeline)
    steps = [name for name, value in pipeline.get_params(deep=True).items() if isinstance(value, FlightFeatures)]
    if not steps:
        return pipeline, X
    FlightFeatures().fit(X)  # the step's own checks of the raw rows, with its messages
    return pipeline.set_params(**dict.fromkeys(steps, "passthrough")), improved_features(X)


def require_raw_columns(rows: pd.DataFrame, who: str) -> None:
    """Raise a one-line ValueError naming `who` unless `rows` has every column of RAW_COLUMNS."""
    missing = [c for c in RAW_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"{who}: raw flight rows need column(s) {missing}; got {list(rows.columns)}")


def make_model(name: ModelName, random_state: int = 42, **params: Any) -> BaseEstimator:
    """One estimator of the zoo with the workbook's defaults; `params` override them (checked by name)."""
    if check_model_name(name) == ENSEMBLE:
        raise ValueError(f"{ENSEMBLE!r} is a mean of two pipelines, not one estimator: use make_pipeline")
    estimator_class = ESTIMATORS[name]
    valid = estimator_class().get_params()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} for model {name!r}; "
                         f"valid: {', '.join(sorted(valid))}")
    settings = {**DEFAULT_PARAMS[name], **params}
    if "random_state" in valid:
        settings.setdefault("random_state", random_state)
    return estimator_class(**settings)


def make_tree_encoder(random_state: int = 42, target_type: str = "continuous") -> ColumnTransformer:
    """Encoding for tree models: categories as integer codes, the ~1,300 flights as their mean (log) fare.

    Boosting on make_preprocessor's one-hot columns instead (617 on the default twin; ~900 on the twins of that
    measurement): MAE 588 and 546 on two twins in ~12 s per fit, this way 520 and 546 in ~0.6 s. The flight's
    target encoding is cross-fitted, so a training row never sees its own fare; an unseen flight gets the
    overall mean.
    """
    codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                           max_categories=MAX_NATIVE_CATEGORIES)
    # target_type is explicit: integer fares would otherwise be read as thousands of classes.
    flight_mean = TargetEncoder(target_type=target_type, cv=KFold(5, shuffle=True, random_state=random_state))
    encoder = ColumnTransformer(
        [("codes", codes, list(LOW_CARDINALITY)), ("target_mean", flight_mean, HIGH_CARDINALITY),
         ("numeric", "passthrough", NUMERIC_FEATURES)],
        verbose_feature_names_out=False,
    )
    return encoder.set_output(transform="pandas")  # names let boosting find its categorical columns


def make_pipeline(model_name: ModelName, feature_set: FeatureSet, log_target: bool = False, random_state: int = 42,
                  **params: Any) -> Pipeline | TransformedTargetRegressor:
    """A ready-to-fit pipeline: "talk" takes the talk's 24 columns, "improved" takes raw flight rows.

    Linear and k-NN models get scaled inputs (improved: make_preprocessor's scaling + one-hot); trees get
    the talk's columns as they are, or `make_tree_encoder` (boosting treats its codes as native
    categories). `log_target` fits on log(price) and predicts exp(.) of it: fares are multiplicative.
    """
    check_model_name(model_name)
    check_choice(feature_set, FEATURE_SETS, "feature set")
    if model_name == ENSEMBLE:
        return make_ensemble(feature_set, log_target, random_state, **params)
    model = make_model(model_name, random_state=random_state, **params)
    if feature_set == "talk":
        steps = [("scale", StandardScaler() if model_name in SCALED_MODELS else "passthrough"), ("model", model)]
    elif model_name in SCALED_MODELS:
        # Dense one-hot columns, also for k-NN: its exact search multiplies dense matrices (BLAS) 1.6x faster
        # than it walks sparse rows, at the cost of a model that holds its training rows densely (~57 MB).
        steps = [("features", FlightFeatures()), ("encode", make_preprocessor()), ("model", model)]
    else:
        if model_name == "hist_gradient_boosting" and "categorical_features" not in params:
            model.set_params(categorical_features=list(LOW_CARDINALITY))
        steps = [("features", FlightFeatures()), ("encode", make_tree_encoder(random_state)), ("model", model)]
    if model_name == "knn":
        steps.insert(-1, ("exact_distances", snap_to_grid()))
    pipeline = Pipeline(steps)
    if not log_target:
        return pipeline
    return TransformedTargetRegressor(regressor=pipeline, func=np.log, inverse_func=np.exp)


def make_ensemble(feature_set: FeatureSet, log_target: bool = False, random_state: int = 42,
                  **params: Any) -> VotingRegressor:
    """The mean of ENSEMBLE_MEMBERS' predictions, each member the zoo's own pipeline (its target transform inside).

    The members are fitted one after the other (n_jobs=None), so the mean is the same on any machine.
    """
    if params:
        raise ValueError(f"{ENSEMBLE!r} takes no model parameters (got {', '.join(sorted(params))}); "
                         "tune its members instead")
    members = [(name, make_pipeline(name, feature_set, log_target=log_target, random_state=random_state))
               for name in ENSEMBLE_MEMBERS]
    return VotingRegressor(members)


def assemble_ensemble(fitted_members: dict[str, Any], feature_set: FeatureSet, log_target: bool = False,
                      random_state: int = 42) -> VotingRegressor:
    """`make_ensemble`'s VotingRegressor, fitted, from members already fitted on the same rows (no refit).

    Sets what VotingRegressor.fit sets (estimators_, named_estimators_, feature_names_in_), so it predicts,
    pickles and logs as if fitted itself: each member's fit does not depend on the others.
    """
    ensemble = make_ensemble(feature_set, log_target, random_state)
    missing = [name for name, _ in ensemble.estimators if name not in fitted_members]
    if missing:
        raise ValueError(f"assemble_ensemble needs the fitted member(s) {missing}")
    ensemble.estimators_ = [fitted_members[name] for name, _ in ensemble.estimators]
    ensemble.named_estimators_ = Bunch(**{name: fitted_members[name] for name, _ in ensemble.estimators})
    for member in ensemble.estimators_:
        if hasattr(member, "feature_names_in_"):
            ensemble.feature_names_in_ = member.feature_names_in_
    return ensemble


def _snap(X: Any) -> Any:
    """X rounded to multiples of 1/KNN_GRID (dense or sparse; a sparse matrix keeps its zeros)."""
    if sparse.issparse(X):
        X = X.copy()
        X.data = np.round(X.data * KNN_GRID) / KNN_GRID
        return X
    return np.round(np.asarray(X, dtype=float) * KNN_GRID) / KNN_GRID


def snap_to_grid() -> FunctionTransformer:
    """The k-NN step that makes distances exact on every machine (see KNN_GRID)."""
    return FunctionTransformer(_snap, accept_sparse=True, feature_names_out="one-to-one")


def model_step_prefix(pipeline: Pipeline | TransformedTargetRegressor) -> str:
    """The parameter prefix that reaches the model inside a pipeline ("model__" or "regressor__model__")."""
    if isinstance(pipeline, VotingRegressor):
        raise ValueError(f"{ENSEMBLE!r} has no single model step; tune its members one at a time")
    return "regressor__model__" if isinstance(pipeline, TransformedTargetRegressor) else "model__"
