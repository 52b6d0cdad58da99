"""Reconcile the database with Temporal: find drafts whose stored state disagrees with their
workflow, and (on request) repair them from the workflow's truth.

EXCEPTION TO THE RULE: in normal operation only activities (temporal_app.activities.records)
write a draft's workflow-driven state. The repair functions here are the one other writer,
run by an admin through `manage.py reconcile --fix` when the two have drifted apart (a
workflow terminated behind the app's back, a lost workflow, a hand-edited row). They take the
workflow as the truth and never touch a running workflow's event sequence:

- workflow missing: a `retried` DraftEvent, then a new run of the workflow whose version and
  event numbering continue from the database's maximum (as the author's Retry does);
- workflow closed while the database says pending: the outcome it closed with (its result;
  for a terminated / failed / timed-out run: `failed`, which the author can retry; for a run
  cancelled in Temporal: `cancelled`) is written to the draft with a DraftEvent saying so;
- workflow running in another state: the draft row's state, version and deadline are set
  from the workflow's `status` query (or its ReviewState search attribute without a worker).
  No DraftEvent is added: the running workflow numbers the events, and a row inserted here
  would take the sequence number its next event needs.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from drafts.models import Draft, DraftEvent
from drafts.services import last_numbers, restart_review
from temporal_app import client as temporal
from temporal_app.types import (
    FINAL_STATES,
    REVIEW_STATE,
    EventKind,
    ReviewResult,
    ReviewState,
    ReviewStatus,
    workflow_id_for,
)

MISSING = "missing"
CLOSED = "closed"
STATE_DIFFERS = "state_differs"

_EVENT_FOR_STATE = {
    ReviewState.APPROVED: EventKind.APPROVED,
    ReviewState.REJECTED: EventKind.REJECTED,
    ReviewState.EXPIRED: EventKind.EXPIRED,
    ReviewState.WITHDRAWN: EventKind.WITHDRAWN,
    ReviewState.CANCELLED: EventKind.CANCELLED,
    ReviewState.FAILED: EventKind.FAILED,
}
_CONCURRENCY = 16
_CHUNK = 200


@dataclass(frozen=True)
class Truth:
    """What Temporal says about a draft's workflow (latest run)."""

    exists: bool
    status: WorkflowExecutionStatus | None = None
    state: str = ""  # the ReviewState search attribute
    result: ReviewResult | None = None  # completed runs
    query: ReviewStatus | None = None  # running runs, when a worker answered

    @property
    def running(self) -> bool:
        return self.status == WorkflowExecutionStatus.RUNNING

    @property
    def status_name(self) -> str:
        return self.status.name.lower().replace("_", " ") if self.status else "missing"

    @property
    def final_state(self) -> ReviewState:
        """The state a closed run ended in."""
        if self.result is not None:
            return ReviewState(self.result.state)
        if self.status == WorkflowExecutionStatus.CANCELED:
            return ReviewState.CANCELLED
        return ReviewState.FAILED


@dataclass
class Finding:
    draft_id: int
    kind: str  # MISSING / CLOSED / STATE_DIFFERS
    db_state: str
    workflow_state: str
    detail: str  # a sentence for people
    truth: Truth
    fixed: str = ""  # what the repair did
    fix_failed: str = ""

    def as_json(self) -> dict:
        return {"draft_id": self.draft_id, "kind": self.kind, "db_state": self.db_state,
                "workflow_state": self.workflow_state, "workflow_status": self.truth.status_name,
                "detail": self.detail, "fixed": self.fixed, "fix_failed": self.fix_failed}


# ------------------------------------------------------------------ reading Temporal


async def _truth(client, pk: int, with_query: bool) -> Truth:
    handle = client.get_workflow_handle(workflow_id_for(pk))
    try:
        desc = await handle.describe(rpc_timeout=timedelta(seconds=5))
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return Truth(exists=False)
        raise
    state = desc.typed_search_attributes.get(REVIEW_STATE) or ""
    result = query = None
    if desc.status == WorkflowExecutionStatus.COMPLETED:
        try:
            result = await handle.result(result_type=ReviewResult,
                                         rpc_timeout=timedelta(seconds=5))
        except (WorkflowFailureError, RPCError):
            result = None
    elif desc.status == WorkflowExecutionStatus.RUNNING and with_query:
        try:
            query = await handle.query("status", result_type=ReviewStatus,
                                       rpc_timeout=timedelta(seconds=3))
        except Exception:  # no worker, or it did not answer: the search attribute will do
            query = None
    return Truth(exists=True, status=desc.status, state=state, result=result, query=query)


def read_truths(draft_ids: list[int], *, with_query: bool = False) -> dict[int, Truth]:
    async def go(ids: list[int]) -> dict[int, Truth]:
        client = await temporal.get_client()
        gate = asyncio.Semaphore(_CONCURRENCY)

        async def one(pk: int) -> tuple[int, Truth]:
            async with gate:
                return pk, await _truth(client, pk, with_query)

        return dict(await asyncio.gather(*[one(pk) for pk in ids]))

    truths: dict[int, Truth] = {}
    for start in range(0, len(draft_ids), _CHUNK):
        chunk = draft_ids[start:start + _CHUNK]
        try:
            truths.update(temporal.run(go(chunk), timeout=60))
        except (RPCError, TimeoutError, OSError, RuntimeError) as err:
            raise temporal.EngineUnavailable(
                f"Temporal could not be reached, so nothing was compared: {err}.") from err
    return truths


# ------------------------------------------------------------------ comparing


def compare(draft: Draft, truth: Truth) -> Finding | None:
    db = draft.status
    if not truth.exists:
        return Finding(draft.pk, MISSING, db, "", (
            f"Draft #{draft.pk} is {db} in the database, but Temporal has no workflow "
            f"{workflow_id_for(draft.pk)}."), truth)
    if not truth.running:
        outcome = truth.final_state.value
        return Finding(draft.pk, CLOSED, db, outcome, (
            f"Draft #{draft.pk} is {db} in the database, but its workflow is closed "
            f"({truth.status_name}; it ended as {outcome})."), truth)
    state = truth.query.state if truth.query else truth.state
    if state and state != db:
        return Finding(draft.pk, STATE_DIFFERS, db, state, (
            f"Draft #{draft.pk} is {db} in the database, but its running workflow says "
            f"{state}."), truth)
    return None


def pending_drafts(draft_ids=None):
    drafts = Draft.objects.exclude(status__in=[s.value for s in FINAL_STATES]).order_by("pk")
    if draft_ids:
        drafts = drafts.filter(pk__in=draft_ids)
    return drafts


def find_mismatches(*, draft_ids=None, settle: float = 2.0) -> tuple[int, list[Finding]]:
    """(number of drafts checked, mismatches). A mismatch seen once is checked again after
    `settle` seconds: a workflow records the database row before it updates its search
    attributes, so a draft caught mid-step can disagree for a moment."""
    drafts = list(pending_drafts(draft_ids).only("pk", "status"))
    truths = read_truths([d.pk for d in drafts])
    findings = [f for d in drafts if (f := compare(d, truths[d.pk]))]
    if findings:
        if settle > 0:
            time.sleep(settle)
        again = {d.pk: d for d in pending_drafts([f.draft_id for f in findings])}
        truths = read_truths(list(again), with_query=True)
        findings = [f for pk, d in again.items() if (f := compare(d, truths[pk]))]
    return len(drafts), findings


# ------------------------------------------------------------------ repairing (see docstring)


def repair(finding: Finding) -> str:
    """Repair one finding from the workflow's truth; returns what was done (a sentence)."""
    if finding.kind == MISSING:
        return restart_missing(finding.draft_id)
    if finding.kind == CLOSED:
        return record_closed(finding.draft_id, finding.truth)
    return sync_running(finding.draft_id, finding.truth)


def restart_missing(draft_id: int) -> str:
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft_id)
        inp = restart_review(
            draft, version=draft.current_version,
            comment="Restarted by reconcile: Temporal had no workflow for this draft.")
    # The start ran on commit; if Temporal refused it, the draft is failed with the reason and
    # (unlike a failure inside the new run) no event follows the `retried` one.
    failed = Draft.objects.filter(pk=draft_id, status=ReviewState.FAILED).exclude(
        events__seq__gte=inp.first_event_seq).first()
    if failed is not None:
        raise temporal.EngineUnavailable(failed.status_message)
    return (f"started a new workflow (versions from {inp.first_version}, events from "
            f"{inp.first_event_seq}).")


def record_closed(draft_id: int, truth: Truth) -> str:
    outcome = truth.final_state
    result = truth.result
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft_id)
        last_seq, _ = last_numbers(draft)
        if result is not None:
            why = f"its workflow completed as {outcome.value}"
        else:
            why = f"its workflow was {truth.status_name} in Temporal"
        comment = f"Recorded by reconcile: {why} while the database said {draft.status}."
        decided_by = None
        if result is not None and result.decided_by:
            decided_by = get_user_model().objects.filter(
                **{get_user_model().USERNAME_FIELD: result.decided_by}).first()
        event = DraftEvent.objects.create(
            draft=draft, seq=last_seq + 1, kind=_EVENT_FOR_STATE[outcome], actor=decided_by,
            version=result.version if result else draft.current_version, comment=comment)
        draft.status = outcome
        draft.deadline = draft.remind_at = None
        if result is not None and result.version:
            draft.current_version = max(draft.current_version, result.version)
        if outcome == ReviewState.FAILED:
            draft.status_message = (f"The review workflow was {truth.status_name} in Temporal; "
                                    "retry to start it again.")
        if outcome in (ReviewState.APPROVED, ReviewState.REJECTED, ReviewState.WITHDRAWN,
                       ReviewState.CANCELLED):
            draft.decided_by = decided_by
            draft.decided_at = event.created_at
            draft.decision_comment = result.comment if result else comment
        draft.save()
    return f"recorded the outcome: {outcome.value} (event #{last_seq + 1})."


def sync_running(draft_id: int, truth: Truth) -> str:
    status = truth.query
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft_id)
        before = draft.status
        if status is not None:
            draft.status = status.state
            if status.version:
                draft.current_version = status.version
            draft.revisions = status.revisions
            draft.deadline = status.deadline
            draft.remind_at = status.remind_at
        else:
            draft.status = truth.state
            if truth.state != ReviewState.AWAITING_REVIEW:
                draft.deadline = draft.remind_at = None
        draft.save()
    source = "status query" if status is not None else "search attribute"
    return f"set the state from {before} to {draft.status} (from the workflow's {source})."
