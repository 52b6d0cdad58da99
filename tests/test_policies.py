"""Review policies on the real stack: a chain of steps with a quorum, run by the review
workflow against a real Temporal dev server and real PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group

from drafts import services
from drafts.models import Draft
from review import services as review
from review.models import Channel, Policy, PolicyStep
from temporal_app import errors
from temporal_app.types import ReviewStatus
from tests.conftest import make_user, save_history, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def press(db):
    """Press release: an editor, then 2 of 3 from legal."""
    legal = Group.objects.create(name="Legal")
    policy = Policy.objects.create(name="Press release")
    PolicyStep.objects.create(policy=policy, order=1, name="Editor",
                              group=Group.objects.get_or_create(name="Editors")[0], required=1)
    PolicyStep.objects.create(policy=policy, order=2, name="Legal", group=legal, required=2)
    Channel.objects.create(slug="press-release", name="Press release", policy=policy)
    return [make_user(f"legal{n}", "Legal") for n in (1, 2, 3)]


def submit(author) -> Draft:
    draft, _ = services.submit_draft(author=author, topic="Quarterly results",
                                     channel="press-release")
    return wait_for_status(draft, "awaiting_review")


def decide(user, draft, decision="approve", version=None, **kw):
    return review.decide(draft_id=draft.pk, editor=user, decision=decision,
                         version=version or Draft.objects.get(pk=draft.pk).current_version, **kw)


def events(draft) -> list[str]:
    return list(Draft.objects.get(pk=draft.pk).events.values_list("kind", flat=True))


def test_a_chain_with_a_quorum_and_racing_approvals(live_worker, press, author, editor):
    draft = submit(author)
    assert draft.policy.name == "Press release" and draft.step == 0
    assert draft.step_label == "step 1 of 2, Editor"
    with pytest.raises(errors.DecisionRefused, match="members of Editors decide"):
        decide(press[0], draft)

    moved = decide(editor, draft)
    assert moved.state == "awaiting_review"
    assert moved.message == ("Approved by editor1: step 1 of 2, Editor is complete; the draft "
                             "goes to step 2 of 2, Legal.")
    draft.refresh_from_db()
    assert draft.step == 1 and draft.step_label == "step 2 of 2, Legal"
    with pytest.raises(errors.DecisionRefused, match="already has its approvals"):
        decide(editor, draft, step=0)  # a page that still showed step 1

    # Three lawyers approve at once: two make the quorum, the third is told it is decided.
    answers: dict[str, object] = {}

    def approve(user):
        try:
            answers[user.username] = decide(user, draft, step=1).message
        except errors.RedlineError as err:
            answers[user.username] = err

    threads = [threading.Thread(target=approve, args=(u,)) for u in press]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    messages = sorted(str(a) for a in answers.values())
    refused = [a for a in answers.values() if isinstance(a, errors.Refused)]
    assert len(refused) == 1, answers
    # refused by the rulebook, or (arriving in the task that closed the review) by Temporal
    assert "already approved by legal" in str(refused[0]) \
        or str(refused[0]) == "This draft's review has already ended.", refused
    assert any(m.endswith(": 1 of 2 approvals at step 2 of 2, Legal.") for m in messages)
    assert any(m.startswith("Approved by legal") and m.endswith(".") and "of 2" not in m
               for m in messages), messages
    draft = wait_for_status(draft, "approved")
    assert events(draft) == ["submitted", "generated", "step_approved", "step_approved",
                             "approved"]
    assert draft.decided_by.username.startswith("legal")
    save_history(draft.pk, "policy_quorum")


def test_request_changes_mid_chain_starts_again_at_step_one(live_worker, press, author, editor,
                                                            editor2):
    draft = submit(author)
    decide(editor, draft)
    decide(press[0], draft)  # 1 of 2 at legal
    decide(press[1], draft, "request_changes", comment="Cite the filing.")
    draft = wait_for_status(draft, "awaiting_review")
    wait_for_status(draft, "awaiting_review")
    draft = Draft.objects.get(pk=draft.pk)
    assert draft.current_version == 2 and draft.step == 0
    with pytest.raises(errors.DecisionRefused, match="members of Editors decide"):
        decide(press[0], draft)  # legal waits for the editor again
    decide(editor2, draft)
    # legal1's approval of version 1 does not carry over: one more is not enough
    answer = decide(press[0], draft)
    assert answer.message.endswith("1 of 2 approvals at step 2 of 2, Legal.")
    assert decide(press[2], draft).state == "approved"
    save_history(draft.pk, "policy_changes_mid_chain")


def test_edit_and_approve_at_a_step_voids_the_old_versions_approvals(live_worker, press, author,
                                                                     editor):
    draft = submit(author)
    decide(editor, draft)
    decide(press[0], draft)  # legal1 approves version 1 (1 of 2)
    edited = decide(press[1], draft, "approve_with_edits", version=1, text="# Better\n\nText.")
    assert edited.state == "awaiting_review" and edited.version == 2
    assert edited.message.endswith("1 of 2 approvals at step 2 of 2, Legal.")
    with pytest.raises(errors.DecisionRefused, match="newer version"):
        decide(press[2], draft, version=1)
    assert decide(press[0], draft, version=2).state == "approved"  # legal1 again, on v2
    draft = Draft.objects.get(pk=draft.pk)
    assert draft.versions.get(number=2).text == "# Better\n\nText."
    assert events(draft)[-4:] == ["step_approved", "edited", "step_approved", "approved"]


def test_step_two_expires(live_worker, settings, press, author, editor):
    settings.REVIEW_TIMEOUT = 3.0
    settings.REMIND_AFTER = 2.0
    draft = submit(author)
    decide(editor, draft)
    draft = wait_for_status(draft, "expired", timeout=20)
    assert draft.step == 1
    assert events(draft)[-3:] == ["step_approved", "reminded", "expired"]


def test_the_status_query_shows_the_step_and_approvals(live_worker, press, author, editor):
    from temporal_app import gateway

    draft = submit(author)
    decide(editor, draft)
    decide(press[0], draft)
    status: ReviewStatus = gateway.query_status(draft.pk)
    assert status.step == 1
    assert [(a.actor, a.step) for a in status.approvals] == [("editor1", 0), ("legal1", 1)]
    # the Temporal UI's current details show the steps (counts, no names)
    details = gateway.run(_current_details(draft.pk))
    assert details == ("**Awaiting review**, version 1\n✓ step 1, Editor: done\n"
                       "→ step 2, Legal: 1 of 2")


async def _current_details(draft_id: int) -> str:
    from temporal_app import gateway
    from temporal_app.types import workflow_id_for

    client = await gateway.get_client()
    metadata = await client.get_workflow_handle(workflow_id_for(draft_id)).query(
        "__temporal_workflow_metadata")
    return metadata.current_details


def test_unknown_channel_is_refused_and_nothing_written(db, press, author):
    before = Draft.objects.count()
    with pytest.raises(errors.InvalidBrief, match="no channel 'blogg'. Choose one of: "
                                                  "press-release"):
        services.submit_draft(author=author, topic="x", channel="blogg")
    assert Draft.objects.count() == before


def test_the_progress_line_comes_from_the_events(live_worker, press, author, editor):
    from drafts import selectors

    draft = submit(author)
    decide(editor, draft)
    decide(press[1], draft)
    rows = selectors.policy_progress(selectors.draft_with_history(draft.pk))
    assert [(r.number, r.rule.name, r.status, r.summary) for r in rows] == [
        (1, "Editor", "done", "editor1"), (2, "Legal", "current", "1 of 2 approvals: legal2")]
    decide(press[2], draft)
    rows = selectors.policy_progress(selectors.draft_with_history(draft.pk))
    assert [(r.status, r.summary) for r in rows] == [("done", "editor1"),
                                                     ("done", "legal2, legal3")]


def test_a_step_groups_members_may_open_the_review_pages(db, press):
    from drafts import roles

    legal1 = press[0]
    assert roles.is_editor(legal1)
    outsider = make_user("outsider", "Accounting")
    assert not roles.is_editor(outsider)


def test_reconcile_repairs_a_step_the_database_lost(live_worker, press, author, editor):
    from tests.test_reconcile import reconcile

    draft = submit(author)
    decide(editor, draft)
    Draft.objects.filter(pk=draft.pk).update(step=0)  # the row lost the step's move
    code, output = reconcile()
    assert code == 1
    assert (f"Draft #{draft.pk} is at policy step 1 in the database, but its running workflow "
            "is at step 2.") in output
    code, output = reconcile("--fix")
    assert "set the policy step from 1 to 2 (from the workflow's status query)" in output, output
    assert Draft.objects.get(pk=draft.pk).step == 1


def test_the_api_shows_the_steps_and_refuses_a_decision_for_a_step_left(live_worker, press,
                                                                       author, editor):
    from tests.test_api import Api, create_token, error

    draft = submit(author)
    api = Api(create_token(editor))
    url = f"/api/v1/drafts/{draft.pk}/decisions/"
    body = api.post(url, {"decision": "approve", "version": 1, "step": 0}).json()
    assert body["state"] == "awaiting_review" and "goes to step 2 of 2, Legal" in body["message"]
    stale = error(api.post(url, {"decision": "approve", "version": 1, "step": 0}), 409,
                  "StepMoved")
    assert stale["detail"].startswith("Step 1 (Editor) already has its approvals")
    detail = api.get(f"/api/v1/drafts/{draft.pk}/").json()
    assert detail["policy"] == "Press release" and detail["step"] == 1
    assert [(s["name"], s["status"], s["summary"]) for s in detail["steps"]] == [
        ("Editor", "done", "editor1"), ("Legal", "current", "0 of 2 approvals")]
    lawyer = Api(create_token(press[0]))
    assert lawyer.post(url, {"decision": "approve", "version": 1, "step": 1}).status_code == 200


def test_each_step_mails_its_own_group(live_worker, press, author, editor, editor2):
    from django.core import mail

    from tests.conftest import wait_for

    draft = submit(author)
    wait_for(lambda: {m.to[0] for m in mail.outbox if "awaits your review" in m.subject}
             == {"editor1@example.com", "editor2@example.com"}, what="the editors' mail")
    decide(editor, draft)
    wait_for(lambda: {m.to[0] for m in mail.outbox if "at the next step" in m.subject}
             == {"legal1@example.com", "legal2@example.com", "legal3@example.com"},
             what="the lawyers' mail")
    decide(press[0], draft)  # 1 of 2: nobody is mailed
    decide(press[1], draft)
    wait_for(lambda: any("was approved" in m.subject for m in mail.outbox), what="approval")
    assert sum("at the next step" in m.subject for m in mail.outbox) == 3
    assert not any(m.to[0] == "editor1@example.com" and "next step" in m.subject
                   for m in mail.outbox)


def test_the_pending_command_and_the_queue_filters_show_the_step(live_worker, press, author,
                                                                 editor):
    import json
    from io import StringIO

    from django.core.management import call_command

    from drafts import selectors
    from tests.conftest import wait_for

    chained = submit(author)
    plain, _ = services.submit_draft(author=author, topic="Plain")
    plain = wait_for_status(plain, "awaiting_review")
    decide(editor, chained)

    def rows():
        out = StringIO()
        call_command("pending_workflows", "--json", stdout=out)
        return {r["draft_id"]: r for r in json.loads(out.getvalue())["workflows"]}

    found = wait_for(lambda: (r := rows()) and r.get(chained.pk, {}).get("step") == 2 and r,
                     what="the ReviewStep search attribute in visibility")
    assert found[plain.pk]["step"] is None  # a one-step review has none

    assert [d.pk for d in selectors.review_queue(channel="press-release")] == [chained.pk]
    assert [d.pk for d in selectors.review_queue(step=1)] == [chained.pk]
    assert set(d.pk for d in selectors.review_queue(step=0)) == {plain.pk}
    review.claim(user=press[0], draft_id=chained.pk)
    assert [d.pk for d in selectors.review_queue(claimed_by=press[0].pk)] == [chained.pk]
    assert list(selectors.review_queue(claimed_by=editor.pk)) == []
