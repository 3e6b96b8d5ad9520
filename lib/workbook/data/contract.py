"""The flight-file contract: the pandera schema, `validate_flights`, and each problem as a `Problem`."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from workbook.data.formats import COLUMNS, MONTH_ABBR, NULLABLE_COLUMNS, TEXT_COLUMNS
from workbook.data.labels import normalise_labels
from workbook.errors import DataContractError

# What a problem is about: the file or table, its columns, or the values of one column.
ProblemCheck = Literal["file", "table", "no_rows", "missing_column", "unexpected_column", "duplicate_column",
                       "missing_value", "format"]


@dataclass(frozen=True)
class Problem:
    """One problem with flight data, as `DataContractError.details` carries it.

    `column` is the flight column the problem is about (None for the file or table as a whole); `rows` are
    spreadsheet row numbers (header = row 1; empty when the problem is not about rows); `message` is the
    line `DataContractError.problems` shows. A line naming several flight columns (missing columns, names
    that appear twice) is one Problem per column, all with that line as `message`.
    """

    column: str | None
    check: ProblemCheck
    rows: tuple[int, ...]
    message: str


_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d"
_ARRIVAL_DATE = r"(?:0?[1-9]|[12]\d|3[01]) (?:" + "|".join(MONTH_ABBR) + ")"
_PATTERNS = {
    "Dep_Time": (rf"^{_CLOCK}$", "a time like '22:20' (HH:MM)"),
    "Arrival_Time": (rf"^{_CLOCK}(?: {_ARRIVAL_DATE})?$", "a time like '13:15' or '01:10 22 Mar'"),
    "Duration": (r"^(?:\d+h(?: \d+m)?|\d+m)$", "like '2h 50m', '19h' or '5m'"),
}
_EXPECTED = {
    "Date_of_Journey": "a real date written day/month/year like '24/03/2019' or '1/05/2019'",
    "Price": "a whole number of rupees above 0",
    **{column: text for column, (_, text) in _PATTERNS.items()},
}


def flights_schema():
    """The pandera contract: non-empty values where required, and each text column's format."""
    import pandera.pandas as pa  # imported here: pandera is slow to import and only the contract needs it

    def matches(column: str):
        pattern = _PATTERNS[column][0]
        return pa.Check(lambda s: s.astype("str").str.fullmatch(pattern), name=column)

    def real_date(s: pd.Series) -> pd.Series:
        text = s.astype("str")
        parsed = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
        return text.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}") & parsed.notna()

    def whole_positive(s: pd.Series) -> pd.Series:
        number = pd.to_numeric(s.astype("str").str.strip(), errors="coerce")
        return number.notna() & (number > 0) & (number == np.floor(number))

    columns = {c: pa.Column(nullable=c in NULLABLE_COLUMNS) for c in COLUMNS}
    columns["Date_of_Journey"] = pa.Column(checks=pa.Check(real_date, name="Date_of_Journey"))
    for column in _PATTERNS:
        columns[column] = pa.Column(checks=matches(column))
    columns["Price"] = pa.Column(checks=pa.Check(whole_positive, name="Price"))
    return pa.DataFrameSchema(columns, strict=False, ordered=False)


def validate_flights(df: pd.DataFrame, source: str = "data") -> pd.DataFrame:
    """Check `df` against the flight-file contract; return it tidy (columns in order, text str, Price int64).

    Raises DataContractError listing every problem at once (column, rows, examples, what was expected);
    its `details` hold the same problems as `Problem`s.
    """
    if not isinstance(df, pd.DataFrame):
        raise contract_error(source, [table_problem("table", f"expected a table (pandas DataFrame), "
                                                             f"got {type(df).__name__}")])
    problems = column_problems(list(df.columns))
    if problems:
        raise contract_error(source, problems)
    if len(df) == 0:
        raise contract_error(source, [table_problem("no_rows",
                                                    "no data rows: the header is there but nothing under it")])
    frame = df[COLUMNS].reset_index(drop=True).copy()
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype("str")
    from pandera.errors import SchemaErrors

    try:
        flights_schema().validate(frame, lazy=True)
    except SchemaErrors as err:
        raise contract_error(source, describe_failures(err.failure_cases)) from None
    frame["Price"] = pd.to_numeric(frame["Price"].astype("str").str.strip()).astype(np.int64)
    return normalise_labels(frame)[0]  # `JET AIRWAYS` read as `Jet Airways`; frame.attrs says how many rows


def contract_error(source: str, problems: list[Problem]) -> DataContractError:
    """The error for `problems`: one line per distinct message (`.problems`), every Problem in `.details`."""
    return DataContractError(source, list(dict.fromkeys(p.message for p in problems)), problems)


def table_problem(check: ProblemCheck, message: str) -> Problem:
    """A problem of the file or table as a whole (no column, no rows)."""
    return Problem(None, check, (), message)


def _normalised_name(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _about(columns: list, check: ProblemCheck, message: str) -> list[Problem]:
    """One Problem per flight column among `columns` (in order), or one table problem when none is."""
    named = [c for c in dict.fromkeys(columns) if c in COLUMNS]
    return [Problem(c, check, (), message) for c in named] or [table_problem(check, message)]


def column_problems(found: list) -> list[Problem]:
    """Missing and unexpected columns, with the closest found name suggested for each missing one."""
    missing = [c for c in COLUMNS if c not in found]
    unexpected = [c for c in found if c not in COLUMNS]
    problems: list[Problem] = []
    if missing:
        hints = []
        by_norm = {_normalised_name(u): u for u in unexpected}
        for column in missing:
            close = difflib.get_close_matches(_normalised_name(column), list(by_norm), n=1, cutoff=0.6)
            if close:
                hints.append(f"found {by_norm[close[0]]!r}: did you mean {column!r}?")
        problems += _about(missing, "missing_column", "missing column(s) " + ", ".join(repr(c) for c in missing)
                           + (" (" + "; ".join(hints) + ")" if hints else ""))
    if unexpected:
        note = " (an index saved with the data? write it with index=False)" if any(
            str(c).startswith("Unnamed") for c in unexpected) else ""
        problems.append(table_problem("unexpected_column", "unexpected column(s) "
                                      + ", ".join(repr(str(c)) for c in unexpected) + note
                                      + f"; expected exactly: {', '.join(COLUMNS)}"))
    if len(found) != len(set(found)):
        twice = sorted({c for c in found if found.count(c) > 1}, key=repr)
        problems += _about(twice, "duplicate_column",
                           "some column names appear twice: " + ", ".join(repr(c) for c in twice))
    return problems


def row_list(rows: list[int], limit: int = 5) -> str:
    """'row 7' or 'rows 4, 17, ... and 3 more' (numbers as given)."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}{more}"


def describe_failures(failures: pd.DataFrame) -> list[Problem]:
    """Turn pandera's failure table into one problem per column and check, in file column order."""
    problems = []
    failures = failures.copy()
    failures["order"] = failures["column"].map(lambda c: COLUMNS.index(c) if c in COLUMNS else len(COLUMNS))
    for (_, column, check), group in failures.groupby(["order", "column", "check"], sort=True, dropna=False):
        # Spreadsheet numbering (header = row 1), so the numbers match what a user sees opening the file.
        rows = sorted(int(i) + 2 for i in group["index"].dropna())
        about = column if column in COLUMNS else None
        if not rows:  # a whole-column failure (pandera reports no row)
            detail = "; ".join(dict.fromkeys(str(v) for v in group["failure_case"]))
            problems.append(Problem(about, "format", (), f"column {column!r}: check {check!r} failed ({detail})"))
            continue
        if check == "not_nullable":
            problems.append(Problem(about, "missing_value", tuple(rows),
                                    f"column {column!r}: {len(rows)} missing value(s) in spreadsheet "
                                    f"{row_list(rows)} (only {' and '.join(NULLABLE_COLUMNS)} may be empty)"))
            continue
        examples = list(dict.fromkeys(str(v) for v in group["failure_case"]))[:3]
        expected = _EXPECTED.get(column, f"valid ({check})")
        problems.append(Problem(about, "format", tuple(rows),
                                f"column {column!r}: {len(rows)} value(s) not {expected} in spreadsheet "
                                f"{row_list(rows)} (e.g. {', '.join(repr(e) for e in examples)})"))
    return problems
