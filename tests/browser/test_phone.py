"""The queue, the review page, the draft page and the pending page on a phone (390 × 844 CSS
pixels): no page scrolls sideways, every action is on screen and really used there (the
Filters disclosure opened and a filter applied, a bulk decision, a claim, decisions, the
admin's details and confirmations), and axe-core finds nothing serious at that width.
Screenshots: test-artifacts/screenshots/phone-*.png."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from drafts import services
from drafts.models import Draft
from rulebook import urgency
from tests.browser.axe import assert_accessible
from tests.browser.conftest import open_pending, screenshot
from tests.browser.test_stories import SLOW
from tests.conftest import wait_for_status

PHONE = {"width": 390, "height": 844}


def on_phone(page):
    page.set_viewport_size(PHONE)
    return page


def assert_fits(page, what: str) -> None:
    """The page does not scroll sideways at the phone's width."""
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{what} scrolls sideways on a phone: {width} px wide in {inner} px"


def reach(locator):
    """Scroll the control into view; it must then be visible and inside the screen's width
    (not cut off by a card or pushed off to the right)."""
    locator.scroll_into_view_if_needed()
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (locator, box)
    return locator


def check_page(page, what: str) -> None:
    assert_fits(page, what)
    assert_accessible(page, f"{what}, on a phone")


def awaiting(author, *topics: str, **fields) -> list[Draft]:
    drafts = [services.submit_draft(author=author, topic=t, **fields)[0] for t in topics]
    return [wait_for_status(d, "awaiting_review") for d in drafts]


def test_the_queue_on_a_phone(open_as, author, other_author, editor, editor2):
    mine = awaiting(author, "Why rivers meander and how oxbow lakes are left behind",
                    "Composting at home", "Tides")
    (urgent,) = awaiting(other_author, "Night sky photography for beginners with a phone",
                         priority=urgency.Priority.HIGH,
                         due_at=timezone.now() + timedelta(hours=30))
    page = on_phone(open_as(editor))
    page.goto("/review/")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(4)
    check_page(page, "the review queue")
    filters = page.locator("details.filter-box")
    expect(filters).not_to_have_attribute("open", "")  # folded: no filter is on
    expect(page.get_by_label("Author")).to_be_hidden()
    # each row is a card: its last column (time left) on screen, labelled
    last = rows.first.locator("td").last
    reach(last)
    expect(last).to_have_attribute("data-label", "Time left")
    screenshot(page, "phone-queue")

    reach(page.locator("summary", has_text="Filters")).click()
    author_filter = reach(page.get_by_label("Author"))
    screenshot(page, "phone-queue-filters")
    author_filter.select_option(label=other_author.get_username())
    expect(rows).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("matches these filters")
    expect(page).to_have_url(re.compile(rf"author={other_author.pk}"))
    check_page(page, "the review queue, filtered")
    page.reload()  # the filter is in the address: the disclosure opens by itself to show it
    expect(filters).to_have_attribute("open", "")
    expect(page.get_by_label("Author")).to_have_value(str(other_author.pk))
    reach(page.get_by_label("Author")).select_option(label="All authors")
    expect(rows).to_have_count(4)

    # the bulk form: tick two drafts on the phone and approve them
    for draft in (mine[1], urgent):
        reach(page.get_by_label(f"Select draft {draft.pk}")).check()
    reach(page.get_by_role("button", name="Approve selected")).click()
    results = page.locator("#bulk-results")
    expect(results.locator("li.ok")).to_have_count(2, timeout=SLOW)
    reach(results)
    screenshot(page, "phone-queue-bulk")
    check_page(page, "the review queue after a bulk decision")
    assert {wait_for_status(d, "approved").status for d in (mine[1], urgent)} == {"approved"}


def test_the_review_and_draft_pages_on_a_phone(open_as, author, editor):
    (draft,) = awaiting(author, "Composting at home with worms, bokashi and a balcony",
                        brief="For people in flats: what fits on a balcony, what smells.")
    page = on_phone(open_as(editor))
    page.goto(f"/review/{draft.pk}/")
    check_page(page, "the review page")
    reach(page.get_by_role("button", name="I'm reviewing this")).click()
    expect(page.locator("#panel")).to_contain_text("You are reviewing this draft until")
    reach(page.get_by_role("button", name="Release"))
    reach(page.get_by_label("Feedback for the writer (required)")).fill("Add a section on worms")
    reach(page.get_by_role("button", name="Request changes")).click()
    expect(page.locator("#review-body")).to_contain_text("Version 2", timeout=SLOW)
    reach(page.locator("table.diff"))
    check_page(page, "the review page with a diff")
    screenshot(page, "phone-review")
    for name in ("Approve", "Reject", "Request changes"):
        reach(page.get_by_role("button", name=name, exact=True))
    reach(page.locator("summary", has_text="correct the text yourself"))
    reach(page.get_by_role("button", name="Approve", exact=True))
    screenshot(page, "phone-review-decision")
    reach(page.get_by_role("button", name="Approve", exact=True)).click()
    expect(page.locator("#panel")).to_contain_text("Approved by editor1", timeout=SLOW)
    check_page(page, "the review page after a decision")

    mine = on_phone(open_as(author))
    mine.goto(f"/drafts/{draft.pk}/")
    expect(mine.locator("main")).to_contain_text("Approved")
    reach(mine.get_by_role("link", name="Markdown"))
    reach(mine.locator("summary", has_text="Changes from version 1"))
    check_page(mine, "the draft page")
    screenshot(mine, "phone-draft")
    mine.goto("/drafts/")
    check_page(mine, "the draft list")


def test_the_pending_page_on_a_phone(open_as, author, admin_user):
    drafts = awaiting(author, "Pending topic 0", "Pending topic 1")
    page = on_phone(open_as(admin_user))
    open_pending(page, 2)
    check_page(page, "the pending workflows page")
    screenshot(page, "phone-pending")

    reach(page.get_by_label("State", exact=True)).select_option("awaiting_review")
    reach(page.get_by_role("button", name="Filter")).click()
    expect(page).to_have_url(re.compile(r"state=awaiting_review"))
    expect(page.get_by_role("link", name=re.compile(r"Pending topic"))).to_have_count(2)

    row = page.get_by_role("row").filter(has_text=f"#{drafts[0].pk} Pending topic 0")
    reach(row.get_by_role("link", name="Details")).click()
    expect(page.locator(f"#details-{drafts[0].pk}")).to_contain_text("Decisions so far")
    check_page(page, "the pending page with a workflow's details")
    reach(row.get_by_role("link", name="Extend deadline")).click()
    hours = reach(page.get_by_label("Extend the deadline by (hours)"))
    hours.fill("2")
    reach(page.get_by_role("button", name="Extend the deadline")).click()
    expect(page.get_by_role("status")).to_contain_text("New deadline")
    check_page(page, "the pending page after an extension")
    row = page.get_by_role("row").filter(has_text=f"#{drafts[1].pk} Pending topic 1")
    reach(row.get_by_role("link", name="Cancel")).click()
    reach(page.get_by_label("Reason (the author sees it)")).fill("Duplicate")
    reach(page.get_by_role("button", name="Cancel the review")).click()
    expect(page.get_by_role("status").filter(has_text="Cancelled by admin1")).to_be_visible()
    assert wait_for_status(Draft(pk=drafts[1].pk), "cancelled")
