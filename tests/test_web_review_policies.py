"""Policies, claims and bulk decisions on the web: the admin, the progress line, the claim
panel, the queue's bulk form; on the real stack where a workflow is involved."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from drafts import services
from drafts.models import Draft
from review import services as review
from review.models import Channel, Claim, Policy, PolicyStep
from rulebook import policies
from tests.conftest import make_user, wait_for_status
from tests.test_policies import press  # noqa: F401 - the fixture
from tests.test_web_common import HTMX, client_for

live = pytest.mark.django_db(transaction=True)


def _step_form(rows: list[dict]) -> dict:
    data = {"name": "Press", "steps-TOTAL_FORMS": str(len(rows)), "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"steps-{i}-{k}": v for k, v in row.items()})
    return data


@pytest.mark.django_db
def test_the_admin_saves_a_policy_and_refuses_one_the_rulebook_refuses():
    admin = make_user("root", staff=True)
    admin.is_superuser = True
    admin.save()
    legal = Group.objects.create(name="Legal")
    client = client_for(admin)
    url = reverse("admin:review_policy_add")
    bad = client.post(url, _step_form([{"order": "1", "name": "Legal", "group": str(legal.pk),
                                        "required": "1", "outside_emails": ""},
                                       {"order": "2", "name": "Partner", "group": "",
                                        "required": "2", "outside_emails": "p@example.com"}]))
    assert bad.status_code == 200
    assert ("Step 2 (Partner) needs 2 approvals but names 1 outside approvers and no group."
            in bad.content.decode())
    assert not Policy.objects.exists()
    good = client.post(url, _step_form([{"order": "1", "name": "Legal", "group": str(legal.pk),
                                         "required": "2", "outside_emails": ""}]))
    assert good.status_code == 302, good.content.decode()[:2000]
    assert Policy.objects.get().as_rule().steps[0].required == 2
    Channel.objects.create(slug="blog", name="Blog")
    listing = client.get(reverse("admin:review_channel_changelist")).content.decode()
    assert "Default (one editor)" in listing


@live
def test_progress_line_claims_and_bulk_on_the_pages(live_worker, press, author,  # noqa: F811
                                                    editor, editor2):
    draft, _ = services.submit_draft(author=author, topic="Results", channel="press-release")
    draft = wait_for_status(draft, "awaiting_review")
    review.decide(editor=editor, draft_id=draft.pk, decision="approve", version=1)
    page = client_for(author).get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    assert "1. Editor" in page and "✓ editor1" in page and "0 of 2 approvals" in page

    lawyer, other = press[0], press[1]
    review_url = reverse("review:draft", args=[draft.pk])
    html = client_for(lawyer).get(review_url).content.decode()
    assert "You are deciding at <strong>step 2 of 2, Legal</strong>" in html
    assert 'name="step" value="1"' in html
    # legal1 claims it; legal2 sees who holds it and must confirm to decide
    claimed = client_for(lawyer).post(reverse("review:claim", args=[draft.pk, "claim"]), **HTMX)
    assert claimed.status_code == 200 and "You are reviewing this draft until" in \
        claimed.content.decode()
    html = client_for(other).get(review_url).content.decode()
    assert "<strong>legal1</strong> is reviewing this draft until" in html
    assert "Decide anyway" in html
    decide_url = reverse("review:decide", args=[draft.pk])
    refused = client_for(other).post(decide_url, {"decision": "approve", "version": "1",
                                                  "step": "1"}, **HTMX)
    assert refused.status_code == 409 and "Confirm that you want to decide anyway" in \
        refused.content.decode()
    queue = client_for(other).get(reverse("review:queue")).content.decode()
    assert "step 2 of 2, Legal" in queue and "legal1 is reviewing it" in queue
    ok = client_for(other).post(decide_url, {"decision": "approve", "version": "1", "step": "1",
                                             "confirm_claim": "1"}, **HTMX)
    assert ok.status_code == 200 and "1 of 2 approvals" in ok.content.decode()
    assert Claim.objects.filter(draft=draft, user=lawyer).exists()  # not legal2's to release


@live
def test_bulk_approve_from_the_queue_with_one_refused(live_worker, author, editor, editor2):
    drafts = [services.submit_draft(author=author, topic=f"Topic {i}")[0] for i in range(3)]
    drafts = [wait_for_status(d, "awaiting_review") for d in drafts]
    review.decide(editor=editor2, draft_id=drafts[1].pk, decision="reject", version=1,
                  comment="No")
    picks = [f"{d.pk}:1" for d in drafts]
    response = client_for(editor).post(reverse("review:bulk"),
                                       {"pick": picks, "decision": "approve"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<strong>done</strong>") == 2 and html.count("<strong>refused</strong>") == 1
    assert "already rejected by editor2" in html
    states = list(Draft.objects.filter(pk__in=[d.pk for d in drafts]).order_by("pk")
                  .values_list("status", flat=True))
    assert states == ["approved", "rejected", "approved"]
    no_reason = client_for(editor).post(reverse("review:bulk"), {"pick": picks[:1],
                                                                 "decision": "reject"}, **HTMX)
    assert no_reason.status_code == 422 and "A rejection needs a reason." in \
        no_reason.content.decode()


def _at(author, step: int, policy: dict, topic: str) -> Draft:
    from tests.test_web_common import make_draft
    return make_draft(author, topic=topic, step=step, review_policy=policy)


@pytest.mark.django_db
def test_each_reviewer_queue_holds_the_drafts_at_their_steps(author):
    """The queue (and the navigation's number) starts at the drafts the reviewer decides now;
    'Drafts at every step' shows the rest. The database asks what rulebook.policies.decides_at
    says."""
    from dataclasses import asdict

    from drafts import roles, selectors
    from rulebook import policies

    quote = asdict(policies.ReviewPolicy("Quote", [
        policies.ReviewStep("Editor", "Editors", 1), policies.ReviewStep("Legal", "Legal", 2),
        policies.ReviewStep("Partner", "", 1, outside=["p@example.com"])]))
    policy = Policy.objects.create(name="Quote")  # Legal is a step's group: its members review
    PolicyStep.objects.create(policy=policy, order=1, name="Legal", required=2,
                              group=Group.objects.create(name="Legal"))
    plain = _at(author, 0, {}, "Plain post")  # the default policy: Editors
    first = _at(author, 0, quote, "At the editor")
    legal = _at(author, 1, quote, "At legal")
    partner = _at(author, 2, quote, "At the partner")
    editor = make_user("ed", "Editors")
    lawyer = make_user("lawyer", "Legal")
    both = make_user("both", "Editors", "Legal")
    admin = make_user("boss", staff=True)
    everyone = {plain, first, legal, partner}
    for user in (editor, lawyer, both, admin):
        groups = roles.reviewer_groups(user)
        mine = set(selectors.review_queue(groups=groups))
        assert mine == {d for d in everyone if policies.decides_at(d.current_step, groups)}
        html = client_for(user).get(reverse("review:queue")).content.decode()
        assert all((d.topic in html) == (d in mine) for d in everyone), user
        assert f'{len(mine)}<span class="sr-only"> awaiting review' in html  # the nav's number
        every = client_for(user).get(reverse("review:queue"), {"whose": "all"}).content.decode()
        assert all(d.topic in every for d in everyone)
    assert set(selectors.review_queue(groups=roles.reviewer_groups(lawyer))) == {legal}
    assert set(selectors.review_queue(groups=roles.reviewer_groups(admin))) == {plain, first}
    # nobody's own queue holds the outside approvers' step
    empty = client_for(make_user("lawyer2", "Legal"))
    Draft.objects.filter(pk=legal.pk).update(step=2)
    html = empty.get(reverse("review:queue")).content.decode()
    assert "Nothing is waiting at your steps." in html


@pytest.mark.django_db
def test_open_pages_learn_of_claims_without_a_reload(author, editor, editor2):
    """The review page's claim line and the queue's claim cells are polled (htmx): a claim
    taken elsewhere shows up; a draft that moved on says so and stops the polling."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.test_web_common import make_draft

    draft = make_draft(author, topic="Bees")
    other = make_draft(author, topic="Wasps")
    review_url = reverse("review:draft", args=[draft.pk])
    page = client_for(editor2).get(review_url).content.decode()
    assert 'id="claim"' in page and "every 10s" in page  # the page polls its claim line
    poll = {"HTTP_HX_TARGET": "claim", **HTMX}
    seen = {"seen": "1"}
    assert "?seen=1&amp;step=0" in page
    quiet = client_for(editor2).get(review_url, {"seen": "1", "step": "0"}, **poll)
    assert quiet.status_code == 200 and "I'm reviewing this" in quiet.content.decode()

    review.claim(user=editor, draft_id=draft.pk)  # meanwhile, in editor1's browser
    claimed = client_for(editor2).get(review_url, seen, **poll).content.decode()
    assert "<strong>editor1</strong> is reviewing this draft until" in claimed
    assert "Decide anyway" in claimed

    queue = client_for(editor2).get(reverse("review:queue"), {"page": "1"},
                                    HTTP_HX_TARGET="queue-claims", **HTMX).content.decode()
    assert f'<span id="claim-{draft.pk}" hx-swap-oob="true"><br><small class="claimed">' \
           f'editor1 is reviewing it' in queue
    assert f'<span id="claim-{other.pk}" hx-swap-oob="true"></span>' in queue
    assert "<table" not in queue  # only the cells: the editor's ticked boxes stay

    # the draft went on to another step since the page was opened: said, and polling stops
    Draft.objects.filter(pk=draft.pk).update(step=1, review_policy=dataclasses.asdict(
        policies.ReviewPolicy("Press", [policies.ReviewStep("Editor", "Editors"),
                                         policies.ReviewStep("Legal", "Legal")])))
    moved = client_for(editor2).get(review_url, {"seen": "1", "step": "0"}, **poll)
    assert moved.status_code == 286  # htmx: stop polling
    assert "moved on since you opened it: it is now at step 2 of 2, Legal" in \
        moved.content.decode()
    Draft.objects.filter(pk=draft.pk).update(step=0, review_policy={})

    # a new version (or a decision) since the page was opened: said, and polling stops
    Draft.objects.filter(pk=draft.pk).update(current_version=2)
    moved = client_for(editor2).get(review_url, seen, **poll)
    assert moved.status_code == 286  # htmx: stop polling
    assert "moved on since you opened it: version 2 is waiting" in moved.content.decode()
    Draft.objects.filter(pk=draft.pk).update(status="approved", decided_by=editor,
                                             decided_at=timezone.now() - timedelta(seconds=1))
    closed = client_for(editor2).get(review_url, {"seen": "2"}, **poll).content.decode()
    assert "it is approved by editor1" in closed


@pytest.mark.django_db(transaction=True)
def test_a_reviewers_queue_reads_an_index_not_the_whole_table(author):
    """The plan's shape, not its time (times are the bench's): with thousands of drafts
    awaiting review, a reviewer's first page walks a queue index and stops after a page.
    Asked of an expression, the planner guessed 0.5% of rows matched and sorted the whole
    queue (the bench measured 3× slower at 10,000); Draft.step_group has real statistics."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from drafts import roles, selectors
    from rulebook.states import ReviewState

    now = timezone.now()
    Draft.objects.bulk_create([
        Draft(author=author, topic=f"Plan {i}", status=ReviewState.AWAITING_REVIEW.value,
              current_version=1, deadline=now + timedelta(minutes=60 + i % 997))
        for i in range(3000)])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Draft._meta.db_table}")
    editor = make_user("planner", "Editors")
    for groups in (roles.reviewer_groups(editor), frozenset({"Editors", "Legal"})):
        plan = selectors.review_queue(groups=groups)[:50].explain()
        assert "Seq Scan on drafts_draft" not in plan and "Sort" not in plan, plan
        assert "Index Scan using draft_queue_" in plan, plan
