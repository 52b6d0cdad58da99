"""Activities that write a draft's versions, events and state. Idempotent: keyed on
(draft, version number) and (draft, event seq), so a retried activity writes nothing twice."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from temporalio import activity
from temporalio.exceptions import ApplicationError

from drafts.models import Draft, DraftEvent, DraftVersion
from temporal_app.types import (
    RECORD_EVENT,
    STORE_VERSION,
    EventKind,
    RecordInput,
    RecordResult,
    ReviewState,
    StoreVersionInput,
    StoreVersionResult,
)

_DECISIONS = {EventKind.APPROVED, EventKind.REJECTED, EventKind.WITHDRAWN, EventKind.CANCELLED}


def _locked_draft(draft_id: int) -> Draft:
    try:
        return Draft.objects.select_for_update().get(pk=draft_id)
    except Draft.DoesNotExist:
        raise ApplicationError(f"draft {draft_id} does not exist", type="DraftMissing",
                               non_retryable=True) from None


@activity.defn(name=STORE_VERSION)
def store_version(inp: StoreVersionInput) -> StoreVersionResult:
    gen = inp.generation
    with transaction.atomic():
        draft = _locked_draft(inp.draft_id)
        _, created = DraftVersion.objects.get_or_create(
            draft=draft,
            number=inp.number,
            defaults={
                "kind": inp.kind,
                "text": inp.text,
                "created_by_id": inp.actor_id,
                "backend": gen.backend if gen else "",
                "model_name": gen.model if gen else "",
                "prompt_version": gen.prompt_version if gen else "",
                "prompt_tokens": gen.prompt_tokens if gen else 0,
                "completion_tokens": gen.completion_tokens if gen else 0,
                "latency_ms": gen.latency_ms if gen else 0,
                "cost_usd": Decimal(str(round(gen.cost_usd, 6))) if gen else Decimal(0),
            },
        )
    return StoreVersionResult(created=created)


@activity.defn(name=RECORD_EVENT)
def record_event(inp: RecordInput) -> RecordResult:
    kind = EventKind(inp.kind)
    with transaction.atomic():
        draft = _locked_draft(inp.draft_id)
        event, created = DraftEvent.objects.get_or_create(
            draft=draft,
            seq=inp.seq,
            defaults={"kind": kind, "actor_id": inp.actor_id, "version": inp.version,
                      "comment": inp.comment},
        )
        if not created:  # a retry: the first attempt committed the state with the event
            return RecordResult(created=False)
        draft.status = inp.state
        if inp.version:
            draft.current_version = inp.version
        awaiting = inp.state == ReviewState.AWAITING_REVIEW
        draft.deadline = inp.deadline if awaiting else None
        draft.remind_at = inp.remind_at if awaiting else None
        if kind in (EventKind.GENERATED, EventKind.REVISED):
            draft.status_message = ""
            draft.progress_chars = 0
        elif kind == EventKind.CHANGES_REQUESTED:
            draft.revisions += 1
        elif kind == EventKind.FAILED:
            draft.status_message = inp.comment
        if kind in _DECISIONS:
            draft.decided_by_id = inp.actor_id
            draft.decided_at = event.created_at
            draft.decision_comment = inp.comment
        draft.save()
    return RecordResult(created=True)
