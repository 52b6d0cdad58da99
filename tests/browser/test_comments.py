"""The comment story in Chromium: an editor selects words in the draft's text, comments on
the selection (the button is keyboard-reachable), the passage is highlighted; the author
sees it on the draft page and replies."""

from __future__ import annotations

from drafts.models import Comment
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
