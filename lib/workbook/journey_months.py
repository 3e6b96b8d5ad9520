"""Monitoring a real file by its own calendar: train on its first journey months, watch the later ones.

The twin can generate any later month; a real file cannot. With a real file, notebook 06 therefore splits the
file itself by journey month: the champion learns the earliest months (March and April in the talk's file)
and the months after them (May, June) are monitored as they are, so their drift is whatever really changed,
nobody's scenario. A baseline must not share journey dates with the training rows (notebook 04 measured how
much shared dates flatter a score), so the rows held out for it are whole dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit

from workbook import models
from workbook.errors import DataContractError
from workbook.features import DATE_FORMAT

DEFAULT_TRAIN_MONTHS = 2  # March and April of the talk's file, leaving May and June to monitor
HOLDOUT_SHARE = 0.25  # of the training months' journey dates, held out whole for the baseline


@dataclass(frozen=True)
class JourneyMonths:
    """A flight file cut by journey month: the rows to train on, and the later rows with a `month` label."""

    train: pd.DataFrame
    later: pd.DataFrame
    train_months: list[str]
    later_months: list[str]


def split_journey_months(flights: pd.DataFrame, train_months: int = DEFAULT_TRAIN_MONTHS,
                         source: str = "data") -> JourneyMonths:
    """The talk's cleaned rows (dropna, rare airlines out) cut at the end of the first `train_months` months.

    Rows need not be in date order: months are read from `Date_of_Journey` and sorted. A file with too few
    months, or dates that do not parse, ends in one error naming `source` and what was expected.
    """
    if not isinstance(train_months, (int, np.integer)) or isinstance(train_months, bool) or train_months < 1:
        raise ValueError(f"train_months must be an integer >= 1 (journey months to train on), got {train_months!r}")
    rows = models.talk_rows(flights)
    month = _journey_month(rows["Date_of_Journey"], source)
    found = sorted(month.unique())
    if len(found) <= train_months:
        raise DataContractError(source, [
            f"its journeys span {len(found)} month(s) ({', '.join(found) or 'none'}); monitoring it by month "
            f"needs more than train_months={train_months}: at least one later month to watch"])
    first, rest = found[:train_months], found[train_months:]
    training = month.isin(first)
    return JourneyMonths(train=rows[training], later=rows[~training].assign(month=month[~training]),
                         train_months=first, later_months=rest)


def _journey_month(dates: pd.Series, source: str) -> pd.Series:
    """"2019-03" for each "1/03/2019"; unparseable dates are one error with the first few examples."""
    parsed = pd.to_datetime(dates, format=DATE_FORMAT, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        examples = ", ".join(repr(v) for v in dates[bad].astype(str).unique()[:3])
        raise DataContractError(source, [f"column Date_of_Journey has {int(bad.sum())} value(s) that are not "
                                         f"dates like '24/03/2019' (e.g. {examples})"])
    return parsed.dt.strftime("%Y-%m")


def date_holdout_split(rows: pd.DataFrame, random_state: int = 42,
                       test_size: float = HOLDOUT_SHARE) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """(X_train, X_test, y_train, y_test) with whole journey dates held out, so no test date is trained on.

    X frames hold the raw columns the pipelines read and keep the rows' index.
    """
    if len(rows) == 0 or rows["Date_of_Journey"].nunique() < 2:
        raise DataContractError("training months", ["they need journeys on at least two dates to hold some out"])
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
    fit_at, test_at = next(splitter.split(rows, groups=rows["Date_of_Journey"]))
    fit, test = rows.iloc[np.sort(fit_at)], rows.iloc[np.sort(test_at)]
    return fit[models.RAW_COLUMNS], test[models.RAW_COLUMNS], fit["Price"], test["Price"]
