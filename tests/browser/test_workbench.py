"""The editor's workbench in Chromium, the whole story of issue 22: select three passages and
comment on each, reply, request changes, see each change beside its comment, accept two and
reject one, approve; the approved text differs from version 1 only in the two accepted
passages. Then "Suggest a rewrite" on a comment, accepted from the page."""

from __future__ import annotations

from drafts import services
from drafts.models import Comment, Draft, DraftVersion, PassageChange
from rulebook import passages
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.browser.test_comments import SELECT
from tests.conftest import wait_for, wait_for_status, workflow_result
from tests.test_targeted_revision import sentences_in_prose


def comment_on(page, phrase: str, body: str) -> None:
    assert page.evaluate(SELECT, phrase), phrase
    page.get_by_role("button", name="Comment on selection").click()
    page.get_by_label("Comment", exact=True).fill(body)
    page.get_by_role("button", name="Add comment").click()
    page.get_by_role("status").filter(has_text="Comment added.").wait_for()
    page.reload()


def test_comment_revise_accept_two_reject_one_approve(open_as, author, editor, editor2):
    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping")
    draft = wait_for_status(draft, "awaiting_review")
    v1 = DraftVersion.objects.get(draft=draft, number=1).text
    phrases = [v1[s:e][:40] for s, e in sentences_in_prose(v1, 3)]
    page = open_as(editor)
    page.goto(f"/review/{draft.pk}/")
    for phrase, body in zip(phrases, ["Too vague.", "Shorter, please.", "An example."],
                            strict=True):
        comment_on(page, phrase, body)
    threads = list(Comment.objects.filter(draft=draft, parent=None).order_by("start"))
    assert len(threads) == 3 and all(t.quote for t in threads)
    other = open_as(editor2)
    other.goto(f"/review/{draft.pk}/")
    other.get_by_label("Reply").first.fill("Agreed, and cite a source.")
    other.get_by_role("button", name="Reply").first.click()
    other.get_by_role("status").filter(has_text="Reply added.").wait_for()

    page.reload()
    page.get_by_text("Rewrites only the 3 commented passages").wait_for()
    page.locator("form.decision").filter(
        has=page.locator("input[value=request_changes]")).get_by_role("button").click()
    wait_for(lambda: Draft.objects.filter(pk=draft.pk, current_version=2,
                                          status="awaiting_review").exists(), what="v2")
    page.goto(f"/review/{draft.pk}/")
    a, b, c = PassageChange.objects.filter(draft=draft, version=2).order_by("start")
    page.get_by_text("3 commented passages revised in version 2").wait_for()
    for change, thread in zip((a, b, c), threads, strict=True):  # each beside its comment
        item = page.locator(f"#change-{change.pk}")
        assert item.locator("del").inner_text() == change.old_text
        assert item.locator("ins").inner_text() == change.text
        assert thread.body[:10] in item.inner_text()
    assert_accessible(page, "the review page offering three changes")

    page.locator(f"#change-{a.pk}").get_by_label("Accept").check()
    page.locator(f"#change-{b.pk}").get_by_label("Reject").check()
    page.locator(f"#change-{c.pk}").get_by_label("Accept").check()
    page.locator(".passage-changes").scroll_into_view_if_needed()
    screenshot(page, "workbench-choices")
    page.get_by_role("button", name="Apply my choices").click()
    page.get_by_text("Edited from suggestions by").wait_for()
    page.locator("#version-h").filter(
        has_text=f"edited by {editor.get_username()} from suggestions").wait_for()
    draft.refresh_from_db()
    assert (draft.current_version, draft.status) == (3, "awaiting_review")
    expected = passages.splice(v1, [(a.old_start, a.old_end, a.text),
                                    (c.old_start, c.old_end, c.text)])
    assert DraftVersion.objects.get(draft=draft, number=3).text == expected

    page.locator("form.decision").filter(
        has=page.locator("input[value=approve]")).get_by_role("button").click()
    page.get_by_role("status").filter(has_text="Approved by").wait_for()
    assert workflow_result(draft.pk).state == "approved"
    draft.refresh_from_db()
    approved = DraftVersion.objects.get(draft=draft, number=draft.current_version).text
    assert approved == expected  # v1 but for the two accepted passages
    assert approved != v1 and b.old_text in approved and b.text not in approved
    screenshot(page, "workbench-approved")


def test_suggest_a_rewrite_from_the_page_and_accept_it(open_as, author, editor):
    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping")
    draft = wait_for_status(draft, "awaiting_review")
    v1 = DraftVersion.objects.get(draft=draft, number=1).text
    (start, end), = sentences_in_prose(v1, 1)
    page = open_as(editor)
    page.goto(f"/review/{draft.pk}/")
    comment_on(page, v1[start:end][:40], "Plainer words.")
    page.get_by_role("button", name="Suggest a rewrite").click()
    page.get_by_text("The LLM suggested a rewrite").wait_for()
    suggestion = PassageChange.objects.get(draft=draft, suggested=True)
    item = page.locator(f"#change-{suggestion.pk}")
    assert item.locator("ins").inner_text() == suggestion.text
    assert "Suggested rewrite" in item.inner_text()
    assert_accessible(page, "the review page with a suggested rewrite")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    item.get_by_label("Accept").check()
    page.get_by_role("button", name="Apply my choices").click()
    page.get_by_text("Edited from suggestions by").wait_for()
    text = DraftVersion.objects.get(draft=draft, number=2).text
    assert text == passages.splice(v1, [(suggestion.old_start, suggestion.old_end,
                                         suggestion.text)])
    screenshot(page, "workbench-suggestion")
