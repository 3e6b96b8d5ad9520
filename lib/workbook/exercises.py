"""Self-checks for the notebooks' exercises: each says what is right, or what to look at, never just "wrong".

Every `check_*` takes the learner's answer (None = not answered yet) and, where needed, the data the notebook
uses; the right answer is always computed from that data. The result is a `Feedback` that shows its message
when it is the last expression of a cell, and is truthy only when the answer is correct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbook.features import drop_rare_airlines, talk_dropna, talk_feature_frame
from workbook.problem_kinds import PROBLEM_KINDS, SCENARIOS, flight_table

CORRECT, CLOSE, INCORRECT, NOT_ANSWERED = "correct", "close", "incorrect", "not answered"


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: `status` (correct/close/incorrect/not answered) and a message for the learner."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:  # what a notebook shows when the check is a cell's last expression
        return self.message


def not_answered(hint: str) -> Feedback:
    return Feedback(NOT_ANSWERED, f"Not answered yet: {hint}")


def correct(detail: str) -> Feedback:
    return Feedback(CORRECT, f"Correct: {detail}")


def close(detail: str) -> Feedback:
    return Feedback(CLOSE, f"Close: {detail}")


def incorrect(detail: str) -> Feedback:
    return Feedback(INCORRECT, f"Not yet: {detail}")


def _as_number(answer: Any) -> float | None:
    """The answer as a float, or None if it is not a number (bools are not numbers here)."""
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _matches(value: float, target: float, tolerance: float) -> bool:
    return abs(value - target) <= tolerance


def check_number(
    answer: Any,
    expected: float,
    *,
    hint: str,
    why: str,
    look_at: str,
    near_misses: list[tuple[float, str]] = (),
    tolerance: float = 0.0,
) -> Feedback:
    """Compare a numeric answer with `expected`; known wrong values (near_misses) get their own explanation."""
    if answer is None:
        return not_answered(hint)
    value = _as_number(answer)
    if value is None:
        return incorrect(f"expected a number, got {answer!r}. {look_at}")
    if _matches(value, expected, tolerance):
        return correct(why)
    for wrong_value, explanation in near_misses:
        if _matches(value, wrong_value, tolerance):
            return close(explanation)
    return incorrect(f"{_format(value)} is not it. {look_at}")


def _format(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _normalise_label(text: Any) -> str:
    return " ".join(str(text).replace("-", " ").replace("_", " ").split()).casefold()


# --- notebook 01 --------------------------------------------------------------------------------------


# What to look at in each scenario when the kind given is wrong: the clue, not the answer.
SCENARIO_HINTS: dict[str, str] = {
    "fare_forecast": "past fares are known answers the model can learn from",
    "route_groups": "ask whether any label says which group is right",
    "weekend_premium": "the deliverable is one number with its uncertainty, not a prediction per flight",
    "refund_review": "look at who decides the cases the model is unsure about",
    "fare_rules": "part of the pricing is written by hand, part is learned",
}


def check_problem_kinds(answer: dict[str, str] | None) -> Feedback:
    """Exercise: map each scenario id in SCENARIOS to its kind of ML problem (a key of PROBLEM_KINDS)."""
    if answer is None:
        return not_answered(
            "make a dict {scenario: kind} for the scenarios "
            f"{list(SCENARIOS)}, using kinds from {list(PROBLEM_KINDS)}"
        )
    if not isinstance(answer, dict):
        return incorrect(f"expected a dict like {{'fare_forecast': 'supervised', ...}}, got {type(answer).__name__}")
    missing = [s for s in SCENARIOS if s not in answer]
    wrong = []
    for scenario, given in answer.items():
        if scenario not in SCENARIOS:
            return incorrect(f"unknown scenario {scenario!r}; the scenarios are {list(SCENARIOS)}")
        _, kind = SCENARIOS[scenario]
        if _normalise_label(given) not in {_normalise_label(k) for k in PROBLEM_KINDS}:
            wrong.append(f"'{scenario}': {given!r} is not one of the kinds {list(PROBLEM_KINDS)}")
        elif _normalise_label(given) != _normalise_label(kind):
            wrong.append(f"'{scenario}' is not {given}: {SCENARIO_HINTS[scenario]}")
    if not wrong and not missing:
        return correct(f"all {len(SCENARIOS)} scenarios placed; the kind follows from what is known "
                       "(a label? a rule? a person?) more than from the algorithm.")
    parts = [f"{len(SCENARIOS) - len(wrong) - len(missing)} of {len(SCENARIOS)} right."]
    parts += [f"\n- {w}" for w in wrong]
    if missing:
        parts.append(f"\n- still to answer: {missing}")
    return close("".join(parts)) if len(wrong) + len(missing) <= 2 else incorrect("".join(parts))


def check_stops_price_ratio(answer: Any, flights: pd.DataFrame) -> Feedback:
    """Exercise: how many times dearer is the median 1-stop fare than the median non-stop fare? (2 decimals)"""
    table = flight_table(flights)
    medians = table.groupby("stops")["Price"].median()
    means = table.groupby("stops")["Price"].mean()
    expected = medians[1] / medians[0]
    return check_number(
        answer, round(expected, 2), tolerance=0.011,
        hint="divide the median price of 1-stop flights by that of non-stop flights "
             "(median_price_by_stops gives both), rounded to 2 decimals",
        why=f"a 1-stop fare is {expected:.2f} times a non-stop one at the median "
            f"(₹{medians[1]:,.0f} vs ₹{medians[0]:,.0f}): stops are a strong price signal.",
        look_at="Look at the median_price column for stops 0 and 1 and divide the second by the first.",
        near_misses=[
            (round(medians[0] / medians[1], 2), "you divided the other way round: 1-stop over non-stop."),
            (round(means[1] / means[0], 2), "that is the ratio of the means; the question asks for medians, "
                                            "which a few very dear fares do not pull up."),
            (round(medians[1] - medians[0], 2), "that is the difference in rupees; the question asks for the "
                                                "ratio (how many times dearer)."),
        ],
    )


def check_deferred_share(answer: Any, deferral_table: pd.DataFrame, threshold: float) -> Feedback:
    """Exercise: read the share of cases deferred to a person at `threshold` off a deferral_curve table."""
    if threshold not in deferral_table.index:
        raise ValueError(f"threshold {threshold} is not in the table's thresholds {list(deferral_table.index)}")
    row = deferral_table.loc[threshold]
    expected = row["deferred to a person"]
    return check_number(
        answer, round(expected, 2), tolerance=0.011,
        hint=f"read the 'deferred to a person' column at threshold {threshold} (a share between 0 and 1, "
             "2 decimals)",
        why=f"at {threshold} the model hands {expected:.0%} of cases to a person and is right on "
            f"{row['accuracy, automated cases']:.0%} of the rest: the price of accuracy is human time.",
        look_at=f"Find the row for threshold {threshold} and the column 'deferred to a person'.",
        near_misses=[
            (round(1 - expected, 2), "that is the share the model decides itself; the question asks for the "
                                     "share deferred to a person."),
            (round(expected * 100, 2), "give it as a share between 0 and 1, not as a percentage."),
        ],
    )


# --- notebook 02 --------------------------------------------------------------------------------------


def check_rows_removed(answer: Any, raw: pd.DataFrame) -> Feedback:
    """Exercise: how many rows do the talk's two cleaning steps (dropna + rare airlines) remove in total?"""
    after_dropna = talk_dropna(raw)
    after_filter = drop_rare_airlines(after_dropna)
    by_dropna = len(raw) - len(after_dropna)
    by_filter = len(after_dropna) - len(after_filter)
    return check_number(
        answer, by_dropna + by_filter,
        hint="subtract the rows left after both steps from the rows loaded (len() of each frame)",
        why=f"{by_dropna} row(s) by dropna() and {by_filter} by the rare-airline filter: "
            f"{len(raw):,} -> {len(after_filter):,}.",
        look_at="Compare len() of the raw frame with len() after talk_dropna and drop_rare_airlines.",
        near_misses=[
            (by_dropna, "that is only what dropna() removes; add the rows of the five rare airlines."),
            (by_filter, "that is only the rare-airline filter; dropna() removed rows too."),
            (len(after_filter), "that is the number of rows left; the question asks how many were removed."),
        ],
    )


def check_duplicate_rows(answer: Any, flights: pd.DataFrame) -> Feedback:
    """Exercise: how many rows are exact copies of an earlier row (what drop_duplicates() would remove)?"""
    extra_copies = int(flights.duplicated().sum())
    all_copies = int(flights.duplicated(keep=False).sum())
    return check_number(
        answer, extra_copies,
        hint="count the rows df.duplicated() marks True (every column equal to an earlier row)",
        why=f"{extra_copies} rows repeat an earlier row; drop_duplicates() keeps the first of each group "
            f"and removes these.",
        look_at="Use df.duplicated().sum(): it compares all columns and keeps the first occurrence.",
        near_misses=[
            (all_copies, "you counted every member of a duplicate group (keep=False), first copies included; "
                         "the question asks for the extra copies only."),
            (len(flights) - extra_copies, "that is the number of distinct rows; the question asks for the copies."),
        ],
    )


def check_cheapest_airline(answer: Any, flights: pd.DataFrame) -> Feedback:
    """Exercise: after the talk's cleaning, which airline has the lowest median fare?"""
    cleaned = drop_rare_airlines(talk_dropna(flights))
    medians = cleaned.groupby("Airline")["Price"].median().sort_values()
    means = cleaned.groupby("Airline")["Price"].mean().sort_values()
    expected = medians.index[0]
    hint = "group the cleaned flights by Airline, take the median Price and pick the smallest"
    if answer is None:
        return not_answered(hint)
    given = _normalise_label(answer)
    if given == _normalise_label(expected):
        return correct(f"{expected}, median ₹{medians.iloc[0]:,.0f}; the median resists the few very dear "
                       "fares that pull a mean up.")
    if given == _normalise_label(means.index[0]):
        return close(f"{answer} has the lowest mean; the question asks for the median "
                     "(groupby('Airline')['Price'].median()).")
    rare = {_normalise_label(a) for a in flights["Airline"].unique()} - {_normalise_label(a) for a in medians.index}
    if given in rare:
        return close(f"{answer} was removed by the talk's rare-airline filter; look only at the cleaned data.")
    if given not in {_normalise_label(a) for a in medians.index}:
        return incorrect(f"{answer!r} is not an airline in the cleaned data; the airlines are {list(medians.index)}.")
    return incorrect(f"{answer} has median ₹{medians[_match_label(answer, medians.index)]:,.0f}; sort the "
                     "medians and look at the top of the list.")


def _match_label(answer: Any, labels: pd.Index) -> str:
    return next(label for label in labels if _normalise_label(label) == _normalise_label(answer))


# --- notebook 03 --------------------------------------------------------------------------------------


def check_dummy_count(answer: Any, flights: pd.DataFrame, column: str) -> Feedback:
    """Exercise: how many columns does pd.get_dummies(df[[column]], drop_first=True) make on these flights?"""
    if column not in flights.columns:
        raise ValueError(f"column {column!r} is not in the frame; columns: {list(flights.columns)}")
    labels = flights[column].nunique()
    return check_number(
        answer, labels - 1,
        hint=f"count the distinct labels of {column} (nunique()) and remember what drop_first=True does",
        why=f"{column} has {labels} labels and drop_first=True leaves out the first one (it is 'all zeros').",
        look_at=f"Count flights['{column}'].nunique(); one of those labels gets no column.",
        near_misses=[(labels, "drop_first=True drops one label: the first becomes the all-zeros baseline.")],
    )


def check_batch_width(answer: Any, batch: pd.DataFrame, train_width: int) -> Feedback:
    """Exercise: how many columns does the talk's get_dummies feature code produce for this new `batch`?"""
    width = talk_feature_frame(batch).shape[1]
    return check_number(
        answer, width,
        hint="run talk_feature_frame on the batch and look at .shape[1] (or reason it out: 9 numeric columns "
             "plus the dummies of the labels present)",
        why=f"{width} columns, not {train_width}: get_dummies only knows the labels it sees in this batch, "
            "so the model's input changes shape.",
        look_at="get_dummies makes a column per label *present in this batch*, minus the first (drop_first).",
        near_misses=[(train_width, f"{train_width} is the training width; get_dummies on the new batch does not "
                                   "know the training labels, so its width differs.")],
    )


# --- notebook 04 --------------------------------------------------------------------------------------


def check_classifier_classes(answer: Any, y_train: pd.Series, y_test: pd.Series) -> Feedback:
    """Exercise: how many classes does a classifier fitted on the training fares know?"""
    train, test = pd.Series(y_train), pd.Series(y_test)
    classes = int(train.nunique())
    return check_number(
        answer, classes,
        hint="a classifier makes one class per distinct label it sees in training: count the distinct y_train values",
        why=f"{classes:,} distinct training fares, about {len(train) / classes:.1f} rows per class; a class seen "
            "once or twice cannot be learned, and a test fare outside these classes can never be predicted.",
        look_at="Use y_train.nunique(): the classes come from the training labels only.",
        near_misses=[
            (len(train), "that is the number of training rows; several rows share a fare, so there are fewer classes."),
            (int(test.nunique()), "those are the distinct test fares; a classifier's classes come from training."),
            (int(pd.concat([train, test]).nunique()), "that counts the test fares too; the classifier only ever "
                                                      "sees the training fares."),
        ],
    )


def _best_mae(table: pd.DataFrame, features: str) -> pd.Series:
    """The comparison row with the lowest test MAE among rows with this feature set."""
    missing = [c for c in ("model", "features", "target", "MAE") if c not in table.columns]
    if missing:
        raise ValueError(f"the comparison table lacks column(s) {missing}; pass the table compare_models returned")
    rows = table[table["features"] == features]
    if rows.empty:
        raise ValueError(f"the comparison table has no rows with features == {features!r}")
    return rows.loc[rows["MAE"].idxmin()]


def check_feature_gain(answer: Any, table: pd.DataFrame) -> Feedback:
    """Exercise: by how many rupees does the best improved-features model beat the best talk-features model (MAE)?"""
    talk, improved = _best_mae(table, "talk"), _best_mae(table, "improved")
    gain = round(float(talk["MAE"] - improved["MAE"]))
    same_model = table[(table["model"] == talk["model"]) & (table["target"] == talk["target"])
                       & (table["features"] == "improved")]
    near = [(-gain, "the sign is flipped: subtract the improved model's MAE from the talk model's MAE.")]
    if not same_model.empty and round(float(talk["MAE"] - same_model["MAE"].iloc[0])) != gain:
        near.append((round(float(talk["MAE"] - same_model["MAE"].iloc[0])),
                     "that compares one model on both feature sets; the question compares the best row of each set."))
    return check_number(
        answer, gain, tolerance=1.0,
        hint="take the lowest MAE among rows with features == 'talk', subtract the lowest among 'improved' rows "
             "(best_row(table, features=...) finds each), rounded to whole rupees",
        why=f"best on the talk's 24 columns: {talk['model']} ({talk['target']} target), MAE ₹{talk['MAE']:,.0f}; "
            f"best on the improved features: {improved['model']} ({improved['target']}), ₹{improved['MAE']:,.0f}. "
            f"The improved features lowered the best MAE by ₹{gain:,} per fare.",
        look_at="Filter the table by the features column, take each group's smallest MAE and subtract.",
        near_misses=near,
    )


def check_band_recall(answer: Any, confusion: pd.DataFrame, band: str = "premium") -> Feedback:
    """Exercise: the recall of one fare band, read off a confusion matrix (rows actual, columns predicted)."""
    if band not in confusion.index or band not in confusion.columns:
        raise ValueError(f"band {band!r} is not in the confusion matrix; its bands are {list(confusion.index)}")
    hits = float(confusion.loc[band, band])
    recall = hits / float(confusion.loc[band].sum())
    precision = hits / float(confusion[band].sum())
    accuracy = sum(float(confusion.loc[b, b]) for b in confusion.index) / float(confusion.to_numpy().sum())
    return check_number(
        answer, round(recall, 2), tolerance=0.011,
        hint=f"recall = correctly predicted {band} fares / all actual {band} fares: the diagonal cell divided by "
             "its row's total (2 decimals)",
        why=f"{hits:,.0f} of the {confusion.loc[band].sum():,.0f} actual {band} fares were predicted {band}: recall "
            f"{recall:.2f}. Precision looks down the column instead: {precision:.2f}.",
        look_at=f"Rows are the actual bands: divide the cell ({band}, {band}) by the sum of the row '{band}'.",
        near_misses=[
            (round(precision, 2), "that is the precision (the diagonal cell over its column's total); recall divides "
                                  "by the row: how many of the actual band were found."),
            (round(accuracy, 2), "that is the overall accuracy (all diagonal cells); recall is about one band."),
            (round(recall * 100, 2), "give it as a share between 0 and 1, not as a percentage."),
        ],
    )


# --- notebook 05 --------------------------------------------------------------------------------------


def check_best_run(answer: Any, runs: pd.DataFrame, metric: str = "metrics.MAE") -> Feedback:
    """Exercise: which run (by name) has the lowest `metric` in a runs table such as runs_frame returns?"""
    if "run_name" not in runs.columns or metric not in runs.columns:
        raise ValueError(f"the runs table needs columns 'run_name' and {metric!r}; it has {list(runs.columns)}")
    scored = runs.dropna(subset=[metric])
    if scored.empty:
        raise ValueError(f"no run in the table has a value for {metric!r}")
    ranked = scored.sort_values(metric, kind="stable")
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    hint = f"sort the runs by {metric} and take the run_name of the smallest (lower error is better)"
    if answer is None:
        return not_answered(hint)
    given = _normalise_label(answer)
    names = {_normalise_label(name): name for name in runs["run_name"]}
    if given == _normalise_label(best["run_name"]):
        return correct(f"{best['run_name']} has the lowest {metric.removeprefix('metrics.')} "
                       f"({best[metric]:,.0f}); this is how the registry's challenger was chosen.")
    if given not in names:
        return incorrect(f"{answer!r} is not a run name here; the runs are {sorted(scored['run_name'])}.")
    if given == _normalise_label(worst["run_name"]):
        return close(f"{answer} has the largest {metric.removeprefix('metrics.')}: for an error, lower is better.")
    if names[given] not in set(scored["run_name"]):
        return close(f"{answer} has no {metric}: it groups the other runs (the parent run); pick one of its children.")
    value = scored.loc[scored["run_name"] == names[given], metric].iloc[0]
    return incorrect(f"{answer} has {metric} {value:,.0f}; sort the table by {metric} and look at the top row.")


def check_signature_inputs(answer: Any, model: Any) -> Feedback:
    """Exercise: how many required input columns does a logged model's signature declare?"""
    from workbook.data import COLUMNS
    from workbook.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        raise ValueError("this model was logged without a named input signature; log it with an input example")
    required = [str(name) for name in schema.required_input_names()]
    return check_number(
        answer, len(required),
        hint="look at model.metadata.get_input_schema() (or the MLmodel file) and count the required inputs",
        why=f"{len(required)} columns ({', '.join(required)}): the raw flight fields the pipeline turns into "
            "features itself. A request without one of them is refused before the model runs.",
        look_at="The signature lists what the model receives, not the features it computes inside.",
        near_misses=[
            (len(COLUMNS), "that counts Price too: the price is what the model predicts, not an input."),
            (len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES), "those are the features the pipeline computes inside; "
                                                                "the signature describes what it receives."),
        ],
    )


# --- notebook 06 --------------------------------------------------------------------------------------


def check_first_alert_month(answer: Any, report: Any) -> Feedback:
    """Exercise: in which production month did the first alert fire ("2019-09"; "none" when nothing fired)?"""
    months = list(report.model["month"])
    first = report.first_alert_month
    hint = "look at report.alerts_frame() (or the heatmap and the error trend) and give the first month"
    if answer is None:
        return not_answered(hint)
    given = str(answer).strip().casefold()
    if first is None:
        if given in {"none", "no alert", "never", ""}:
            return correct("nothing fired: with this scenario the monitored months look like training.")
        return incorrect(f"no alert fired in this run; {answer!r} is not it. Check report.alerts.")
    kinds = sorted({a["kind"] for a in report.alerts if a["month"] == first})
    if given == first.casefold():
        return correct(f"{first} ({', '.join(kinds)}): the month the scenario started, not a month later; "
                       "a monthly check catches a change within one period.")
    if _as_number(answer) is not None and 1 <= _as_number(answer) <= len(months):
        number = int(_as_number(answer))
        if months[number - 1] == first:
            return close(f"month number {number} is {first}: give the month label as the report shows it.")
    if given in {m.casefold() for m in months}:
        return incorrect(f"{answer} is a monitored month, but not the first with an alert; sort the alerts by month.")
    return incorrect(f"{answer!r} is not one of the monitored months {months}.")


def check_psi(answer: Any, reference: Any, current: Any, *, categorical: bool = True) -> Feedback:
    """Exercise: the population stability index of one column between training and a production month."""
    from workbook.monitoring import population_stability_index

    expected = population_stability_index(reference, current, categorical=categorical)
    return check_number(
        answer, round(expected, 3),
        hint="shares p (training) and q (month) per category; PSI = sum((q - p) * ln(q / p))",
        why=f"PSI {expected:.3f} ({'a shift worth acting on' if expected >= 0.2 else 'below the 0.2 alert line'}). "
            "PSI is symmetric in p and q and counts every category, the unseen ones included.",
        look_at="Use shares (value_counts(normalize=True)), not counts, and the natural log.",
        tolerance=0.005,
    )


def check_most_disparate_group(answer: Any, bias: pd.DataFrame) -> Feedback:
    """Exercise: which group (value) has the largest disparity among groups large enough to be flagged?"""
    min_count = bias.attrs.get("min_count", 1)
    trusted = bias[bias["count"] >= min_count].sort_values("disparity", ascending=False, kind="stable")
    if trusted.empty:
        raise ValueError(f"no group in the bias table has at least {min_count} rows")
    top = trusted.iloc[0]
    hint = "sort the bias table by disparity, ignoring groups with fewer than min_count rows"
    if answer is None:
        return not_answered(hint)
    given = _normalise_label(answer)
    if given == _normalise_label(top["group"]):
        return correct(f"{top['group']} ({top['group_by']}): its {bias.attrs.get('metric', 'error')} is "
                       f"{top['disparity']:.2f}x the overall one over {top['count']:,} rows.")
    small = bias[(bias["count"] < min_count) & (bias["disparity"] > top["disparity"])]
    if given in {_normalise_label(g) for g in small["group"]}:
        return close(f"{answer} has a larger disparity, but fewer than {min_count} rows: too few to call it a "
                     "finding. Look among the larger groups.")
    if given in {_normalise_label(g) for g in bias["group"]}:
        return incorrect(f"{answer} is a group here but not the one with the largest disparity; {hint}.")
    return incorrect(f"{answer!r} is not a group in the table; the groups are in its 'group' column.")
