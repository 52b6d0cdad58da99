"""The review workflow against a real Temporal dev server and real PostgreSQL."""

from __future__ import annotations

import pytest
from django.core import mail

from drafts import services
from drafts.models import Draft
from review import services as review
from rulebook.states import DecisionKind
from temporal_app import errors, gateway
from temporal_app.types import DecisionInput, DecisionResult, StopInput
from tests.conftest import save_history, wait_for, wait_for_status, workflow_result

pytestmark = pytest.mark.django_db(transaction=True)


def submit(author, topic="Tides and the moon", **kw) -> Draft:
    draft, created = services.submit_draft(author=author, topic=topic, **kw)
    assert created
    return wait_for_status(draft, "awaiting_review")


def events(draft) -> list[str]:
    return list(Draft.objects.get(pk=draft.pk).events.values_list("kind", flat=True))


def test_approve_path(live_worker, author, editor):
    draft = submit(author)
    assert draft.current_version == 1
    assert draft.deadline is not None
    version = draft.versions.get()
    assert version.backend == "offline" and "Offline draft" in version.text
    assert "Tides and the moon" in version.text

    result = review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1,
                           comment="Lovely")
    assert result.state == "approved"
    assert result.message == "Approved by editor1."
    draft.refresh_from_db()
    assert draft.status == "approved"
    assert draft.decided_by == editor and draft.decision_comment == "Lovely"
    assert draft.deadline is None
    assert workflow_result(draft.pk).state == "approved"
    assert events(draft) == ["submitted", "generated", "approved"]
    # editors were told it awaits review; the author was told of the decision
    wait_for(lambda: any("was approved" in m.subject for m in mail.outbox), what="approval mail")
    assert any(m.to == ["editor1@example.com"] and "awaits your review" in m.subject
               for m in mail.outbox)
    save_history(draft.pk, "approve")


def test_reject_path(live_worker, author, editor):
    draft = submit(author)
    result = review.decide(draft_id=draft.pk, editor=editor, decision="reject", version=1,
                           comment="Off-topic for us")
    assert result.state == "rejected"
    draft.refresh_from_db()
    assert draft.status == "rejected" and draft.decision_comment == "Off-topic for us"
    assert events(draft)[-1] == "rejected"
    workflow_result(draft.pk)
    save_history(draft.pk, "reject")


def test_reject_needs_a_reason(live_worker, author, editor):
    draft = submit(author)
    with pytest.raises(errors.Refused, match="needs a reason"):
        review.decide(draft_id=draft.pk, editor=editor, decision="reject", version=1)
    assert Draft.objects.get(pk=draft.pk).status == "awaiting_review"
    assert events(draft) == ["submitted", "generated"]


def test_timeout_expires_after_a_reminder(live_worker, settings, author, editor, admin_user):
    settings.REVIEW_TIMEOUT = 2.0
    settings.REMIND_AFTER = 1.0
    draft = submit(author)
    draft = wait_for_status(draft, "expired", timeout=20)
    assert draft.deadline is None
    assert events(draft) == ["submitted", "generated", "reminded", "expired"]
    assert workflow_result(draft.pk).state == "expired"
    # Mail goes out through the outbox, a moment after the events that queued it.
    wait_for(lambda: any(m.subject.startswith("Reminder:") for m in mail.outbox),
             what="the reminder mail")
    # one message per recipient, sent one after the other: wait for both, not the first
    wait_for(lambda: {a for m in mail.outbox if "expired" in m.subject for a in m.to}
             == {"author1@example.com", "admin1@example.com"}, what="the expiry mails")
    with pytest.raises(errors.Refused, match="expired"):
        review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1)
    save_history(draft.pk, "expire")


def test_second_decision_is_refused(live_worker, author, editor, editor2):
    draft = submit(author)
    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1)
    with pytest.raises(errors.Refused) as err:
        review.decide(draft_id=draft.pk, editor=editor2, decision="reject", version=1,
                      comment="no")
    # Either the workflow is still open and its validator refuses, or it has closed.
    assert "already approved by editor1" in str(err.value) or "already ended" in str(err.value)
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.decided_by == editor


def test_concurrent_decisions_one_wins(live_worker, author, editor, editor2):
    """Two decisions sent at once through the gateway: exactly one is recorded, the other
    gets a definite refusal — the validator's "already …" when it saw the first, or "already
    ended" when the first one closed the workflow in the same workflow task (Temporal then
    aborts the second update)."""
    import threading

    draft = submit(author)
    outcomes = []

    def decide(editor_, decision, comment=""):
        try:
            outcomes.append(gateway.decide(draft.pk, DecisionKind(decision), DecisionInput(
                editor_.pk, editor_.username, 1, comment)))
        except errors.RedlineError as err:
            outcomes.append(err)

    threads = [threading.Thread(target=decide, args=(editor, "approve")),
               threading.Thread(target=decide, args=(editor2, "reject", "no"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wins = [o for o in outcomes if isinstance(o, DecisionResult)]
    losses = [o for o in outcomes if isinstance(o, errors.RedlineError)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert isinstance(losses[0], errors.Refused), repr(losses[0])
    assert "already" in str(losses[0])
    draft.refresh_from_db()
    assert draft.status == wins[0].state
    assert events(draft).count("approved") + events(draft).count("rejected") == 1


def test_signal_decision_has_the_same_meaning(live_worker, author, editor):
    draft = submit(author)
    gateway.signal_decision(draft.pk, DecisionKind.APPROVE,
                            DecisionInput(editor.pk, "editor1", 1, "via signal"))
    draft = wait_for_status(draft, "approved")
    assert draft.decision_comment == "via signal"


def test_query_reports_the_state(live_worker, author):
    draft = submit(author)
    status = gateway.query_status(draft.pk)
    assert status.state == "awaiting_review"
    assert status.version == 1 and status.revisions == 0
    assert status.deadline is not None


def test_withdraw_by_the_author(live_worker, author, editor):
    draft = submit(author)
    with pytest.raises(errors.Refused, match="Only the draft's author"):
        gateway.decide(draft.pk, DecisionKind.WITHDRAW, StopInput(editor.pk, "editor1"))
    result = services.withdraw_draft(draft=draft, user=author)
    assert result.state == "withdrawn"
    assert Draft.objects.get(pk=draft.pk).status == "withdrawn"
    workflow_result(draft.pk)
    save_history(draft.pk, "withdraw")


def test_a_decision_is_accepted_recorded_and_answered_in_one_workflow_task(
        live_worker, author, editor):
    """The Update's answer comes from the same workflow task that wrote it: accepted, the
    local write's marker, completed, and the run's completion follow one WorkflowTaskCompleted
    with no activity round trip; the only regular activity of a review is the LLM call."""
    draft = submit(author)
    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1)
    workflow_result(draft.pk)

    async def go():
        handle = (await gateway.get_client()).get_workflow_handle(draft.workflow_id)
        return await handle.fetch_history()

    events = [e for e in gateway.run(go(), timeout=30).events]
    names = [e.WhichOneof("attributes").removesuffix("_event_attributes") for e in events]
    accepted = names.index("workflow_execution_update_accepted")
    task_done = max(i for i in range(accepted) if names[i] == "workflow_task_completed")
    assert names[task_done + 1:] == [
        "workflow_execution_update_accepted", "timer_canceled", "marker_recorded",
        "upsert_workflow_search_attributes", "workflow_execution_update_completed",
        "workflow_execution_completed"], names[task_done:]
    assert names.count("activity_task_scheduled") == 1
