"""Transparency helpers on a small twin: permutation importance, partial dependence, group Shapley values and
the model card read back from a throw-away MLflow store."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # no display in tests

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from workbook import models, tracking, transparency
from workbook.data import make_flights
from workbook.errors import TrackingError, TransparencyError
from workbook.transparency import RAW_FEATURE_GROUPS, Explanation

TWIN_ROWS = 3_000  # enough for the twin's structure to show, small enough to fit in half a second


@pytest.fixture(scope="module", autouse=True)
def _one_native_thread():
    """One native thread for the module, as the workbook fits (two spin against each other on 2 cores)."""
    with models.fitting_context():
        yield


@pytest.fixture(scope="module")
def twin() -> pd.DataFrame:
    return make_flights(n_rows=TWIN_ROWS, seed=42)


@pytest.fixture(scope="module")
def split(twin):
    return models.comparison_splits(twin, 42)["improved"]


@pytest.fixture(scope="module")
def champion(split):
    X_train, _, y_train, _ = split
    model = models.make_pipeline("hist_gradient_boosting", "improved", log_target=True, random_state=42)
    return model.fit(X_train, y_train)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------------------------------
# Permutation importance
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def importance(champion, split):
    _, X_test, _, y_test = split
    noisy = X_test.assign(Noise=np.random.default_rng(0).normal(size=len(X_test)))  # the model never reads it
    return transparency.permutation_importance_table(champion, noisy, y_test, n_repeats=2, max_rows=400)


def test_importance_of_a_column_the_model_ignores_is_zero(importance):
    noise = importance.set_index("column").loc["Noise"]
    assert noise["importance"] == 0.0 and noise["std"] == 0.0


def test_route_and_airline_rank_high_and_fare_class_matters(importance):
    ranked = importance["column"].tolist()
    assert set(ranked[:3]) >= {"Route", "Airline"}, ranked
    by_column = importance.set_index("column")["importance"]
    assert by_column["Additional_Info"] > 50  # rupees of extra MAE: business class and layovers move fares
    assert by_column["Additional_Info"] > by_column["Total_Stops"]  # Route already tells the stops


def test_importance_table_shape_and_baseline(importance, champion, split):
    assert list(importance.columns) == ["column", "importance", "std"]
    assert importance["importance"].is_monotonic_decreasing
    assert len(importance) == 11  # ten raw columns + Noise
    assert 200 < importance.attrs["baseline_mae"] < 1_500


def test_importance_is_deterministic_for_a_seed(champion, split):
    _, X_test, _, y_test = split
    first = transparency.permutation_importance_table(champion, X_test, y_test, n_repeats=1, max_rows=100)
    again = transparency.permutation_importance_table(champion, X_test, y_test, n_repeats=1, max_rows=100)
    pd.testing.assert_frame_equal(first, again)


def test_plot_importance_draws_one_bar_per_column(importance):
    ax = transparency.plot_importance(importance)
    assert len(ax.patches) == len(importance)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == importance["column"].iloc[0]  # largest on top


# ------------------------------------------------------------------------------------------------
# Partial dependence
# ------------------------------------------------------------------------------------------------


def test_more_stops_mean_a_higher_average_fare(champion, split):
    _, X_test, _, _ = split
    table = transparency.partial_dependence_table(champion, X_test, "Total_Stops")
    fares = table.set_index("value")["average_prediction"]
    assert list(fares.index) == ["non-stop", "1 stop", "2 stops", "3 stops"]
    assert fares["1 stop"] >= fares["non-stop"] - 1e-6
    assert min(fares["2 stops"], fares["3 stops"]) > fares["non-stop"]


def test_partial_dependence_uses_the_given_values_in_order(champion, split):
    _, X_test, _, _ = split
    values = ["No info", "Business class", "No check-in baggage included"]
    table = transparency.partial_dependence_table(champion, X_test, "Additional_Info", values, max_rows=10_000)
    assert table["value"].tolist() == values
    assert (table["column"] == "Additional_Info").all()
    fares = table.set_index("value")["average_prediction"]
    assert fares["No check-in baggage included"] < fares["No info"] - 300  # the twin's cheapest fare class
    # The same number by hand: every row gets "No info", then the mean prediction.
    by_hand = champion.predict(X_test.assign(Additional_Info="No info")).mean()  # max_rows above: all rows
    assert fares["No info"] == pytest.approx(by_hand, rel=1e-9)


def test_default_grids_are_readable(split):
    _, X_test, _, _ = split
    durations = transparency.default_pd_values(X_test, "Duration")
    assert all(re.fullmatch(r"\d+h", d) for d in durations) and len(durations) >= 4
    hours = [int(d[:-1]) for d in durations]
    assert hours == sorted(hours)
    airlines = transparency.default_pd_values(X_test, "Airline")
    assert airlines[0] == X_test["Airline"].value_counts().index[0]
    dates = pd.to_datetime(transparency.default_pd_values(X_test, "Date_of_Journey"), format="%d/%m/%Y")
    assert dates.is_monotonic_increasing and 2 <= len(dates) <= 12


def test_plot_partial_dependence_labels_the_values(champion, split):
    _, X_test, _, _ = split
    table = transparency.partial_dependence_table(champion, X_test, "Total_Stops", max_rows=200)
    ax = transparency.plot_partial_dependence(table)
    assert [t.get_text() for t in ax.get_xticklabels()] == table["value"].tolist()
    assert len(ax.lines) == 1 and not ax.patches  # stops have an order: a line
    airlines = transparency.partial_dependence_table(champion, X_test, "Airline", max_rows=200)
    bars = transparency.plot_partial_dependence(airlines)
    assert len(bars.patches) == len(airlines) and not bars.lines  # airlines have none: bars
    heights = [bar.get_height() for bar in bars.patches]
    assert heights == sorted(heights, reverse=True)  # dearest first: no order is implied but the fare's
    dearest = airlines.loc[airlines["average_prediction"].idxmax(), "value"]
    assert bars.get_xticklabels()[0].get_text() == dearest
    assert ax.get_ylim()[0] == 0 and bars.get_ylim()[0] == 0  # a small effect must not look big


# ------------------------------------------------------------------------------------------------
# Local explanations
# ------------------------------------------------------------------------------------------------


def test_contributions_add_up_to_prediction_minus_base(champion, split):
    X_train, X_test, _, _ = split
    explanation = transparency.explain_prediction(champion, X_test.iloc[[3]], X_train, method="group-shapley")
    total = explanation.base_value + explanation.contributions["contribution"].sum()
    assert total == pytest.approx(explanation.prediction, rel=1e-6)
    assert explanation.prediction == pytest.approx(champion.predict(X_test.iloc[[3]])[0], rel=1e-12)
    assert isinstance(explanation, Explanation) and explanation.method == "group-shapley"
    assert sorted(explanation.contributions["group"]) == sorted(RAW_FEATURE_GROUPS)
    magnitudes = explanation.contributions["contribution"].abs()
    assert magnitudes.is_monotonic_decreasing


def test_a_changed_airline_gets_all_the_contribution(champion, split):
    X_train, _, _, _ = split
    background = pd.concat([X_train.iloc[[0]]] * 10, ignore_index=True)  # one flight, ten times
    other = next(a for a in X_train["Airline"].unique() if a != X_train["Airline"].iloc[0])
    row = X_train.iloc[[0]].assign(Airline=other)
    explanation = transparency.explain_prediction(champion, row, background, method="group-shapley")
    contributions = explanation.contributions.set_index("group")["contribution"]
    expected = champion.predict(row)[0] - champion.predict(X_train.iloc[[0]])[0]
    assert abs(expected) > 1  # the airline really moves this fare
    assert contributions["airline and fare notes"] == pytest.approx(expected, rel=1e-9)
    assert contributions.drop("airline and fare notes").abs().max() < 1e-6
    assert explanation.contributions.loc[0, "value"] == f"{other}, {row['Additional_Info'].iloc[0]}"


def test_group_shapley_matches_the_closed_form_of_a_linear_model():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    model = LinearRegression().fit(X, 2 * X["a"] - 3 * X["b"] + 0.5 * X["c"] + rng.normal(size=200))
    row = pd.DataFrame({"a": [1.5], "b": [-0.7], "c": [2.0]})
    explanation = transparency.explain_prediction(model, row, X, groups={"a": ["a"], "b and c": ["b", "c"]},
                                                  method="group-shapley", max_background=len(X))
    # For a linear model the interventional Shapley value of a group is sum of w_j * (x_j - mean background_j).
    shift = (row.iloc[0] - X.mean()) * model.coef_
    contributions = explanation.contributions.set_index("group")["contribution"]
    assert contributions["a"] == pytest.approx(shift["a"], rel=1e-9)
    assert contributions["b and c"] == pytest.approx(shift["b"] + shift["c"], rel=1e-9)


def test_ungrouped_model_columns_form_an_other_group(champion, split):
    X_train, X_test, _, _ = split
    groups = {"airline": ["Airline"], "fare class": ["Additional_Info"]}
    explanation = transparency.explain_prediction(champion, X_test.iloc[[0]], X_train, groups=groups,
                                                  method="group-shapley", max_background=20)
    table = explanation.contributions.set_index("group")
    assert set(table.index) == {"airline", "fare class", "other"}
    assert "Route" in table.loc["other", "columns"]
    total = explanation.base_value + table["contribution"].sum()
    assert total == pytest.approx(explanation.prediction, rel=1e-6)


def test_explanation_is_deterministic_and_seeded(champion, split):
    X_train, X_test, _, _ = split
    row = X_test.iloc[[1]]
    first = transparency.explain_prediction(champion, row, X_train, method="group-shapley", random_state=7)
    again = transparency.explain_prediction(champion, row, X_train, method="group-shapley", random_state=7)
    pd.testing.assert_frame_equal(first.contributions, again.contributions)
    assert first.base_value == again.base_value
    other_seed = transparency.explain_prediction(champion, row, X_train, method="group-shapley", random_state=8)
    assert other_seed.base_value != first.base_value  # another background sample


def test_auto_method_falls_back_without_shap(champion, split):
    X_train, X_test, _, _ = split
    explanation = transparency.explain_prediction(champion, X_test.iloc[[0]], X_train, max_background=10)
    expected = "shap" if transparency.shap_available() else "group-shapley"
    assert explanation.method == expected
    if not transparency.shap_available():
        with pytest.raises(TransparencyError, match="shap package"):
            transparency.explain_prediction(champion, X_test.iloc[[0]], X_train, method="shap")


def test_plot_explanation_draws_one_bar_per_group(champion, split):
    X_train, X_test, _, _ = split
    explanation = transparency.explain_prediction(champion, X_test.iloc[[0]], X_train, max_background=10)
    ax = transparency.plot_explanation(explanation)
    assert len(ax.patches) == len(RAW_FEATURE_GROUPS)
    assert ax.get_yticklabels()[0].get_text().startswith(explanation.contributions.loc[0, "group"])


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------


def test_bad_input_gets_one_line_errors(champion, split):
    X_train, X_test, _, y_test = split
    with pytest.raises(TransparencyError, match="column 'Price' is not in X_raw"):
        transparency.partial_dependence_table(champion, X_test, "Price")
    with pytest.raises(TransparencyError, match=r"X_raw lacks column\(s\) \['Route'\]"):
        transparency.permutation_importance_table(champion, X_test.drop(columns="Route"), y_test)
    with pytest.raises(TransparencyError, match="X_raw is empty"):
        transparency.permutation_importance_table(champion, X_test.iloc[:0], y_test.iloc[:0])
    with pytest.raises(TransparencyError, match="y has 5 values but X_raw has"):
        transparency.permutation_importance_table(champion, X_test, y_test.iloc[:5])
    with pytest.raises(TransparencyError, match="row must hold exactly one flight, got 2 rows"):
        transparency.explain_prediction(champion, X_test.iloc[:2], X_train)
    with pytest.raises(TransparencyError, match="background is empty"):
        transparency.explain_prediction(champion, X_test.iloc[[0]], X_train.iloc[:0])
    with pytest.raises(TransparencyError, match="method must be one of"):
        transparency.explain_prediction(champion, X_test.iloc[[0]], X_train, method="lime")
    with pytest.raises(TransparencyError, match="group 'x' names column 'Fare'"):
        transparency.explain_prediction(champion, X_test.iloc[[0]], X_train, groups={"x": ["Fare"]})
    with pytest.raises(TransparencyError, match="column 'Airline' is in groups 'a' and 'b'"):
        transparency.explain_prediction(champion, X_test.iloc[[0]], X_train,
                                        groups={"a": ["Airline"], "b": ["Airline"]})
    with pytest.raises(TransparencyError, match="values for column 'Airline' is empty"):
        transparency.partial_dependence_table(champion, X_test, "Airline", values=[])
    with pytest.raises(TransparencyError, match="max_rows must be a positive integer"):
        transparency.partial_dependence_table(champion, X_test, "Airline", max_rows=0)
    with pytest.raises(TransparencyError, match="must come from explain_prediction"):
        transparency.plot_explanation("not an explanation")
    with pytest.raises(TransparencyError, match="model must be a fitted estimator"):
        transparency.explain_prediction(object(), X_test.iloc[[0]], X_train)


# ------------------------------------------------------------------------------------------------
# Model card from MLflow
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_champion(split):
    """The champion's pipeline with 5 boosting rounds: the card reads only its MLmodel, and 200 trees take
    seconds to serialise."""
    X_train, _, y_train, _ = split
    model = models.make_pipeline("hist_gradient_boosting", "improved", log_target=True, max_iter=5)
    return model.fit(X_train, y_train)


@pytest.fixture(scope="module")
def store(tmp_path_factory, twin, split, small_champion, new_store):
    """A throw-away store with a complete champion run (registered as v1, alias champion) and a bare run."""
    tracking.forget_tracking_state()
    uri = f"sqlite:///{new_store(tmp_path_factory.mktemp('card') / 'mlflow.db')}"
    tracking.setup_tracking("06_monitoring", uri)
    X_train, X_test, _, y_test = split
    tags = tracking.run_tags("06_monitoring", "synthetic twin", tracking.frame_hash(twin))
    with mlflow.start_run(run_name="champion", tags=tags) as full:
        mlflow.log_params({"model_name": "hist_gradient_boosting", "log_target": True, "max_iter": 5})
        mlflow.log_metrics(models.regression_metrics(y_test, small_champion.predict(X_test)))
        tracking.log_dataset(twin.loc[X_train.index], "flights-train", "synthetic twin", targets="Price")
        info = tracking.log_sklearn_model(small_champion, "model", X_train)
    version = tracking.register_model(info.model_uri, "flights")
    tracking.set_alias("flights", "champion", version)
    with mlflow.start_run(run_name="bare") as bare:
        mlflow.log_metric("MAE", 999.0)
    yield {"uri": uri, "full": full.info.run_id, "bare": bare.info.run_id, "version": version,
           "root": str(tmp_path_factory.getbasetemp())}
    tracking.forget_tracking_state()


def test_model_card_is_built_from_the_run(store, small_champion, split):
    bias = pd.DataFrame({"group": ["IndiGo", "Jet Airways"], "n": [120, 340], "MAE": [310.4, 812.9],
                         "flagged": [False, True]})
    card = transparency.model_card(store["full"], model_name="flights", model_version=store["version"],
                                   bias_table=bias, drift_status="no alert in 6 months",
                                   tracking_uri=store["uri"])
    assert card.startswith("# Model card: flights v1\n")
    assert "- Version: 1 (aliases: champion)" in card
    assert "- Flavor: sklearn (scikit-learn " in card
    assert "| flights-train | training |" in card and "| synthetic twin |" in card
    assert f"| {len(split[0]):,} |" in card  # rows of the logged training data
    assert "- Data source: synthetic twin" in card
    assert "| Total_Stops | string | yes |" in card and "The model reads 10 raw column(s)" in card
    assert "| max_iter | 5 |" in card and "| log_target | True |" in card
    mae = models.regression_metrics(split[3], small_champion.predict(split[1]))["MAE"]
    assert f"| MAE | {mae:,.0f} |" in card
    assert "| Jet Airways | 340 | 813 | True |" in card
    assert "no alert in 6 months" in card
    assert "- Workbook version: 0.1.0" in card and "- Notebook: 06_monitoring" in card
    assert transparency.DEFAULT_LIMITATIONS[0] in card
    # Nothing that changes per execution or per machine: run ids, store paths.
    assert store["full"] not in card and store["root"] not in card
    assert "not recorded" not in card.replace("Git commit: not recorded", "")
    assert "is flagged when" not in card  # a hand-made table records no rule: the card invents none


def test_model_card_states_the_flag_rule_a_bias_table_records(store):
    from workbook.monitoring import bias_table

    fares = pd.Series([1000.0] * 45)
    groups = pd.DataFrame({"stops": ["non-stop"] * 40 + ["3 stops"] * 5})
    bias = bias_table(fares, fares * np.array([1.05] * 40 + [1.5] * 5), groups, ratio=1.25, min_count=30).round(3)
    assert not bias["flagged"].any()  # 3 stops: far above 1.25 x everyone's error, but 5 rows
    card = transparency.model_card(store["full"], model_name="flights", bias_table=bias, tracking_uri=store["uri"])
    assert ("A group is flagged when its MAPE is more than 1.25 x everyone's (disparity) and it has at least 30 "
            "rows (judged before the table is rounded); a smaller group is listed but never flagged") in card


def test_model_card_of_a_bare_run_says_not_recorded(store):
    card = transparency.model_card(store["bare"], model_name="flights", tracking_uri=store["uri"],
                                   limitations=["only a demo"])
    assert "- Dataset inputs: not recorded" in card
    assert "- Input signature: not recorded" in card
    assert "- Flavor: not recorded" in card
    assert "- Parameter: not recorded" in card
    assert "| MAE | 999 |" in card
    assert "## Bias\n\nnot recorded" in card and "## Drift status\n\nnot recorded" in card
    assert "- only a demo" in card and transparency.DEFAULT_LIMITATIONS[0] not in card
    assert "- Version: not registered" in card


def test_model_card_uses_the_active_store_when_no_uri_is_given(store):
    tracking.setup_tracking("06_monitoring", store["uri"])
    card = transparency.model_card(store["bare"], model_name="flights")
    assert "| MAE | 999 |" in card


def test_model_card_unknown_run_names_it(store):
    with pytest.raises(TrackingError, match="no run with id '0123abcd'"):
        transparency.model_card("0123abcd", model_name="flights", tracking_uri=store["uri"])
    with pytest.raises(TransparencyError, match="limitations must be a list of strings"):
        transparency.model_card(store["bare"], model_name="flights", limitations="one", tracking_uri=store["uri"])


def test_write_model_card_is_atomic_and_returns_the_path(tmp_path):
    path = transparency.write_model_card("# Card\n\ntext", tmp_path / "cards" / "model_card.md")
    assert path == tmp_path / "cards" / "model_card.md"
    assert path.read_text(encoding="utf-8") == "# Card\n\ntext\n"
    assert [p.name for p in path.parent.iterdir()] == ["model_card.md"]  # no temporary file left behind
    with pytest.raises(TransparencyError, match="markdown must be a non-empty string"):
        transparency.write_model_card("  ", tmp_path / "empty.md")


def test_markdown_table_escapes_pipes():
    text = transparency.markdown_table(pd.DataFrame({"route": ["A | B"], "x": [1234.6]}))
    assert text.splitlines() == ["| route | x |", "| --- | --- |", "| A \\| B | 1,235 |"]
