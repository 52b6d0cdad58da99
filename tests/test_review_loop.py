"""The full review workflow: revisions, edits, stale/own/late decisions, deadlines, withdraw,
cancel, signals from the real CLI, notifications, idempotent activities."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import pytest
from django.core import mail

from drafts import services
from drafts.models import Draft, DraftEvent, DraftVersion
from review import services as review
from rulebook.states import DecisionKind
from temporal_app import devserver, errors, gateway
from temporal_app.activities.records import record_event, store_version
from temporal_app.types import (
    ExtendDeadlineInput,
    RecordInput,
    StopInput,
    StoreVersionInput,
)
from tests import flaky_mail
from tests.conftest import make_user, save_history, wait_for, wait_for_status, workflow_result

pytestmark = pytest.mark.django_db(transaction=True)


def submit(author, topic="Urban beekeeping") -> Draft:
    draft, _ = services.submit_draft(author=author, topic=topic)
    return wait_for_status(draft, "awaiting_review")


def kinds(draft) -> list[str]:
    return list(DraftEvent.objects.filter(draft=draft).values_list("kind", flat=True))


def test_revise_then_approve(live_worker, author, editor):
    draft = submit(author)
    first_deadline = draft.deadline
    result = review.decide(draft_id=draft.pk, editor=editor, decision="request_changes",
                           version=1, comment="Add a section on hive placement")
    assert result.state == "revising"
    draft = wait_for(lambda: Draft.objects.filter(pk=draft.pk, status="awaiting_review",
                                                  current_version=2).first(), what="version 2")
    assert draft.revisions == 1
    assert draft.deadline > first_deadline  # a fresh deadline for the new version
    v2 = DraftVersion.objects.get(draft=draft, number=2)
    assert v2.kind == "revised" and "hive placement" in v2.text
    assert v2.prompt_version.startswith("revise")

    result = review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=2)
    assert result.state == "approved" and result.version == 2
    assert kinds(draft) == ["submitted", "generated", "changes_requested", "revised", "approved"]
    changes = DraftEvent.objects.get(draft=draft, kind="changes_requested")
    assert changes.actor == editor and changes.comment == "Add a section on hive placement"
    workflow_result(draft.pk)
    save_history(draft.pk, "revise_then_approve")


def test_stale_version_is_refused(live_worker, author, editor, editor2):
    draft = submit(author)
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="Shorter, please")
    with pytest.raises(errors.Refused,
                       match="wait for the new version|not awaiting|A newer version exists"):
        review.decide(draft_id=draft.pk, editor=editor2, decision="approve", version=1)
    wait_for(lambda: Draft.objects.filter(pk=draft.pk, current_version=2,
                                          status="awaiting_review").exists(), what="v2")
    with pytest.raises(errors.Refused, match="A newer version exists"):
        review.decide(draft_id=draft.pk, editor=editor2, decision="approve", version=1)
    assert Draft.objects.get(pk=draft.pk).status == "awaiting_review"


def test_revisions_are_bounded(live_worker, settings, author, editor):
    settings.MAX_REVISIONS = 1
    draft = submit(author)
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="More examples")
    wait_for(lambda: Draft.objects.filter(pk=draft.pk, current_version=2,
                                          status="awaiting_review").exists(), what="v2")
    with pytest.raises(errors.Refused, match="the most allowed; approve or reject"):
        review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=2,
                      comment="Even more")
    assert review.decide(draft_id=draft.pk, editor=editor, decision="reject", version=2,
                         comment="Not for us").state == "rejected"


def test_edit_then_approve(live_worker, author, editor):
    draft = submit(author)
    edited = "# Urban beekeeping\n\nEdited by hand.\n"
    result = review.decide(draft_id=draft.pk, editor=editor, decision="approve_with_edits",
                           version=1, comment="Tightened it", text=edited)
    assert result.state == "approved" and result.version == 2
    draft.refresh_from_db()
    assert draft.current_version == 2
    v2 = DraftVersion.objects.get(draft=draft, number=2)
    assert v2.kind == "edited" and v2.text == edited and v2.created_by == editor
    assert DraftVersion.objects.get(draft=draft, number=1).kind == "generated"
    assert kinds(draft) == ["submitted", "generated", "edited", "approved"]
    workflow_result(draft.pk)
    save_history(draft.pk, "edit_then_approve")


def test_unchanged_edit_is_refused(live_worker, author, editor):
    draft = submit(author)
    text = draft.versions.get().text
    with pytest.raises(errors.Refused, match="unchanged"):
        review.decide(draft_id=draft.pk, editor=editor, decision="approve_with_edits",
                      version=1, text=text)


def test_author_cannot_decide_own_draft(live_worker, editor):
    writer = make_user("writer-editor", "Authors", "Editors")
    draft = submit(writer)
    with pytest.raises(errors.Refused, match="another editor must review it"):
        review.decide(draft_id=draft.pk, editor=writer, decision="approve", version=1)
    assert review.decide(draft_id=draft.pk, editor=editor, decision="approve",
                         version=1).state == "approved"


def test_extend_deadline_and_cancel(live_worker, author, admin_user, editor):
    draft = submit(author)
    before = draft.deadline
    result = gateway.extend_deadline(draft.pk, ExtendDeadlineInput(admin_user.pk, "admin1", 7200))
    assert result.deadline - before == timedelta(hours=2)
    draft = wait_for(lambda: Draft.objects.filter(pk=draft.pk, deadline=result.deadline).first(),
                     what="the new deadline in the DB")
    event = DraftEvent.objects.get(draft=draft, kind="deadline_extended")
    assert event.actor == admin_user and event.comment == "by 2 h"

    with pytest.raises(errors.Refused, match="between a minute and 30 days"):
        gateway.extend_deadline(draft.pk, ExtendDeadlineInput(admin_user.pk, "admin1", -5))

    cancelled = gateway.decide(draft.pk, DecisionKind.CANCEL,
                               StopInput(admin_user.pk, "admin1", "duplicate topic"))
    assert cancelled.state == "cancelled"
    draft.refresh_from_db()
    assert draft.status == "cancelled" and draft.decision_comment == "duplicate topic"
    wait_for(lambda: [m for m in mail.outbox if "was cancelled" in m.subject
                      and m.to == ["author1@example.com"] and "duplicate topic" in m.body],
             what="the author's cancellation mail")
    with pytest.raises(errors.Refused):
        review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1)


def test_extended_deadline_delays_expiry(live_worker, settings, author, admin_user):
    settings.REVIEW_TIMEOUT = 2.0
    settings.REMIND_AFTER = 1.5
    draft = submit(author)
    gateway.extend_deadline(draft.pk, ExtendDeadlineInput(admin_user.pk, "admin1", 60))
    # Past the original deadline it still awaits review, and the reminder moved too.
    wait_for(lambda: DraftEvent.objects.filter(draft=draft, kind="deadline_extended").exists(),
             what="extension event")
    status = gateway.query_status(draft.pk)
    assert status.state == "awaiting_review" and status.extensions == 1
    assert not status.reminded


def test_withdraw_while_revising_cancels_the_llm_call(live_worker, settings, author, editor):
    draft = submit(author)
    settings.OFFLINE_LLM_LATENCY = 30.0  # the revision would take 30 s
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="Rewrite it")
    result = services.withdraw_draft(draft=draft, user=author, comment="No longer needed")
    assert result.state == "withdrawn"
    draft.refresh_from_db()
    assert draft.status == "withdrawn" and draft.current_version == 1
    assert kinds(draft)[-1] == "withdrawn"
    workflow_result(draft.pk, timeout=20)


def test_cancel_from_temporal_is_recorded(live_worker, author):
    draft = submit(author)

    async def cancel():
        handle = (await gateway.get_client()).get_workflow_handle(draft.workflow_id)
        await handle.cancel()

    gateway.run(cancel(), timeout=10)
    draft = wait_for_status(draft, "cancelled")
    assert DraftEvent.objects.get(draft=draft, kind="cancelled").comment == "cancelled in Temporal"


def test_signal_from_the_real_cli(live_worker, temporal_server, author, editor):
    draft = submit(author)
    payload = {"actor_id": editor.pk, "actor": "editor1", "version": 1, "comment": "from the CLI"}
    subprocess.run(
        [devserver.temporal_binary(), "workflow", "signal", "--address", temporal_server,
         "--workflow-id", draft.workflow_id, "--name", "approve", "--input",
         json.dumps(payload)],
        check=True, capture_output=True, timeout=30,
    )
    draft = wait_for_status(draft, "approved")
    assert draft.decided_by == editor and draft.decision_comment == "from the CLI"


def test_update_from_the_real_cli_answers_definitely(live_worker, temporal_server, author,
                                                     editor):
    """`temporal workflow update execute` gives CLI callers the same definite answer as the
    web: the result on success, the rulebook's sentence and a non-zero exit on refusal."""
    draft = submit(author)

    def update(payload: dict) -> subprocess.CompletedProcess:
        return subprocess.run(
            [devserver.temporal_binary(), "workflow", "update", "execute", "--address",
             temporal_server, "--workflow-id", draft.workflow_id, "--name", "approve",
             "--input", json.dumps(payload)], capture_output=True, text=True, timeout=30)

    own = update({"actor_id": author.pk, "actor": "author1", "version": 1})
    assert own.returncode != 0
    assert "another editor must review it" in own.stdout + own.stderr
    done = update({"actor_id": editor.pk, "actor": "editor1", "version": 1, "comment": "cli"})
    assert done.returncode == 0, done.stderr
    assert "Approved by editor1." in done.stdout
    assert Draft.objects.get(pk=draft.pk).status == "approved"


def test_malformed_signal_is_dropped(live_worker, author, editor):
    """A CLI signal whose payload is not a decision writes nothing; the review goes on."""
    draft = submit(author)
    gateway.signal_decision(draft.pk, DecisionKind.APPROVE, {"nonsense": True})
    gateway.signal_decision(draft.pk, DecisionKind.REJECT,
                            {"actor_id": editor.pk, "actor": "editor1", "version": 1,
                             "comment": "NUL \x00 inside"})
    assert review.decide(draft_id=draft.pk, editor=editor, decision="approve",
                         version=1).state == "approved"
    assert [d.actor for d in gateway.query_status(draft.pk).decisions] == ["editor1"]


def test_refused_signal_changes_nothing(live_worker, author, editor):
    draft = submit(author)
    gateway.signal_decision(draft.pk, DecisionKind.REJECT,
                            {"actor_id": author.pk, "actor": "author1", "version": 1,
                             "comment": "self"})
    # Signals and updates are applied in history order: had the author's signal been
    # accepted, this update would be refused as a second decision.
    assert review.decide(draft_id=draft.pk, editor=editor, decision="approve",
                         version=1).state == "approved"
    assert [d.actor for d in gateway.query_status(draft.pk).decisions] == ["editor1"]


def test_second_workflow_for_a_draft_is_refused(live_worker, author):
    draft = submit(author)
    with pytest.raises(errors.Refused, match="already has a review running"):
        gateway.start_review(services.review_input(draft, first_version=1, first_event_seq=2))


def test_failing_mail_server_does_not_block_the_review(live_worker, settings, author, editor):
    settings.EMAIL_BACKEND = "tests.flaky_mail.FlakyBackend"
    flaky_mail.STATE.update(fail_first=2, attempts=0)
    draft = submit(author)  # reaches awaiting_review although the first sends fail
    wait_for(lambda: any("awaits your review" in m.subject for m in mail.outbox), timeout=20,
             what="the retried notification")
    assert flaky_mail.STATE["attempts"] >= 3
    assert review.decide(draft_id=draft.pk, editor=editor, decision="approve",
                         version=1).state == "approved"


def test_activities_are_idempotent(author):
    draft = Draft.objects.create(author=author, topic="Idempotency")  # no workflow needed
    store = StoreVersionInput(draft_id=draft.pk, number=1, kind="generated", text="Hello")
    assert store_version(store).created is True
    assert store_version(store).created is False
    record = RecordInput(draft_id=draft.pk, seq=2, kind="generated", state="awaiting_review",
                         version=1)
    assert record_event(record).created is True
    assert record_event(record).created is False
    assert DraftVersion.objects.filter(draft=draft).count() == 1
    assert DraftEvent.objects.filter(draft=draft, seq=2).count() == 1


def test_cancel_while_writing_tells_the_author(live_worker, settings, author, admin_user):
    settings.OFFLINE_LLM_LATENCY = 30.0
    draft, _ = services.submit_draft(author=author, topic="Cancelled mid-sentence")
    wait_for(lambda: DraftEvent.objects.filter(draft=draft).exists(), what="submission")
    result = gateway.decide(draft.pk, DecisionKind.CANCEL,
                            StopInput(admin_user.pk, "admin1", "wrong brief"))
    assert result.state == "cancelled"
    assert wait_for_status(draft, "cancelled").current_version == 0
    wait_for(lambda: [m for m in mail.outbox if "was cancelled" in m.subject
                      and m.to == ["author1@example.com"]], what="the author's mail")
    workflow_result(draft.pk)
    save_history(draft.pk, "cancel_while_writing")
