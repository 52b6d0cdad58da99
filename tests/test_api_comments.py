"""Comments over the API (/api/v1/drafts/{id}/comments/…): the story (comment on a quote and
on offsets, reply, resolve, reopen, list), the same role and object checks as the pages, and
bad input refused with a code and a sentence, writing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from drafts.models import Comment
from drafts.roles import AUTHORS, EDITORS
from tests.conftest import make_user
from tests.test_api import Api, create_token, error
from tests.test_web_common import V1, fast_password_hasher, make_draft  # noqa: F401 (autouse)


def comments_url(pk: int) -> str:
    return reverse("api:comments", args=[pk])


def thread_url(name: str, pk: int, comment_id: int) -> str:
    return reverse(f"api:{name}", args=[pk, comment_id])


@pytest.fixture
def people(db):
    author, editor = make_user("author1", AUTHORS), make_user("editor1", EDITORS)
    other = make_user("author2", AUTHORS)
    return {name: (user, Api(create_token(user)))
            for name, user in (("author", author), ("editor", editor), ("other", other))}


@pytest.mark.django_db
def test_the_comment_story_over_the_api(people):
    author, author_api = people["author"]
    _, editor_api = people["editor"]
    draft = make_draft(author)
    quote = "Twice a day the water rises."
    made = editor_api.post(comments_url(draft.pk), {"version": 1, "quote": quote,
                                                    "body": "Cite a source."})
    assert made.status_code == 201, made.content
    thread = made.json()
    start = V1.index(quote)
    assert (thread["quote"], thread["start"], thread["end"], thread["state"]) == \
        (quote, start, start + len(quote), "open")
    assert V1[:start].endswith(thread["prefix"]) and thread["author"] == "editor1"
    by_offsets = author_api.post(comments_url(draft.pk), {"version": 1, "start": 0, "end": 6,
                                                          "body": "Title ok?"})
    assert by_offsets.status_code == 201 and by_offsets.json()["quote"] == V1[:6]
    general = editor_api.post(comments_url(draft.pk), {"version": 1, "body": "Shorter."})
    assert general.status_code == 201 and general.json()["quote"] == ""

    replied = author_api.post(thread_url("comment_replies", draft.pk, thread["id"]),
                              {"body": "Added one."})
    assert replied.status_code == 201
    assert [r["body"] for r in replied.json()["replies"]] == ["Added one."]
    resolved = editor_api.post(thread_url("comment_resolve", draft.pk, thread["id"]))
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    error(editor_api.post(thread_url("comment_resolve", draft.pk, thread["id"])), 409,
          "AlreadyDone")
    reopened = author_api.post(thread_url("comment_reopen", draft.pk, thread["id"]))
    assert reopened.status_code == 200 and reopened.json()["state"] == "open"
    listed = author_api.get(comments_url(draft.pk))
    assert [c["body"] for c in listed.json()] == ["Cite a source.", "Title ok?", "Shorter."]


@pytest.mark.django_db
def test_the_same_role_and_object_checks_as_the_pages(people):
    author, _ = people["author"]
    _, other_api = people["other"]
    draft = make_draft(author)
    # Another author's draft: as if it did not exist (ids cannot be probed).
    error(other_api.get(comments_url(draft.pk)), 404, "NotFound")
    error(other_api.post(comments_url(draft.pk), {"version": 1, "body": "Hi"}), 404,
          "NotFound")
    error(Api().get(comments_url(draft.pk)), 401, "NotAuthenticated")
    closed = make_draft(author, status="approved", decided_by=people["editor"][0])
    error(people["editor"][1].post(comments_url(closed.pk), {"version": 1, "body": "Late"}),
          409, "Closed")
    assert not Comment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body,status,code", [
    ({"version": 1, "body": "x", "quote": "Not in the draft at all, surely."}, 400,
     "PassageNotFound"),
    ({"version": 1, "body": "x", "quote": "the"}, 400, "AmbiguousPassage"),
    ({"version": 1, "body": "x", "start": 4, "end": 2}, 400, "InvalidSelection"),
    ({"version": 1, "body": "x", "start": 0, "end": 6, "quote": "nope"}, 400,
     "InvalidSelection"),
    ({"version": 2, "body": "x"}, 409, "StaleVersion"),
    ({"version": 1, "body": " "}, 400, "InvalidComment"),
    ({"version": 1, "body": "x" * 5001}, 400, "InvalidComment"),
    ({"version": 1, "body": "a\u0000b"}, 400, "InvalidComment"),
    ({"version": 1, "body": "a\u0007b"}, 400, "InvalidComment"),
    ({"version": 1, "body": "x", "colour": "red"}, 400, "UnknownField"),
    ({"version": "1", "body": "x"}, 400, "Invalid"),
])
def test_bad_input_gets_a_code_and_a_sentence_and_writes_nothing(people, body, status, code):
    author, _ = people["author"]
    draft = make_draft(author)
    error(people["editor"][1].post(comments_url(draft.pk), body), status, code)
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_replies_to_a_missing_thread_or_to_a_reply_are_refused(people):
    author, author_api = people["author"]
    draft = make_draft(author)
    thread = author_api.post(comments_url(draft.pk), {"version": 1, "body": "Q"}).json()
    reply = author_api.post(thread_url("comment_replies", draft.pk, thread["id"]),
                            {"body": "A"})
    reply_id = reply.json()["replies"][0]["id"]
    error(author_api.post(thread_url("comment_replies", draft.pk, reply_id), {"body": "B"}),
          400, "NotAThread")
    error(author_api.post(thread_url("comment_replies", draft.pk, 999_999), {"body": "B"}),
          404, "NoSuchComment")
    error(author_api.post(thread_url("comment_resolve", draft.pk, 999_999)), 404,
          "NoSuchComment")
    assert Comment.objects.count() == 2
