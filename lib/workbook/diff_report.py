"""How a diff is shown: the text table `workbook diff` prints and the HTML page it writes beside the run."""

from __future__ import annotations

import re
from pathlib import Path

from workbook.diff import Diff, DiffInputError, Row, value_text
from workbook.files import atomic_write
from workbook.render import render_page


def diff_table(diff: Diff, show_all: bool = False) -> str:
    """The rows as a text table (only differing ones unless `show_all`), with a line on what was left out."""
    rows = diff.shown(show_all)
    if not rows:
        return f"no differences in {len(diff.rows)} fields ({hidden_note(diff, show_all)})"
    table = [("section", "field", "A", "B", "B − A")] + [_cells(row) for row in rows]
    widths = [min(max(len(line[column]) for line in table), 40) for column in range(4)]
    lines = ["  ".join(f"{_cut(cell, widths[i]):<{widths[i]}}" for i, cell in enumerate(line[:4])) + "  " + line[4]
             for line in table]
    if note := hidden_note(diff, show_all):
        lines.append(f"({note})")
    return "\n".join(line.rstrip() for line in lines)


def hidden_note(diff: Diff, show_all: bool) -> str:
    """`19 equal fields and 12 only one side records not shown; --all shows them`, or "" when none is hidden."""
    if show_all:
        return ""
    unrecorded = sum(1 for row in diff.rows if row.unrecorded)
    equal = sum(1 for row in diff.rows if row.equal and not row.unrecorded)
    parts = [f"{equal} equal field{'s' if equal != 1 else ''}"] if equal else []
    parts += [f"{unrecorded} only one side records"] if unrecorded else []
    return f"{' and '.join(parts)} not shown; --all shows them" if parts else ""


def _cells(row: Row) -> tuple[str, str, str, str, str]:
    """A row's section, name, both values and the delta as text."""
    delta = ""
    if row.delta is not None and not row.equal:
        delta = f"{row.delta:+.4g}" + (f" ({row.relative:+.1%})" if row.relative is not None else "")
    return row.section, row.name, value_text(row.a), value_text(row.b), delta


def _cut(text: str, width: int) -> str:
    """`text` in `width` characters, cut in the middle: a value's end tells it apart as often as its start does
    (a commit and its `+dirty`, a path's file name)."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def diff_html(diff: Diff, show_all: bool = False) -> str:
    """A self-contained page: what A and B are, and the table of fields."""
    hidden = hidden_note(diff, show_all)
    note = f"{len(diff.differing)} of {len(diff.rows)} fields differ" + (f"; {hidden}" if hidden else "")
    rows = [(row.equal, _cells(row)) for row in diff.shown(show_all)]
    return render_page("diff.html.j2", a=diff.a, b=diff.b, note=note, rows=rows)


def default_html_path(diff: Diff) -> Path | None:
    """`diff-<A's name>.html` in B's folder (else A's); None when neither side is a folder."""
    folder = diff.b.folder or diff.a.folder
    if folder is None:
        return None
    other = diff.a if folder == diff.b.folder else diff.b
    name = Path(other.label.rstrip("/")).name or other.label
    return folder / f"diff-{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}.html"


def write_html(diff: Diff, path: str | Path, show_all: bool = False) -> Path:
    """Write the page to `path` (atomically); DiffInputError naming the path when it cannot be written."""
    path = Path(path)
    try:
        with atomic_write(path) as handle:
            handle.write(diff_html(diff, show_all))
    except OSError as error:
        raise DiffInputError(f"cannot write the diff to {path}: {error.strerror or error}") from None
    return path

