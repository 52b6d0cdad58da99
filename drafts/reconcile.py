"""Reconcile the database with Temporal: find drafts whose stored state disagrees with their
workflow, and (on request) repair them from the workflow's truth.

Repairs write through drafts/projection.py like everything else, run by an admin through
`manage.py reconcile --fix` when the two have drifted apart (a workflow terminated behind
the app's back, a lost workflow, a hand-edited row). They take the workflow as the truth and
never touch a running workflow's event sequence:

- workflow missing: a `retried` DraftEvent, then a new run of the workflow whose version and
  event numbering continue from the database's maximum (as the author's Retry does);
- workflow closed while the database says pending: the outcome it closed with (its result;
  for a terminated / failed / timed-out run: `failed`, which the author can retry; for a run
  cancelled in Temporal: `cancelled`) is written to the draft with a DraftEvent saying so;
- an activity of a running workflow has failed more than a threshold of times (a long
  database outage, a provider refusing every call): reported, not repaired — it retries by
  itself, and its last error says what to fix;
- workflow running in another state: the draft row's state, version and deadline are set
  from the workflow's `status` query (or its ReviewState search attribute without a worker).
  No DraftEvent is added: the running workflow numbers the events, and a row inserted here
  would take the sequence number its next event needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from drafts import projection
from drafts.models import Draft
from drafts.services import restart_review
from rulebook.states import (
    CLOSING_DECISION_EVENTS,
    EVENT_FOR_FINAL_STATE,
    FINAL_STATES,
    ReviewState,
)
from temporal_app import errors, gateway
from temporal_app.types import workflow_id_for

MISSING = "missing"
CLOSED = "closed"
STATE_DIFFERS = "state_differs"
RETRYING = "retrying"  # an activity keeps failing: reported, not repairable from here


# What Temporal says about a draft's workflow, as the gateway read it.
Truth = gateway.ReviewTruth


@dataclass
class Finding:
    draft_id: int
    kind: str  # MISSING / CLOSED / STATE_DIFFERS / RETRYING
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


def read_truths(draft_ids: list[int], *, with_query: bool = False,
                expected: dict[int, tuple[str, int]] | None = None) -> dict[int, Truth]:
    """Each draft's truth: described one by one, or (`expected`: the state and step the
    database has) counted, listed and described only as far as needed."""
    try:
        if expected is not None:
            return gateway.listed_truths(expected)
        return gateway.review_truths(draft_ids, with_query=with_query)
    except errors.EngineUnavailable as err:
        raise errors.EngineUnavailable(
            f"Temporal could not be reached, so nothing was compared: {err}") from err


# ------------------------------------------------------------------ comparing


def compare(draft: Draft, truth: Truth, retry_threshold: int = 0) -> Finding | None:
    """The first disagreement between a draft and its workflow, or an activity of its running
    workflow that has failed more than `retry_threshold` times (0: not checked)."""
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
    stuck = [p for p in truth.pending if retry_threshold and p.attempt > retry_threshold]
    if stuck:
        return Finding(draft.pk, RETRYING, db, truth.state, "; ".join(
            f"Draft #{draft.pk}: its workflow's activity {p.name} is on attempt {p.attempt}"
            f" (last error: {p.last_error or 'none recorded'})" for p in stuck) + ".", truth)
    state = truth.query.state if truth.query else truth.state
    if state and state != db:
        return Finding(draft.pk, STATE_DIFFERS, db, state, (
            f"Draft #{draft.pk} is {db} in the database, but its running workflow says "
            f"{state}."), truth)
    step = truth.query.step + 1 if truth.query else truth.step  # from 1; 0: not a chain
    if step and step != draft.step + 1:
        return Finding(draft.pk, STATE_DIFFERS, db, state, (
            f"Draft #{draft.pk} is at policy step {draft.step + 1} in the database, but its "
            f"running workflow is at step {step}."), truth)
    return None


def pending_drafts(draft_ids=None):
    drafts = Draft.objects.exclude(status__in=[s.value for s in FINAL_STATES]).order_by("pk")
    if draft_ids:
        drafts = drafts.filter(pk__in=draft_ids)
    return drafts


def find_mismatches(*, draft_ids=None, settle: float = 2.0, retry_threshold: int = 0
                    ) -> tuple[int, list[Finding]]:
    """(number of drafts checked, mismatches). Every pending draft is compared with what
    Temporal's visibility says of its workflow, in batches (gateway.listed_truths: one count
    per 500 waiting drafts in the same state and step, rows read only for a batch whose count
    falls short, not one call per draft); runs that closed or are writing are
    described, for their result and their pending activities (a waiting review runs no
    activity: its writes are local, its mail is the outbox's). A mismatch seen once is
    checked again after `settle` seconds, by describing the workflow and asking its status:
    visibility lags a moment behind, and a workflow records the database row before it
    updates its search attributes, so a draft caught mid-step can disagree for a moment."""
    drafts = list(pending_drafts(draft_ids).only("pk", "status", "step"))
    truths = read_truths([d.pk for d in drafts],
                         expected={d.pk: (d.status, d.step) for d in drafts})
    findings = [f for d in drafts if (f := compare(d, truths[d.pk], retry_threshold))]
    if findings:
        if settle > 0:
            time.sleep(settle)
        again = {d.pk: d for d in pending_drafts([f.draft_id for f in findings])}
        truths = read_truths(list(again), with_query=True)
        findings = [f for pk, d in again.items()
                    if (f := compare(d, truths[pk], retry_threshold))]
    return len(drafts), findings


# ------------------------------------------------------------------ repairing (see docstring)


def repair(finding: Finding) -> str:
    """Repair one finding from the workflow's truth; returns what was done (a sentence)."""
    if finding.kind == MISSING:
        return restart_missing(finding.draft_id)
    if finding.kind == CLOSED:
        return record_closed(finding.draft_id, finding.truth)
    if finding.kind == RETRYING:
        raise errors.Refused("nothing to repair from the database: the activity retries by "
                             "itself; its last error (above, and in the Temporal UI) says what "
                             "to fix.")
    return sync_running(finding.draft_id, finding.truth)


def restart_missing(draft_id: int) -> str:
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft_id)
        start = restart_review(
            draft, comment="Restarted by reconcile: Temporal had no workflow for this draft.")
    # The start ran on commit; if Temporal refused it, the draft failed with the reason.
    if start.error:
        raise errors.EngineUnavailable(start.error)
    inp = start.inp
    return (f"started a new workflow (versions from {inp.first_version}, events from "
            f"{inp.first_event_seq}).")


def record_closed(draft_id: int, truth: Truth) -> str:
    outcome = truth.final_state
    result = truth.result
    kind = EVENT_FOR_FINAL_STATE[outcome]
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft_id)
        if result is not None:
            why = f"its workflow completed as {outcome.value}"
        else:
            why = f"its workflow was {truth.status_name} in Temporal"
        comment = f"Recorded by reconcile: {why} while the database said {draft.status}."
        decided_by = None
        if result is not None and result.decided_by and kind in CLOSING_DECISION_EVENTS:
            user_model = get_user_model()
            decided_by = user_model.objects.filter(
                **{user_model.USERNAME_FIELD: result.decided_by}).first()
            comment = result.comment or comment
        if outcome == ReviewState.FAILED:
            comment += " Retry to start it again."
        event = projection.record(draft, kind, state=outcome,
                                  actor_id=decided_by.pk if decided_by else None,
                                  comment=comment)
    return f"recorded the outcome: {outcome.value} (event #{event.seq})."


def sync_running(draft_id: int, truth: Truth) -> str:
    before = Draft.objects.only("status", "step").get(pk=draft_id)
    if truth.query is not None:
        projection.apply_status(draft_id, truth.query)
        source = "status query"
    else:
        projection.apply_state(draft_id, ReviewState(truth.state))
        source = "search attribute"
    after = Draft.objects.only("status", "step").get(pk=draft_id)
    if before.status == after.status and before.step != after.step:
        return (f"set the policy step from {before.step + 1} to {after.step + 1} (from the "
                f"workflow's {source}).")
    return f"set the state from {before.status} to {after.status} (from the workflow's {source})."
