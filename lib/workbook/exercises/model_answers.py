"""Checks of the answers to notebooks 04-06's exercises: numbers and names read off models, runs and reports."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbook.exercises.feedback import (
    Feedback,
    as_number,
    check_number,
    close,
    correct,
    incorrect,
    normalise_label,
    not_answered,
    within,
)
from workbook.features import DAY_PERIODS, day_period, minutes_after_midnight

# --- notebook 04 --------------------------------------------------------------------------------------


def check_rounded_fare_classes(answer: Any, y_train: pd.Series, step: int = 100) -> Feedback:
    """Exercise: how many classes are left for a classifier when the training fares are rounded to `step` rupees?"""
    train = pd.Series(y_train, dtype=float)
    rounded = int((train / step).round().nunique())
    halves_up = int(((train + step / 2) // step).nunique())  # round() sends halves to even; either is fine
    return check_number(
        answer, rounded, tolerance=abs(halves_up - rounded),
        hint=f"how many distinct fares are left in y_train once each is rounded to the nearest ₹{step:,}? (a count)",
        why=f"{rounded:,} classes instead of {train.nunique():,}, about {len(train) / rounded:.0f} rows each. Fewer, "
            "but they still have no order: a prediction one band off counts as wrong as one fifty bands off. "
            "Rounding does not turn a price into a category; a regressor treats it as the number it is.",
        look_at=f"Round to the nearest ₹{step:,}, then .nunique(); the classes come from the training fares only.",
        near_misses=[
            (int(train.nunique()), "that is the number of distinct fares before rounding."),
            (int((train // step).nunique()), f"that moves each fare down (or up) to a multiple of ₹{step:,}; round "
                                             "to the nearest instead."),
            (int((train / (10 * step)).round().nunique()), f"that rounds to the nearest ₹{10 * step:,}."),
        ],
    )


def _best_row(table: pd.DataFrame, features: str, by: str) -> pd.Series:
    """The comparison row with the lowest `by` (an MAE column) among rows with this feature set."""
    missing = [c for c in ("model", "features", "target", by) if c not in table.columns]
    if missing:
        raise ValueError(f"the comparison table lacks column(s) {missing}; pass the table compare_models returned "
                         "(with cv=3 or more for cv_mae_mean)")
    rows = table[(table["features"] == features) & table[by].notna()]
    if rows.empty:
        raise ValueError(f"the comparison table has no {by} for rows with features == {features!r}")
    return rows.loc[rows[by].idxmin()]


def check_feature_gain(answer: Any, table: pd.DataFrame, by: str = "cv_mae_mean") -> Feedback:
    """Exercise: by how many rupees does the best improved-features pipeline beat the best talk-features one, by
    the cross-validated MAE the notebook chooses models by?"""
    talk, improved = _best_row(table, "talk", by), _best_row(table, "improved", by)
    gain = round(float(talk[by] - improved[by]))
    near = [(-gain, "the sign is flipped: subtract the improved pipeline's MAE from the talk pipeline's.")]
    other = "MAE" if by != "MAE" else None
    if other in table.columns and table[other].notna().any():
        test_gain = round(float(_best_row(table, "talk", other)[other] - _best_row(table, "improved", other)[other]))
        if test_gain != gain:
            near.append((test_gain, "that is the gain in the test-split MAE (the MAE column). The notebook chooses by "
                                    f"the cross-validated MAE ({by}) and keeps the test split for a last check of "
                                    "the one it chose."))
    same_model = table[(table["model"] == talk["model"]) & (table["target"] == talk["target"])
                       & (table["features"] == "improved") & table[by].notna()]
    if not same_model.empty and round(float(talk[by] - same_model[by].iloc[0])) != gain:
        near.append((round(float(talk[by] - same_model[by].iloc[0])),
                     "that compares one model on both feature sets; the question compares the best row of each set."))
    return check_number(
        answer, gain, tolerance=1.0,
        hint=f"the best (lowest) {by} among the talk's rows and among the improved rows: how far apart are they? "
             "(whole rupees)",
        why=f"best on the talk's 24 columns: {talk['model']} ({talk['target']} target), {by} ₹{talk[by]:,.0f}; "
            f"best on the improved features: {improved['model']} ({improved['target']}), ₹{improved[by]:,.0f}. "
            f"The improved features lowered the best cross-validated MAE by ₹{gain:,} per fare.",
        look_at=f"Filter the table by the features column, take each group's smallest {by} and subtract "
                "(models.best_row(table, by=..., features=...) finds each row).",
        near_misses=near,
    )


def check_merged_band_recall(answer: Any, confusion: pd.DataFrame,
                             merged: tuple[str, str] = ("standard", "premium")) -> Feedback:
    """Exercise: the recall of two bands merged into one, read off a confusion matrix (rows actual, columns
    predicted): a fare of either band predicted as either band is then a hit."""
    bands = list(merged)
    missing = [band for band in bands if band not in confusion.index or band not in confusion.columns]
    if missing:
        raise ValueError(f"band(s) {missing} not in the confusion matrix; its bands are {list(confusion.index)}")
    actual = float(confusion.loc[bands].to_numpy().sum())
    hits = float(confusion.loc[bands, bands].to_numpy().sum())
    recall = hits / actual
    diagonal = sum(float(confusion.loc[band, band]) for band in bands) / actual
    apart = [float(confusion.loc[band, band]) / float(confusion.loc[band].sum()) for band in bands]
    precision = hits / float(confusion[bands].to_numpy().sum())
    average = sum(apart) / 2
    # With bands of equal size (the fare bands are terciles) the diagonal share and the mean of the two recalls
    # are the same number: one message names both slips.
    same = abs(diagonal - average) < 0.005
    also_average = " (or averages the two bands' own recalls, the same number here)" if same else ""
    return check_number(
        answer, recall, decimals=2, share=True,
        hint=f"merged, a {' or '.join(bands)} fare predicted as either of them is a hit; recall is the hits over "
             "the actual fares of the merged band (a share, 2 decimals)",
        why=f"{hits:,.0f} of the {actual:,.0f} actual {' and '.join(bands)} fares were predicted as one of the two: "
            f"recall {recall:.2f}, against {apart[0]:.2f} and {apart[1]:.2f} for the bands apart. Most mistakes were "
            "between these neighbours, so merging them removes most errors; whether the coarser answer is still "
            "useful is a question for the business, not for the metric.",
        look_at=f"Rows are the actual bands, columns the predicted ones: sum the cells whose row and column are both "
                f"{' or '.join(bands)}, over the sum of those two rows.",
        near_misses=[
            (diagonal, f"that counts only the diagonal cells{also_average}: once merged, a {bands[0]} fare "
                       f"predicted {bands[1]} is right too."),
            (average, "that averages the two bands' own recalls; merged, a mistake between them is no mistake."),
            (precision, f"that is the merged precision: of the fares predicted {' or '.join(bands)}, the share that "
                        "were. Recall divides by the actual fares, the rows."),
            *[(own, f"that is {band}'s own recall, the band alone; merged, a fare of either band "
                    "predicted as either is a hit.") for band, own in zip(bands, apart, strict=True)],
        ],
    )


def check_log_target_gain(answer: Any, X: pd.DataFrame, y: pd.Series, model: str = "elasticnet",
                          features: str = "improved") -> Feedback:
    """Exercise: by how many rupees does the log target lower `model`'s five-fold MAE on `features`?

    Computed only once there is an answer: ten fits (ElasticNet on the notebook's rows: ~4 s).
    """
    from sklearn.model_selection import KFold

    from workbook.exercises.code_checks import CV_FOLDS, CV_SEED

    pipelines = f"models.make_pipeline({model!r}, {features!r}, log_target=..., random_state={CV_SEED})"
    hint = (f"with your cv_mae, score {pipelines} with log_target=False and with True on the training rows, and "
            "subtract the log target's MAE from the other's (whole rupees)")
    look_at = (f"Score both pipelines with your cv_mae ({CV_FOLDS} shuffled folds) on X_train_raw, y_train_raw and "
               "subtract: raw target's MAE minus log target's MAE.")
    value = as_number(answer)
    if value is None:  # nothing to fit for these
        return not_answered(hint) if answer is None else incorrect(f"expected a number, got {answer!r}. {look_at}")
    log, raw = (_cv_mae(model, features, log_target, X, y, KFold(CV_FOLDS, shuffle=True, random_state=CV_SEED))
                for log_target in (True, False))
    gain = round(raw - log)
    near = [(-gain, "the sign is flipped: subtract the log target's MAE from the raw target's."),
            (round(log), "that is the log target's MAE alone; the question asks how much lower it is than the "
                         "raw target's."),
            (round(raw), "that is the raw target's MAE alone; subtract the log target's from it.")]
    if not any(within(value, target, 1.0) for target in [gain] + [miss for miss, _ in near]):  # 6 more fits
        three = [_cv_mae(model, features, log_target, X, y, KFold(3, shuffle=True, random_state=CV_SEED))
                 for log_target in (True, False)]
        near.append((round(three[1] - three[0]), "that is over 3 folds, as in the comparison table; the exercise "
                                                 f"asks for your {CV_FOLDS}-fold cv_mae."))
    return check_number(
        answer, gain, tolerance=1.0, hint=hint,
        why=f"over {CV_FOLDS} folds the log target lowers {model}'s MAE from ₹{raw:,.0f} to ₹{log:,.0f}. A linear "
            "model adds its terms up: on the log of the fare each term multiplies the price instead (a stop or an "
            "airline costs a share of the fare, not a fixed sum), which is how fares behave. A single tree or a "
            "forest cuts the rows into groups and gains little or nothing from it (compare their rows of the "
            "notebook's table).",
        look_at=look_at, near_misses=near,
    )


def _cv_mae(model: str, features: str, log_target: bool, X: pd.DataFrame, y: pd.Series, folds: Any) -> float:
    """Mean MAE of one catalog pipeline over `folds`, fitted as the notebooks fit (ElasticNet's max_iter quiet)."""
    from workbook.exercises.code_checks import CV_SEED, folds_mae
    from workbook.models import fitting_context, make_pipeline

    with fitting_context():
        return folds_mae(make_pipeline(model, features, log_target=log_target, random_state=CV_SEED), X, y, folds)


# --- notebook 05 --------------------------------------------------------------------------------------


def check_runs_within_noise(answer: Any, runs: pd.DataFrame, metric: str = "metrics.cv_MAE",
                            spread: str = "metrics.cv_MAE_std") -> Feedback:
    """Exercise: which runs' `metric` lies within the best run's `spread` (its folds' standard deviation) of the
    best, so that cross-validation cannot tell them from the winner? A list of run names."""
    missing = [column for column in ("run_name", metric, spread) if column not in runs.columns]
    if missing:
        raise ValueError(f"the runs table needs columns {missing}; it has {list(runs.columns)}")
    scored = runs.dropna(subset=[metric, spread])
    if scored.empty:
        raise ValueError(f"no run in the table has both {metric!r} and {spread!r}")
    best = scored.sort_values(metric, kind="stable").iloc[0]
    line = best[metric] + best[spread]
    tied = {normalise_label(name): name for name in scored.loc[scored[metric] <= line, "run_name"]}
    short_metric, short_spread = metric.removeprefix("metrics."), spread.removeprefix("metrics.")
    if answer is None:
        return not_answered(f"take the best run's {short_metric} and {short_spread} from runs, and list the run_name "
                            f"of every run whose {short_metric} is at most the best {short_metric} + {short_spread}")
    if isinstance(answer, pd.DataFrame):
        return incorrect("expected run names, got a whole table: take its run_name column, e.g. "
                         "runs.loc[..., \"run_name\"].")
    given = [answer] if isinstance(answer, str) else answer
    try:
        given = list(given)  # a list, tuple, set, Series, array, .unique(): any collection of names
    except TypeError:
        return incorrect(f"expected a list of run names, got {type(answer).__name__}.")
    if not given and len(tied) > 1:  # empty is right only when no run is within the winner's spread
        return incorrect(f"the list is empty, yet some run's {short_metric} is within the best run's "
                         f"{short_spread} of it: name every run at most the best {short_metric} + {short_spread}.")
    names = {normalise_label(name): name for name in scored["run_name"]}
    chosen = {normalise_label(name) for name in given}
    unknown = sorted(str(name) for name in given if normalise_label(name) not in names)
    if unknown:
        return incorrect(f"{', '.join(unknown)}: not a run name here; the runs are {sorted(scored['run_name'])}.")
    line_text = (f"{best['run_name']} at ₹{best[metric]:,.0f}, whose folds spread ±₹{best[spread]:,.0f}: "
                 f"the line is ₹{line:,.0f}")
    # The runs the winner cannot be told from, with or without the winner itself: both read the question right.
    if chosen in (set(tied), set(tied) - {normalise_label(best["run_name"])}):
        others = sorted(tied[key] for key in tied if key != normalise_label(best["run_name"]))
        if not others:
            return correct(f"only {best['run_name']}: {line_text}, and every other run is above it. The winner is "
                           "clear of the noise.")
        return correct(f"{', '.join(sorted(tied.values()))}: {line_text}. The folds cannot tell {', '.join(others)} "
                       f"from {best['run_name']}; the pick between them is a coin toss that the next data may "
                       "reverse. More folds, or repeated cross-validation, narrow the spread.")
    if chosen == {normalise_label(best["run_name"])}:
        return close(f"{best['run_name']} has the lowest {short_metric}, but is it alone? {line_text}; list every run "
                     "at or below it.")
    if chosen < set(tied):
        left_out = sorted(tied[key] for key in set(tied) - chosen)
        return close(f"you left out {', '.join(left_out)}: {line_text}.")
    too_many = sorted(names[key] for key in chosen - set(tied))
    return incorrect(f"{', '.join(too_many)}: more than one spread above the best ({line_text}); "
                     "cross-validation does tell such a run apart.")


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
        hint="the signature printed in section 6.1 lists the inputs; count them in code from pyfunc_model.metadata",
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


# How each kind of alert that a new airline raises catches it.
NEW_AIRLINE_ALERTS = {
    "unseen_category": "by name: a label the encoder never saw (data drift)",
    "feature_drift": "by its share: the Airline column's PSI, with the chi-square test (feature drift)",
    "model_drift": "by its cost: the model gives an unknown airline an average guess, and the error rises",
}


def check_new_category_alerts(answer: Any, report: Any) -> Feedback:
    """Exercise: run the new_category scenario; which kinds of alert fire in its first alert month (a list)?"""
    hint = ("build production_new with section 2's production_months call and scenario=\"new_category\", "
            "report_new with section 3's drift_report call on it, then read report_new.alerts_frame()")
    if answer is None or report is None:
        return not_answered(hint)
    # Here, not at the top: importing workbook.monitoring imports MLflow, which the exercises never do at import.
    from workbook.monitoring.thresholds import ALERT_KINDS

    if isinstance(report, pd.DataFrame):
        what = "the alerts table" if "kind" in report.columns else "a frame of months"
        return incorrect(f"that is {what}, not the drift report: pass report_new itself, what section 3's "
                         "drift_report call returns for the months.")
    data = getattr(report, "data", None)
    if not isinstance(data, pd.DataFrame) or not {"column", "n_unseen"} <= set(data.columns) or not (
            (data["column"] == "Airline") & (data["n_unseen"] > 0)).any():
        return incorrect("this report met no airline the model never saw: build it from the months of "
                         "scenario=\"new_category\", not the notebook's own production months.")
    first = report.first_alert_month
    fired = {alert["kind"] for alert in report.alerts if alert["month"] == first}
    kinds = [answer] if isinstance(answer, str) else answer
    if not isinstance(kinds, (list, tuple, set)) or not kinds:
        return incorrect(f'give the kinds as a list of names, e.g. ["feature_drift"]; got {answer!r}')
    given = {normalise_label(kind).replace(" ", "_") for kind in kinds}
    unknown = sorted(given - set(ALERT_KINDS))
    if unknown:
        return incorrect(f"{unknown} are not alert kinds; the report names them {list(ALERT_KINDS)}.")
    if given - fired:
        return incorrect(f"{sorted(given - fired)} did not fire in {first}, the first month with an alert; "
                         "read that month's rows of report_new.alerts_frame().")
    caught = "; ".join(f"{kind}, {NEW_AIRLINE_ALERTS.get(kind, 'by another check')}" for kind in sorted(fired))
    if given == fired:
        return correct(f"in {first} the new airline is caught {len(fired)} way(s): {caught}.")
    return close(f"{sorted(given)} fired in {first}, and so did {sorted(fired - given)}: "
                 "give every kind of that month.")


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


def departure_period(dep_time: pd.Series) -> pd.Series:
    """The period of each "HH:MM" departure time, as the improved features' dep_period: night [0-6 h),
    morning [6-12 h), afternoon [12-18 h) or evening [18-24 h)."""
    return day_period(minutes_after_midnight(dep_time))


def check_departure_disparity(answer: Any, rows: pd.DataFrame, y_true: Any, y_pred: Any) -> Feedback:
    """Exercise: group the test flights by departure period; which period has the largest disparity?"""
    # Here, not at the top: importing workbook.monitoring imports MLflow, which the exercises never do at import.
    from workbook.monitoring.bias import bias_table

    hint = ("give each test flight its period from Dep_Time (pd.cut on the hour: night 0-6, morning 6-12, "
            "afternoon 12-18, evening 18-24), then each period's MAPE over the overall MAPE, as section 8 did "
            "per airline")
    if answer is None:
        return not_answered(hint)
    periods = pd.DataFrame({"departure": departure_period(rows["Dep_Time"]).to_numpy()})
    tables = {metric: bias_table(y_true, y_pred, periods, metric=metric) for metric in ("MAPE", "MAE")}
    trusted = {metric: table[table["count"] >= table.attrs["min_count"]] for metric, table in tables.items()}
    if trusted["MAPE"].empty:
        raise ValueError(f"no departure period has {tables['MAPE'].attrs['min_count']} test flights")
    top, by_rupees = trusted["MAPE"].iloc[0], trusted["MAE"].iloc[0]
    given = normalise_label(answer)
    if given == normalise_label(top["group"]):
        line = "above" if top["flagged"] else "below"
        return correct(f"{top['group']}: MAPE {top['MAPE']:.3f}, {top['disparity']:.2f}x the overall "
                       f"{tables['MAPE'].attrs['overall']:.3f} over {top['count']:,} flights; {line} the "
                       f"{tables['MAPE'].attrs['ratio']} line, so {'flagged' if top['flagged'] else 'not flagged'}.")
    if given == normalise_label(by_rupees["group"]):
        return close(f"{by_rupees['group']} has the largest error in rupees (MAE {by_rupees['MAE']:,.0f}); "
                     "disparity compares relative errors (MAPE), or dear flights look worse for no other reason.")
    table = tables["MAPE"]
    disparity = {normalise_label(group): value for group, value in zip(table["group"], table["disparity"], strict=True)}
    small = table[table["count"] < table.attrs["min_count"]]
    if given in {normalise_label(group) for group in small["group"]} and disparity[given] > top["disparity"]:
        return close(f"{given} has a larger disparity but fewer than {table.attrs['min_count']} test flights: too few "
                     "to call it a finding. Look among the larger periods.")
    if given in disparity:
        return incorrect(f"{given}'s disparity is {disparity[given]:.2f}, not the largest; {hint}.")
    if given in {normalise_label(airline) for airline in rows["Airline"].dropna().unique()}:
        return incorrect(f"{answer} is an airline (section 8's table); this exercise groups by departure period.")
    return incorrect(f"{answer!r} is not a period; the periods are {', '.join(DAY_PERIODS)}.")
