"""Comments on the pages (no JavaScript, and htmx): an editor comments on a passage from the
review page, the author sees it highlighted on the draft page, replies and resolves it;
refusals show their sentence and keep the words; nobody else can comment."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from drafts.models import Comment
from rulebook.comments import CommentState
from tests.test_web_common import V1, client_for, fast_password_hasher, make_draft  # noqa: F401

PASSAGE = "Twice a day the water rises."


def add_url(pk: int) -> str:
    return reverse("drafts:comment_add", args=[pk])


@pytest.mark.django_db
def test_an_editor_comments_on_a_passage_and_the_author_sees_it_highlighted(author, editor):
    draft = make_draft(author)
    review = reverse("review:draft", args=[draft.pk])
    page = client_for(editor).get(review).content.decode()
    assert 'id="comment-form"' in page and "No comments yet." in page

    answer = client_for(editor).post(add_url(draft.pk), {
        "version": 1, "quote": PASSAGE, "body": "Say how often.", "back": review})
    assert answer.status_code == 302 and answer["Location"] == review
    comment = Comment.objects.get()
    assert (comment.quote, comment.start) == (PASSAGE, V1.index(PASSAGE))

    mine = client_for(author).get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    assert f'<mark class="passage" id="passage-{comment.pk}">{PASSAGE}</mark>' in mine
    assert "Say how often." in mine and f'href="#passage-{comment.pk}"' in mine

    client_for(author).post(reverse("drafts:comment_reply", args=[draft.pk, comment.pk]),
                            {"body": "Fixed in the next one."})
    resolved = client_for(author).post(
        reverse("drafts:comment_resolve", args=[draft.pk, comment.pk, "resolve"]),
        HTTP_HX_REQUEST="true")
    region = resolved.content.decode()
    assert resolved.status_code == 200 and region.lstrip().startswith("<section id=\"comments\"")
    assert "Comment resolved." in region and "Fixed in the next one." in region
    assert ">Reopen<" in region
    comment.refresh_from_db()
    assert comment.is_resolved and comment.replies.count() == 1


@pytest.mark.django_db
def test_a_refusal_shows_its_sentence_and_keeps_the_words(author, editor):
    draft = make_draft(author)
    answer = client_for(editor).post(add_url(draft.pk), {
        "version": 1, "quote": "Not a passage of this draft at all", "body": "My long remark"},
        HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 422 and "not in this version" in html
    assert "My long remark" in html and 'aria-invalid="true"' in html
    no_js = client_for(editor).post(add_url(draft.pk), {"version": 1, "body": ""})
    assert no_js.status_code == 422 and "empty" in no_js.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_nobody_else_comments_and_a_final_draft_takes_none(author, other_author, editor):
    draft = make_draft(author)
    assert client_for(other_author).post(add_url(draft.pk), {"version": 1, "body": "Hi"}
                                         ).status_code == 404
    closed = make_draft(author, status="approved", decided_by=editor)
    page = client_for(editor).get(reverse("review:draft", args=[closed.pk])).content.decode()
    assert 'id="comment-form"' not in page
    refused = client_for(editor).post(add_url(closed.pk), {"version": 1, "body": "Late"})
    assert refused.status_code == 409 and "ended" in refused.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_an_outdated_comment_shows_its_old_quote(author, editor):
    draft = make_draft(author)
    client_for(editor).post(add_url(draft.pk), {"version": 1, "quote": PASSAGE, "body": "?"})
    Comment.objects.update(state=CommentState.OUTDATED)
    page = client_for(editor).get(reverse("review:draft", args=[draft.pk])).content.decode()
    assert "is not in version 1 any more" in page
    assert re.search(r'<blockquote class="passage old">\s*' + re.escape(PASSAGE), page)
    assert "<mark" not in page


@pytest.mark.django_db
def test_a_selection_on_an_older_version_and_a_reply_to_a_deleted_thread_are_refused(
        author, editor):
    """From the page: the form of a page opened on version 1 after version 2 arrived (its
    selection is of a version the draft has left), and a reply to a thread deleted since the
    page was opened; each says why, keeps the words and writes nothing."""
    draft = make_draft(author, texts=(V1, V1.replace("Twice a day", "Two times a day")))
    stale = client_for(editor).post(add_url(draft.pk), {
        "version": 1, "quote": "Twice a day the water rises.", "body": "From the old page"},
        HTTP_HX_REQUEST="true")
    html = stale.content.decode()
    assert stale.status_code == 409 and "current version (version 2 is)" in html
    assert "From the old page" in html and not Comment.objects.exists()

    thread = Comment.objects.create(draft=draft, author=editor, version=2, body="Hm.")
    url = reverse("drafts:comment_reply", args=[draft.pk, thread.pk])
    thread.delete()
    gone = client_for(author).post(url, {"body": "My answer"}, HTTP_HX_REQUEST="true")
    assert gone.status_code == 404 and "is gone (deleted)" in gone.content.decode()
    no_js = client_for(author).post(url, {"body": "My answer"})
    assert no_js.status_code == 404 and "is gone (deleted)" in no_js.content.decode()
    assert not Comment.objects.exists()
