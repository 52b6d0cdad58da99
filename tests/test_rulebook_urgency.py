"""rulebook.urgency: priorities and what is wrong with a due date (pure). The deadlines'
cap at the due date: test_rulebook_deadlines.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rulebook import urgency
from rulebook.urgency import Priority

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def test_due_dates():
    assert urgency.due_problem(None, NOW) == ""
    assert urgency.due_problem(NOW + timedelta(minutes=30), NOW) == (
        "The due date must be at least an hour from now.")
    assert urgency.due_problem(NOW + timedelta(days=400), NOW) == (
        "The due date must be within a year.")
    assert urgency.due_problem(NOW.replace(tzinfo=None) + timedelta(days=1), NOW) == (
        "Give the due date with its time zone.")
    assert urgency.due_problem(NOW + timedelta(hours=2), NOW) == ""


def test_every_priority_has_its_label():
    assert set(urgency.PRIORITY_LABELS) == set(Priority)
    assert Priority.HIGH > Priority.NORMAL and Priority.HIGH.label == "High"
