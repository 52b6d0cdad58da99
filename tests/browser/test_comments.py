"""The comment story in Chromium: an editor selects words in the draft's text, comments on
the selection (the button is keyboard-reachable), the passage is highlighted; the author
sees it on the draft page and replies."""

from __future__ import annotations

from drafts.models import Comment
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.test_web_common import V1, make_draft

PASSAGE = "Twice a day the water rises."

SELECT = """(phrase) => {
  const walker = document.createTreeWalker(document.querySelector('.prose[data-comments]'),
                                           NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(phrase);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + phrase.length);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      return true;
    }
  }
  return false;
}"""


def test_an_editor_comments_on_a_selection_and_the_author_replies(open_as, author, editor):
    draft = make_draft(author)
    page = open_as(editor)
    page.goto(f"/review/{draft.pk}/")
    button = page.get_by_role("button", name="Comment on selection")
    assert button.is_disabled()  # nothing selected yet
    assert page.evaluate(SELECT, PASSAGE)
    button.focus()  # reachable from the keyboard: a real button after the text
    page.keyboard.press("Enter")
    assert page.get_by_label("Passage").input_value() == PASSAGE
    assert page.evaluate("document.activeElement.name") == "body"  # the comment, next
    page.keyboard.type("Say how often exactly.")
    page.get_by_role("button", name="Add comment").click()
    page.get_by_role("status").filter(has_text="Comment added.").wait_for()
    comment = Comment.objects.get()
    assert (comment.quote, comment.start) == (PASSAGE, V1.index(PASSAGE))
    page.reload()
    assert page.locator(f"mark#passage-{comment.pk}").inner_text() == PASSAGE
    screenshot(page, "comment-on-selection")

    mine = open_as(author)
    mine.goto(f"/drafts/{draft.pk}/")
    assert mine.locator(f"mark#passage-{comment.pk}").inner_text() == PASSAGE
    mine.get_by_label("Reply").fill("Twice: the tides follow the moon.")
    mine.get_by_role("button", name="Reply").click()
    mine.get_by_role("status").filter(has_text="Reply added.").wait_for()
    assert comment.replies.get().body == "Twice: the tides follow the moon."


def test_an_editor_comments_on_a_sentence_and_requests_changes_to_it_alone(open_as, author,
                                                                             editor):
    """Select, comment, request changes with no feedback: version 2 differs only in that
    passage, and the review page shows the change beside its thread."""
    from drafts import services
    from drafts.models import Draft, DraftVersion, PassageChange
    from tests.conftest import wait_for, wait_for_status

    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping")
    draft = wait_for_status(draft, "awaiting_review")
    v1 = DraftVersion.objects.get(draft=draft, number=1).text
    sentence = next(p.split(". ")[0] + "." for p in v1.split("\n\n")
                    if p[:1].isupper() and ". " in p and not p.startswith("In short"))
    page = open_as(editor)
    page.goto(f"/review/{draft.pk}/")
    assert page.evaluate(SELECT, sentence.split(". ")[0][:40])
    page.get_by_role("button", name="Comment on selection").click()
    page.get_by_label("Comment", exact=True).fill("Shorter, please.")
    page.get_by_role("button", name="Add comment").click()
    page.get_by_role("status").filter(has_text="Comment added.").wait_for()
    page.reload()
    page.get_by_text("Rewrites only the 1 commented passage").wait_for()
    page.locator("form.decision").filter(
        has=page.locator("input[value=request_changes]")).get_by_role("button").click()
    wait_for(lambda: Draft.objects.filter(pk=draft.pk, current_version=2,
                                          status="awaiting_review").exists(), what="v2")
    page.goto(f"/review/{draft.pk}/")
    change = PassageChange.objects.get(draft=draft)
    page.get_by_text("1 commented passage revised in version 2").wait_for()
    assert page.locator(".passage-changes del").first.inner_text() == change.old_text
    assert page.locator(".passage-changes ins").first.inner_text() == change.text
    assert page.locator(".revised-in").filter(has_text="Revised in version 2").count() == 1
    v2 = DraftVersion.objects.get(draft=draft, number=2).text
    assert v2[:change.start] == v1[:change.old_start] and v2[change.end:] == v1[change.old_end:]
    assert_accessible(page, "the review page with a targeted revision's changes")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than it
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "targeted-revision")
