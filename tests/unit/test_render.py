"""The HTML pages' renderer: escaped by default, strict about missing values, one stylesheet in every page."""

from __future__ import annotations

from importlib.resources import files

import jinja2
import pytest

from workbook import render


def test_values_are_escaped_and_a_missing_value_is_an_error() -> None:
    page = render.render_page("diff.html.j2", a=_Side("<script>"), b=_Side("b"), note="n", rows=[])
    assert "<script>" not in page and "&lt;script&gt;" in page
    with pytest.raises(jinja2.UndefinedError):
        render.render_page("diff.html.j2", a=_Side("a"), b=_Side("b"), rows=[])


def test_every_page_starts_with_the_doctype_and_inlines_the_one_stylesheet() -> None:
    style = (files("workbook") / "templates" / "style.css").read_text(encoding="utf-8")
    page = render.render_page("leaderboard.html.j2", columns=["#"], rows=[], refresh_s=0, stamp="now")
    assert page.startswith("<!DOCTYPE html>") and style.strip() in page and 'http-equiv="refresh"' not in page


class _Side:
    def __init__(self, label: str) -> None:
        self.kind, self.label, self.notebooks = "run folder", label, ["01_x"]
