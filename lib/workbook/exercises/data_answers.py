"""Checks of the answers to notebooks 01-03's exercises: numbers and names read off the flight data."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbook.exercises.feedback import (
    Feedback,
    check_number,
    close,
    correct,
    incorrect,
    match_label,
    normalise_label,
    not_answered,
)
from workbook.features import drop_rare_airlines, talk_dropna, talk_feature_frame
from workbook.problem_kinds import PROBLEM_KINDS, SCENARIOS, flight_table

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
        if normalise_label(given) not in {normalise_label(k) for k in PROBLEM_KINDS}:
            wrong.append(f"'{scenario}': {given!r} is not one of the kinds {list(PROBLEM_KINDS)}")
        elif normalise_label(given) != normalise_label(kind):
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
        answer, expected, decimals=2,
        hint="divide the median price of 1-stop flights by that of non-stop flights "
             "(median_price_by_stops gives both), rounded to 2 decimals",
        why=f"a 1-stop fare is {expected:.2f} times a non-stop one at the median "
            f"(₹{medians[1]:,.0f} vs ₹{medians[0]:,.0f}): stops are a strong price signal.",
        look_at="Look at the median_price column for stops 0 and 1 and divide the second by the first.",
        near_misses=[
            (medians[0] / medians[1], "you divided the other way round: 1-stop over non-stop."),
            (means[1] / means[0], "that is the ratio of the means; the question asks for medians, "
                                  "which a few very dear fares do not pull up."),
            (medians[1] - medians[0], "that is the difference in rupees; the question asks for the "
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
        answer, expected, decimals=2, share=True,
        hint=f"read the 'deferred to a person' column at threshold {threshold} (a share between 0 and 1, "
             "2 decimals)",
        why=f"at {threshold} the model hands {expected:.0%} of cases to a person and is right on "
            f"{row['accuracy, automated cases']:.0%} of the rest: the price of accuracy is human time.",
        look_at=f"Find the row for threshold {threshold} and the column 'deferred to a person'.",
        near_misses=[
            (1 - expected, "that is the share the model decides itself; the question asks for the "
                           "share deferred to a person."),
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


def check_repeated_flights(answer: Any, flights: pd.DataFrame, price: str = "Price") -> Feedback:
    """Exercise: how many rows repeat an earlier row in every column but the price (the same flight on the same
    date, sold again)? Asked of the data as loaded: the exact duplicates and the count after cleaning are near
    misses."""
    if price not in flights.columns:
        raise ValueError(f"the flights need a {price!r} column; they have {list(flights.columns)}")
    others = [column for column in flights.columns if column != price]
    repeats = int(flights.duplicated(subset=others).sum())
    exact = int(flights.duplicated().sum())
    members = flights[flights.duplicated(subset=others, keep=False)]
    groups = members.groupby(others, dropna=False)[price]
    spread = float((groups.std() / groups.mean()).median()) if len(members) else float("nan")
    after_cleaning = int(drop_rare_airlines(talk_dropna(flights)).duplicated(subset=others).sum())
    return check_number(
        answer, repeats,
        hint=f"count the rows df.duplicated(subset=...) marks True, with every column but {price} in the subset",
        why=f"{repeats:,} rows repeat the flight and date of an earlier row: {exact:,} at the same fare too (section "
            f"5's duplicates), the other {repeats - exact:,} at another fare. The same flight on the same day sells at "
            f"prices a median {spread:.0%} apart (booking time, fare class): no model of these columns can tell "
            "those rows apart, so that spread is error that no feature removes.",
        look_at=f"df.duplicated(subset=[c for c in df.columns if c != {price!r}]).sum(): it keeps the first row of "
                "each group and marks the others.",
        near_misses=[
            (exact, f"that counts rows equal in {price} too (section 5's duplicates); leave {price} out of the "
                    "comparison with duplicated(subset=...)."),
            (len(members), "you counted every member of a group (keep=False), first rows included; the question "
                           "asks for the rows that repeat an earlier one."),
            (after_cleaning, "that is the count after the talk's cleaning (dropna() and the rare-airline filter); "
                             "the question asks about the data as loaded."),
            (repeats - exact, "that counts only the repeats at another fare, as after removing the exact duplicates "
                              "first; the question counts the same-fare repeats too, on the data as loaded."),
        ],
    )


def check_steadiest_airline(answer: Any, flights: pd.DataFrame) -> Feedback:
    """Exercise: after the talk's cleaning, which airline's fares are most alike *relative to their level*: the
    smallest ratio of its 75 % quantile to its 25 % quantile (what the boxes' heights show on a log axis)?"""
    cleaned = drop_rare_airlines(talk_dropna(flights))
    quartiles = cleaned.groupby("Airline")["Price"].quantile([0.25, 0.75]).unstack()
    ratios = (quartiles[0.75] / quartiles[0.25]).sort_values()
    gaps = (quartiles[0.75] - quartiles[0.25]).sort_values()
    expected = ratios.index[0]
    hint = ("group the cleaned flights by Airline, take quantile([0.25, 0.75]) of Price, divide the 75 % by the "
            "25 % and pick the smallest")
    if answer is None:
        return not_answered(hint)
    given = normalise_label(answer)
    if given == normalise_label(expected):
        return correct(f"{expected}: its middle half of fares spans x{ratios.iloc[0]:.2f} from bottom to top, the "
                       f"next airline x{ratios.iloc[1]:.2f}. In rupees the narrowest is {gaps.index[0]}: a cheap "
                       "airline's fares are close in rupees and still far apart in proportion.")
    if given == normalise_label(gaps.index[0]):
        return close(f"{answer} has the narrowest spread in rupees (₹{gaps.iloc[0]:,.0f} from 25 % to 75 %); the "
                     "question is relative to the level: divide the quantiles instead of subtracting them.")
    rare = {normalise_label(a) for a in flights["Airline"].unique()} - {normalise_label(a) for a in ratios.index}
    if given in rare:
        return close(f"{answer} was removed by the talk's rare-airline filter; look only at the cleaned data.")
    if given not in {normalise_label(a) for a in ratios.index}:
        return incorrect(f"{answer!r} is not an airline in the cleaned data; the airlines are {list(ratios.index)}.")
    return incorrect(f"{answer}'s 75 % quantile is x{ratios[match_label(answer, ratios.index)]:.2f} its 25 % one; "
                     "compute that ratio for every airline and take the smallest.")


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
        hint="predict it before you compute it (which labels can get_dummies see in three rows?), then check "
             "your prediction with talk_feature_frame(small_batch).shape[1]",
        why=f"{width} columns, not {train_width}: get_dummies only knows the labels it sees in this batch, "
            "so the model's input changes shape.",
        look_at="get_dummies makes a column per label *present in this batch*, minus the first (drop_first).",
        # The training width is section 3's very mistake (the batch's shape taken for the model's), not a slip.
        misconceptions=[(train_width, f"{train_width} is the training width; get_dummies on the new batch does "
                                      "not know the training labels, so its width differs.")],
    )
