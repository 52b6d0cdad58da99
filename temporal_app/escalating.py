"""Escalation of a step that waits too long, as the review workflow runs it (workflow-side).

A policy step may escalate (rulebook.policies.Escalation): after `escalate_after_seconds` at
the step without a decision, the run records an `escalated` event that mails the escalation
group, or lets that group decide at the step too, or ends the review as expired. The time is
a durable timer of the run's own (the wait's third wake-up, beside the reminder and the
deadline: waiting.ReviewRun._sleep_until), not a cron; it starts again with each step and
each new version, and never outlasts the step's deadline or the draft's due date.

Runs whose policy has no escalation issue no new command (`workflow.patched` is asked only
when an escalation is pending), so reviews started before it replay as they ran.

Django-free: runs inside the workflow sandbox (worker.SANDBOX_PASSTHROUGH).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

import rulebook.deadlines as deadlines
import rulebook.policies as policies
from rulebook.policies import Escalation
from rulebook.states import EventKind

ESCALATION = "step-escalation"  # the patch: runs that escalate


class EscalationRun:
    def _start_escalation(self) -> None:
        """The current step's escalation time, from now (None: it has none, or the deadline
        comes first)."""
        step = self._policy.steps[self._step]
        self._escalated = False
        self._escalate_at: datetime | None = None
        if step.escalates:
            at = workflow.now() + timedelta(seconds=step.escalate_after_seconds)
            self._escalate_at = at if self._deadline is None or at < self._deadline else None

    def _escalation_pending(self) -> datetime | None:
        """When the current step escalates, if it has yet to (asks the patch only then)."""
        if getattr(self, "_escalate_at", None) is None or self._escalated:
            return None
        return self._escalate_at if workflow.patched(ESCALATION) else None

    async def _escalate(self) -> bool:
        """The step escalates: its event (mailed to the escalation group unless it ends the
        review); True when the escalation ends the review as expired."""
        step = self._policy.steps[self._step]
        self._escalated = True
        where = policies.step_words(self._policy, self._step) or "review"
        await self._record(EventKind.ESCALATED, comment=(
            f"No decision after {deadlines.elapsed_words(step.escalate_after_seconds)} at "
            f"{where}: {policies.escalation_words(step)}."))
        return step.escalation == Escalation.EXPIRE

    def _escalation_fields(self, kind: EventKind, awaiting: bool) -> dict:
        """An event's escalation fields for the projection: when the step escalates (while
        awaiting), the group it let decide too; an expiring escalation mails nobody."""
        step = self._policy.steps[self._step]
        fields = {
            "escalate_at": self._escalate_at if awaiting and not self._escalated else None,
            "escalated_to": step.escalate_to if self._escalated
            and step.escalation == Escalation.ADD_DECIDERS else "",
        }
        if kind == EventKind.ESCALATED and step.escalation == Escalation.EXPIRE:
            fields["notify"] = False
        return fields
