"""Outside approvers: a signed, expiring, single-use link, on the real stack."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from drafts import services
from drafts.models import Draft
from review import services as review
from review.models import Channel, OutsideLink, Policy, PolicyStep
from tests.conftest import save_history, wait_for, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)
PARTNER = "partner@example.com"


@pytest.fixture
def partner_policy(db):
    policy = Policy.objects.create(name="Partner quote")
    PolicyStep.objects.create(policy=policy, order=1, name="Editor", required=1,
                              group=Group.objects.get_or_create(name="Editors")[0])
    PolicyStep.objects.create(policy=policy, order=2, name="Partner", required=1,
                              outside_emails=f"{PARTNER}\nother@example.com")
    Channel.objects.create(slug="partner-quote", name="Partner quote", policy=policy)


def link_after_editor(author, editor) -> tuple[Draft, str]:
    draft, _ = services.submit_draft(author=author, topic="Quote from ACME",
                                     channel="partner-quote")
    draft = wait_for_status(draft, "awaiting_review")
    review.decide(editor=editor, draft_id=draft.pk, decision="approve", version=1)
    message = wait_for(lambda: next((m for m in mail.outbox if m.to == [PARTNER]), None),
                       what="the partner's mail")
    url = re.search(r"http://\S+/outside/(\S+)/", message.body)
    assert url, message.body
    return draft, f"/outside/{url.group(1)}/"


def test_the_partner_approves_through_the_link_once(live_worker, partner_policy, author, editor):
    draft, path = link_after_editor(author, editor)
    page = Client().get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Quote from ACME" in html and PARTNER in html and "step 2 of 2, Partner" in html

    empty = Client().post(path, {"decision": "reject", "comment": ""})
    assert empty.status_code == 409 and "A rejection needs a reason." in empty.content.decode()
    done = Client().post(path, {"decision": "approve", "comment": "Fine by us."})
    assert done.status_code == 200
    assert f"Approved by {PARTNER}." in done.content.decode()
    draft = wait_for_status(draft, "approved")
    event = draft.events.last()
    assert event.actor is None and event.actor_email == PARTNER
    assert event.comment == "Fine by us."
    again = Client().post(path, {"decision": "approve"})
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert Client().get(path).status_code == 410
    assert OutsideLink.objects.get(email=PARTNER).decision == "approve"
    save_history(draft.pk, "policy_outside_approver")

    # the pages and the API name the partner (no account: the email the event keeps)
    from django.urls import reverse

    from tests.test_api import Api, create_token
    from tests.test_web_common import client_for

    page = client_for(author).get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    assert f"Approved by {PARTNER} on" in page  # the status line
    assert f"Approved (version 1) by {PARTNER}" in page  # the history
    assert f"✓ {PARTNER}" in page  # the progress line
    detail = Api(create_token(author)).get(reverse("api:draft", args=[draft.pk])).json()
    assert detail["decided_by"] == PARTNER
    assert detail["events"][-1]["actor"] == PARTNER
    assert detail["steps"][1]["approved_by"] == [PARTNER]


def test_tampered_expired_and_moved_on_links_are_refused(live_worker, settings, partner_policy,
                                                         author, editor):
    draft, path = link_after_editor(author, editor)
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    response = Client().get(tampered)
    assert response.status_code == 400 and "This link is not valid." in response.content.decode()
    assert Client().post(tampered, {"decision": "approve"}).status_code == 400

    settings.OUTSIDE_LINK_TTL = 1.0
    time.sleep(2.1)
    expired = Client().post(path, {"decision": "approve"})
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    settings.OUTSIDE_LINK_TTL = 3600.0

    # the other outside approver requests changes: the partner's link is then for an old
    # version and dies
    other = next(m for m in mail.outbox if m.to == ["other@example.com"])
    other_path = "/outside/" + re.search(r"/outside/(\S+)/", other.body).group(1) + "/"
    assert Client().post(other_path, {"decision": "request_changes",
                                      "comment": "Shorter, please."}).status_code == 200
    moved = Client().get(path)
    assert moved.status_code == 410 and "moved on" in moved.content.decode()
    assert Draft.objects.get(pk=draft.pk).current_version == 2 or \
        wait_for_status(draft, "awaiting_review").current_version == 2


def test_an_editor_cannot_decide_at_an_outside_step(live_worker, partner_policy, author, editor,
                                                    editor2):
    from temporal_app import errors

    draft, _ = link_after_editor(author, editor)
    with pytest.raises(errors.DecisionRefused, match="Only the outside approvers named"):
        review.decide(editor=editor2, draft_id=draft.pk, decision="approve", version=1)
