"""Deadlines: when a version's (or a step's) review ends and its reminder goes, never past the
author's due date (`capped`); an extension (`extended`) and whether an admin may extend or
remind now; the words for a duration.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rulebook.decisions import CLOSED_SENTENCES
from rulebook.inputs import MAX_EXTENSION_SECONDS, MAX_EXTENSIONS, MIN_EXTENSION_SECONDS
from rulebook.policies import ReviewStep
from rulebook.snapshot import Refusal, Snapshot, invalid
from rulebook.states import ReviewState


def capped(deadline: datetime, remind_at: datetime, due_at: datetime | None
           ) -> tuple[datetime, datetime]:
    """(deadline, reminder) never past the author's due date (the reminder keeps its share
    of the time left)."""
    if due_at is None or deadline <= due_at:
        return deadline, remind_at
    return due_at, min(remind_at, due_at)


def deadlines(now: datetime, review_seconds: float, remind_after_seconds: float
              ) -> tuple[datetime, datetime]:
    """(deadline, reminder time) for a version published at `now`."""
    return now + timedelta(seconds=review_seconds), now + timedelta(seconds=remind_after_seconds)


def step_deadlines(now: datetime, step: ReviewStep, review_seconds: float,
                   remind_after_seconds: float) -> tuple[datetime, datetime]:
    """(deadline, reminder time) for a step that starts at `now`: its own time if it has one
    (the reminder at the same share of it), else the review's."""
    if not step.review_seconds:
        return deadlines(now, review_seconds, remind_after_seconds)
    share = remind_after_seconds / review_seconds if review_seconds else 1.0
    return deadlines(now, step.review_seconds, step.review_seconds * share)


def extended(deadline: datetime, seconds: float, review_seconds: float,
             remind_after_seconds: float) -> tuple[datetime, datetime]:
    """(deadline, reminder time) after an extension: the reminder keeps its distance."""
    new_deadline = deadline + timedelta(seconds=seconds)
    return new_deadline, new_deadline - timedelta(seconds=review_seconds - remind_after_seconds)


def duration_words(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:g} h" if hours >= 1 else f"{seconds / 60:g} min"


def elapsed_words(seconds: float) -> str:
    """A time that passed or is left, to the nearest unit people read: "45 s", "12 min",
    "3 h 20 min", "2 d 4 h" (whole units, rounded down)."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def extension_refusal(snap: Snapshot, seconds: float, now: datetime) -> Refusal | None:
    """May an admin move the deadline by `seconds`?"""
    if snap.state != ReviewState.AWAITING_REVIEW or snap.decided is not None:
        return Refusal("NotAwaiting", "Only a draft awaiting review has a deadline to extend.")
    if not MIN_EXTENSION_SECONDS <= seconds <= MAX_EXTENSION_SECONDS:
        return invalid("An extension must be between a minute and 30 days.", "seconds")
    if snap.extensions >= MAX_EXTENSIONS:
        return Refusal("TooManyExtensions",
                       f"The deadline was already extended {MAX_EXTENSIONS} times.")
    if snap.deadline is not None and now >= snap.deadline:
        return Refusal("Expired", CLOSED_SENTENCES[ReviewState.EXPIRED])
    if snap.due_at is not None and snap.deadline is not None and snap.deadline >= snap.due_at:
        return Refusal("DueDate", f"The deadline is already the author's due date "
                                  f"({snap.due_at:%Y-%m-%d %H:%M} UTC); it cannot go past it.")
    return None


def reminder_refusal(snap: Snapshot) -> Refusal | None:
    """May an admin send the editors a reminder now?"""
    if snap.state != ReviewState.AWAITING_REVIEW or snap.decided is not None:
        return Refusal("NotAwaiting", "Only a draft awaiting review can have a reminder sent.")
    if snap.reminder_pending:
        return Refusal("Busy", "A reminder is already being sent.")
    return None
