"""Insight into the reviews (issue 24): which period a dashboard, an export or the API is asked
for (a preset of the last 7, 30 or 90 days, or from–to dates, both included, at most two
years), the sentences that refuse a bad one, which events count as a decision, and the
ratios, which have no value (not a division by zero) when nothing was decided.

Pure functions of plain values: the web's form, the API and the export ask the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from rulebook.checks import Severity
from rulebook.deadlines import elapsed_words
from rulebook.states import EventKind, ReviewState

PRESETS = (7, 30, 90)  # days, ending today
DEFAULT_PRESET = 30
MAX_DAYS = 731  # two years, both ends included
# A draft's first decision: the first of these events (the projection keeps its time on the
# row, Draft.first_decided_at); its final one: the approval or rejection (Draft.decided_at).
FIRST_DECISION_EVENTS = frozenset({EventKind.APPROVED, EventKind.REJECTED,
                                   EventKind.CHANGES_REQUESTED, EventKind.STEP_APPROVED})
# The outcomes counted for a period's drafts: the states a review ended in (an approved draft
# that was then published is approved).
OUTCOMES = {
    ReviewState.APPROVED: (ReviewState.APPROVED, ReviewState.PUBLISHED),
    ReviewState.REJECTED: (ReviewState.REJECTED,),
    ReviewState.EXPIRED: (ReviewState.EXPIRED,),
    ReviewState.WITHDRAWN: (ReviewState.WITHDRAWN,),
}


class PeriodError(ValueError):
    """A period that cannot be used: `code` for programs, the message for people."""

    def __init__(self, code: str, sentence: str, field: str = "") -> None:
        super().__init__(sentence)
        self.code, self.sentence, self.field = code, sentence, field


@dataclass(frozen=True)
class Period:
    start: date  # included
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


FIRST_YEAR, LAST_YEAR = 2000, 2999  # dates outside are refused (and date arithmetic holds)


def _date(value: str, field: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError("InvalidDate", f"“{value[:40]}” is not a date; write it as "
                          "YYYY-MM-DD, e.g. 2026-11-30.", field) from None
    return checked(day, field)


def checked(day: date, field: str) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError("InvalidDate", f"{day} is outside the years {FIRST_YEAR} to "
                          f"{LAST_YEAR}.", field)
    return day


def period(*, today: date, days: str = "", start: str = "", end: str = "") -> Period:
    """The period asked for: `start`/`end` (ISO dates, both included; one alone runs to
    today or from `days` before it), else the last `days` (7, 30 or 90) days, else the last
    30. Raises PeriodError with the sentence."""
    if start or end:
        first = _date(start, "from") if start else None
        last = _date(end, "to") if end else today
        if first is None:
            first = last - timedelta(days=DEFAULT_PRESET - 1)
        if first > last:
            raise PeriodError("FromAfterTo", f"The period starts ({first}) after it ends "
                              f"({last}); swap the dates.", "from")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError("PeriodTooLong", f"A period can be at most two years "
                              f"({MAX_DAYS} days); this one is {(last - first).days + 1}.",
                              "from")
        return Period(first, last)
    if days:
        if not days.isdigit() or int(days) not in PRESETS:
            raise PeriodError("InvalidPreset", "Choose the last 7, 30 or 90 days, or give "
                              "dates.", "days")
        count = int(days)
    else:
        count = DEFAULT_PRESET
    return Period(today - timedelta(days=count - 1), today)


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (shown as "—", never 0)."""
    return round(part / whole, 4) if whole else None


def per(total: float, count: int, digits: int = 2) -> float | None:
    """total / count, or None when count is 0."""
    return round(total / count, digits) if count else None


def duration_words(seconds: float | None) -> str:
    """ "3 h 20 min" (rulebook.deadlines.elapsed_words); "—" for no value."""
    return "—" if seconds is None else elapsed_words(seconds)


def unknown_channel(slug: str) -> PeriodError:
    return PeriodError("UnknownChannel", f"There is no channel “{slug[:60]}”.", "channel")


NAME_MAX = 150  # a channel's slug, a group's or a user's name, as asked for


def name(value: str, field: str) -> str:
    """A channel, group or reviewer as asked for, trimmed: one line of at most NAME_MAX
    characters (PeriodError otherwise: nothing like it exists)."""
    value = value.strip()
    if len(value) > NAME_MAX or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise PeriodError("InvalidFilter", f"The {field} is one line of at most {NAME_MAX} "
                          "characters.", field)
    return value


def unknown(code: str, field: str, name: str) -> PeriodError:
    """A group or reviewer that does not exist."""
    what = {"group": "group", "reviewer": "user"}[field]
    return PeriodError(code, f"There is no {what} “{name[:60]}”.", field)


# ------------------------------------------------------------------ the drafts behind a figure

CHECK_NAME_MAX = 100


@dataclass(frozen=True)
class Behind:
    """Which of a period's drafts a figure counts (each figure links to them): an outcome
    (approved: and with an editor's edits), a week they were submitted in, how long they
    waited for a first decision (a bucket's index), the step they expired at (from 1), a
    check that found something on them. Nothing: every draft of the period."""

    outcome: str = ""
    edited: bool = False
    week: date | None = None
    bucket: int | None = None
    step: int | None = None
    check: str = ""
    severity: str = ""  # with `check`: only its findings of this severity


def behind(*, buckets: int, outcome: str = "", edited: str = "", week: str = "",
           bucket: str = "", step: str = "", check: str = "", severity: str = "") -> Behind:
    """The figure asked for, from a link's query; PeriodError("InvalidFilter") otherwise."""
    outcomes = [s.value for s in OUTCOMES]
    if outcome and outcome not in outcomes:
        raise PeriodError("InvalidFilter", f"Choose an outcome among {', '.join(outcomes)}.",
                          "outcome")
    if edited not in ("", "1"):
        raise PeriodError("InvalidFilter", "edited is 1 or left out.", "edited")
    if bucket and not (bucket.isascii() and bucket.isdigit() and int(bucket) < buckets):
        raise PeriodError("InvalidFilter", f"bucket is a whole number from 0 to {buckets - 1}.",
                          "bucket")
    if step and not (step.isascii() and step.isdigit() and 1 <= int(step) <= 99):
        raise PeriodError("InvalidFilter", "step is a whole number from 1.", "step")
    if len(check) > CHECK_NAME_MAX:
        raise PeriodError("InvalidFilter", f"A check's name is at most {CHECK_NAME_MAX} "
                          "characters.", "check")
    severities = [s.value for s in Severity]
    if severity and severity not in severities:
        raise PeriodError("InvalidFilter", f"severity is one of {', '.join(severities)}.",
                          "severity")
    return Behind(outcome=outcome, edited=edited == "1", week=_date(week, "week") if week
                  else None, bucket=int(bucket) if bucket else None,
                  step=int(step) if step else None, check=check.strip(), severity=severity)
