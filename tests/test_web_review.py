"""Editors' pages: the queue (filters, pagination, query count), the review page (versions,
diff, actions) and decisions that are refused before or without a worker."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from drafts.models import Draft
from review import views as review_views
from tests.conftest import make_user
from tests.test_web_common import (
    HTMX,
    V1,
    V2,
    client_for,
    fast_password_hasher,  # noqa: F401 (autouse)
    make_draft,
    snapshot,
)

QUEUE = reverse("review:queue")


def decide_url(draft) -> str:
    return reverse("review:decide", args=[draft.pk])


def review_url(draft) -> str:
    return reverse("review:draft", args=[draft.pk])


# ----------------------------------------------------------------- the queue


@pytest.mark.django_db
def test_queue_lists_awaiting_drafts_nearest_deadline_first(author, other_author, editor):
    now = timezone.now()
    late = make_draft(author, topic="Later deadline", deadline=now + timedelta(hours=10))
    soon = make_draft(other_author, topic="Sooner deadline", deadline=now + timedelta(hours=2),
                      remind_at=now - timedelta(minutes=5))
    make_draft(author, topic="Already approved", status="approved")
    make_draft(author, topic="Still generating", status="generating", texts=())
    response = client_for(editor).get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Already approved" not in html and "Still generating" not in html
    assert html.index("Sooner deadline") < html.index("Later deadline")
    assert "2 drafts awaiting review" in html
    # the one past its reminder time is highlighted, with its time left
    row = html[html.index(f'href="/review/{soon.pk}/"') - 200:html.index(
        f'href="/review/{late.pk}/"')]
    assert 'class="row-due"' in row and "reminder due" in row and "hour" in row


@pytest.mark.django_db
def test_queue_filters_by_author_age_and_reminder(author, other_author, editor):
    now = timezone.now()
    old = make_draft(author, topic="Old one")
    Draft.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))
    make_draft(other_author, topic="New one", remind_at=now - timedelta(minutes=1))
    client = client_for(editor)
    by_author = client.get(QUEUE, {"author": other_author.pk}).content.decode()
    assert "New one" in by_author and "Old one" not in by_author
    assert f'<option value="{author.pk}">author1</option>' in by_author
    by_age = client.get(QUEUE, {"age": "1d"}).content.decode()
    assert "Old one" in by_age and "New one" not in by_age
    due = client.get(QUEUE, {"reminder_due": "on"}, **HTMX)
    assert due.status_code == 200
    body = due.content.decode()
    assert body.lstrip().startswith('<div id="results"') and "<html" not in body
    assert "New one" in body and "Old one" not in body
    assert "1 draft awaiting review at your steps matches these filters" in body
    none = client.get(QUEUE, {"age": "3d"}).content.decode()
    assert "No draft awaiting review matches these filters." in none
    # an author who has nothing in the queue is not a valid choice: the filter is ignored
    assert client.get(QUEUE, {"author": "999999"}).status_code == 200


@pytest.mark.django_db
def test_queue_is_paginated_by_50(author, editor):
    now = timezone.now()
    Draft.objects.bulk_create([
        Draft(author=author, topic=f"Topic {i:03}", status="awaiting_review", current_version=1,
              deadline=now + timedelta(minutes=10 + i)) for i in range(60)])
    client = client_for(editor)
    first = client.get(QUEUE).content.decode()
    assert "Topic 000" in first and "Topic 049" in first and "Topic 050" not in first
    assert "Page 1 of 2" in first and 'href="?page=2">Next</a>' in first
    second = client.get(QUEUE, {"page": 2, "age": ""}).content.decode()
    assert "Topic 050" in second and "Topic 059" in second and "Topic 049" not in second
    assert 'href="?age=&amp;page=1">Previous</a>' in second


@pytest.mark.django_db
def test_nav_count_refreshes_by_htmx(author, editor):
    make_draft(author)
    make_draft(author)
    response = client_for(editor).get(QUEUE, HTTP_HX_TARGET="queue-count", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<span id="queue-count" class="count"') and ">2<" in html
    assert "<table" not in html


def _queue_queries(editor, author, n: int, params: dict) -> list[str]:
    now = timezone.now()
    Draft.objects.all().delete()
    Draft.objects.bulk_create([
        Draft(author=author, topic=f"Topic {i}", status="awaiting_review", current_version=1,
              deadline=now + timedelta(hours=1, minutes=i), remind_at=now + timedelta(minutes=i))
        for i in range(n)])
    client = client_for(editor)
    client.get(QUEUE)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(QUEUE, params)
    assert response.status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    # A page with rows reads its checks badges in one more query (none for an empty page).
    assert any("drafts_checkfinding" in q for q in sqls) == ("Topic " in response.content
                                                             .decode())
    return [q for q in sqls if "drafts_checkfinding" not in q]


# Session, user, groups, the author filter's choices, the channel filter's choices, the page
# (its rows, claims and capped count in one query), the navigation's counts; and for a page
# with rows its checks badges (counted above: bounded by the page's drafts).
QUEUE_QUERIES = 7


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"reminder_due": "on", "age": "1h"}, {"page": "2"}])
def test_queue_query_count_does_not_grow_with_drafts(author, other_author, editor, params):
    # (10 drafts have no page 2: asking for it is a stale link, which costs a recount.)
    few = _queue_queries(editor, author, 10, {k: v for k, v in params.items() if k != "page"})
    many = _queue_queries(editor, author, 200, params)
    assert len(few) == len(many) == QUEUE_QUERIES, "\n".join(
        [f"{len(few)} queries for 10 drafts, {len(many)} for 200:"] + many)
    # Nothing counts the whole queue: every COUNT is over a LIMITed subquery (CappedCount).
    counts = [sql for sql in many if "COUNT(" in sql]
    assert counts and all(sql.count("COUNT(") == sql.count("COUNT(*) FROM (SELECT")
                          for sql in counts), counts


@pytest.mark.django_db
def test_queue_counts_stop_at_their_caps(monkeypatch, author, editor):
    """Past the cap the queue says "5+" and numbers pages without a total; the navigation
    says "3+". Both from counts that stop reading at the cap."""
    monkeypatch.setattr(review_views, "QUEUE_COUNT_CAP", 5)
    monkeypatch.setattr(review_views, "PAGE_SIZE", 3)
    monkeypatch.setattr("drafts.selectors.NAV_COUNT_CAP", 3)
    now = timezone.now()
    Draft.objects.bulk_create([
        Draft(author=author, topic=f"Topic {i}", status="awaiting_review", current_version=1,
              deadline=now + timedelta(minutes=10 + i)) for i in range(8)])
    client = client_for(editor)
    first = client.get(QUEUE).content.decode()
    assert "5+ drafts awaiting review" in first
    assert "<span>Page 1</span>" in first and 'href="?page=2">Next</a>' in first
    assert '>3+<span class="sr-only"> awaiting review' in first
    last = client.get(QUEUE, {"page": 3}).content.decode()
    assert "Topic 6" in last and "Topic 7" in last and ">Next</a>" not in last
    # a page past the end (a stale link) shows the last one, as before
    stale = client.get(QUEUE, {"page": 9}).content.decode()
    assert "Topic 7" in stale and "Page 3" in stale
    exact = client.get(QUEUE, {"author": author.pk, "page": "x"}).content.decode()
    assert "5+ drafts awaiting review at your steps match these filters" in exact
    assert "Page 1" in exact


@pytest.mark.django_db
def test_queue_under_its_cap_counts_exactly(author, other_author, editor):
    make_draft(author)
    make_draft(other_author)
    html = client_for(editor).get(QUEUE, {"author": other_author.pk}).content.decode()
    assert "1 draft awaiting review at your steps matches these filters" in html
    assert "Page 1" not in html  # one page: no pager


# ----------------------------------------------------------------- the review page


@pytest.mark.django_db
def test_review_page_renders_sanitised_markdown_diff_and_actions(author, editor):
    draft = make_draft(author, texts=(V1, V2 + "\n<script>alert(1)</script>\n"))
    response = client_for(editor).get(review_url(draft))
    assert response.status_code == 200
    html = response.content.decode()
    # The current version's blocks carry their source range (data-src: comments anchor there).
    assert re.search(r'<h2 data-src="\d+-\d+">Tides</h2>', html)
    assert "<script>alert(1)</script>" not in html
    assert "Changes from version 1 (+" in html and "<ins>" in html and "<del>" in html
    assert '<label for="version-select">Version</label>' in html
    for label in ("Approve", "Reject", "Request changes", "Edit &amp; approve"):
        assert f">{label}</button>" in html
    for field in ("comment-approve", "comment-reject", "comment-request_changes",
                  "text-approve_with_edits"):
        assert f'<label for="{field}">' in html
    assert 'name="version" value="2"' in html
    assert "Tokens" in html  # LLM usage, for editors
    assert f'hx-post="/review/{draft.pk}/decide/"' in html


@pytest.mark.django_db
def test_version_selector_shows_an_older_version_without_actions(author, editor):
    draft = make_draft(author, texts=(V1, V2))
    client = client_for(editor)
    html = client.get(review_url(draft), {"version": 1}).content.decode()
    assert "Version 1 <small" in html and "Changes from version" not in html
    assert "decisions apply to the current version, 2" in html
    assert ">Approve</button>" not in html
    partial = client.get(review_url(draft), {"version": 2}, **HTMX)
    assert partial.status_code == 286  # not being written: no polling to keep
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="review-body">') and ">Approve</button>" in body
    # an unknown version shows the current one
    assert "Version 2 <small" in client.get(review_url(draft), {"version": "x"}).content.decode()


@pytest.mark.django_db
def test_review_page_while_revising_polls(author, editor):
    draft = make_draft(author, status="revising", progress_chars=42)
    client = client_for(editor)
    html = client.get(review_url(draft)).content.decode()
    assert 'hx-trigger="every 2s,' in html and "42 characters so far" in html
    assert ">Approve</button>" not in html
    assert client.get(review_url(draft), **HTMX).status_code == 200


@pytest.mark.django_db
def test_editor_sees_no_action_buttons_on_own_draft(editor):
    both = make_user("writer-editor", "Authors", "Editors")
    draft = make_draft(both)
    html = client_for(both).get(review_url(draft)).content.decode()
    assert "You wrote this draft's topic, so another editor must review it." in html
    assert "</button>" not in html.split('id="panel"')[1].split("</section>")[0]
    before = snapshot(draft)
    response = client_for(both).post(decide_url(draft), {"decision": "approve", "version": 1},
                                     **HTMX)
    assert response.status_code == 403
    assert "another editor must review it." in response.content.decode()
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_final_review_page_shows_the_decision(author, editor):
    draft = make_draft(author, status="rejected", decided_by=editor, comment="Off-topic")
    html = client_for(editor).get(review_url(draft)).content.decode()
    assert "This review has ended: rejected by editor1" in html and "Off-topic" in html
    assert ">Approve</button>" not in html


@pytest.mark.django_db
def test_forged_ids_are_404(editor):
    assert client_for(editor).get("/review/999999/").status_code == 404
    assert client_for(editor).post("/review/999999/decide/",
                                   {"decision": "approve", "version": 1}).status_code == 404


# ----------------------------------------------------------------- decisions without Temporal


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["html", "htmx"])
def test_invalid_decision_shows_the_error_and_writes_nothing(author, editor, htmx):
    draft = make_draft(author)
    before = snapshot(draft)
    headers = HTMX if htmx else {}
    response = client_for(editor).post(decide_url(draft),
                                       {"decision": "reject", "version": 1, "comment": " "},
                                       **headers)
    assert response.status_code == 422
    html = response.content.decode()
    assert "A rejection needs a reason." in html
    assert html.lstrip().startswith('<section id="panel"') == htmx
    forged = client_for(editor).post(decide_url(draft), {"decision": "publish"}, **headers)
    assert forged.status_code == 422
    assert "Choose a decision." in forged.content.decode()
    assert snapshot(draft) == before


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["html", "htmx"])
def test_decision_on_a_decided_draft_is_refused_in_words(author, editor, editor2, htmx):
    draft = make_draft(author, status="approved", decided_by=editor)
    before = snapshot(draft)
    response = client_for(editor2).post(decide_url(draft),
                                        {"decision": "reject", "version": 1, "comment": "no"},
                                        **(HTMX if htmx else {}))
    assert response.status_code == 409
    html = response.content.decode()
    assert "This draft was already approved by editor1 at " in html and " UTC." in html
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_decision_on_a_stale_version_is_refused(author, editor):
    draft = make_draft(author, texts=(V1, V2))
    response = client_for(editor).post(decide_url(draft), {"decision": "approve", "version": 1},
                                       **HTMX)
    assert response.status_code == 409
    assert ("A newer version exists (version 2; you reviewed version 1). Reload to review it."
            in response.content.decode())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("htmx", [False, True], ids=["html", "htmx"])
def test_no_worker_running_decision_not_recorded(task_queue, author, editor, htmx):
    """A real Temporal server, but no worker polls this task queue: 503, the sentence, and
    nothing written; the editor's comment stays in the form."""
    draft = make_draft(author)
    before = snapshot(draft)
    response = client_for(editor).post(
        decide_url(draft), {"decision": "approve", "version": 1, "comment": "Looks good"},
        **(HTMX if htmx else {}))
    assert response.status_code == 503
    html = response.content.decode()
    assert ("No review worker is running, so your decision was NOT recorded. Ask an admin to "
            "start the worker, then try again.") in html
    assert 'role="alert"' in html
    assert ">Looks good</textarea>" in html  # ready to send again
    assert html.lstrip().startswith('<section id="panel"') == htmx
    assert snapshot(draft) == before


def test_page_size_is_50():
    assert review_views.PAGE_SIZE == 50
