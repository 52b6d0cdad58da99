"""Policies, claims and bulk decisions on the web: the admin, the progress line, the claim
panel, the queue's bulk form; on the real stack where a workflow is involved."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from drafts import services
from drafts.models import Draft
from review import services as review
from review.models import Channel, Claim, Policy
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
