"""The text of a version while it is written (issue 25, first part): the LLM activity's
writes (projection.stream), what the pages get (the `streamed` fragment), and that the partial
text goes with the writing. PostgreSQL only; the real-stack story is in tests/test_llm.py
(offline streaming) and tests/browser/test_streaming.py."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from drafts import projection, selectors
from drafts.models import Draft, StreamedText
from drafts.views import stream_token
from temporal_app.types import EventRecord
from tests.test_web_common import client_for, fast_password_hasher, make_draft  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_reads(settings):
    settings.STREAM_POLL_SECONDS = 0  # every read goes to the database, unless a test says
    selectors._live.clear()


def writing(author) -> Draft:
    return make_draft(author, status="generating", texts=())


def test_an_attempt_writes_its_text_and_an_older_one_never_writes_over_a_newer(author):
    draft = writing(author)
    projection.stream(draft.pk, version=1, part=0, attempt=1, text="# Tides\n\nThe mo", delta=16)
    row = StreamedText.objects.get(draft=draft)
    assert (row.version, row.attempt, row.text) == (1, 1, "# Tides\n\nThe mo")
    draft.refresh_from_db()
    assert draft.progress_chars == 16
    projection.stream(draft.pk, version=1, part=0, attempt=2, text="# Ti")  # a retry
    projection.stream(draft.pk, version=1, part=0, attempt=1, text="# Tides\n\nThe moon")
    row.refresh_from_db()
    assert (row.attempt, row.text) == (2, "# Ti")  # never a mix of two attempts
    assert row.restarted


def test_nothing_is_written_once_the_draft_is_not_being_written(author):
    draft = make_draft(author)  # awaiting review: a late write from a finished attempt
    projection.stream(draft.pk, version=2, part=0, attempt=1, text="late", delta=4)
    assert not StreamedText.objects.exists()
    draft.refresh_from_db()
    assert draft.progress_chars == 0


def test_the_partial_text_goes_when_the_version_is_stored(author):
    draft = writing(author)
    for part in (1, 2):
        projection.stream(draft.pk, version=1, part=part, attempt=1, text=f"## Part {part}\n")
    projection.apply(draft.pk, [EventRecord(seq=2, kind="generated", state="awaiting_review",
                                            version=1)])
    assert not StreamedText.objects.exists()


def test_the_pages_get_the_text_so_far_and_stop_when_it_is_stored(author, editor):
    draft = writing(author)
    projection.stream(draft.pk, version=1, part=0, attempt=1,
                      text="# Tides\n\n- one\n- two\n")
    url = reverse("drafts:detail", args=[draft.pk])
    page = client_for(author).get(url).content.decode()
    assert 'id="streamed"' in page and "<li>one</li>" in page  # rendered as it will be
    assert "Version 1, as it is written" in page
    token = re.search(r'streamed/\?t=([^"&]+)', page).group(1)
    poll = reverse("drafts:streamed", args=[draft.pk])
    fragment = client_for(editor).get(poll, {"t": unquote(token)}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<h2>Tides</h2>" in fragment.content.decode()
    stamp = selectors.live_text(draft.pk).stamp
    same = client_for(editor).get(poll, {"t": unquote(token), "s": stamp},
                                  HTTP_HX_REQUEST="true")
    assert same.status_code == 204  # nothing new
    review = client_for(editor).get(reverse("review:draft", args=[draft.pk])).content.decode()
    assert 'id="streamed"' in review and "<li>two</li>" in review
    # Another draft's token, a forged one, none: the poll stops and says to reload.
    other = make_draft(editor, status="generating", texts=())
    assert client_for(author).get(reverse("drafts:detail", args=[other.pk])).status_code == 404
    for forged in (unquote(token), "x", ""):
        refused = client_for(author).get(reverse("drafts:streamed", args=[other.pk]),
                                         {"t": forged})
        assert refused.status_code == 286 and "Reload the page" in refused.content.decode()

    projection.apply(draft.pk, [EventRecord(seq=2, kind="generated", state="awaiting_review",
                                            version=1)])
    done = client_for(author).get(poll, {"t": unquote(token)}, HTTP_HX_REQUEST="true")
    assert done.status_code == 286 and "version-stored" in done["HX-Trigger"]


def test_many_pages_watching_one_draft_cost_one_read_per_interval(author, editor, settings):
    settings.STREAM_POLL_SECONDS = 60  # one interval for the whole test
    draft = writing(author)
    projection.stream(draft.pk, version=1, part=0, attempt=1, text="# Tides\n")
    url = reverse("drafts:streamed", args=[draft.pk])
    token = stream_token(draft.pk, editor.pk)
    client = client_for(editor)
    assert client.get(url, {"t": token}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            assert client.get(url, {"t": token}).status_code == 200
    # the 100 polls were answered from the process's one read: no session, user or draft
    assert queries.captured_queries == []


def test_a_page_opened_before_the_writing_starts_gets_the_stream_with_its_next_poll(author):
    draft = make_draft(author)  # awaiting review: nothing streams
    url = reverse("drafts:detail", args=[draft.pk])
    page = client_for(author).get(url).content.decode()
    assert 'id="streamed"' not in page
    seen = re.search(r"seen=([^&\"]+)", page).group(1)
    Draft.objects.filter(pk=draft.pk).update(status="revising")  # changes were requested
    projection.stream(draft.pk, version=2, part=0, attempt=1, text="# Tides, again\n")
    poll = client_for(author).get(url, {"seen": seen, "p": 0}, HTTP_HX_REQUEST="true",
                                  HTTP_HX_TARGET="live").content.decode()
    assert 'id="streamed"' in poll and "Version 2, as it is written" in poll


def test_a_retried_attempt_starts_the_text_again_and_the_page_says_so(author, settings):
    """The retry's Progress (its attempt from Temporal's activity info) empties the text of
    the attempt before it at once, before its first words: the page shows the restart."""
    import dataclasses

    from temporalio.testing import ActivityEnvironment

    from temporal_app.activities.drafting import Progress

    settings.LLM_STREAM_INTERVAL = 0
    draft = writing(author)
    projection.stream(draft.pk, version=1, part=0, attempt=1, text="# Tides\n\nHalf a sen")
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=2)
    env.run(lambda: Progress(draft.pk, 1))
    row = StreamedText.objects.get(draft=draft)
    assert (row.attempt, row.text) == (2, "")
    page = client_for(author).get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    assert "The writer restarted this version" in page and "Half a sen" not in page


def test_each_section_has_its_place_under_the_outline_before_its_call_starts(author, settings):
    """The first section's call to start writes every section's place (heading, no text);
    the page shows each under its heading, "Waiting to start…" until its words come, and a
    stop keeps only the words written (no heading of a section that never started)."""
    from temporalio.testing import ActivityEnvironment

    from temporal_app.activities.drafting import Progress

    settings.LLM_STREAM_INTERVAL = 0
    draft = writing(author)
    headings = ["The tide", "The harbour", "The light"]
    env = ActivityEnvironment()
    env.run(lambda: Progress(draft.pk, 1, part=2, heading=headings[1], parts=3,
                             headings=headings))
    rows = list(StreamedText.objects.filter(draft=draft).order_by("part"))
    assert [(r.part, r.heading, r.text, r.waiting) for r in rows] == [
        (1, "The tide", "", True), (2, "The harbour", "", True), (3, "The light", "", True)]
    projection.stream(draft.pk, version=1, part=2, attempt=1, heading=headings[1],
                      text="Boats wait for the water.")
    env.run(lambda: Progress(draft.pk, 1, part=1, heading=headings[0], parts=3,
                             headings=headings))  # a later section's start changes nothing
    assert StreamedText.objects.get(draft=draft, part=2).text == "Boats wait for the water."
    page = client_for(author).get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    places = re.findall(r'data-part="(\d)"><h2>([^<]+)</h2>(.*?)</div>', page, re.S)
    assert [(n, h) for n, h, _ in places] == [("1", "The tide"), ("2", "The harbour"),
                                             ("3", "The light")]
    assert "Waiting to start" in places[0][2] and "Waiting to start" in places[2][2]
    assert "Boats wait for the water." in places[1][2]
    assert "Waiting to start" not in places[1][2]
    assert projection.streamed(draft.pk, 1).text == \
        "## The harbour\n\nBoats wait for the water.\n"


def test_no_place_is_written_once_the_draft_is_not_being_written(author):
    draft = make_draft(author)
    projection.places(draft.pk, version=2, headings=["Late"])
    assert not StreamedText.objects.exists()
