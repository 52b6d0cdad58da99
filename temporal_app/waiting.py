"""Waiting for an editor, as both review workflow types do it (workflow-side code).

`ReviewRun` is what every review run keeps (its input, state, current version and text, the
revision and extension counts, the last event number, the deadline and reminder, the
decisions' history) and its one waiting step, `_sleep_until`: sleep until something the run
waits for happens, the deadline moves, the reminder (or the current type's escalation) is
due or the deadline passes. The current type (workflows/draft_review.py) and the frozen one
(workflows/draft_review_v1.py) both inherit it, so the clock has one home; the commands it
issues (one timer per wait, named "reminder" or "review deadline") are the ones both types
always issued, and a third name, "escalation", only for a step whose policy escalates.

Django-free: runs inside the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from rulebook.states import ReviewState
from temporal_app.types import DecisionRecord, ReviewInput


class ReviewRun:
    def _start_run(self, inp: ReviewInput) -> None:
        self._inp = inp
        self._state = ReviewState.GENERATING
        self._version = 0
        self._text = ""
        self._revisions = 0
        self._extensions = 0
        self._seq = inp.first_event_seq - 1
        self._deadline: datetime | None = None
        self._remind_at: datetime | None = None
        self._reminded = False
        self._wake = False  # the deadline moved or a reminder was asked for
        self._history: list[DecisionRecord] = []
        self._escalate_at: datetime | None = None  # the current type's (escalating.py)
        self._escalated = False

    def _expired(self) -> bool:
        assert self._deadline is not None
        return workflow.now() >= self._deadline

    async def _sleep_until(self, woken: Callable[[], bool],
                           escalate_at: datetime | None = None) -> bool:
        """Sleep until `woken()`, a wake-up (`_wake`: the deadline moved, a reminder was asked
        for), the reminder, the step's escalation (`escalate_at`, when sooner: the caller
        sees it is due) or the deadline. True when the reminder fell due while asleep and
        nothing else woke the run: the caller sends it."""
        assert self._deadline is not None and self._remind_at is not None
        now = workflow.now()
        remind_first = not self._reminded and self._remind_at < self._deadline
        wake_at = self._remind_at if remind_first else self._deadline
        summary = "reminder" if remind_first else "review deadline"
        if escalate_at is not None and escalate_at < wake_at:
            wake_at, summary = escalate_at, "escalation"
        self._wake = False
        if wake_at > now:
            try:
                await workflow.wait_condition(
                    lambda: woken() or self._wake, timeout=wake_at - now,
                    timeout_summary=summary)
            except TimeoutError:
                pass
        return (not woken() and not self._wake and remind_first
                and workflow.now() >= self._remind_at)
