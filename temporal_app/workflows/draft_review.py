"""DraftReviewWorkflow: write a draft with an LLM, wait durably for an editor, record the outcome.

    generating ──▶ awaiting_review ─┬─ approve / approve_with_edits ─▶ approved
                      ▲             ├─ reject ───────────────────────▶ rejected
                      └─ revising ◀─┤  request_changes (≤ max_revisions)
                                    ├─ deadline passes ──────────────▶ expired (reminder first)
                                    └─ withdraw / cancel (any time) ─▶ withdrawn / cancelled
    awaiting_review ─ edit (the editor's chosen changes: a new version) / suggest (one
                      passage's rewrite, to accept or reject) ─▶ awaiting_review (handlers)
    the LLM fails for good ─▶ failed (the author retries: a new run, same workflow id)
    approved ─▶ a PublishDraft child delivers it to the destinations that want it (the approval's
                write says whether any does: workflows/publish_draft.py); it outlives this run

Whether a decision is allowed, and the sentence when it is not, is the rulebook's
(`rulebook.decisions.refusal`); writing a version is `writing.write`; options live in
`options`. Every database write is one local activity (`project`), so a decision is accepted,
recorded and answered in one workflow task. Mail is queued by that same write (the outbox) and
sent by the MailOutbox workflow, so it costs a review no round trips.

Imports only stdlib, temporalio and Django-free modules: the sandbox re-imports this file.
History is bounded by caps (max_revisions, rulebook.inputs.MAX_EXTENSIONS), not continue-as-new.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from temporalio import workflow
from temporalio.common import RawValue, TypedSearchAttributes
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    FailureError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    # Whole-module imports by full name: `from temporal_app import options` would re-run
    # the module in every run's sandbox (measured: a third of the worker's CPU per review).
    # The rulebook package is passed through whole (worker.SANDBOX_PASSTHROUGH).
    import rulebook.budgets as budgets
    import rulebook.check_file as check_file
    import rulebook.checks as checks
    import rulebook.deadlines as deadlines
    import rulebook.decisions as decisions
    import rulebook.policies as policies
    import rulebook.snapshot as snapshot
    import rulebook.states as states
    import rulebook.steps as steps
    import rulebook.writing as writing_rules
    import temporal_app.checking as checking
    import temporal_app.escalating as escalating
    import temporal_app.options as options
    import temporal_app.stopping as stopping
    import temporal_app.waiting as waiting
    import temporal_app.writing as writing
    from rulebook.policies import Approval
    from rulebook.snapshot import Decided, Request, Snapshot
    from rulebook.states import (
        OUTCOME,
        STATE_AFTER,
        STOP_DECISIONS,
        DecisionKind,
        EventKind,
        ReviewState,
        VersionKind,
    )
    from temporal_app.types import (
        DRAFT_ID,
        PROJECT,
        PUBLISH_WORKFLOW_TYPE,
        REVIEW_DEADLINE,
        REVIEW_STATE,
        REVIEW_STEP,
        REVISION,
        WORKFLOW_TYPE,
        WRITE_RETRYING,
        ChangeRecord,
        DeadlineResult,
        DecisionInput,
        DecisionRecord,
        DecisionResult,
        EventRecord,
        ExtendDeadlineInput,
        GenerateResult,
        PassageInput,
        ProjectInput,
        ProjectResult,
        PublishInput,
        RecheckInput,
        RemindInput,
        ReviewInput,
        ReviewResult,
        ReviewStatus,
        StopInput,
        StopWritingInput,
        VersionRecord,
        passage_fields,
        publish_workflow_id,
    )


# Runs started before a permanent write failure was recorded (and a long outage went on as a
# regular activity) failed outright instead: replaying them must take the old path.
WRITE_FAILURES = "write-failures-recorded"
# Runs whose write went on as a regular activity before it was flagged for reconcile.
WRITE_RETRIES_FLAGGED = "write-retries-flagged"
# Runs approved before publishing existed ended without starting a PublishDraft child.
PUBLISH = "publish-on-approval"
# Changes requested on commented passages rewrite only those (writing.revise_passages).
TARGETED = "targeted-revision"
# Checks before a human reads (rulebook.checks): each new version is checked, and blocking
# findings send it back to the LLM on its own.
CHECKS = "checks-before-review"


# The workbench's decisions are updates only: their answer is what they made.
UPDATE_ONLY = frozenset({DecisionKind.EDIT, DecisionKind.SUGGEST})


class _WriteFailed(Exception):
    """The database refused a write for good; the run ends as failed, saying why."""


@dataclass
class _Decision:
    """A decision a handler accepted; the run loop carries it out and sets `result`."""

    kind: DecisionKind
    actor_id: int
    actor: str
    comment: str
    text: str
    at: datetime
    result: DecisionResult | None = None
    error: str = ""  # it could not be recorded (the sentence)
    # An approval that does not close the review (a policy step): the step it was given at,
    # the step after it, the version it approved and how many approvals that step then had;
    # recorded by the run loop in order, the review goes on.
    vote: tuple[int, int, int, int] | None = None
    outside_email: str = ""  # an outside approver's (no account)
    passages: list[PassageInput] = dataclasses.field(default_factory=list)  # to rewrite


@workflow.defn(name=WORKFLOW_TYPE)
class DraftReviewWorkflow(waiting.ReviewRun, checking.ChecksRun, stopping.StopRun,
                          escalating.EscalationRun):
    @workflow.init
    def __init__(self, inp: ReviewInput) -> None:
        self._start_run(inp)  # input, state, version, counts, deadline, reminder, history
        self._decision: _Decision | None = None  # accepted and not yet followed by a version
        self._reminder_by: RemindInput | None = None
        self._writes = asyncio.Lock()  # one write at a time, in event order
        self._upserted: tuple | None = None
        self._halted = ""  # a write failed for good (the sentence): the run ends
        self._publish_wanted = False  # the approval's write found destinations that want it
        self._policy = inp.review_policy
        self._step = 0  # the policy step the current version is at
        self._approvals: list[Approval] = []  # this round's (since its version got step 1)
        self._votes: list[_Decision] = []  # accepted approvals not recorded yet
        self._suggested = (0, 0)  # (version, how many rewrites were suggested on it)
        self._stop: stopping.Stop | None = None  # "Stop writing", accepted and not answered yet
        # every LLM call of the draft's (rulebook.budgets): earlier runs', then this run's
        self._spent = inp.spent or budgets.Spent()
        self._last_usage = budgets.Spent()  # what the current version cost to write
        self._checks = tuple(check_file.load(inp.checks or ()))  # the draft's (rulebook.checks)
        self._auto_rounds = 0  # versions the checks sent back to the LLM
        self._blockers = 0  # open blocking findings on the current version
        self._judge_usage = budgets.Spent()  # the judge's, for the version being checked
        self._finished: list[GenerateResult] = []  # calls of the version being written, done

    # ------------------------------------------------------------------ the flow
    @workflow.run
    async def run(self, inp: ReviewInput) -> ReviewResult:
        try:
            try:
                return await self._review()
            except asyncio.CancelledError:
                # Cancelled in Temporal itself (UI, CLI): still leave a true record behind.
                if not self._state.is_final:
                    await self._record(EventKind.CANCELLED, comment="cancelled in Temporal")
                raise
            except _WriteFailed as failed:
                if self._stop is not None:  # a stop waiting for a write that failed
                    self._stop.error = str(failed)
                await self._record(EventKind.FAILED, comment=str(failed))
                return await self._result()
        except _WriteFailed as failed:
            # Not even that could be written: the run fails (reconcile --fix records it).
            raise ApplicationError(str(failed), type="WriteFailed", non_retryable=True) from None

    async def _review(self) -> ReviewResult:
        number, feedback, event = self._inp.first_version, "", EventKind.GENERATED
        passages: list[PassageInput] = []
        while True:
            written = await self._write(number, feedback, passages)
            if written is None:  # stopped or failed while writing
                return await self._result()
            if written is not stopping.DISCARDED and self._inp.checks is not None \
                    and workflow.patched(CHECKS):
                checked = await self._checked(number, event, written)
                if checked is None:
                    return await self._result()
                number, event, written = checked
            if written is not stopping.DISCARDED:  # a revision stopped and discarded: the old one
                await self._publish(number, event, *written)

            decision = await self._wait_for_decision()
            if decision is None:
                await self._record(EventKind.EXPIRED)
                return await self._result()
            if decision.kind != DecisionKind.REQUEST_CHANGES:
                await self._close(decision)
                if self._publish_wanted and workflow.patched(PUBLISH):
                    await self._start_publishing()
                return await self._result(decision)
            self._revisions += 1
            await self._record(EventKind.CHANGES_REQUESTED, decision=decision)
            self._decision = None  # the next version takes decisions again
            number, feedback, event = self._version + 1, decision.comment, EventKind.REVISED
            passages = decision.passages

    async def _write(self, number: int, feedback: str, passages: list[PassageInput],
                     automatic: bool = False) -> tuple | stopping.Discarded | None:
        """The LLM writes version `number` (only the commented `passages` of the current
        one, when given): (its result, its changes[, stopped]). A withdraw or cancel stops
        it, and so does "Stop writing" (`_stopped`). None: the run is over. An `automatic`
        round (the checks') that fails sends the version it revised to review instead."""
        if passages and workflow.patched(TARGETED):
            task = asyncio.ensure_future(writing.revise_passages(
                self._inp, number, feedback, self._text, passages, self._token_limit()))
        else:
            task = asyncio.ensure_future(self._write_whole(number, feedback))
        await workflow.wait_condition(
            lambda: task.done() or self._stop_requested() or self._stop is not None)
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if not self._stop_requested():
                return await self._stopped(number)
            assert self._decision is not None
            await self._close(self._decision)
            self._answer_stop(writing_rules.NOT_WRITING)
            return None
        try:
            return task.result()
        except ActivityError as err:
            failure = writing.failure_message(err, self._inp)
            if automatic:
                self._start_step()  # the version sent back waits, with a fresh deadline
                await self._record(EventKind.CHECK_ROUND_FAILED, comment=failure)
                self._answer_stop(f"The writing failed before the stop took effect: {failure}")
                return stopping.DISCARDED
            await self._record(EventKind.FAILED, comment=failure)
            self._answer_stop(f"The writing failed before the stop took effect: {failure}")
            return None

    async def _write_whole(self, number: int, feedback: str
                           ) -> tuple[GenerateResult, list[ChangeRecord]]:
        self._finished = []
        return await writing.write(self._inp, number, feedback, self._text,
                                   self._token_limit(), self._finished), []

    def _token_limit(self) -> int:
        """What the draft's budget leaves the next LLM call(s) (0: no limit of its own)."""
        budget = self._inp.budget
        return budgets.max_tokens(budget, self._spent) if budget else 0

    def _spend(self, usage: GenerateResult) -> budgets.Spent:
        spent = budgets.Spent(usage.prompt_tokens + usage.completion_tokens, usage.cost_usd)
        self._spent += spent
        return spent

    async def _publish(self, number: int, event: EventKind, written: GenerateResult,
                       changes: list[ChangeRecord], stopped: bool = False,
                       findings: list | None = None, kind: VersionKind | None = None,
                       comment: str = "") -> None:
        self._version, self._text = number, written.text
        self._last_usage = budgets.newest_cost(self._last_usage, self._spend(written),
                                               stopped=stopped)
        self._blockers = len(checks.blocking(findings or ()))
        self._step, self._approvals = 0, []  # a new version starts the policy again
        self._start_step()
        await self._record(event, comment=comment, version=VersionRecord(
            number=number, kind=kind or states.VERSION_KIND_FOR_EVENT[event],
            text=written.text,
            generation=dataclasses.replace(written, text="") if written.backend else None,
            changes=changes, stopped=stopped, findings=findings,  # the text once, not twice
            checks_usage=self._judge_usage if findings is not None else None))
        # A stop that came as this version was stored: it was not stopped (or, kept, it is
        # this version: its answer was set by _stopped).
        self._answer_stop(writing_rules.TOO_LATE.format(number=number))

    async def _wait_for_decision(self) -> _Decision | None:
        """Wait for a decision, sending reminders on the way; None when the deadline passes."""
        while True:
            assert self._deadline is not None and self._remind_at is not None
            if self._reminder_by is not None:
                await self._remind(self._reminder_by.actor_id)
                self._reminder_by = None
            while self._votes:  # approvals at a step, in the order they were accepted
                await self._record_vote(self._votes.pop(0))
            if self._decision is not None:
                return self._decision
            if self._expired():
                return None
            escalate_at = self._escalation_pending()  # a policy step's (escalating.py)
            if escalate_at is not None and workflow.now() >= escalate_at:
                if await self._escalate():
                    return None  # the policy ends the review as expired
                continue
            remind = await self._sleep_until(
                lambda: self._decision is not None or bool(self._halted) or bool(self._votes),
                escalate_at=escalate_at)
            if self._halted:  # an admin update's write failed for good
                raise _WriteFailed(self._halted)
            if remind:
                await self._remind(None)

    def _start_step(self) -> None:
        """The current step's deadline, reminder and escalation, from now."""
        self._deadline, self._remind_at = deadlines.capped(*deadlines.step_deadlines(
            workflow.now(), self._policy.steps[self._step], self._inp.review_timeout_seconds,
            self._inp.remind_after_seconds), self._inp.due_at)
        self._reminded = False
        self._start_escalation()

    async def _record_vote(self, vote: _Decision) -> None:
        """An approval at a step that does not close the review: its event (after the edit
        that made a new version, for edit-and-approve); a completed step starts the next
        (its deadline, mail to its reviewers); the approval is answered with the progress."""
        assert vote.vote is not None
        before, after, number, counted = vote.vote
        if after > before:
            self._start_step()
        kinds: tuple[EventKind, ...] = (EventKind.STEP_APPROVED,)
        version = None
        if vote.kind == DecisionKind.APPROVE_WITH_EDITS:
            kinds = (EventKind.EDITED, EventKind.STEP_APPROVED)
            version = VersionRecord(number=number, kind=VersionKind.EDITED, text=vote.text,
                                    actor_id=vote.actor_id)
        await self._record(*kinds, decision=vote, version=version, step=after,
                           notify=after > before, at_version=number, at_step=before)
        assert vote.result is not None
        vote.result = dataclasses.replace(vote.result, message=policies.vote_message(
            self._policy, vote.actor, before, after, counted))

    async def _remind(self, actor_id: int | None) -> None:
        self._reminded = True
        await self._record(EventKind.REMINDED, actor_id=actor_id)

    async def _close(self, decision: _Decision) -> None:
        """Record a decision that ends the review (an edit is its own version first)."""
        event, _ = OUTCOME[decision.kind]
        if decision.kind != DecisionKind.APPROVE_WITH_EDITS:
            await self._record(event, decision=decision)
            return
        self._version, self._text = self._version + 1, decision.text
        await self._record(EventKind.EDITED, event, decision=decision, version=VersionRecord(
            number=self._version, kind=VersionKind.EDITED, text=decision.text,
            actor_id=decision.actor_id))

    async def _start_publishing(self) -> None:
        """Deliver the approved version to the destinations (a child workflow that goes on
        after this run ends: its events follow this run's)."""
        try:
            await workflow.start_child_workflow(
                PUBLISH_WORKFLOW_TYPE,
                PublishInput(draft_id=self._inp.draft_id, first_event_seq=self._seq + 1,
                             policy=self._inp.publish),
                id=publish_workflow_id(self._inp.draft_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                search_attributes=TypedSearchAttributes([
                    DRAFT_ID.value_set(self._inp.draft_id)]),
                static_summary=f"publish draft {self._inp.draft_id}")
        except WorkflowAlreadyStartedError:  # one is delivering it already (an admin's retry)
            workflow.logger.warning("draft %s is being published already", self._inp.draft_id)

    async def _result(self, decision: _Decision | None = None) -> ReviewResult:
        # Every update handler returns its answer before the run completes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ReviewResult(state=self._state.value, version=self._version,
                            decided_by=decision.actor if decision else "",
                            comment=decision.comment if decision else "")

    # ------------------------------------------------------------------ the one write
    async def _record(self, *kinds: EventKind, decision: _Decision | None = None,
                      actor_id: int | None = None, comment: str = "",
                      version: VersionRecord | None = None, step: int | None = None,
                      notify: bool = True, at_version: int | None = None,
                      at_step: int | None = None, suggestion: ChangeRecord | None = None,
                      findings: list | None = None) -> None:
        """Write events (and a version) through the projection in one local activity, then
        answer the decision they carry out. States follow the rulebook's STATE_AFTER."""
        actor_email = ""
        if decision is not None:
            actor_id, comment = decision.actor_id, decision.comment
            if decision.outside_email:  # no account: the email is the actor
                actor_id, actor_email = None, decision.outside_email
        before = self._seq, self._state
        events = []
        for kind in kinds:
            self._seq += 1
            self._state = STATE_AFTER[kind] or self._state
            awaiting = self._state == ReviewState.AWAITING_REVIEW
            events.append(EventRecord(
                seq=self._seq, kind=kind.value, state=self._state.value,
                version=self._version if at_version is None else at_version,
                actor_id=actor_id, comment=comment, revisions=self._revisions,
                deadline=self._deadline if awaiting else None,
                remind_at=self._remind_at if awaiting else None,
                **self._step_fields(kind, step, notify, at_step),
                **self._escalation_fields(kind, awaiting),
                **({"actor_email": actor_email} if actor_email else {})))
        async with self._writes:
            try:
                written = await self._project(ProjectInput(
                    draft_id=self._inp.draft_id, events=events, version=version,
                    suggestion=suggestion, findings=findings), kinds)
            except FailureError as err:
                reason = options.permanent_write_error(err)
                if not reason or not workflow.patched(WRITE_FAILURES):
                    raise
                # Nothing of this step was written: the run's numbering goes back with it.
                self._seq, self._state = before
                if version is not None:
                    self._version = version.number - 1
                self._halted = decisions.write_failed(kinds, reason)
                if decision is not None:
                    decision.error = self._halted
                raise _WriteFailed(self._halted) from err
        self._publish_wanted = self._publish_wanted or written.publish
        self._upsert()
        if decision is not None:
            decision.result = DecisionResult(
                state=self._state.value, version=self._version,
                message=decisions.decided_message(decision.kind, decision.actor))

    def _step_fields(self, kind: EventKind, step: int | None, notify: bool,
                     at_step: int | None) -> dict:
        """A chain's events carry its step (the draft page's progress line); a step approval
        mails the next step's reviewers only when it completed a step. Nothing for the
        default policy: its events stay as they were."""
        if not self._policy.is_chain:
            return {}
        fields: dict = {"step": self._step if step is None else step}
        if kind == EventKind.STEP_APPROVED:
            fields["notify"] = notify
            if at_step is not None and at_step != fields["step"]:
                fields["event_step"] = at_step
        return fields

    async def _project(self, inp: ProjectInput, kinds: tuple[EventKind, ...]) -> ProjectResult:
        """The write as a local activity; while the database stays away beyond its local
        attempts, as a regular one, which Temporal shows with its attempts and last error."""
        summary = " + ".join(k.value for k in kinds)
        try:
            return await workflow.execute_local_activity(
                PROJECT, inp, result_type=ProjectResult, summary=summary,
                **options.project(self._inp.policy))
        except FailureError as err:  # a local activity's own error: its attempts are spent
            if isinstance(err, CancelledError) \
                    or not options.local_attempts_spent(err, self._inp.policy) \
                    or not workflow.patched(WRITE_FAILURES):
                raise
            flagged = workflow.patched(WRITE_RETRIES_FLAGGED)
            if flagged:  # reconcile's bulk read finds it by this flag, without a describe
                workflow.upsert_search_attributes([WRITE_RETRYING.value_set(True)])
            try:
                return await workflow.execute_activity(
                    PROJECT, inp, result_type=ProjectResult, summary=summary,
                    **options.project_durable(self._inp.policy))
            finally:
                if flagged:
                    workflow.upsert_search_attributes([WRITE_RETRYING.value_unset()])

    def _upsert(self) -> None:
        """Search attributes for the admins' list, only when they change; the Temporal UI's
        current details (no command: safe to change) every time."""
        workflow.set_current_details(policies.current_details(
            self._state, self._version, self._policy, self._step, self._approvals))
        awaiting = self._state == ReviewState.AWAITING_REVIEW
        chain = self._policy.is_chain
        values = (self._state, self._revisions, self._deadline if awaiting else None,
                  self._step if chain else None)
        if values == self._upserted:
            return
        self._upserted = values
        workflow.upsert_search_attributes([
            REVIEW_STATE.value_set(self._state.value),
            REVISION.value_set(self._revisions),
            REVIEW_DEADLINE.value_set(self._deadline) if values[2] is not None
            else REVIEW_DEADLINE.value_unset(),
            *([REVIEW_STEP.value_set(self._step + 1)] if chain else []),
        ])

    # ------------------------------------------------------------------ rules
    def _snapshot(self) -> Snapshot:
        decision = self._decision
        return Snapshot(
            state=self._state, version=self._version, author_id=self._inp.author_id,
            revisions=self._revisions, max_revisions=self._inp.max_revisions,
            deadline=self._deadline, text=self._text, extensions=self._extensions,
            decided=Decided(decision.kind, decision.actor, decision.at) if decision else None,
            reminder_pending=self._reminder_by is not None, policy=self._policy,
            due_at=self._inp.due_at,
            step=self._step, approvals=tuple(self._approvals), escalated=self._escalated,
            suggestions=self._suggested[1] if self._suggested[0] == self._version else 0,
            budget=self._inp.budget, spent=self._spent, last_version=self._last_usage,
            checks=self._checks, target_words=self._inp.brief.target_words,
            open_blockers=self._blockers)

    def _check(self, kind: DecisionKind, actor_id: int, version: int | None, comment: str = "",
               text: str = "", expires_at: datetime | None = None,
               groups: list[str] | None = None, step: int | None = None,
               outside_email: str = "", passages: Sequence[PassageInput] = ()) -> None:
        refusal = decisions.refusal(self._snapshot(), Request(
            kind, actor_id, version, comment, text, expires_at,
            None if groups is None else frozenset(groups), step, outside_email,
            **passage_fields(passages)), workflow.now())
        if refusal is not None:
            raise _refused(refusal)

    def _stop_requested(self) -> bool:
        return self._decision is not None and self._decision.kind in STOP_DECISIONS

    def _accept(self, kind: DecisionKind, actor_id: int, actor: str, version: int | None,
                comment: str = "", text: str = "", expires_at: datetime | None = None,
                groups: list[str] | None = None, step: int | None = None,
                outside_email: str = "", passages: Sequence[PassageInput] = ()
                ) -> _Decision:
        # Checked again: two updates in one workflow task both pass their validators before
        # either handler runs, and the second must get the same refusal as a later one.
        self._check(kind, actor_id, version, comment, text, expires_at, groups, step,
                    outside_email, passages)
        decision = _Decision(kind, actor_id, actor, comment, text, workflow.now(),
                             outside_email=outside_email, passages=list(passages))
        self._history.append(DecisionRecord(kind=kind.value, actor=actor,
                                            version=self._version, comment=comment,
                                            at=decision.at))
        if kind in (DecisionKind.APPROVE, DecisionKind.APPROVE_WITH_EDITS):
            edited = kind == DecisionKind.APPROVE_WITH_EDITS
            event, after = steps.after_approval(self._snapshot(), actor_id, edited)
            if event == EventKind.STEP_APPROVED:
                # Counted at once, so the next approval (even in this workflow task) sees it;
                # an edit is a new version at once, so approvals of the old one are stale.
                if edited:
                    self._version, self._text = self._version + 1, text
                self._approvals.append(Approval(actor_id, actor, self._step, self._version))
                counted = len(steps.step_approvals(self._snapshot()))
                decision.vote = (self._step, after, self._version, counted)
                self._step = after
                self._votes.append(decision)
                return decision
        self._decision = decision
        return decision

    async def _decide(self, kind: DecisionKind, actor_id: int, actor: str,
                      version: int | None, comment: str = "", text: str = "",
                      groups: list[str] | None = None, step: int | None = None,
                      outside_email: str = "", passages: Sequence[PassageInput] = ()
                      ) -> DecisionResult:
        decision = self._accept(kind, actor_id, actor, version, comment, text, None, groups,
                                step, outside_email, passages)
        await workflow.wait_condition(lambda: decision.result is not None or decision.error)
        if decision.error:
            raise ApplicationError(decision.error, type="WriteFailed", non_retryable=True)
        assert decision.result is not None
        return decision.result

    def _check_input(self, kind: DecisionKind, d: DecisionInput) -> None:
        self._check(kind, d.actor_id, d.version, d.comment, d.text, d.expires_at,
                    d.actor_groups, d.step, d.outside_email, d.passages)

    async def _decide_input(self, kind: DecisionKind, d: DecisionInput) -> DecisionResult:
        return await self._decide(kind, d.actor_id, d.actor, d.version, d.comment, d.text,
                                  d.actor_groups, d.step, d.outside_email, d.passages)

    # ------------------------------------------------------------------ decisions (updates)
    @workflow.update
    async def approve(self, d: DecisionInput) -> DecisionResult:
        return await self._decide_input(DecisionKind.APPROVE, d)

    @approve.validator
    def _approve_allowed(self, d: DecisionInput) -> None:
        self._check_input(DecisionKind.APPROVE, d)

    @workflow.update
    async def reject(self, d: DecisionInput) -> DecisionResult:
        return await self._decide_input(DecisionKind.REJECT, d)

    @reject.validator
    def _reject_allowed(self, d: DecisionInput) -> None:
        self._check_input(DecisionKind.REJECT, d)

    @workflow.update
    async def request_changes(self, d: DecisionInput) -> DecisionResult:
        return await self._decide_input(DecisionKind.REQUEST_CHANGES, d)

    @request_changes.validator
    def _request_changes_allowed(self, d: DecisionInput) -> None:
        self._check_input(DecisionKind.REQUEST_CHANGES, d)

    @workflow.update
    async def approve_with_edits(self, d: DecisionInput) -> DecisionResult:
        return await self._decide_input(DecisionKind.APPROVE_WITH_EDITS, d)

    @approve_with_edits.validator
    def _approve_with_edits_allowed(self, d: DecisionInput) -> None:
        self._check_input(DecisionKind.APPROVE_WITH_EDITS, d)

    @workflow.update
    async def withdraw(self, s: StopInput) -> DecisionResult:
        return await self._decide(DecisionKind.WITHDRAW, s.actor_id, s.actor, None, s.comment)

    @withdraw.validator
    def _withdraw_allowed(self, s: StopInput) -> None:
        self._check(DecisionKind.WITHDRAW, s.actor_id, None, s.comment, "", s.expires_at)

    @workflow.update
    async def cancel(self, s: StopInput) -> DecisionResult:
        return await self._decide(DecisionKind.CANCEL, s.actor_id, s.actor, None, s.comment)

    @cancel.validator
    def _cancel_allowed(self, s: StopInput) -> None:
        self._check(DecisionKind.CANCEL, s.actor_id, None, s.comment, "", s.expires_at)

    # ------------------------------------------------------------------ the workbench (updates)
    @workflow.update
    async def edit(self, d: DecisionInput) -> DecisionResult:
        """A version made from the editor's choices among the reviewed version's changes
        (rulebook.suggestions): bound to that version like an edit and approval, but the
        review goes on with the new version (same step, same deadline)."""
        self._check_input(DecisionKind.EDIT, d)  # again: two in one workflow task
        decision = _Decision(DecisionKind.EDIT, d.actor_id, d.actor, d.comment, d.text,
                             workflow.now())
        self._history.append(DecisionRecord(kind=decision.kind.value, actor=d.actor,
                                            version=self._version, comment=d.comment,
                                            at=decision.at))
        self._version, self._text = self._version + 1, d.text  # the old one is stale now
        findings = None
        if self._inp.checks is not None and workflow.patched(CHECKS):  # shown, not sent back
            findings = await self._run_checks(self._version, d.text)
            self._blockers = len(checks.blocking(findings))
        await self._record_now(EventKind.EDITED, decision=decision, version=VersionRecord(
            number=self._version, kind=VersionKind.EDITED, text=d.text, actor_id=d.actor_id,
            choices=d.choices, findings=findings,
            checks_usage=self._judge_usage if findings is not None else None))
        assert decision.result is not None
        return decision.result

    @edit.validator
    def _edit_allowed(self, d: DecisionInput) -> None:
        self._check_input(DecisionKind.EDIT, d)

    @workflow.update
    async def suggest(self, d: DecisionInput) -> DecisionResult:
        """A rewrite of one commented passage of the current version, asked of the LLM
        outside a review round and recorded as a change to accept or reject."""
        self._check_input(DecisionKind.SUGGEST, d)
        number = self._version
        self._suggested = (number, self._snapshot().suggestions + 1)
        try:
            written, (change,) = await writing.revise_passages(
                self._inp, number, d.comment, self._text, d.passages, self._token_limit())
        except ActivityError as err:
            raise ApplicationError(
                f"The LLM could not suggest a rewrite: {writing.failure_message(err, self._inp)}"
                " Nothing was recorded; try again later.", type="SuggestionFailed",
                non_retryable=True) from None
        self._spend(written)  # spent, whether or not it is kept
        if self._version != number or self._state.is_final:
            raise ApplicationError(
                f"The draft moved on while the LLM wrote (it is {self._state.label.lower()}, "
                f"version {self._version}); the suggestion for version {number} was not kept.",
                type="StaleVersion", non_retryable=True)
        decision = _Decision(DecisionKind.SUGGEST, d.actor_id, d.actor, d.comment, "",
                             workflow.now())
        usage = dataclasses.replace(written, text="")
        await self._record_now(EventKind.SUGGESTED, decision=decision,
                               suggestion=dataclasses.replace(change, generation=usage))
        return DecisionResult(state=self._state.value, version=number, message=(
            "The LLM suggested a rewrite of the passage; accept or reject it with the other "
            "changes."))

    @suggest.validator
    def _suggest_allowed(self, d: DecisionInput) -> None:
        self._check_input(DecisionKind.SUGGEST, d)

    # ------------------------------------------------------------------ checks again
    @workflow.update
    async def recheck(self, r: RecheckInput) -> DecisionResult:
        """Run the checks again on the version awaiting review, with the channel's checks as
        they are now (they stay the draft's for its next versions); the findings replace the
        version's (a dismissed warning found again stays dismissed). Nothing is sent back:
        the editor is reading it."""
        self._recheck_allowed(r)
        number = self._version
        self._inp = dataclasses.replace(self._inp, checks=list(r.checks))
        self._checks = tuple(check_file.load(r.checks))
        findings = await self._run_checks(number, self._text)
        if self._version != number or self._state != ReviewState.AWAITING_REVIEW:
            raise ApplicationError(
                f"The draft moved on while the checks ran (it is {self._state.label.lower()}, "
                f"version {self._version}); nothing was recorded.", type="StaleVersion",
                non_retryable=True)
        self._blockers = len(checks.blocking(findings))
        await self._record_now(EventKind.RECHECKED, actor_id=r.actor_id, findings=findings,
                               comment=checks.summary(findings) or "nothing found")
        return DecisionResult(state=self._state.value, version=number,
                              message=checks.rechecked_message(number, findings))

    @recheck.validator
    def _recheck_allowed(self, r: RecheckInput) -> None:
        late = decisions.refusal_if_late(r.expires_at, workflow.now())
        if late is not None:
            raise _refused(late)
        why = checks.recheck_refusal(self._state == ReviewState.AWAITING_REVIEW,
                                     self._state.label)
        if why:
            raise ApplicationError(why, type="NotAwaiting", non_retryable=True)
        try:
            check_file.load(r.checks)
        except check_file.ChecksError as err:
            raise ApplicationError(f"These checks cannot be used: {err}", type="Invalid",
                                   non_retryable=True) from None

    async def _record_now(self, kind: EventKind, **fields) -> None:
        """An update's own write (not the run loop's): a failure for good is its answer,
        and the run loop ends the review (self._halted)."""
        try:
            await self._record(kind, **fields)
        except _WriteFailed as failed:
            raise ApplicationError(str(failed), type="WriteFailed", non_retryable=True) from None

    # ------------------------------------------------------------------ stop writing
    @workflow.update
    async def stop_writing(self, s: StopWritingInput) -> DecisionResult:
        """ "Stop writing": the run loop cancels the LLM and keeps or discards the text so far
        (`_stopped`); the answer says what it did, or that the version was stored first."""
        self._stop_allowed(s)  # again: two stops in one workflow task
        stop = stopping.Stop(s.keep, s.actor_id, s.actor)
        self._stop = stop
        await workflow.wait_condition(lambda: stop.result is not None or bool(stop.error))
        if stop.error:
            raise ApplicationError(stop.error, type="WriteFailed", non_retryable=True)
        assert stop.result is not None
        return stop.result

    @stop_writing.validator
    def _stop_allowed(self, s: StopWritingInput) -> None:
        refusal = writing_rules.stop_refusal(
            self._snapshot(), s.actor_id, s.actor_groups, stopping=self._stop is not None,
            expires_at=s.expires_at, now=workflow.now())
        if refusal is not None:
            raise _refused(refusal)

    # ------------------------------------------------------------------ admin updates
    @workflow.update
    async def extend_deadline(self, e: ExtendDeadlineInput) -> DeadlineResult:
        self._extend_allowed(e)  # again, for two extensions in one workflow task
        assert self._deadline is not None
        self._extensions += 1
        self._deadline, self._remind_at = deadlines.capped(*deadlines.extended(
            self._deadline, e.seconds, self._inp.review_timeout_seconds,
            self._inp.remind_after_seconds), self._inp.due_at)
        self._reminded = self._remind_at <= workflow.now()
        self._wake = True
        await self._record_now(EventKind.DEADLINE_EXTENDED, actor_id=e.actor_id,
                               comment=f"by {deadlines.duration_words(e.seconds)}")
        if self._deadline == self._inp.due_at:
            return DeadlineResult(deadline=self._deadline, message=(
                f"Deadline extended to the author's due date ({self._deadline:%Y-%m-%d %H:%M} "
                "UTC), the latest it can be."))
        return DeadlineResult(deadline=self._deadline, message=(
            f"Deadline extended by {deadlines.duration_words(e.seconds)}."))

    @extend_deadline.validator
    def _extend_allowed(self, e: ExtendDeadlineInput) -> None:
        now = workflow.now()
        refusal = (decisions.refusal_if_late(e.expires_at, now)
                   or deadlines.extension_refusal(self._snapshot(), e.seconds, now))
        if refusal is not None:
            raise _refused(refusal)

    @workflow.update
    async def resend_reminder(self, r: RemindInput) -> DecisionResult:
        self._remind_allowed(r)
        self._reminder_by = r
        self._wake = True
        await workflow.wait_condition(lambda: self._reminder_by is None)
        return DecisionResult(state=self._state.value, version=self._version,
                              message="Reminder sent to the editors.")

    @resend_reminder.validator
    def _remind_allowed(self, r: RemindInput) -> None:
        refusal = (decisions.refusal_if_late(r.expires_at, workflow.now())
                   or deadlines.reminder_refusal(self._snapshot()))
        if refusal is not None:
            raise _refused(refusal)

    # ------------------------------------------------------------------ signals and query
    @workflow.signal(dynamic=True)
    def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Decisions by signal (fire-and-forget, e.g. the CLI): the same names and payloads
        as the updates. A signal cannot answer, so a refused one is logged and dropped."""
        try:
            kind = DecisionKind(name)
            if kind in UPDATE_ONLY:
                raise ApplicationError(f"{kind.label} answers with what it made: send it as "
                                       "an update.")
            payload_type = StopInput if kind in STOP_DECISIONS else DecisionInput
            payload = workflow.payload_converter().from_payload(args[0].payload, payload_type)
            stop = kind in STOP_DECISIONS
            self._accept(kind, payload.actor_id, payload.actor,
                         None if stop else payload.version, payload.comment,
                         "" if stop else payload.text, payload.expires_at,
                         None if stop else payload.actor_groups, None if stop else payload.step,
                         "" if stop else payload.outside_email,
                         () if stop else payload.passages)
        except ApplicationError as err:
            workflow.logger.warning("signal %s refused: %s", name, err.message)
        except (ValueError, TypeError, IndexError, AttributeError) as err:
            workflow.logger.warning("signal %s refused: not a decision (%s)", name, err)

    @workflow.query
    def status(self) -> ReviewStatus:
        awaiting = self._state == ReviewState.AWAITING_REVIEW
        return ReviewStatus(
            state=self._state.value, version=self._version, revisions=self._revisions,
            max_revisions=self._inp.max_revisions,
            deadline=self._deadline if awaiting else None,
            remind_at=self._remind_at if awaiting else None,
            reminded=self._reminded, extensions=self._extensions,
            decisions=list(self._history), seq=self._seq, step=self._step,
            approvals=list(self._approvals))


# Typed handler references by decision kind, for the gateway (temporal_app/gateway.py).
DECISION_UPDATES = {
    DecisionKind.APPROVE: DraftReviewWorkflow.approve,
    DecisionKind.REJECT: DraftReviewWorkflow.reject,
    DecisionKind.REQUEST_CHANGES: DraftReviewWorkflow.request_changes,
    DecisionKind.APPROVE_WITH_EDITS: DraftReviewWorkflow.approve_with_edits,
    DecisionKind.WITHDRAW: DraftReviewWorkflow.withdraw,
    DecisionKind.CANCEL: DraftReviewWorkflow.cancel,
    DecisionKind.EDIT: DraftReviewWorkflow.edit,
    DecisionKind.SUGGEST: DraftReviewWorkflow.suggest,
}


def _refused(refusal: snapshot.Refusal) -> ApplicationError:
    return ApplicationError(refusal.sentence, type=refusal.code, non_retryable=True)
