"""Review policies on the pages: the Django admin checks a policy with the rulebook's words;
the draft page, review page and queue show where a chain of steps stands. The live tests run
the real review workflow; tests/test_web_review_policies.py covers claims and bulk decisions."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from drafts import services
from review.models import Channel, Policy, PolicyStep
from tests.conftest import make_user, wait_for_status
from tests.test_policies import press  # noqa: F401 - the fixture
from tests.test_web_common import HTMX, client_for, make_draft, snapshot

live = pytest.mark.django_db(transaction=True)

NOT_AN_EDITOR = ("This draft is at step 1 of 2, Editor, which members of Editors decide; "
                 "you are not one of them.")


def root_client():
    root = make_user("root", staff=True)
    root.is_superuser = True
    root.save()
    return client_for(root)


def policy_form(rows: list[dict], name: str = "Press") -> dict:
    """The admin add form: the policy's fields and the steps inline's management form."""
    data = {"name": name, "steps-TOTAL_FORMS": str(len(rows)), "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"steps-{i}-{key}": value for key, value in row.items()})
    return data


def step_row(order: int, name: str, group: Group | None, required: int = 1,
             hours: str = "") -> dict:
    return {"order": str(order), "name": name, "group": str(group.pk) if group else "",
            "required": str(required), "review_hours": hours, "outside_emails": ""}


def steps_shown(html: str) -> list[tuple[str, str]]:
    """(status, text) of each row of the progress line."""
    return [(status, " ".join(re.sub(r"<[^>]+>", " ", text).split()))
            for status, text in re.findall(r'<li class="step step-(\w+)">(.*?)</li>', html,
                                           flags=re.S)]


# ------------------------------------------------------------------ the admin


@pytest.mark.django_db
def test_the_admin_saves_a_two_step_policy_and_lists_its_steps():
    client = root_client()
    editors = Group.objects.get_or_create(name="Editors")[0]
    legal = Group.objects.create(name="Legal")
    add = reverse("admin:review_policy_add")
    assert "Editing a policy changes only drafts submitted afterwards" in \
        client.get(add).content.decode()
    response = client.post(add, policy_form([step_row(2, "Legal", legal, 2, hours="48"),
                                             step_row(1, "Editor", editors)]))
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = Policy.objects.get().as_rule()
    assert [(s.name, s.group, s.required, s.review_seconds) for s in rule.steps] == [
        ("Editor", "Editors", 1, 0.0), ("Legal", "Legal", 2, 48 * 3600.0)]
    Channel.objects.create(slug="press-release", name="Press release",
                           policy=Policy.objects.get())
    listing = client.get(reverse("admin:review_policy_changelist")).content.decode()
    assert "Editor (1 of Editors) → Legal (2 of Legal)" in listing
    assert "Press release" in listing


@pytest.mark.django_db
@pytest.mark.parametrize(("rows", "sentence"), [
    ([], "A policy needs at least one step."),
    # the inline's blank extra row, sent as the admin renders it: still no step
    ([{"order": "1", "name": "", "group": "", "required": "1", "review_hours": "",
       "outside_emails": ""}], "A policy needs at least one step."),
    ("eleven", "A policy has at most 10 steps."),
], ids=["no-rows", "blank-row", "eleven-steps"])
def test_the_admin_refuses_a_policy_the_rulebook_refuses(rows, sentence):
    client = root_client()
    editors = Group.objects.get_or_create(name="Editors")[0]
    if rows == "eleven":
        rows = [step_row(n, f"Step {n}", editors) for n in range(1, 12)]
    response = client.post(reverse("admin:review_policy_add"), policy_form(rows))
    assert response.status_code == 200
    assert sentence in response.content.decode()
    assert not Policy.objects.exists() and not PolicyStep.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("required", ["0", "21"])
def test_the_admin_refuses_an_approval_count_outside_the_rulebooks_range(required):
    """The step's own field refuses it first (the count's bounds are the rulebook's
    MAX_REQUIRED); the policy is not saved."""
    client = root_client()
    legal = Group.objects.create(name="Legal")
    row = step_row(1, "Legal", legal) | {"required": required}
    response = client.post(reverse("admin:review_policy_add"), policy_form([row]))
    assert response.status_code == 200
    html = response.content.decode()
    assert ("Ensure this value is greater than or equal to 1." in html if required == "0"
            else "Ensure this value is less than or equal to 20." in html)
    assert not Policy.objects.exists() and not PolicyStep.objects.exists()


@pytest.mark.django_db
def test_the_channel_admin_names_the_default_policy():
    client = root_client()
    Channel.objects.create(slug="blog", name="Blog")
    Channel.objects.create(slug="press-release", name="Press release",
                           policy=Policy.objects.create(name="Two lawyers"))
    listing = client.get(reverse("admin:review_channel_changelist")).content.decode()
    assert "Default (one editor)" in listing and "Two lawyers" in listing
    assert listing.count("Default (one editor)") == 1


# ------------------------------------------------------------------ the default policy


@pytest.mark.django_db
def test_under_the_default_policy_the_pages_show_no_steps(author, editor):
    draft = make_draft(author)
    page = client_for(author).get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    review_page = client_for(editor).get(reverse("review:draft", args=[draft.pk])).content.decode()
    queue = client_for(editor).get(reverse("review:queue")).content.decode()
    for html in (page, review_page, queue):
        assert "step-line" not in html and "step 1 of" not in html
    assert "You are deciding at" not in review_page and 'name="step"' not in review_page


# ------------------------------------------------------------------ a chain, live


@live
def test_a_chain_on_the_pages(live_worker, press, author, editor):  # noqa: F811
    lawyer = press[0]
    draft, _ = services.submit_draft(author=author, topic="Quarterly results",
                                     channel="press-release")
    draft = wait_for_status(draft, "awaiting_review")
    decide_url = reverse("review:decide", args=[draft.pk])
    review_url = reverse("review:draft", args=[draft.pk])
    detail_url = reverse("drafts:detail", args=[draft.pk])

    # Step 1 is the editors': a lawyer may open the page but not decide there.
    html = client_for(editor).get(review_url).content.decode()
    assert "You are deciding at <strong>step 1 of 2, Editor</strong>" in html
    assert 'name="step" value="0"' in html
    # the lawyer's queue holds the drafts at Legal steps; every step shows this one too
    assert draft.topic not in client_for(lawyer).get(reverse("review:queue")).content.decode()
    assert "step 1 of 2, Editor" in client_for(lawyer).get(
        reverse("review:queue"), {"whose": "all"}).content.decode()
    before = snapshot(draft)
    refused = client_for(lawyer).post(decide_url, {"decision": "approve", "version": "1",
                                                   "step": "0"}, **HTMX)
    assert refused.status_code == 409 and NOT_AN_EDITOR in refused.content.decode()
    assert snapshot(draft) == before

    page = client_for(author).get(detail_url).content.decode()
    assert steps_shown(page) == [("current", "1. Editor (1 of Editors) — 0 of 1 approval"),
                                 ("waiting", "2. Legal (2 of Legal) — waiting")]

    # The editor approves on the web: step 1 is done, step 2 is current.
    approved = client_for(editor).post(decide_url, {"decision": "approve", "version": "1",
                                                    "step": "0"}, **HTMX)
    assert approved.status_code == 200, approved.content.decode()
    expected = [("done", "1. Editor (1 of Editors) ✓ editor1"),
                ("current", "2. Legal (2 of Legal) — 0 of 2 approvals")]
    assert steps_shown(client_for(author).get(detail_url).content.decode()) == expected
    # the live region's poll brings the progress line with it
    polled = client_for(author).get(detail_url, {"seen": "", "p": "0"}, **HTMX)
    live_region = polled.content.decode().split('<div id="live"', 1)[1]
    assert steps_shown(live_region.split('id="content"', 1)[0]) == expected

    html = client_for(lawyer).get(review_url).content.decode()
    assert "You are deciding at <strong>step 2 of 2, Legal</strong>" in html
    assert 'name="step" value="1"' in html and 'name="step" value="0"' not in html
    assert steps_shown(html) == expected
    queue = client_for(lawyer).get(reverse("review:queue")).content.decode()
    assert "step 2 of 2, Legal" in queue and "step 1 of 2" not in queue
