"""The evaluation taxonomy beyond regression: fares as classes (price bands) and routes as clusters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import (
    accuracy_score,
    adjusted_rand_score,
    confusion_matrix,
    precision_recall_fscore_support,
    silhouette_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from workbook.features import RAW_COLUMNS, improved_features, market_of, talk_dropna
from workbook.models.catalog import LOW_CARDINALITY
from workbook.models.evaluate import check_same_length
from workbook.models.parallel import fitting_context
from workbook.models.pipelines import FlightFeatures, make_tree_encoder

FARE_BANDS = ["budget", "standard", "premium"]


def fare_band_edges(train_prices: Any, quantiles: tuple[float, float] = (1 / 3, 2 / 3)) -> tuple[float, float]:
    """Edges between budget/standard/premium: the training fares' tertiles by default (equal-sized bands)."""
    low, high = np.quantile(np.asarray(train_prices, dtype=float), quantiles)
    return float(low), float(high)


def fare_bands(prices: Any, edges: tuple[float, float] | None = None) -> pd.Series:
    """Label fares budget (< low), standard (low <= fare < high), premium (>= high); edges default to tertiles."""
    values = pd.Series(prices, dtype=float) if not isinstance(prices, pd.Series) else prices.astype(float)
    if values.isna().any():
        raise ValueError(f"fare_bands: {int(values.isna().sum())} missing price(s); every fare needs a value")
    low, high = edges if edges is not None else fare_band_edges(values)
    if low > high:
        raise ValueError(f"fare band edges must be increasing, got {low} > {high}")
    codes = np.searchsorted([low, high], values.to_numpy(), side="right")
    return pd.Series(pd.Categorical.from_codes(codes, categories=FARE_BANDS, ordered=True), index=values.index,
                     name="fare_band")


def make_band_classifier(random_state: int = 42) -> Pipeline:
    """Raw rows -> improved features -> histogram boosting classifier (native categories, flight encoded)."""
    classifier = HistGradientBoostingClassifier(
        learning_rate=0.1, max_iter=200, categorical_features=list(LOW_CARDINALITY), early_stopping=False,
        random_state=random_state)
    return Pipeline([("features", FlightFeatures()), ("encode", make_tree_encoder(random_state, "multiclass")),
                     ("model", classifier)])


def fare_band_report(X_train: pd.DataFrame, X_test: pd.DataFrame, y_train: Any, y_test: Any,
                     random_state: int = 42, edges: tuple[float, float] | None = None) -> dict:
    """Fares as a 3-class problem (a legitimate classification, unlike one class per fare).

    Returns edges (from the training fares unless given), accuracy, macro_f1, per_class (precision,
    recall, F1, support per band), confusion (actual x predicted counts), confusion_long (tidy) and the
    fitted classifier.
    """
    check_same_length(X_train, y_train, "X_train", "y_train")
    check_same_length(X_test, y_test, "X_test", "y_test")
    edges = edges if edges is not None else fare_band_edges(y_train)
    band_train, band_test = fare_bands(y_train, edges), fare_bands(y_test, edges)
    classifier = make_band_classifier(random_state)
    with fitting_context():
        classifier.fit(X_train, band_train.astype(str))
        predicted = pd.Categorical(classifier.predict(X_test), categories=FARE_BANDS, ordered=True)
    actual = band_test.astype(str).to_numpy()
    precision, recall, f1, support = precision_recall_fscore_support(
        actual, predicted.astype(str), labels=FARE_BANDS, zero_division=0)
    per_class = pd.DataFrame({"band": FARE_BANDS, "precision": precision, "recall": recall, "f1": f1,
                              "support": support})
    matrix = confusion_matrix(actual, predicted.astype(str), labels=FARE_BANDS)
    confusion = pd.DataFrame(matrix, index=pd.Index(FARE_BANDS, name="actual"),
                             columns=pd.Index(FARE_BANDS, name="predicted"))
    confusion_long = confusion.stack().rename("count").reset_index()
    return {"edges": edges, "accuracy": float(accuracy_score(actual, predicted.astype(str))),
            "macro_f1": float(f1.mean()), "per_class": per_class, "confusion": confusion,
            "confusion_long": confusion_long, "classifier": classifier}


def route_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per route: market, stops, rows, median duration (min) and median fare (₹)."""
    missing = [c for c in RAW_COLUMNS + ["Price"] if c not in df.columns]
    if missing:
        raise ValueError(f"route_clustering needs flight column(s) {missing}; the data has {list(df.columns)}")
    rows = talk_dropna(df[RAW_COLUMNS + ["Price"]])
    features = improved_features(rows)
    frame = pd.DataFrame({
        "route": features["Route"],
        "market": market_of(features),
        "stops": features["stops"], "duration_min": features["duration_min"], "price": rows["Price"],
    })
    return (frame.groupby("route")
            .agg(market=("market", "first"), stops=("stops", "first"), rows=("price", "size"),
                 median_duration_min=("duration_min", "median"), median_price=("price", "median"))
            .reset_index())


def route_clustering(df: pd.DataFrame, k: int = 3, random_state: int = 42) -> dict:
    """Cluster routes by log median duration, stops and log median fare with KMeans (standardised).

    k=3 separates the twin best (silhouette 0.43 vs 0.38 for k=4): roughly non-stop, one stop, two or more.
    Returns routes (route_table + cluster), silhouette (how separated the clusters are, -1..1) and the
    adjusted Rand index against the known groupings: stops count (ari_stops) and market (ari_market).
    """
    routes = route_table(df)
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k < len(routes):
        raise ValueError(f"k must be an integer from 2 to {len(routes) - 1} (there are {len(routes)} routes), "
                         f"got {k!r}")
    # Logs: a 2-hour and a 4-hour journey differ as much as 12 and 24 hours do, for time and for money.
    points = np.column_stack([np.log(routes["median_duration_min"].clip(lower=1)), routes["stops"],
                              np.log(routes["median_price"])])
    points = StandardScaler().fit_transform(points)
    labels = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit_predict(points)
    routes["cluster"] = labels
    return {"k": k, "routes": routes, "silhouette": float(silhouette_score(points, labels)),
            "ari_stops": float(adjusted_rand_score(routes["stops"], labels)),
            "ari_market": float(adjusted_rand_score(routes["market"], labels))}
