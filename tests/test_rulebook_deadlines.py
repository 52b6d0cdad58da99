"""rulebook.deadlines: deadlines, extensions, reminders and the due-date cap (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rulebook import deadlines
from rulebook.snapshot import Decided, Snapshot
from rulebook.states import DecisionKind, ReviewState

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
AUTHOR, EDITOR = 1, 2
AWAITING = Snapshot(state=ReviewState.AWAITING_REVIEW, version=2, author_id=AUTHOR,
                    revisions=1, max_revisions=3, deadline=NOW + timedelta(hours=1),
                    text="the current text")
A = DecisionKind.APPROVE


EXTENSIONS = [
    ("an hour", {}, 3600, None),
    ("a minute", {}, 60, None),
    ("under a minute", {}, 59, "Invalid"),
    ("over 30 days", {}, 30 * 24 * 3600 + 1, "Invalid"),
    ("the eleventh", {"extensions": 10}, 3600, "TooManyExtensions"),
    ("not awaiting", {"state": ReviewState.REVISING}, 3600, "NotAwaiting"),
    ("decided", {"decided": Decided(A, "e", None)}, 3600, "NotAwaiting"),
    ("after the deadline", {"deadline": NOW}, 3600, "Expired"),
]


@pytest.mark.parametrize(("changes", "seconds", "code"), [c[1:] for c in EXTENSIONS],
                         ids=[c[0] for c in EXTENSIONS])
def test_extension_rule(changes, seconds, code):
    refusal = deadlines.extension_refusal(replace(AWAITING, **changes), seconds, NOW)
    assert (refusal.code if refusal else None) == code


def test_reminder_rule():
    assert deadlines.reminder_refusal(AWAITING) is None
    assert deadlines.reminder_refusal(replace(AWAITING, reminder_pending=True)).code == "Busy"
    assert deadlines.reminder_refusal(
        replace(AWAITING, state=ReviewState.GENERATING)).code == "NotAwaiting"


def test_deadlines_and_extension_keep_the_reminder_distance():
    deadline, remind = deadlines.deadlines(NOW, 24 * 3600, 20 * 3600)
    assert (deadline - NOW, remind - NOW) == (timedelta(hours=24), timedelta(hours=20))
    new_deadline, new_remind = deadlines.extended(deadline, 7200, 24 * 3600, 20 * 3600)
    assert new_deadline - deadline == timedelta(hours=2)
    assert new_deadline - new_remind == timedelta(hours=4)
    assert deadlines.duration_words(7200) == "2 h" and deadlines.duration_words(90) == "1.5 min"


def test_no_deadline_goes_past_the_due_date():
    due = NOW + timedelta(hours=3)
    assert deadlines.capped(NOW + timedelta(hours=24), NOW + timedelta(hours=20), due) == (
        due, due)
    assert deadlines.capped(NOW + timedelta(hours=2), NOW + timedelta(hours=1), due) == (
        NOW + timedelta(hours=2), NOW + timedelta(hours=1))
