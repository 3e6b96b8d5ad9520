"""The talk's robustness tests for a flight-fare model; each one calls a check from workbook.models."""

from __future__ import annotations

import pytest

from workbook.models import (
    RAW_COLUMNS,
    CheckResult,
    check_directional_stops,
    check_invariance_no_info_spelling,
    check_min_performance,
    check_valid_outputs,
)


def expect_pass(result: CheckResult) -> None:
    """Fail with the check's own one-line finding (not a traceback of fixture values)."""
    if not result.passed:
        pytest.fail(f"{result.name}: {result.detail}", pytrace=False)


def test_minimum_performance(model, holdout, limits, record):
    expect_pass(record(check_min_performance(model, holdout[RAW_COLUMNS], holdout["Price"], **limits)))


def test_invariance_to_no_info_spelling(model, holdout, record):
    expect_pass(record(check_invariance_no_info_spelling(model, holdout)))


def test_more_stops_not_cheaper(model, holdout, record):
    expect_pass(record(check_directional_stops(model, holdout)))


def test_valid_outputs(model, holdout, record):
    expect_pass(record(check_valid_outputs(model, holdout)))
