"""Claims and bulk approve in real Chromium: the claim panel swaps in place (htmx), the queue's
bulk form answers per draft."""

from __future__ import annotations

from playwright.sync_api import expect

from drafts import services
from drafts.models import Draft
from tests.conftest import wait_for_status

SLOW = 20_000


def awaiting(author, *topics: str) -> list[Draft]:
    drafts = [services.submit_draft(author=author, topic=t)[0] for t in topics]
    return [wait_for_status(d, "awaiting_review") for d in drafts]


def test_claim_is_seen_by_another_editor_who_decides_after_confirming(open_as, author, editor,
                                                                       editor2):
    (draft,) = awaiting(author, "Bees in winter")
    page = open_as(editor)
    page.goto(f"/review/{draft.pk}/")
    page.get_by_role("button", name="I'm reviewing this").click()
    expect(page.locator("#panel")).to_contain_text("You are reviewing this draft until")
    assert page.url.endswith(f"/review/{draft.pk}/")  # swapped in place, no navigation

    other = open_as(editor2)
    other.goto("/review/")
    expect(other.locator("main")).to_contain_text("editor1 is reviewing it")
    other.goto(f"/review/{draft.pk}/")
    expect(other.locator("#panel")).to_contain_text("editor1 is reviewing this draft until")
    approve = other.locator("form.decision").filter(has=other.get_by_role("button",
                                                                          name="Approve"))
    approve.get_by_role("button", name="Approve").click()
    expect(other.locator("#panel")).to_contain_text("Confirm that you want to decide anyway")
    approve = other.locator("form.decision").filter(has=other.get_by_role("button",
                                                                          name="Approve"))
    approve.get_by_label("Decide anyway").check()
    approve.get_by_role("button", name="Approve").click()
    expect(other.locator("#panel")).to_contain_text("Approved by editor2", timeout=SLOW)
    assert Draft.objects.get(pk=draft.pk).status == "approved"


def test_bulk_approve_answers_each_draft(open_as, author, editor, editor2):
    drafts = awaiting(author, "Tides", "Comets", "Fungi")
    page = open_as(editor)
    page.goto("/review/")
    for draft in drafts:
        page.get_by_label(f"Select draft {draft.pk}").check()
    # meanwhile another editor rejects one of them
    from review import services as review

    review.decide(editor=editor2, draft_id=drafts[1].pk, decision="reject", version=1,
                  comment="Covered last week")
    page.get_by_role("button", name="Approve selected").click()
    results = page.locator("#bulk-results")
    expect(results).to_contain_text("already rejected by editor2", timeout=SLOW)
    expect(results.locator("li.ok")).to_have_count(2)
    expect(results.locator("li.refused")).to_have_count(1)
    states = set(Draft.objects.filter(pk__in=[d.pk for d in drafts])
                 .values_list("status", flat=True))
    assert states == {"approved", "rejected"}


def test_a_claim_shows_up_on_open_pages_without_a_reload(open_as, settings, author, editor,
                                                         editor2):
    settings.CLAIM_POLL_SECONDS = 1
    (draft,) = awaiting(author, "Moths at night")
    watcher = open_as(editor2)
    watcher.goto(f"/review/{draft.pk}/")
    queue = open_as(editor2)
    queue.goto("/review/")
    queue.get_by_label(f"Select draft {draft.pk}").check()
    expect(watcher.locator("#claim")).to_contain_text("I'm reviewing this")

    holder = open_as(editor)
    holder.goto(f"/review/{draft.pk}/")
    holder.get_by_role("button", name="I'm reviewing this").click()
    expect(holder.locator("#panel")).to_contain_text("You are reviewing this draft until")

    # both of editor2's pages learn of it by themselves; the ticked box stays ticked
    expect(watcher.locator("#claim")).to_contain_text("editor1 is reviewing this draft until",
                                                      timeout=SLOW)
    expect(queue.locator(f"#claim-{draft.pk}")).to_contain_text("editor1 is reviewing it",
                                                               timeout=SLOW)
    expect(queue.get_by_label(f"Select draft {draft.pk}")).to_be_checked()
    watcher_url = watcher.url

    # the holder decides: the watcher's page says the draft moved on
    holder.locator("form.decision").filter(has=holder.get_by_role(
        "button", name="Approve")).get_by_role("button", name="Approve").click()
    expect(holder.locator("#panel")).to_contain_text("Approved by editor1", timeout=SLOW)
    expect(watcher.locator("#claim")).to_contain_text("moved on since you opened it",
                                                      timeout=SLOW)
    expect(watcher.locator("#claim")).to_contain_text("approved by editor1")
    assert watcher.url == watcher_url
