"""Data drift per file column (missing values, unseen categories, the loader's contract) and the rows a model can read.

The contract is the loader's own (`data.validate_flights`), so "valid" means exactly what `load_flights` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbook import data, models
from workbook.errors import DataContractError
from workbook.monitoring.thresholds import DEFAULT_THRESHOLDS, Thresholds

RAW_CATEGORICAL = ["Airline", "Source", "Destination", "Route", "Total_Stops", "Additional_Info"]
TABLE_LABEL = "(table)"  # data-drift row for contract problems that name no known column
DATA_COLUMNS = ["column", "missing_rate", "reference_missing_rate", "n_unseen", "unseen_share",
                "unseen_examples", "contract", "flagged", "kind"]


def data_drift(reference_raw: pd.DataFrame, current_raw: pd.DataFrame, thresholds: Thresholds = DEFAULT_THRESHOLDS
               ) -> pd.DataFrame:
    """Per file column: missing rate (and the reference's), unseen categories, contract problems, flag, kind.

    `kind` names the alert kinds the column raises ("contract", "missing_values", "unseen_category"), "" if none.
    """
    return data_drift_from_profile(ReferenceProfile.of(reference_raw), current_raw, thresholds)


@dataclass(frozen=True)
class ReferenceProfile:
    """What data drift needs from the training rows, computed once for all months."""

    missing_rate: dict[str, float]
    known: dict[str, frozenset[str]]

    @classmethod
    def of(cls, reference: pd.DataFrame) -> ReferenceProfile:
        present = [c for c in data.COLUMNS if c in reference.columns]
        return cls(missing_rate={c: float(reference[c].isna().mean()) for c in present},
                   known={c: frozenset(reference[c].dropna().astype(str)) for c in RAW_CATEGORICAL if c in present})


def data_drift_from_profile(profile: ReferenceProfile, current: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    problems = contract_problems(current)
    columns = data.COLUMNS + ([TABLE_LABEL] if TABLE_LABEL in problems else [])
    rows = [_column_drift(column, profile, current, problems.get(column, []), thresholds) for column in columns]
    return pd.DataFrame(rows, columns=DATA_COLUMNS)


def _column_drift(column: str, profile: ReferenceProfile, current: pd.DataFrame, problems: list[str],
                  thresholds: Thresholds) -> dict:
    present = column in current.columns
    if present:
        missing_rate = float(current[column].isna().mean()) if len(current) else 0.0
    else:  # a column the batch lacks is missing everywhere; the table row has no rate at all
        missing_rate = np.nan if column == TABLE_LABEL else 1.0
    reference_rate = profile.missing_rate.get(column, np.nan)
    n_unseen, share, examples = 0, 0.0, ""
    if present and column in profile.known:
        values = current[column].dropna().astype(str)
        unseen = values[~values.isin(profile.known[column])]
        n_unseen, share = len(unseen), len(unseen) / max(1, len(current))
        examples = ", ".join(repr(v) for v in pd.unique(unseen)[:3])
    kinds = []
    if problems:
        kinds.append("contract")
    if present and missing_rate - np.nan_to_num(reference_rate) > thresholds.missing_rate:
        kinds.append("missing_values")
    if share > thresholds.unseen_share:
        kinds.append("unseen_category")
    return {"column": column, "missing_rate": missing_rate, "reference_missing_rate": reference_rate,
            "n_unseen": n_unseen, "unseen_share": share, "unseen_examples": examples,
            "contract": "; ".join(problems), "flagged": bool(kinds), "kind": ", ".join(kinds)}


def contract_problems(raw_rows: pd.DataFrame) -> dict[str, list[str]]:
    """The loader's contract (data.validate_flights) on `raw_rows`: its problems grouped by the column named."""
    frame = raw_rows.drop(columns=["month"], errors="ignore")
    try:
        data.validate_flights(frame, source="production")
    except DataContractError as error:
        grouped: dict[str, list[str]] = {}
        for problem in error.details:  # one per column a problem names; None: the table as a whole
            column = problem.column if problem.column in data.COLUMNS else TABLE_LABEL
            grouped.setdefault(column, []).append(problem.message)
        return grouped
    return {}


def contract_valid_rows(raw_rows: pd.DataFrame) -> pd.Series:
    """True for each row the contract accepts on its own (a batch may break the contract in a few rows)."""
    frame = raw_rows.drop(columns=["month"], errors="ignore")
    if [c for c in data.COLUMNS if c not in frame.columns]:
        return pd.Series(False, index=raw_rows.index)
    checked = frame[data.COLUMNS].reset_index(drop=True)
    for column in data.TEXT_COLUMNS:
        checked[column] = checked[column].astype("str")
    from pandera.errors import SchemaErrors

    valid = np.ones(len(checked), dtype=bool)
    try:
        # The loader's own schema, so "valid" means exactly what load_flights accepts.
        data.flights_schema().validate(checked, lazy=True)
    except SchemaErrors as error:
        index = error.failure_cases["index"]
        if index.isna().any():  # a whole-column failure condemns every row
            valid[:] = False
        else:
            valid[index.astype(int).to_numpy()] = False
    return pd.Series(valid, index=raw_rows.index)


def model_readable(raw_rows: pd.DataFrame, contract_passed: bool = False) -> pd.Series:
    """Rows the model can score: contract-valid and no missing model input (the talk's dropna).

    `contract_passed` says the whole batch already passed the contract, which skips checking row by row.
    """
    if any(c not in raw_rows.columns for c in models.RAW_COLUMNS):
        return pd.Series(False, index=raw_rows.index)
    complete = raw_rows[models.RAW_COLUMNS].notna().all(axis=1)
    return complete if contract_passed else complete & contract_valid_rows(raw_rows)


def labelled_rows(production: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """The rows of `months` a model can learn from: contract-valid, complete, with Price."""
    if "month" not in production.columns or "Price" not in production.columns:
        raise ValueError("production needs 'month' and 'Price' columns (see production_months)")
    unknown = [m for m in months if m not in set(production["month"])]
    if unknown:
        raise ValueError(f"month(s) {unknown} not in production; it has {list(pd.unique(production['month']))}")
    rows = production[production["month"].isin(months)].reset_index(drop=True)
    return rows[model_readable(rows)].reset_index(drop=True)
