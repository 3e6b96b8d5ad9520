"""The flight file's known category labels: case and spacing variants normalised, unknown labels reported.

A copy of the real file with `JET AIRWAYS` instead of `Jet Airways` passes a format check, and then the talk's
rare-airline filter matches nothing and every later number silently changes. The loader therefore maps a
label that differs from a known one only by case or spacing onto the known spelling, and says so (the
quality report shows how many rows); a label it does not know at all is kept and reported, with the known
label it most resembles. The real file's own quirks (`No Info` beside `No info`, `Delhi` beside `New Delhi`)
are known labels: they stay, because notebooks 02 and 03 teach them.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass

import pandas as pd

from workbook.data.formats import STOPS_LABELS
from workbook.data.network import MARKETS, REAL_AIRLINE_COUNTS

# Every label of the real file, most common first where two share a key (`No info` before `No Info`).
KNOWN_LABELS: dict[str, tuple[str, ...]] = {
    "Airline": tuple(REAL_AIRLINE_COUNTS),
    "Source": tuple(dict.fromkeys(source for source, _ in MARKETS)),
    "Destination": tuple(dict.fromkeys(destination for _, destination in MARKETS)),
    "Total_Stops": tuple(STOPS_LABELS.values()),
    "Additional_Info": ("No info", "In-flight meal not included", "No check-in baggage included", "1 Long layover",
                        "Change airports", "Business class", "Red-eye flight", "1 Short layover", "2 Long layover",
                        "No Info"),
}
FIXES_ATTR = "label_fixes"  # where validate_flights leaves the fixes for quality_report (DataFrame.attrs)


@dataclass(frozen=True)
class LabelFix:
    """`rows` values of `column` written `found` were read as the known label `label`."""

    column: str
    found: str
    label: str
    rows: int


@dataclass(frozen=True)
class UnknownLabel:
    """A label of `column` that is no known label nor a variant of one; `suggestion` is the closest known."""

    column: str
    label: str
    rows: int
    first_row: int  # spreadsheet numbering: the header is row 1
    suggestion: str | None


def label_key(text: object) -> str:
    """What two spellings of one label share: case folded, runs of spaces as one."""
    return " ".join(str(text).split()).casefold()


def normalise_labels(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[LabelFix]]:
    """`frame` with case/spacing variants of known labels replaced by the known spelling, and what changed."""
    fixed, fixes = frame.copy(), []
    for column, labels in KNOWN_LABELS.items():
        canonical: dict[str, str] = {}
        for label in labels:
            canonical.setdefault(label_key(label), label)
        values = fixed[column]
        counts = values[values.notna()].value_counts(sort=False)
        mapping = {found: canonical[label_key(found)] for found in counts.index
                   if found not in labels and label_key(found) in canonical}
        if mapping:
            fixed[column] = values.replace(mapping)
            fixes += [LabelFix(column, found, label, int(counts[found])) for found, label in mapping.items()]
    fixed.attrs[FIXES_ATTR] = [asdict(fix) for fix in fixes]
    return fixed, fixes


def unknown_labels(frame: pd.DataFrame) -> list[UnknownLabel]:
    """Labels of the categorical columns that are not known, with their row count and a did-you-mean."""
    found = []
    for column, labels in KNOWN_LABELS.items():
        values = frame[column].reset_index(drop=True)
        unknown = values.notna() & ~values.isin(labels)
        for label, rows in values[unknown].value_counts(sort=False).items():
            first = int(values.index[values == label][0]) + 2
            close = difflib.get_close_matches(label_key(label), [label_key(k) for k in labels], n=1, cutoff=0.6)
            suggestion = next((k for k in labels if close and label_key(k) == close[0]), None)
            found.append(UnknownLabel(column, str(label), int(rows), first, suggestion))
    return found


def describe_unknown(label: UnknownLabel) -> str:
    """One line: column, label, how many rows, the first row, and the known label it resembles."""
    hint = f"; did you mean {label.suggestion!r}?" if label.suggestion else ""
    return (f"{label.column} {label.label!r}: {label.rows:,} row(s) from spreadsheet row {label.first_row}, "
            f"not a label of the real file{hint}")
