"""Small runnable examples of the kinds of ML problem, on the flight data (notebook 01).

Supervised (a price regressor), unsupervised (k-means segments), statistical (medians with confidence
intervals), hybrid (a business rule + a model) and human in the loop (a classifier that defers unsure cases).
Each function takes a flights frame with the file's columns (after `dropna()`), returns a small table or
result, and is deterministic for a given `random_state`.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from workbook.eda import format_price_axis
from workbook.features import parse_clock, parse_duration_minutes, parse_journey_date, parse_stops

# The kinds of ML problem notebook 01 shows, with a one-line description each.
PROBLEM_KINDS: dict[str, str] = {
    "supervised": "learn a mapping from inputs to a known label (here: the price) from labelled examples",
    "unsupervised": "find structure (groups, outliers) in data that has no label",
    "statistical": "estimate and compare quantities with a measure of uncertainty, no prediction model",
    "hybrid": "hand-written rules where the answer is known, a model for everything else",
    "human in the loop": "the model decides only when it is confident and hands the rest to a person",
}

# Scenarios for the "which kind is it?" exercise: scenario id -> (description, kind).
SCENARIOS: dict[str, tuple[str, str]] = {
    "fare_forecast": ("Predict tomorrow's fare of a flight from past fares and flight details", "supervised"),
    "route_groups": ("Group routes that behave alike, without any label saying which group is right",
                     "unsupervised"),
    "weekend_premium": ("Tell management, with a 95 % interval, how much dearer weekend fares are",
                        "statistical"),
    "refund_review": ("Approve refunds automatically when the model is sure, send the rest to an agent",
                      "human in the loop"),
    "fare_rules": ("Price Business class from the airline's fare sheet and everything else with a model",
                   "hybrid"),
}

MODEL_FEATURES_NUMERIC = ["stops", "duration_h", "journey_month", "dep_hour"]
MODEL_FEATURES_CATEGORICAL = ["Airline", "Source", "Destination"]
BUSINESS_LABEL = "Business class"


def flight_table(df: pd.DataFrame) -> pd.DataFrame:
    """A small typed view of the flights for the demos: stops, duration in hours, month, hour, price, labels."""
    needed = ("Airline", "Date_of_Journey", "Source", "Destination", "Dep_Time", "Duration", "Total_Stops",
              "Additional_Info", "Price")
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"flight_table needs column(s) {missing}; run it on the flights frame (after dropna())")
    if df["Total_Stops"].isna().any():
        raise ValueError("column 'Total_Stops' has missing values; call talk_dropna(df) first")
    return pd.DataFrame(
        {
            "stops": parse_stops(df["Total_Stops"]),
            "duration_h": parse_duration_minutes(df["Duration"]) / 60,
            "journey_month": parse_journey_date(df["Date_of_Journey"]).dt.month.astype("int64"),
            "dep_hour": parse_clock(df["Dep_Time"])["hour"],
            "Airline": df["Airline"],
            "Source": df["Source"],
            "Destination": df["Destination"],
            "Additional_Info": df["Additional_Info"],
            "Price": df["Price"].astype("int64"),
        },
        index=df.index,
    )


def _encoder() -> ColumnTransformer:
    """Scale the numeric inputs, one-hot the labels (unseen labels ignored at prediction time)."""
    return ColumnTransformer(
        [
            ("num", StandardScaler(), MODEL_FEATURES_NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), MODEL_FEATURES_CATEGORICAL),
        ]
    )


def _price_model(random_state: int) -> Pipeline:
    """A small random forest: enough to beat the baseline clearly, fast enough for a demo."""
    forest = RandomForestRegressor(n_estimators=60, min_samples_leaf=3, random_state=random_state, n_jobs=1)
    return make_pipeline(_encoder(), forest)


# --- supervised ---------------------------------------------------------------------------------------


def supervised_price_demo(df: pd.DataFrame, random_state: int = 42) -> pd.DataFrame:
    """Fit a price regressor on 75 % of flights; compare its test error with 'always predict the median'."""
    table = flight_table(df)
    train, test = train_test_split(table, test_size=0.25, random_state=random_state)
    model = _price_model(random_state).fit(train, train["Price"])
    baseline = np.full(len(test), train["Price"].median())
    predictions = {"baseline: median of training fares": baseline, "random forest regressor": model.predict(test)}
    return pd.DataFrame(
        {
            "MAE (₹)": [mean_absolute_error(test["Price"], p) for p in predictions.values()],
            "R²": [r2_score(test["Price"], p) for p in predictions.values()],
        },
        index=pd.Index(list(predictions), name="model"),
    )


# --- unsupervised -------------------------------------------------------------------------------------


def flight_segments(
    df: pd.DataFrame, n_clusters: int = 3, random_state: int = 42
) -> tuple[pd.Series, pd.DataFrame]:
    """k-means on duration and log price; segments numbered from cheapest to dearest (labels, summary)."""
    table = flight_table(df)
    # Log price: fares are skewed, and without it the few very dear fares would get a cluster of their own.
    points = StandardScaler().fit_transform(np.column_stack([table["duration_h"], np.log(table["Price"])]))
    # One thread: on ~10k points OpenMP's start-up and busy-waiting cost more than they save (10x slower
    # on a busy 2-core machine), and a fixed thread count keeps the result the same everywhere.
    with threadpool_limits(limits=1):
        raw = KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state).fit_predict(points)
    # k-means numbers clusters arbitrarily: renumber by median price so the table reads cheap -> dear.
    order = table["Price"].groupby(raw).median().sort_values().index
    relabel = {old: new for new, old in enumerate(order, start=1)}
    labels = pd.Series([relabel[c] for c in raw], index=table.index, name="segment")
    summary = table.assign(segment=labels).groupby("segment").agg(
        flights=("Price", "size"),
        median_duration_h=("duration_h", "median"),
        median_stops=("stops", "median"),
        median_price=("Price", "median"),
    )
    return labels, summary


def plot_segments(df: pd.DataFrame, labels: pd.Series) -> plt.Axes:
    """Scatter of duration against price (log ₹ axis), one colour per segment from flight_segments."""
    table = flight_table(df).assign(segment=labels)
    _, ax = plt.subplots(figsize=(8, 4.5))
    for segment, group in table.groupby("segment"):
        ax.scatter(group["duration_h"], group["Price"], s=6, alpha=0.4, label=f"segment {segment}")
    format_price_axis(ax, table["Price"])
    ax.set(xlabel="duration (hours)", title="k-means segments of flights by duration and price")
    ax.legend(markerscale=3)
    ax.figure.tight_layout()
    return ax


# --- statistical --------------------------------------------------------------------------------------


def median_ci(values: np.ndarray, n_boot: int = 1000, level: float = 0.95, random_state: int = 42
              ) -> tuple[float, float]:
    """Bootstrap percentile interval for the median of `values`."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        raise ValueError("median_ci needs at least one value")
    rng = np.random.default_rng(random_state)
    medians = np.median(rng.choice(values, size=(n_boot, len(values)), replace=True), axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)


def median_price_by_stops(df: pd.DataFrame, n_boot: int = 1000, random_state: int = 42) -> pd.DataFrame:
    """Flights, median price and a 95 % bootstrap interval of the median, for each number of stops."""
    table = flight_table(df)
    rows = []
    for stops, prices in table.groupby("stops")["Price"]:
        low, high = median_ci(prices.to_numpy(), n_boot=n_boot, random_state=random_state)
        rows.append({"stops": stops, "flights": len(prices), "median_price": float(prices.median()),
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows).set_index("stops")


# --- hybrid -------------------------------------------------------------------------------------------


def is_business(df: pd.DataFrame) -> pd.Series:
    """The business rule's trigger: the booking says Business class (in Airline or Additional_Info)."""
    return df["Airline"].str.contains("Business") | (df["Additional_Info"] == BUSINESS_LABEL)


def hybrid_price_demo(df: pd.DataFrame, random_state: int = 42) -> pd.DataFrame:
    """Business fares priced by a rule, the rest by a model trained without them (as after the talk's filter).

    The talk's filter drops the rare 'Jet Airways Business' rows, so its model never sees a business fare;
    bookings like that still arrive in production. The rule prices each Business row at the median of the
    *other* Business fares (there are only a handful, so all of them are scored, leave-one-out); the other
    rows are scored on a 25 % test split. Returns test MAE per group for model-only and hybrid pricing.
    """
    table = flight_table(df)
    rule = is_business(df)
    economy, business = table[~rule], table[rule]
    train, test = train_test_split(economy, test_size=0.25, random_state=random_state)
    model = _price_model(random_state).fit(train, train["Price"])
    groups = {"rule: Business class": (business, leave_one_out_median(business["Price"]))} if len(business) else {}
    groups["model: everything else"] = (test, model.predict(test))
    rows = []
    for group, (frame, hybrid) in groups.items():
        model_only = model.predict(frame)
        rows.append({
            "group": group,
            "flights scored": len(frame),
            "median fare (₹)": float(frame["Price"].median()),
            "MAE model only (₹)": float(mean_absolute_error(frame["Price"], model_only)),
            "MAE hybrid (₹)": float(mean_absolute_error(frame["Price"], hybrid)),
        })
    return pd.DataFrame(rows).set_index("group")


def leave_one_out_median(prices: pd.Series) -> np.ndarray:
    """For each fare, the median of all the other fares (itself when it is the only one)."""
    values = prices.to_numpy(dtype=float)
    if len(values) == 1:
        return values.copy()
    return np.array([np.median(np.delete(values, i)) for i in range(len(values))])


# --- human in the loop --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeferralResult:
    """What a confidence threshold does: which test cases a person sees and how good the automatic rest is."""

    threshold: float
    price_cut: float
    deferred_share: float
    accuracy_all: float
    accuracy_automated: float
    accuracy_deferred: float


def dear_fare_classifier(df: pd.DataFrame, price_cut: float | None = None, random_state: int = 42
                         ) -> tuple[Pipeline, pd.DataFrame, pd.Series, float]:
    """Fit 'is this fare above price_cut?' (default: the median fare); return model, test X, test y, cut."""
    table = flight_table(df)
    cut = float(table["Price"].median()) if price_cut is None else float(price_cut)
    target = (table["Price"] > cut).astype("int64")
    X_train, X_test, y_train, y_test = train_test_split(
        table, target, test_size=0.25, random_state=random_state, stratify=target
    )
    model = make_pipeline(_encoder(), LogisticRegression(max_iter=2000))
    return model.fit(X_train, y_train), X_test, y_test, cut


def defer_low_confidence(
    df: pd.DataFrame, threshold: float = 0.8, price_cut: float | None = None, random_state: int = 42
) -> DeferralResult:
    """Let the classifier decide only where its probability for the chosen class is >= threshold."""
    if not 0.5 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0.5 and 1.0 (a class probability), got {threshold}")
    model, X_test, y_test, cut = dear_fare_classifier(df, price_cut, random_state)
    return deferral_at(model.predict_proba(X_test)[:, 1], y_test.to_numpy(), threshold, cut)


def deferral_curve(
    df: pd.DataFrame, thresholds: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
    price_cut: float | None = None, random_state: int = 42,
) -> pd.DataFrame:
    """Deferred share and accuracy of the automated decisions for several thresholds (one model fit)."""
    model, X_test, y_test, cut = dear_fare_classifier(df, price_cut, random_state)
    proba = model.predict_proba(X_test)[:, 1]
    results = [deferral_at(proba, y_test.to_numpy(), t, cut) for t in thresholds]
    return pd.DataFrame(
        {
            "deferred to a person": [r.deferred_share for r in results],
            "accuracy, model decides all": [r.accuracy_all for r in results],
            "accuracy, automated cases": [r.accuracy_automated for r in results],
            "accuracy of the model on deferred cases": [r.accuracy_deferred for r in results],
        },
        index=pd.Index(list(thresholds), name="threshold"),
    )


def deferral_at(proba: np.ndarray, y: np.ndarray, threshold: float, cut: float) -> DeferralResult:
    confidence = np.maximum(proba, 1 - proba)
    predicted = (proba >= 0.5).astype(int)
    correct = predicted == y
    deferred = confidence < threshold
    return DeferralResult(
        threshold=threshold,
        price_cut=cut,
        deferred_share=float(deferred.mean()),
        accuracy_all=float(correct.mean()),
        accuracy_automated=float(correct[~deferred].mean()) if (~deferred).any() else float("nan"),
        accuracy_deferred=float(correct[deferred].mean()) if deferred.any() else float("nan"),
    )
