"""The one helper that turns any error into the single line a learner sees."""

from __future__ import annotations

from mlflow.exceptions import MlflowException

from workbook.messages import first_line


def test_first_line_skips_blank_lines_and_colour_codes():
    assert first_line(ValueError("\n  \x1b[31mbad value\x1b[0m for x\nTraceback ...")) == "bad value for x"
    assert first_line("\n\nsecond line is the first\nthird") == "second line is the first"


def test_first_line_prefers_mlflows_message_and_falls_back_to_the_type():
    error = MlflowException("RESOURCE_DOES_NOT_EXIST: no such model\nmore detail")
    assert first_line(error) == "RESOURCE_DOES_NOT_EXIST: no such model"
    assert first_line(KeyError()) == "KeyError"
    assert first_line("") == ""
