"""Reviews started by the release before the local-writes core (workflow type
`DraftReviewWorkflow`, kept as workflows/draft_review_v1.py) finish correctly on today's
worker: decisions reach them through the same gateway, their regular activities write
through the projection, their mail goes through the outbox. Their recorded histories replay
in tests/test_replay.py; this drives a live one end to end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail

from drafts import projection, services
from drafts.models import Draft, OutboxMail
from review import services as review
from rulebook.states import DecisionKind, EventKind, ReviewState
from temporal_app import errors, gateway
from temporal_app.types import WORKFLOW_TYPE_V1, DecisionInput, ReviewResult, workflow_id_for
from tests.conftest import save_history, wait_for, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)


def start_v1(draft: Draft) -> None:
    """What the previous release's web did: start the v1 type."""
    inp = services.review_input(draft, first_version=1, first_event_seq=2)

    async def go():
        client = await gateway.get_client()
        await client.start_workflow(WORKFLOW_TYPE_V1, inp, id=workflow_id_for(draft.pk),
                                    task_queue=settings.TEMPORAL_TASK_QUEUE)

    gateway.run(go(), timeout=15)


def test_a_v1_review_finishes_on_the_new_worker(live_worker, author, editor, editor2):
    draft = Draft.objects.create(author=author, topic="Started before the upgrade")
    projection.record(draft, EventKind.SUBMITTED, actor_id=author.pk)
    start_v1(draft)
    draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW)
    assert draft.versions.count() == 1 and draft.last_seq == 2
    # The editors' mail, queued by v1's own notify activity, goes out through the outbox.
    wait_for(lambda: any("awaits your review" in m.subject for m in mail.outbox),
             what="the v1 run's mail")
    # v1 validators ask today's rulebook: the same sentence as for new runs.
    with pytest.raises(errors.DecisionRefused, match="There is no version 2 of this draft"):
        gateway.decide(draft.pk, DecisionKind.APPROVE,
                       DecisionInput(actor_id=editor.pk, actor="editor1", version=2))
    result = review.decide(draft_id=draft.pk, editor=editor2, decision="approve", version=1,
                           comment="fine")
    assert result.state == ReviewState.APPROVED
    draft.refresh_from_db()
    assert draft.status == ReviewState.APPROVED and draft.decided_by == editor2
    assert list(draft.events.values_list("kind", flat=True)) == ["submitted", "generated",
                                                                 "approved"]

    async def outcome():
        handle = (await gateway.get_client()).get_workflow_handle(draft.workflow_id,
                                                                  result_type=ReviewResult)
        return await handle.result(rpc_timeout=timedelta(seconds=10))

    assert gateway.run(outcome(), timeout=30).state == ReviewState.APPROVED
    wait_for(lambda: any("was approved" in m.subject for m in mail.outbox),
             what="the author's mail")
    # The rows are marked sent after the batch is handed over: wait for the mark too.
    wait_for(lambda: OutboxMail.objects.filter(draft=draft, status="sent").count() == 2,
             what="both outbox rows marked sent")


def test_a_long_v1_review_writes_in_sections_and_revises_on_the_new_worker(
        live_worker, settings, author, editor):
    """A long piece on the v1 type: the outline + parallel sections path (behind v1's
    `parallel-sections` patch), a revision written the same way, then an approval. Its history
    (tests/histories/v1/sections_revise_then_approve.json) was recorded on the frozen v1 code
    before v1 was moved onto the shared writing steps (temporal_app/writing.py)."""
    settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000
    draft = Draft.objects.create(author=author, topic="Tidal energy", target_words=1200)
    projection.record(draft, EventKind.SUBMITTED, actor_id=author.pk)
    start_v1(draft)
    draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW)
    first = draft.versions.get(number=1).text
    assert first.startswith("# Tidal energy") and first.count("\n## ") >= 3, first
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="Shorter sections, please.")
    draft = wait_for(lambda: Draft.objects.filter(pk=draft.pk, current_version=2,
                                                  status=ReviewState.AWAITING_REVIEW).first(),
                     what="the revised version")
    assert draft.versions.get(number=2).text.count("\n## ") >= 3
    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=2, comment="")

    async def outcome():
        handle = (await gateway.get_client()).get_workflow_handle(draft.workflow_id,
                                                                  result_type=ReviewResult)
        return await handle.result(rpc_timeout=timedelta(seconds=10))

    assert gateway.run(outcome(), timeout=60).state == ReviewState.APPROVED
    save_history(draft.pk, "v1/sections_revise_then_approve")
