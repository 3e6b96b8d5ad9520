"""The one assertion every exercise-checker test makes about a Feedback (imported by the test_exercises* modules)."""

from __future__ import annotations

from workbook import exercises as ex


def assert_status(feedback: ex.Feedback, status: str, *fragments: str) -> None:
    """`feedback` has `status`, is truthy only when correct, shows its message, and names every fragment."""
    assert feedback.status == status, feedback.message
    assert bool(feedback) is (status == ex.CORRECT)
    assert repr(feedback) == feedback.message == str(feedback)
    for fragment in fragments:
        assert fragment in feedback.message, feedback.message
