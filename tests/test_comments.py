"""Comments on passages (drafts/comments.py) on real PostgreSQL: anchoring a selection or a
quote, replies, resolve and reopen, the refusals (each a sentence, nothing written), and
re-anchoring across versions as the projection stores them."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from drafts import comments, projection
from drafts.comments import CommentRefused
from drafts.models import Comment, Draft
from rulebook.comments import BODY_MAX, CommentState
from rulebook.states import EventKind, ReviewState, VersionKind
from temporal_app.types import EventRecord, VersionRecord

V1 = ("# Tides\n\nThe moon pulls the sea. Twice a day the water rises and falls.\n\n"
      "Fishermen know the tides. Boats wait in the harbour for high water.\n\n"
      "In the end, the sea keeps its own time.\n")


def new_version(draft: Draft, text: str, kind: EventKind = EventKind.GENERATED) -> None:
    """A version as the workflow writes it: event + version through the projection."""
    draft.refresh_from_db()
    number = draft.current_version + 1
    projection.apply(draft.pk, [EventRecord(
        seq=draft.last_seq + 1, kind=kind.value, state=ReviewState.AWAITING_REVIEW.value,
        version=number)], VersionRecord(number=number, kind=VersionKind.GENERATED.value,
                                        text=text))
    draft.refresh_from_db()


@pytest.fixture
def draft(author):
    d = projection.create(author=author, topic="Tides")
    new_version(d, V1)
    return d


def span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


@pytest.mark.django_db
def test_an_editor_comments_on_a_selection_and_the_author_on_a_quote(draft, editor, author):
    start, end = span(V1, "Twice a day")
    c = comments.add(draft=draft, user=editor, version=1, body="Say how often.",
                     start=start, end=end)
    assert (c.quote, c.start, c.end, c.at_version, c.state) == \
        ("Twice a day", start, end, 1, CommentState.OPEN)
    assert V1[:start].endswith(c.prefix) and V1[end:].startswith(c.suffix)
    q = comments.add(draft=draft, user=author, version=1, body="Too plain?",
                     quote="Fishermen know the tides.")
    assert V1[q.start:q.end] == "Fishermen know the tides."
    general = comments.add(draft=draft, user=editor, version=1, body="Shorter overall.")
    assert not general.on_passage and general.start is None


@pytest.mark.django_db
@pytest.mark.parametrize("kwargs,says", [
    ({"body": ""}, "empty"),
    ({"body": "   \n"}, "empty"),
    ({"body": "x" * (BODY_MAX + 1)}, "too long"),
    ({"body": "a\x00b"}, "NUL"),
    ({"body": "a\x07b"}, "control character"),
    ({"body": "ok", "quote": "Twice a week"}, "not in this version"),
    ({"body": "ok", "quote": "the"}, "occurs"),
    ({"body": "ok", "start": 5, "end": 5}, "Select some text"),
    ({"body": "ok", "start": 0, "end": 7, "quote": "# Tidal"}, "does not match"),
    ({"body": "ok", "version": 2, "quote": "Twice a day"}, "not the draft's current version"),
])
def test_bad_input_is_refused_with_a_sentence_and_writes_nothing(draft, editor, kwargs, says):
    kwargs = {"version": 1, **kwargs}
    with pytest.raises(CommentRefused, match=says):
        comments.add(draft=draft, user=editor, **kwargs)
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_who_may_comment(draft, other_author, editor):
    with pytest.raises(CommentRefused, match="Only the draft's author and its reviewers"):
        comments.add(draft=draft, user=other_author, version=1, body="Hi")
    projection.record(draft, EventKind.APPROVED, actor_id=editor.pk)
    with pytest.raises(CommentRefused, match="review has ended"):
        comments.add(draft=draft, user=editor, version=1, body="Late")
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_replies_make_a_thread_and_only_threads_are_resolved(draft, editor, author):
    thread = comments.add(draft=draft, user=editor, version=1, body="Why?",
                          quote="Twice a day")
    answer = comments.reply(draft=draft, user=author, parent_id=thread.pk, body="Tides.")
    assert list(thread.replies.all()) == [answer]
    with pytest.raises(CommentRefused, match="Reply to the thread's first comment"):
        comments.reply(draft=draft, user=editor, parent_id=answer.pk, body="Nested")
    with pytest.raises(CommentRefused, match="not one of its replies"):
        comments.set_resolved(draft=draft, user=editor, comment_id=answer.pk, resolve=True)
    done = comments.set_resolved(draft=draft, user=editor, comment_id=thread.pk, resolve=True)
    assert done.is_resolved and done.resolved_by == editor
    with pytest.raises(CommentRefused, match="resolved already"):
        comments.set_resolved(draft=draft, user=author, comment_id=thread.pk, resolve=True)
    again = comments.set_resolved(draft=draft, user=author, comment_id=thread.pk,
                                  resolve=False)
    assert again.is_open and again.resolved_by is None
    thread_pk = thread.pk
    thread.delete()
    with pytest.raises(CommentRefused, match="gone"):
        comments.reply(draft=draft, user=author, parent_id=thread_pk, body="Still there?")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_passages_are_found_again_across_three_versions_and_a_lost_one_is_outdated(
        draft, editor):
    moved = comments.add(draft=draft, user=editor, version=1, body="Source?",
                         quote="Fishermen know the tides.")
    edited = comments.add(draft=draft, user=editor, version=1, body="Plainer.",
                          quote="Twice a day the water rises and falls.")
    lost = comments.add(draft=draft, user=editor, version=1, body="Cut this?",
                        quote="In the end, the sea keeps its own time.")
    resolved = comments.add(draft=draft, user=editor, version=1, body="Fine.",
                            quote="The moon pulls the sea.")
    comments.set_resolved(draft=draft, user=editor, comment_id=resolved.pk, resolve=True)

    v2 = "# Tides\n\nA new first paragraph.\n\n" + V1[len("# Tides\n\n"):]
    new_version(draft, v2)
    assert Comment.objects.get(pk=moved.pk).found == "exact"  # only moved: found as it was
    v3 = (v2.replace("Twice a day the water rises and falls.",
                     "Twice each day the water rises and falls!")
            .replace("In the end, the sea keeps its own time.", "Sailors plan by the clock."))
    new_version(draft, v3)

    by_pk = {c.pk: c for c in Comment.objects.all()}
    m, e, lo, r = (by_pk[c.pk] for c in (moved, edited, lost, resolved))
    # Its prefix held the sentence v3 edited: found by the quote alone.
    assert (m.at_version, m.found, m.state) == (3, "quote", CommentState.OPEN)
    assert v3[m.at_start:m.at_end] == "Fishermen know the tides."
    assert (e.at_version, e.found, e.state) == (3, "fuzzy", CommentState.OPEN)
    assert v3[e.at_start:e.at_end] == "Twice each day the water rises and falls!"
    assert lo.state == CommentState.OUTDATED and lo.at_version == 2  # last found on v2
    assert lo.quote == "In the end, the sea keeps its own time."  # the old quote is kept
    assert r.state == CommentState.RESOLVED and r.at_version == 3
    # An outdated passage that comes back is open again.
    new_version(draft, v3 + "\nIn the end, the sea keeps its own time.\n")
    lo.refresh_from_db()
    assert (lo.state, lo.at_version) == (CommentState.OPEN, 4)


@pytest.mark.django_db(transaction=True)
def test_several_people_commenting_and_resolving_at_once_lose_nothing(author, editor,
                                                                       editor2):
    d = projection.create(author=author, topic="Tides")
    new_version(d, V1)
    thread = comments.add(draft=d, user=editor, version=1, body="Start", quote="Twice a day")
    errors, resolved = [], []
    barrier = threading.Barrier(6)

    def work(i: int) -> None:
        try:
            barrier.wait(5)
            who = (author, editor, editor2)[i % 3]
            if i < 4:
                comments.reply(draft=Draft.objects.get(pk=d.pk), user=who,
                               parent_id=thread.pk, body=f"reply {i}")
            else:
                comments.set_resolved(draft=Draft.objects.get(pk=d.pk), user=who,
                                      comment_id=thread.pk, resolve=True)
                resolved.append(i)
        except CommentRefused as err:
            errors.append(str(err))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(c.body for c in Comment.objects.filter(parent=thread)) == \
        [f"reply {i}" for i in range(4)]
    assert len(resolved) == 1 and len(errors) == 1 and "resolved already" in errors[0]


@pytest.mark.django_db
def test_a_passage_selected_on_the_rendered_page_is_anchored_on_its_markdown(author, editor):
    d = projection.create(author=author, topic="Tides")
    new_version(d, "# Tides\n\nThe **moon** pulls the sea.\n\nBoats wait.\n")
    c = comments.add(draft=d, user=editor, version=1, body="Why bold?",
                     quote="The moon pulls the sea.", selected=True)
    assert c.quote == "The **moon** pulls the sea." and c.start == len("# Tides\n\n")
    with pytest.raises(CommentRefused, match="not in this version"):
        comments.add(draft=d, user=editor, version=1, body="?", selected=True,
                     quote="Sailors plan by the clock and the calendar.")
