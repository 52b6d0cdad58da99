"""The whole story, by author, editor and admin, in real Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from drafts.models import Draft
from tests.browser.conftest import open_pending, screenshot
from tests.conftest import wait_for_status

SLOW = 20_000  # ms: a workflow step through the worker, seen by htmx polling


def submit_topic(page, topic: str, brief: str = "") -> int:
    page.goto("/drafts/new/")
    page.get_by_label("Topic").fill(topic)
    if brief:
        page.get_by_label("Brief").fill(brief)
    page.get_by_role("button", name="Submit topic").click()
    page.wait_for_url(re.compile(r"/drafts/\d+/$"))
    return int(re.search(r"/drafts/(\d+)/$", page.url).group(1))


def test_author_submits_and_watches_progress(open_as, author, settings):
    settings.OFFLINE_LLM_LATENCY = 1.5  # long enough to see "writing…"
    page = open_as(author)
    page.goto("/drafts/new/")
    page.get_by_label("Topic").fill("Why rivers meander")
    page.get_by_label("Audience").fill("curious teenagers")
    screenshot(page, "submit")
    page.get_by_role("button", name="Submit topic").click()
    page.wait_for_url(re.compile(r"/drafts/\d+/$"))
    expect(page.locator("main")).to_contain_text("Generating")
    screenshot(page, "progress")
    expect(page.locator("main")).to_contain_text("Awaiting review", timeout=SLOW)
    expect(page.locator("main")).to_contain_text("offline draft")
    expect(page.get_by_role("heading", level=1, name="Why rivers meander")).to_be_visible()


def test_empty_topic_is_refused_inline(open_as, author):
    page = open_as(author)
    page.goto("/drafts/new/")
    page.get_by_role("button", name="Submit topic").click()
    expect(page.get_by_text("Enter a topic.")).to_be_visible()
    assert page.url.endswith("/drafts/new/")
    assert Draft.objects.count() == 0


def test_changes_diff_approve_and_the_author_sees_it(open_as, author, editor):
    author_page = open_as(author)
    pk = submit_topic(author_page, "Composting at home")
    wait_for_status(Draft(pk=pk), "awaiting_review")

    page = open_as(editor)
    page.goto("/review/")
    screenshot(page, "queue")
    page.get_by_role("link", name="Composting at home").click()
    page.get_by_label("Feedback for the writer (required)").fill("Add a section on worms")
    page.get_by_role("button", name="Request changes").click()
    expect(page.locator("#review-body")).to_contain_text("Version 2", timeout=SLOW)
    expect(page.locator("table.diff")).to_contain_text("Add a section on worms")
    screenshot(page, "review-diff")
    page.get_by_label("Comment (optional)").first.fill("Great, ship it")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Approved by editor1")).to_be_visible()

    author_page.goto(f"/drafts/{pk}/")
    expect(author_page.locator("main")).to_contain_text("Approved", timeout=SLOW)
    expect(author_page.locator("main")).to_contain_text("Great, ship it")


def test_reject_needs_and_shows_a_reason(open_as, author, editor):
    pk = submit_topic(open_as(author), "Knitting for beginners")
    wait_for_status(Draft(pk=pk), "awaiting_review")
    page = open_as(editor)
    page.goto(f"/review/{pk}/")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("A rejection needs a reason.")).to_be_visible()
    assert Draft.objects.get(pk=pk).status == "awaiting_review"
    page.get_by_label("Reason (required)").fill("We covered this last month")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status").filter(has_text="Rejected by editor1")).to_be_visible()
    assert Draft.objects.get(pk=pk).decision_comment == "We covered this last month"


def test_two_editors_decide_at_once(open_as, author, editor, editor2):
    pk = submit_topic(open_as(author), "Night sky photography")
    wait_for_status(Draft(pk=pk), "awaiting_review")
    first, second = open_as(editor), open_as(editor2)
    for page in (first, second):
        page.goto(f"/review/{pk}/")
    first.get_by_role("button", name="Approve", exact=True).click()
    second.get_by_label("Reason (required)").fill("Too niche")
    second.get_by_role("button", name="Reject").click()
    expect(first.locator("#panel")).to_contain_text("Approved by editor1")
    expect(second.get_by_role("alert")).to_contain_text(
        re.compile(r"already approved by editor1|already ended"))
    assert Draft.objects.get(pk=pk).status == "approved"


def test_expiry_is_visible_to_author_and_admin(open_as, author, admin_user, settings):
    settings.REVIEW_TIMEOUT = 2.0
    settings.REMIND_AFTER = 1.0
    author_page = open_as(author)
    pk = submit_topic(author_page, "Sourdough starters")
    expect(author_page.locator("main")).to_contain_text("Expired", timeout=SLOW)
    admin_page = open_as(admin_user)
    admin_page.goto(f"/drafts/{pk}/")
    expect(admin_page.locator("main")).to_contain_text("Expired")
    expect(admin_page.locator("main")).to_contain_text("Editors reminded")


def test_admin_lists_pending_and_cancels_one(open_as, author, admin_user):
    author_page = open_as(author)
    pks = [submit_topic(author_page, f"Pending topic {i}") for i in range(2)]
    for pk in pks:
        wait_for_status(Draft(pk=pk), "awaiting_review")
    page = open_as(admin_user)
    open_pending(page, 2)
    expect(page.get_by_role("link", name=re.compile(r"Pending topic"))).to_have_count(2)
    screenshot(page, "pending")
    row = page.get_by_role("row").filter(has_text=f"#{pks[0]} Pending topic 0")
    row.get_by_role("link", name="Cancel").click()
    page.get_by_label("Reason (the author sees it)").fill("Duplicate of another draft")
    page.get_by_role("button", name="Cancel the review").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled by admin1")
    assert wait_for_status(Draft(pk=pks[0]), "cancelled")


def test_author_cannot_reach_review_actions(open_as, author, other_author):
    pk = submit_topic(open_as(author), "Bird migration")
    page = open_as(other_author)
    response = page.goto(f"/review/{pk}/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You can't do that")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    mine = open_as(author)
    assert mine.goto(f"/review/{pk}/").status == 403
    assert mine.goto("/review/pending/").status == 403
