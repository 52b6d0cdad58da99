"""Issue 14's walk in real Chromium: an admin defines "Press release" in Django admin (an
editor, then 2 of 3 from Legal, then the partner by email), an author submits to it, and the
draft walks the chain in the browser: the editor, two lawyers (the third is then told the step
is done), the partner through the mailed link. At each step the workflow's ReviewStep search
attribute, which the Temporal UI and the admins' pending page show, says where it is."""

from __future__ import annotations

import re

from django.contrib.auth.models import Group
from django.core import mail
from playwright.sync_api import expect

from drafts.models import Draft
from rulebook import states
from temporal_app import visibility
from tests.browser.conftest import screenshot
from tests.browser.test_stories import SLOW
from tests.conftest import make_user, wait_for, wait_for_status

PARTNER = "partner@example.com"


def step_in_temporal(pk: int):
    """The ReviewStep search attribute of the draft's workflow (1-based; None: no steps)."""
    rows = visibility.iter_pending(visibility.PendingFilter(task_queue="*"))
    return next((row.step for row in rows if row.draft_id == pk), "not listed")


def approve(page, pk: int, expected: str) -> None:
    page.goto(f"/review/{pk}/")
    page.locator("form.decision").filter(has=page.get_by_role(
        "button", name="Approve")).get_by_role("button", name="Approve").click()
    expect(page.locator("#panel")).to_contain_text(expected, timeout=SLOW)


def test_an_admin_defines_press_release_and_a_draft_walks_it(open_as, new_context, author,
                                                            editor):
    root = make_user("root", staff=True)
    root.is_superuser = True
    root.save()
    Group.objects.get_or_create(name="Legal")
    lawyers = [make_user(f"legal{n}", "Legal") for n in (1, 2, 3)]

    # 1. The admin defines the policy and the channel in Django admin.
    admin = open_as(root)
    admin.goto("/admin/review/policy/add/")
    admin.get_by_label("Name:").fill("Press release")
    for _ in range(2):
        admin.get_by_role("button", name="Add another Policy step").click()
    rows = [("1", "Editor", "Editors", "1", ""), ("2", "Legal", "Legal", "2", ""),
            ("3", "Partner", None, "1", PARTNER)]
    for i, (order, name, group, required, outside) in enumerate(rows):
        admin.locator(f'[name="steps-{i}-order"]').fill(order)
        admin.locator(f'[name="steps-{i}-name"]').fill(name)
        if group:
            admin.locator(f'[name="steps-{i}-group"]').select_option(label=group)
        admin.locator(f'[name="steps-{i}-required"]').fill(required)
        admin.locator(f'[name="steps-{i}-outside_emails"]').fill(outside)
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator("body")).to_contain_text("was added successfully")
    expect(admin.locator("body")).to_contain_text(
        "Editor (1 of Editors) → Legal (2 of Legal) → Partner (1 of outside approvers)")
    admin.goto("/admin/review/channel/add/")
    admin.get_by_label("Slug:").fill("press-release")
    admin.get_by_label("Name:").fill("Press release")
    admin.get_by_label("Policy:").select_option(label="Press release")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator("body")).to_contain_text("was added successfully")

    # 2. The author submits to the channel.
    writer = open_as(author)
    writer.goto("/drafts/new/")
    writer.get_by_label("Topic").fill("Quarterly results")
    writer.get_by_label("Channel").select_option(label="Press release")
    writer.get_by_role("button", name="Submit topic").click()
    writer.wait_for_url(re.compile(r"/drafts/\d+/$"))
    pk = int(re.search(r"/drafts/(\d+)/$", writer.url).group(1))
    draft = wait_for_status(Draft(pk=pk), "awaiting_review")
    assert [s.name for s in draft.policy.steps] == ["Editor", "Legal", "Partner"]
    wait_for(lambda: step_in_temporal(pk) == 1, what="ReviewStep 1 in Temporal")

    # 3. The editor approves: step 1 done, Legal is current.
    page = open_as(editor)
    approve(page, pk, "the draft goes to step 2 of 3, Legal")
    wait_for(lambda: step_in_temporal(pk) == 2, what="ReviewStep 2 in Temporal")

    # 4. Two of three lawyers approve; the third is told the step already has its approvals.
    late = open_as(lawyers[2])
    late.goto(f"/review/{pk}/")
    expect(late.locator("#panel")).to_contain_text("You are deciding at step 2 of 3, Legal")
    first = open_as(lawyers[0])
    first.goto("/review/")
    expect(first.locator("main")).to_contain_text("Quarterly results")  # at a Legal step
    approve(first, pk, "1 of 2 approvals")
    approve(open_as(lawyers[1]), pk, "the draft goes to step 3 of 3, Partner")
    screenshot(first, "press-release-progress")
    late.locator("form.decision").filter(has=late.get_by_role(
        "button", name="Approve")).get_by_role("button", name="Approve").click()
    expect(late.locator("#panel")).to_contain_text("Step 2 (Legal) already has its approvals")
    wait_for(lambda: step_in_temporal(pk) == 3, what="ReviewStep 3 in Temporal")

    # 5. The partner, who has no account, approves through the mailed link.
    message = wait_for(lambda: next((m for m in mail.outbox if m.to == [PARTNER]), None),
                       what="the partner's mail")
    path = re.search(r"https?://[^/\s]+(/outside/\S+/)", message.body).group(1)
    link = new_context().new_page()  # not logged in: the partner has no account
    link.goto(path)
    expect(link.locator("main")).to_contain_text("Quarterly results")
    link.get_by_role("button", name="Approve").click()
    expect(link.locator("main")).to_contain_text(f"Approved by {PARTNER}.", timeout=SLOW)

    # 6. Approved; everyone's pages say so, with every step done.
    assert wait_for_status(Draft(pk=pk), states.ReviewState.APPROVED.value)
    writer.goto(f"/drafts/{pk}/")
    expect(writer.locator("main")).to_contain_text("Approved")
    expect(writer.locator("main")).to_contain_text(PARTNER)
    wait_for(lambda: step_in_temporal(pk) == "not listed", what="the review gone from pending")
