"""DraftReviewWorkflow (v1): the review workflow as released before the local-writes core.

FROZEN in its command sequence. Registered beside workflows/draft_review.py only so that
reviews started by the earlier release (some wait 24 h or more) finish on the code they
started with; new reviews start the `DraftReview` type. Do not change its command sequence
(tests/test_replay.py replays its recorded histories). Its checks ask the rulebook
(rulebook/), its waiting is `waiting.ReviewRun` and its writing `writing`, the
same code as today's type: none of that adds or reorders a command, so it is replay-safe.
Delete this file, its activities (store_version, record_event, notify) and its histories once
no run of this type is open:

    temporal workflow count \
      --query "WorkflowType='DraftReviewWorkflow' AND ExecutionStatus='Running'"

(docs/workflow.md, "Upgrading from v1").

Writing a version is today's `temporal_app/writing.py` (one LLM call, or outline + parallel
sections behind the `parallel-sections` patch): the same activities in the same order as the
code this run started with, so its histories replay (tests/histories/v1/, the sections path
included) and a fix to how a version is written has one home.

Imports only stdlib, temporalio and Django-free modules (no Django): the workflow sandbox
re-imports this module for every run. Activities are called by name.

Flow
  generating → awaiting_review ─┬─ approve / approve_with_edits → approved
                                ├─ reject → rejected
                                ├─ request_changes → revising → awaiting_review (≤ max_revisions)
                                ├─ deadline passes → expired   (a reminder goes out before)
                                └─ withdraw (author) / cancel (admin) → withdrawn / cancelled
  Any LLM failure that is not retryable → failed (the author can retry: a new run, same id).

History stays bounded by hard caps instead of continue-as-new: at most `max_revisions`
revision rounds and MAX_EXTENSIONS deadline extensions, each adding a fixed handful of
events, so the longest possible history is a few hundred events (Temporal warns at 10,240).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import rulebook.deadlines as deadlines
    import rulebook.decisions as decisions
    import rulebook.states as states
    import temporal_app.waiting as waiting
    import temporal_app.writing as writing
    from rulebook.snapshot import Decided, Request, Snapshot
    from rulebook.states import FINAL_STATES, DecisionKind, EventKind, ReviewState, VersionKind
    from temporal_app.types import (
        NOTIFY,
        RECORD_EVENT,
        REVIEW_DEADLINE,
        REVIEW_STATE,
        REVISION,
        STORE_VERSION,
        WORKFLOW_TYPE_V1,
        DeadlineResult,
        DecisionInput,
        DecisionRecord,
        DecisionResult,
        ExtendDeadlineInput,
        GenerateResult,
        NotifyInput,
        NotifyResult,
        RecordInput,
        RecordResult,
        RemindInput,
        ReviewInput,
        ReviewResult,
        ReviewStatus,
        StopInput,
        StoreVersionInput,
        StoreVersionResult,
    )

_OUTCOME = {
    DecisionKind.APPROVE: (ReviewState.APPROVED, EventKind.APPROVED),
    DecisionKind.APPROVE_WITH_EDITS: (ReviewState.APPROVED, EventKind.APPROVED),
    DecisionKind.REJECT: (ReviewState.REJECTED, EventKind.REJECTED),
    DecisionKind.WITHDRAW: (ReviewState.WITHDRAWN, EventKind.WITHDRAWN),
    DecisionKind.CANCEL: (ReviewState.CANCELLED, EventKind.CANCELLED),
}


class _Pending:
    """A decision accepted by a handler and waiting for the main loop to carry it out."""

    def __init__(self, kind: DecisionKind, actor_id: int, actor: str, version: int,
                 comment: str, text: str, at: datetime) -> None:
        self.kind = kind
        self.actor_id = actor_id
        self.actor = actor
        self.version = version
        self.comment = comment
        self.text = text
        self.at = at
        self.done = False
        self.result: DecisionResult | None = None


@workflow.defn(name=WORKFLOW_TYPE_V1)
class DraftReviewWorkflowV1(waiting.ReviewRun):
    @workflow.init
    def __init__(self, inp: ReviewInput) -> None:
        self._start_run(inp)  # input, state, version, counts, deadline, reminder, history
        self._resend_reminder: RemindInput | None = None
        self._pending: _Pending | None = None
        self._notifications: list[asyncio.Task] = []

    # ------------------------------------------------------------------ main
    @workflow.run
    async def run(self, inp: ReviewInput) -> ReviewResult:
        try:
            return await self._review(inp)
        except asyncio.CancelledError:
            # Cancelled from Temporal itself (UI, CLI): still leave a true record behind.
            if self._state not in FINAL_STATES:
                await self._record(EventKind.CANCELLED, ReviewState.CANCELLED,
                                   comment="cancelled in Temporal")
            raise

    async def _review(self, inp: ReviewInput) -> ReviewResult:
        self._upsert()
        generation = await self._generate(inp.first_version, feedback="", previous_text="")
        if generation is None:
            return await self._finish(self._pending)
        await self._publish(inp.first_version, VersionKind.GENERATED, generation.text,
                            generation=generation, event=EventKind.GENERATED)

        while True:
            decision = await self._wait_for_decision()
            if decision is None:
                await self._record(EventKind.EXPIRED, ReviewState.EXPIRED)
                self._notify(EventKind.EXPIRED)
                return await self._finish()

            if decision.kind == DecisionKind.REQUEST_CHANGES:
                self._revisions += 1
                await self._record(EventKind.CHANGES_REQUESTED, ReviewState.REVISING,
                                   actor_id=decision.actor_id, comment=decision.comment)
                self._settle(decision)
                self._notify(EventKind.CHANGES_REQUESTED, decision.comment)
                generation = await self._generate(self._version + 1, decision.comment, self._text)
                if generation is None:
                    return await self._finish(self._pending)
                await self._publish(self._version + 1, VersionKind.REVISED, generation.text,
                                    generation=generation, event=EventKind.REVISED)
                continue

            if decision.kind == DecisionKind.APPROVE_WITH_EDITS:
                await self._store_version(self._version + 1, VersionKind.EDITED, decision.text,
                                          actor_id=decision.actor_id)
                self._version += 1
                self._text = decision.text
                await self._record(EventKind.EDITED, ReviewState.AWAITING_REVIEW,
                                   actor_id=decision.actor_id, deadline=self._deadline,
                                   remind_at=self._remind_at)

            state, event = _OUTCOME[decision.kind]
            await self._record(event, state, actor_id=decision.actor_id, comment=decision.comment)
            self._settle(decision)
            self._notify(event, decision.comment)
            return await self._finish(decision)

    async def _wait_for_decision(self) -> _Pending | None:
        """Wait for a decision, sending the reminder on the way; None when the deadline passes."""
        while True:
            assert self._deadline is not None and self._remind_at is not None
            if self._resend_reminder is not None:
                await self._remind(self._resend_reminder.actor_id)
                self._resend_reminder = None
            if self._pending is not None:
                return self._pending
            if self._expired():
                return None
            if await self._sleep_until(lambda: self._pending is not None):
                await self._remind(None)

    # ------------------------------------------------------------------ steps
    async def _generate(self, version: int, feedback: str, previous_text: str
                        ) -> GenerateResult | None:
        """Run the LLM activity; a stop request cancels it. None means the run is over."""
        # Today's writing steps (temporal_app/writing.py). Only long pieces ask for the patch:
        # the single-call path's commands stay as before.
        if writing.uses_sections(self._inp) and workflow.patched("parallel-sections"):
            step = writing.write_in_sections
        else:
            step = writing.write_in_one_call
        task = asyncio.ensure_future(step(self._inp, version, feedback, previous_text))
        await workflow.wait_condition(lambda: task.done() or self._stop_requested())
        if not task.done():
            task.cancel()
            try:
                await task
            except (ActivityError, asyncio.CancelledError):
                pass
            stop = self._pending
            assert stop is not None
            state, event = _OUTCOME[stop.kind]
            await self._record(event, state, actor_id=stop.actor_id, comment=stop.comment)
            self._settle(stop)
            # Added after release: runs that stopped mid-writing before this replay without it.
            if workflow.patched("notify-stop-while-writing"):
                self._notify(event, stop.comment)
            return None
        try:
            return task.result()
        except ActivityError as err:
            message = writing.failure_message(err, self._inp)
            await self._record(EventKind.FAILED, ReviewState.FAILED, comment=message)
            return None

    async def _publish(self, number: int, kind: VersionKind, text: str, *,
                       generation: GenerateResult | None, event: EventKind) -> None:
        await self._store_version(number, kind, text, generation=generation)
        self._version = number
        self._text = text
        now = workflow.now()
        self._deadline = now + timedelta(seconds=self._inp.review_timeout_seconds)
        self._remind_at = now + timedelta(seconds=self._inp.remind_after_seconds)
        self._reminded = False
        await self._record(event, ReviewState.AWAITING_REVIEW, deadline=self._deadline,
                           remind_at=self._remind_at)
        self._notify(event)

    async def _remind(self, actor_id: int | None) -> None:
        self._reminded = True
        await self._record(EventKind.REMINDED, self._state, actor_id=actor_id,
                           deadline=self._deadline, remind_at=self._remind_at)
        self._notify(EventKind.REMINDED)

    async def _store_version(self, number: int, kind: VersionKind, text: str, *,
                             generation: GenerateResult | None = None,
                             actor_id: int | None = None) -> None:
        await workflow.execute_activity(
            STORE_VERSION,
            StoreVersionInput(draft_id=self._inp.draft_id, number=number, kind=kind.value,
                              text=text, generation=generation, actor_id=actor_id),
            result_type=StoreVersionResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=self._db_retry(),
            summary=f"store version {number}",
        )

    async def _record(self, kind: EventKind, state: ReviewState, *, actor_id: int | None = None,
                      comment: str = "", deadline: datetime | None = None,
                      remind_at: datetime | None = None) -> None:
        self._seq += 1
        self._state = state
        await workflow.execute_activity(
            RECORD_EVENT,
            RecordInput(draft_id=self._inp.draft_id, seq=self._seq, kind=kind.value,
                        state=state.value, version=self._version, actor_id=actor_id,
                        comment=comment, deadline=deadline, remind_at=remind_at),
            result_type=RecordResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=self._db_retry(),
            summary=kind.value,
        )
        self._upsert()

    def _notify(self, kind: EventKind, comment: str = "") -> None:
        """Send mail in the background: a failing mail server never blocks the review."""

        async def send() -> None:
            try:
                await workflow.execute_activity(
                    NOTIFY,
                    NotifyInput(draft_id=self._inp.draft_id, kind=kind.value,
                                version=self._version, comment=comment),
                    result_type=NotifyResult,
                    schedule_to_close_timeout=timedelta(
                        seconds=self._inp.policy.notify_schedule_to_close_seconds),
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
                    summary=f"notify {kind.value}",
                )
            except ActivityError as err:
                workflow.logger.warning("notification %s gave up: %s", kind.value, err.cause)

        self._notifications.append(asyncio.ensure_future(send()))

    async def _finish(self, decision: _Pending | None = None) -> ReviewResult:
        # Let pending notifications finish (each is bounded by its schedule-to-close timeout)
        # and every update handler return its answer before the run completes.
        if self._notifications:
            await asyncio.gather(*self._notifications)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ReviewResult(
            state=self._state.value,
            version=self._version,
            decided_by=decision.actor if decision else "",
            comment=decision.comment if decision else "",
        )

    def _db_retry(self) -> RetryPolicy:
        return RetryPolicy(
            initial_interval=timedelta(milliseconds=500),
            maximum_interval=timedelta(seconds=10),
            maximum_attempts=self._inp.policy.db_max_attempts,
        )

    def _upsert(self) -> None:
        updates = [
            REVIEW_STATE.value_set(self._state.value),
            REVISION.value_set(self._revisions),
        ]
        if self._state == ReviewState.AWAITING_REVIEW and self._deadline is not None:
            updates.append(REVIEW_DEADLINE.value_set(self._deadline))
        else:
            updates.append(REVIEW_DEADLINE.value_unset())
        workflow.upsert_search_attributes(updates)

    # ------------------------------------------------------------------ decisions
    def _snapshot(self) -> Snapshot:
        pending = self._pending
        return Snapshot(
            state=self._state, version=self._version, author_id=self._inp.author_id,
            revisions=self._revisions, max_revisions=self._inp.max_revisions,
            deadline=self._deadline, text=self._text, extensions=self._extensions,
            decided=Decided(pending.kind, pending.actor, pending.at) if pending else None,
            reminder_pending=self._resend_reminder is not None)

    def _check(self, kind: DecisionKind, actor_id: int, version: int | None,
               comment: str, text: str, expires_at: datetime | None = None) -> None:
        """Raise ApplicationError with the rulebook's sentence, or return if allowed."""
        refusal = decisions.refusal(
            self._snapshot(),
            Request(kind, actor_id, version, comment, text, expires_at), workflow.now())
        if refusal is not None:
            raise _refuse(refusal.sentence, refusal.code)

    def _accept(self, kind: DecisionKind, actor_id: int, actor: str, version: int,
                comment: str, text: str) -> _Pending:
        # Checked again here: two updates in one workflow task both pass their validators
        # before either handler runs, and this must refuse the second one.
        self._check(kind, actor_id, version, comment, text)
        pending = _Pending(kind, actor_id, actor, version, comment, text, workflow.now())
        self._pending = pending
        self._history.append(DecisionRecord(kind=kind.value, actor=actor, version=version,
                                            comment=comment, at=pending.at))
        return pending

    def _settle(self, pending: _Pending) -> None:
        pending.result = DecisionResult(
            state=self._state.value,
            version=self._version,
            message=f"{states.PAST_TENSE[pending.kind].capitalize()} by {pending.actor}.",
        )
        pending.done = True
        if pending.kind == DecisionKind.REQUEST_CHANGES:
            self._pending = None

    def _stop_requested(self) -> bool:
        return self._pending is not None and self._pending.kind in (
            DecisionKind.WITHDRAW, DecisionKind.CANCEL)

    async def _decide(self, kind: DecisionKind, d: DecisionInput) -> DecisionResult:
        pending = self._accept(kind, d.actor_id, d.actor, d.version, d.comment, d.text)
        await workflow.wait_condition(lambda: pending.done)
        assert pending.result is not None
        return pending.result

    async def _stop(self, kind: DecisionKind, s: StopInput) -> DecisionResult:
        pending = self._accept(kind, s.actor_id, s.actor, self._version, s.comment, "")
        self._wake = True
        await workflow.wait_condition(lambda: pending.done)
        assert pending.result is not None
        return pending.result

    def _validate(self, kind: DecisionKind, d: DecisionInput) -> None:
        self._check(kind, d.actor_id, d.version, d.comment, d.text, d.expires_at)

    @workflow.update(name="approve")
    async def approve(self, d: DecisionInput) -> DecisionResult:
        return await self._decide(DecisionKind.APPROVE, d)

    @approve.validator
    def _v_approve(self, d: DecisionInput) -> None:
        self._validate(DecisionKind.APPROVE, d)

    @workflow.update(name="reject")
    async def reject(self, d: DecisionInput) -> DecisionResult:
        return await self._decide(DecisionKind.REJECT, d)

    @reject.validator
    def _v_reject(self, d: DecisionInput) -> None:
        self._validate(DecisionKind.REJECT, d)

    @workflow.update(name="request_changes")
    async def request_changes(self, d: DecisionInput) -> DecisionResult:
        return await self._decide(DecisionKind.REQUEST_CHANGES, d)

    @request_changes.validator
    def _v_request_changes(self, d: DecisionInput) -> None:
        self._validate(DecisionKind.REQUEST_CHANGES, d)

    @workflow.update(name="approve_with_edits")
    async def approve_with_edits(self, d: DecisionInput) -> DecisionResult:
        return await self._decide(DecisionKind.APPROVE_WITH_EDITS, d)

    @approve_with_edits.validator
    def _v_approve_with_edits(self, d: DecisionInput) -> None:
        self._validate(DecisionKind.APPROVE_WITH_EDITS, d)

    @workflow.update(name="withdraw")
    async def withdraw(self, s: StopInput) -> DecisionResult:
        return await self._stop(DecisionKind.WITHDRAW, s)

    @withdraw.validator
    def _v_withdraw(self, s: StopInput) -> None:
        self._check(DecisionKind.WITHDRAW, s.actor_id, None, s.comment, "", s.expires_at)

    @workflow.update(name="cancel")
    async def cancel(self, s: StopInput) -> DecisionResult:
        return await self._stop(DecisionKind.CANCEL, s)

    @cancel.validator
    def _v_cancel(self, s: StopInput) -> None:
        self._check(DecisionKind.CANCEL, s.actor_id, None, s.comment, "", s.expires_at)

    @workflow.update(name="extend_deadline")
    async def extend_deadline(self, e: ExtendDeadlineInput) -> DeadlineResult:
        self._check_extend(e)
        assert self._deadline is not None and self._remind_at is not None
        self._extensions += 1
        self._deadline += timedelta(seconds=e.seconds)
        self._remind_at = self._deadline - timedelta(
            seconds=self._inp.review_timeout_seconds - self._inp.remind_after_seconds)
        self._reminded = self._remind_at <= workflow.now()
        self._wake = True
        await self._record(EventKind.DEADLINE_EXTENDED, ReviewState.AWAITING_REVIEW,
                           actor_id=e.actor_id, comment=f"by {deadlines.duration_words(e.seconds)}",
                           deadline=self._deadline, remind_at=self._remind_at)
        words = deadlines.duration_words(e.seconds)
        return DeadlineResult(deadline=self._deadline, message=f"Deadline extended by {words}.")

    @extend_deadline.validator
    def _v_extend_deadline(self, e: ExtendDeadlineInput) -> None:
        self._check_extend(e)

    def _check_extend(self, e: ExtendDeadlineInput) -> None:
        refusal = deadlines.extension_refusal(self._snapshot(), e.seconds, workflow.now())
        if refusal is not None:
            raise _refuse(refusal.sentence, refusal.code)

    @workflow.update(name="resend_reminder")
    async def resend_reminder(self, r: RemindInput) -> DecisionResult:
        self._check_remind()
        self._resend_reminder = r
        self._wake = True
        await workflow.wait_condition(lambda: self._resend_reminder is None)
        return DecisionResult(state=self._state.value, version=self._version,
                              message="Reminder sent to the editors.")

    @resend_reminder.validator
    def _v_resend_reminder(self, r: RemindInput) -> None:
        self._check_remind()

    def _check_remind(self) -> None:
        refusal = deadlines.reminder_refusal(self._snapshot())
        if refusal is not None:
            raise _refuse(refusal.sentence, refusal.code)

    # Signals with the same names and payloads, for fire-and-forget callers (e.g. the CLI).
    # A signal cannot answer, so a refused one is logged and ignored.
    def _signal(self, kind: DecisionKind, actor_id: int, actor: str, version: int | None,
                comment: str, text: str) -> None:
        try:
            self._accept(kind, actor_id, actor, self._version if version is None else version,
                         comment, text)
        except ApplicationError as err:
            workflow.logger.warning("signal %s refused: %s", kind.value, err.message)
            return
        self._wake = True

    @workflow.signal(name="approve")
    def approve_signal(self, d: DecisionInput) -> None:
        self._signal(DecisionKind.APPROVE, d.actor_id, d.actor, d.version, d.comment, d.text)

    @workflow.signal(name="reject")
    def reject_signal(self, d: DecisionInput) -> None:
        self._signal(DecisionKind.REJECT, d.actor_id, d.actor, d.version, d.comment, d.text)

    @workflow.signal(name="request_changes")
    def request_changes_signal(self, d: DecisionInput) -> None:
        self._signal(DecisionKind.REQUEST_CHANGES, d.actor_id, d.actor, d.version, d.comment,
                     d.text)

    @workflow.signal(name="approve_with_edits")
    def approve_with_edits_signal(self, d: DecisionInput) -> None:
        self._signal(DecisionKind.APPROVE_WITH_EDITS, d.actor_id, d.actor, d.version,
                     d.comment, d.text)

    @workflow.signal(name="withdraw")
    def withdraw_signal(self, s: StopInput) -> None:
        self._signal(DecisionKind.WITHDRAW, s.actor_id, s.actor, None, s.comment, "")

    @workflow.signal(name="cancel")
    def cancel_signal(self, s: StopInput) -> None:
        self._signal(DecisionKind.CANCEL, s.actor_id, s.actor, None, s.comment, "")

    @workflow.query(name="status")
    def status(self) -> ReviewStatus:
        return ReviewStatus(
            state=self._state.value,
            version=self._version,
            revisions=self._revisions,
            max_revisions=self._inp.max_revisions,
            deadline=self._deadline if self._state == ReviewState.AWAITING_REVIEW else None,
            remind_at=self._remind_at if self._state == ReviewState.AWAITING_REVIEW else None,
            reminded=self._reminded,
            extensions=self._extensions,
            decisions=list(self._history),
        )


def _refuse(message: str, reason: str) -> ApplicationError:
    return ApplicationError(message, type=reason, non_retryable=True)
