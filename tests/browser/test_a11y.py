"""Accessibility in real Chromium: axe-core (tests/browser/axe.py) on every page each role
reaches — the anonymous login page, the author's, the editor's, the admin's pending pages, the
outside approver's signed link, the error pages — in the states they pass through: right after
a submit, a decision, a bulk decision and a refusal. Any serious or critical violation of WCAG
2.0 A/AA, 2.1 AA or axe's best practices fails. The first tests prove the check can fail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from drafts import services
from drafts.models import Draft
from review import services as review
from tests.browser.axe import AccessibilityError, assert_accessible
from tests.browser.conftest import open_pending
from tests.browser.test_stories import SLOW, submit_topic
from tests.conftest import wait_for, wait_for_status
from tests.test_outside_approvers import PARTNER, partner_policy  # noqa: F401 (fixture)


def awaiting(author, *topics: str, **fields) -> list[Draft]:
    drafts = [services.submit_draft(author=author, topic=t, **fields)[0] for t in topics]
    return [wait_for_status(d, "awaiting_review") for d in drafts]


def decision_form(page, button: str):
    return page.locator("form.decision").filter(
        has=page.get_by_role("button", name=button, exact=True))


# ------------------------------------------------------------------ the check itself


def test_the_check_fails_on_a_known_violation(new_context):
    page = new_context().new_page()
    page.set_content("<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
                     "<ul role='status'><li>x</li></ul></main></body></html>")
    with pytest.raises(AccessibilityError) as caught:
        assert_accessible(page, "a list made a live region")
    message = str(caught.value)
    assert "listitem (serious)" in message, message
    assert "li" in {v["nodes"][0]["target"] for v in caught.value.violations}, message
    assert "a list made a live region" in message


def test_the_check_runs_on_the_apps_pages_under_their_policy(new_context, csp):
    """axe is added as a same-origin script, so the CSP stays on and is not violated; an image
    without a text alternative slipped into the real login page is reported (critical)."""
    page = new_context().new_page()

    def with_bad_image(route):
        response = route.fetch()
        assert "content-security-policy" in {k.lower() for k in response.headers}
        route.fulfill(response=response, body=response.text().replace(
            "</main>", '<img src="/static/nothing.png"></main>'))

    page.route("**/login/", with_bad_image)
    page.goto("/login/")
    with pytest.raises(AccessibilityError, match=r"image-alt \(critical\)"):
        assert_accessible(page, "login with an unlabelled image")
    assert csp.violations == []


# ------------------------------------------------------------------ pages, by role


def test_anonymous_pages(new_context):
    page = new_context().new_page()
    page.goto("/login/")
    assert_accessible(page, "the login page")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "the login page after a failed sign-in")
    assert page.goto("/no-such-page/").status == 404
    assert_accessible(page, "the 404 page, signed out")
    assert page.goto("/outside/not-a-real-link/").status in (400, 403, 404, 410)
    assert_accessible(page, "a broken outside approver's link")


def test_author_pages(open_as, author, editor, settings):
    settings.OFFLINE_LLM_LATENCY = 1.5  # long enough to see the page while it is written
    page = open_as(author)
    assert_accessible(page, "the author's start page")
    page.goto("/drafts/")
    assert_accessible(page, "an empty draft list")
    page.goto("/drafts/new/")
    assert_accessible(page, "the new draft form")
    page.get_by_role("button", name="Submit topic").click()
    expect(page.get_by_text("Enter a topic.")).to_be_visible()
    assert_accessible(page, "the new draft form refusing an empty topic")

    pk = submit_topic(page, "Why rivers meander", brief="For teenagers, with a map.")
    expect(page.locator("main")).to_contain_text("Generating")
    assert_accessible(page, "a draft being written, right after the submit")
    expect(page.locator("main")).to_contain_text("Awaiting review", timeout=SLOW)
    assert_accessible(page, "a draft awaiting review")

    page.goto("/drafts/")
    assert_accessible(page, "the draft list")
    page.goto("/drafts/?status=awaiting_review")
    assert_accessible(page, "the draft list, filtered")

    review.decide(editor=editor, draft_id=pk, decision="approve", version=1,
                  comment="Good, ship it")
    wait_for_status(Draft(pk=pk), "approved")
    page.goto(f"/drafts/{pk}/")
    expect(page.locator("main")).to_contain_text("Approved")
    assert_accessible(page, "an approved draft")
    html = page.request.get(f"/drafts/{pk}/download.html")
    assert html.ok
    approved = page.context.new_page()
    approved.set_content(html.text())
    assert_accessible(approved, "the approved text's HTML download")
    approved.close()

    page.goto("/account/tokens/")
    assert_accessible(page, "the API tokens page")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "the API tokens page refusing a nameless token")
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_label("Token", exact=True)).to_be_visible()
    assert_accessible(page, "the API tokens page showing a new token")
    page.get_by_role("button", name="Revoke the token laptop").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    assert_accessible(page, "the API tokens page after a revocation")

    assert page.goto("/review/").status == 403
    assert_accessible(page, "the 403 page")
    assert page.goto("/drafts/999999/").status == 404
    assert_accessible(page, "the 404 page, signed in")


def test_editor_pages(open_as, author, editor, editor2):
    changes, approve, refuse, *bulk = awaiting(
        author, "Composting at home", "Bees in winter", "Night sky photography", "Tides",
        "Comets", "Fungi")
    page = open_as(editor)
    assert_accessible(page, "the editor's start page")
    page.goto("/review/")
    assert_accessible(page, "the review queue")
    page.goto(f"/review/?author={author.pk}&age=&reminder_due=on")
    expect(page.locator("#results")).to_contain_text("No draft awaiting review matches")
    assert_accessible(page, "the review queue, filtered to nothing")
    page.goto(f"/review/?author={author.pk}")
    assert_accessible(page, "the review queue, filtered")

    page.goto(f"/review/{changes.pk}/")
    assert_accessible(page, "the review page")
    page.locator("summary", has_text="correct the text yourself").click()
    expect(page.get_by_label("Edited text (Markdown)")).to_be_visible()
    assert_accessible(page, "the review page with the edit form open")
    page.get_by_role("button", name="I'm reviewing this").click()
    expect(page.locator("#panel")).to_contain_text("You are reviewing this draft until")
    assert_accessible(page, "the review page, claimed")
    page.get_by_role("button", name="Request changes").click()
    expect(page.locator("#panel")).to_contain_text("needs")  # the refusal: feedback required
    assert_accessible(page, "the review page refusing changes without feedback")
    page.get_by_label("Feedback for the writer (required)").fill("Add a section on worms")
    page.get_by_role("button", name="Request changes").click()
    expect(page.locator("#review-body")).to_contain_text("Version 2", timeout=SLOW)
    expect(page.locator("table.diff")).to_contain_text("Add a section on worms")
    assert_accessible(page, "the review page with the diff after a request for changes")
    page.goto(f"/review/{changes.pk}/?version=1")
    assert_accessible(page, "the review page showing an older version")

    page.goto(f"/review/{approve.pk}/")
    other = open_as(editor2)
    other.goto(f"/review/{approve.pk}/")
    expect(other.locator("#claim")).to_be_visible()
    decision_form(page, "Approve").get_by_role("button", name="Approve").click()
    expect(page.locator("#panel")).to_contain_text("Approved by editor1", timeout=SLOW)
    assert_accessible(page, "the review page after a decision")
    other.get_by_label("Reason (required)").fill("Too niche")
    other.get_by_role("button", name="Reject").click()
    expect(other.get_by_role("alert")).to_contain_text(
        re.compile(r"already approved by editor1|already ended"))
    assert_accessible(other, "the review page refusing a second decision")
    other.goto(f"/drafts/{approve.pk}/")
    assert_accessible(other, "an approved draft's page, seen by an editor")

    # a refused decision without htmx: the answer is a flash message on the next page
    page.goto(f"/review/{refuse.pk}/")
    review.decide(editor=editor2, draft_id=refuse.pk, decision="reject", version=1,
                  comment="Covered last week")
    page.evaluate("document.querySelectorAll('form.decision').forEach("
                  "f => f.removeAttribute('hx-post'))")
    decision_form(page, "Approve").get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert_accessible(page, "the page after a refused decision posted without htmx")

    page.goto("/review/")
    for draft in bulk:
        page.get_by_label(f"Select draft {draft.pk}").check()
    review.decide(editor=editor2, draft_id=bulk[1].pk, decision="reject", version=1,
                  comment="Covered last week")
    page.get_by_role("button", name="Approve selected").click()
    results = page.locator("#bulk-results")
    expect(results).to_contain_text("already rejected by editor2", timeout=SLOW)
    assert_accessible(page, "the review queue after a bulk decision")
    page.get_by_role("button", name="Reject selected").click()  # nothing ticked, no reason
    expect(page.locator("#bulk-results").get_by_role("alert")).to_be_visible()
    assert_accessible(page, "the review queue refusing a bulk decision")
    page.goto("/review/")
    assert_accessible(page, "the review queue after the decisions")


def test_admin_pending_pages(open_as, author, admin_user):
    drafts = awaiting(author, "Pending topic 0", "Pending topic 1")
    page = open_as(admin_user)
    open_pending(page, 2)
    # The counts follow the rows as their own fragment, which htmx loads at once.
    expect(page.locator("#counts")).to_contain_text("running workflows match")
    expect(page.locator("#counts [data-count-state=awaiting_review]")).to_contain_text("2")
    assert_accessible(page, "the pending workflows page")
    row = page.get_by_role("row").filter(has_text=f"#{drafts[0].pk} Pending topic 0")
    row.get_by_role("link", name="Details").click()
    expect(page.locator(f"#details-{drafts[0].pk}")).to_contain_text("Decisions so far")
    assert_accessible(page, "the pending page with a workflow's details")
    page.goto("/review/pending/?state=awaiting_review&older_than=1000")
    assert_accessible(page, "the pending page, filtered to nothing")
    page.goto("/review/pending/?older_than=soon")
    assert_accessible(page, "the pending page refusing a filter")

    page.goto(f"/review/pending/{drafts[0].pk}/")
    assert_accessible(page, "a workflow's details page")
    page.goto(f"/review/pending/{drafts[0].pk}/extend/")
    assert_accessible(page, "the confirm page to extend a deadline")
    page.locator(f"#confirm-{drafts[0].pk} form").evaluate(
        "f => f.noValidate = true")  # the server's refusal, not the browser's
    page.get_by_label("Extend the deadline by (hours)").fill("")
    page.get_by_role("button", name="Extend the deadline").click()
    expect(page.get_by_role("alert")).to_contain_text("Say by how many hours.")
    assert_accessible(page, "the confirm page refusing an empty extension")
    page.get_by_label("Extend the deadline by (hours)").fill("2")
    page.get_by_role("button", name="Extend the deadline").click()
    expect(page.get_by_role("status")).to_contain_text("New deadline")
    assert_accessible(page, "the confirm page after an extension")
    page.goto(f"/review/pending/{drafts[1].pk}/remind/")
    assert_accessible(page, "the confirm page to resend a reminder")
    page.goto(f"/review/pending/{drafts[1].pk}/cancel/")
    page.get_by_label("Reason (the author sees it)").fill("Duplicate of another draft")
    page.get_by_role("button", name="Cancel the review").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled by admin1")
    assert_accessible(page, "the confirm page after a cancellation")


@pytest.mark.usefixtures("partner_policy")
def test_outside_approver_pages(new_context, open_as, author, editor):
    (draft,) = awaiting(author, "Quote from ACME", channel="partner-quote")
    editor_page = open_as(editor)
    editor_page.goto(f"/review/{draft.pk}/")
    assert_accessible(editor_page, "the review page of a draft with review steps")
    review.decide(editor=editor, draft_id=draft.pk, decision="approve", version=1)
    message = wait_for(lambda: next((m for m in mail.outbox if m.to == [PARTNER]), None),
                       what="the partner's mail")
    path = "/outside/" + re.search(r"/outside/(\S+)/", message.body).group(1) + "/"
    editor_page.goto(f"/drafts/{draft.pk}/")
    assert_accessible(editor_page, "a draft's page at its outside step")

    page = new_context().new_page()
    page.goto(path)
    expect(page.get_by_role("heading", level=1, name="Quote from ACME")).to_be_visible()
    assert_accessible(page, "the outside approver's page")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("alert")).to_contain_text("A rejection needs a reason.")
    assert_accessible(page, "the outside approver's page refusing a reasonless rejection")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(f"Approved by {PARTNER}.")
    assert_accessible(page, "the outside approver's page after the decision")
    page.goto(path)
    expect(page.get_by_role("alert")).to_contain_text("already used")
    assert_accessible(page, "a used outside approver's link")


def test_admin_overdue_page(open_as, author, admin_user):
    from datetime import timedelta

    from django.utils import timezone

    late, = awaiting(author, "Overdue topic")
    Draft.objects.filter(pk=late.pk).update(remind_at=timezone.now() - timedelta(minutes=5))
    page = open_as(admin_user)
    page.get_by_role("link", name="Overdue").click()
    expect(page.locator("h1")).to_have_text("Overdue reviews")
    expect(page.get_by_role("row").filter(has_text="Overdue topic")).to_contain_text(
        "Reminder sent; no escalation at this step")
    assert_accessible(page, "the overdue reviews page")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the overdue reviews page on a phone")
