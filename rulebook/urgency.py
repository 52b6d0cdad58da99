"""Urgency: a draft's priority and its due date (what is wrong with one). The deadlines never
pass the due date: deadlines.capped. Imports nothing of the rulebook.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum


class Priority(IntEnum):
    NORMAL = 0
    HIGH = 1

    @property
    def label(self) -> str:
        return PRIORITY_LABELS[self]


PRIORITY_LABELS = {Priority.NORMAL: "Normal", Priority.HIGH: "High"}
MIN_DUE_SECONDS = 3600.0  # a due date at least an hour ahead: editors need time to decide
MAX_DUE_SECONDS = 365 * 24 * 3600.0


def due_problem(due_at: datetime | None, now: datetime) -> str:
    """A sentence saying what is wrong with a due date ("" when fine or none)."""
    if due_at is None:
        return ""
    if due_at.tzinfo is None:
        return "Give the due date with its time zone."
    if (due_at - now).total_seconds() < MIN_DUE_SECONDS:
        return "The due date must be at least an hour from now."
    if (due_at - now).total_seconds() > MAX_DUE_SECONDS:
        return "The due date must be within a year."
    return ""
