"""Admins' pending-workflows page and CLI, against the real dev server.

Visibility is eventually consistent and shared by every test of the session: each test
filters by its own task queue (the `task_queue` fixture) and polls with a bound (wait_for).
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from drafts import services
from drafts.models import Draft, DraftEvent
from review import services as review
from temporal_app import devserver, errors, gateway, visibility
from tests.conftest import wait_for, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)

PENDING = "review:pending"


def submit(author, topic="Tides and the moon") -> Draft:
    draft, created = services.submit_draft(author=author, topic=topic)
    assert created
    return wait_for_status(draft, "awaiting_review")


def visible_rows(*drafts, **filters):
    flt = visibility.PendingFilter(**filters)
    return {r.draft_id: r for r in visibility.iter_pending(flt)} if drafts else {}


def wait_visible(*drafts, state="awaiting_review", **filters):
    """Until visibility lists every draft in `state` (returns the rows by draft id)."""
    ids = {d.pk for d in drafts}

    def ready():
        rows = visible_rows(*drafts, **filters)
        return rows if all(pk in rows and rows[pk].state == state for pk in ids) else None

    return wait_for(ready, timeout=20, what=f"visibility to list {sorted(ids)} as {state}")


def page(client, **params):
    return client.get(reverse(PENDING), params)


def body(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------ the page


def test_page_lists_pending_workflows(live_worker, task_queue, client, admin_user, author):
    one, two = submit(author, "First topic"), submit(author, "Second topic")
    rows = wait_visible(one, two)
    for draft in (one, two):
        draft.refresh_from_db()
        row = rows[draft.pk]
        assert row.revision == 0
        assert abs(row.deadline - draft.deadline) < timedelta(seconds=1)
        assert row.task_queue == task_queue

    client.force_login(admin_user)
    response = page(client)
    assert response.status_code == 200
    text = body(response)
    assert "Pending workflows" in text
    for draft in (one, two):
        assert f'id="wf-{draft.pk}"' in text
        assert draft.get_absolute_url() in text
        # the Temporal UI link, to this run's history
        assert f"/workflows/draft-{draft.pk}/{rows[draft.pk].run_id}/history" in text
        assert f"{draft.deadline:%Y-%m-%d %H:%M}" in text
    # The counts read every matching run: not on the page itself, but as its own fragment,
    # which htmx loads at once (or a link, without JavaScript).
    assert 'data-count-state' not in text and 'id="counts"' in text
    assert 'hx-trigger="load"' in text and "counts=1" in text
    # the nav links to the page for admins
    assert f'href="{reverse(PENDING)}"' in text

    fragment = body(client.get(reverse(PENDING), {"counts": "1"}, HTTP_HX_REQUEST="true",
                               HTTP_HX_TARGET="counts"))
    assert "<html" not in fragment and 'id="wf-' not in fragment
    assert 'data-count-state="awaiting_review"' in fragment
    assert "awaiting_review: <strong>2</strong>" in fragment
    assert "2 running workflows match" in fragment
    assert 'hx-trigger' not in fragment  # counted: it does not load itself again
    # Without JavaScript, ?counts=1 is the whole page with its counts.
    text = body(page(client, counts="1"))
    assert f'id="wf-{one.pk}"' in text and "awaiting_review: <strong>2</strong>" in text


def test_the_page_lists_without_counting(temporal_server, task_queue, client, admin_user,
                                         monkeypatch):
    """Before: every view of the page ran five count queries, each reading every matching
    run (403 ms against 24 ms at 10,000 waiting, bench/waiting.py); now the rows are one list
    call, and a count that fails says so in its own fragment."""
    def no_counting(*args, **kwargs):
        raise AssertionError("the page counted")

    monkeypatch.setattr(gateway, "counts", no_counting)
    monkeypatch.setattr(gateway, "grouped_count", no_counting)
    client.force_login(admin_user)
    assert page(client).status_code == 200

    def engine_away(*args, **kwargs):
        raise errors.EngineUnavailable("nobody home")

    monkeypatch.setattr(gateway, "counts", engine_away)
    monkeypatch.setattr(gateway, "grouped_count", engine_away)
    fragment = client.get(reverse(PENDING), {"counts": "1"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="counts")
    assert fragment.status_code == 200
    assert "Not counted:" in body(fragment) and "could not be reached" in body(fragment)


def test_filters(live_worker, settings, client, admin_user, author):
    slow = submit(author, "Long deadline")
    settings.REVIEW_TIMEOUT = 3600.0  # the next draft is due within the hour
    settings.REMIND_AFTER = 3000.0
    soon = submit(author, "Due soon")
    wait_visible(slow, soon)

    assert set(visible_rows(slow, deadline_within=timedelta(hours=2))) == {soon.pk}
    assert set(visible_rows(slow, state="awaiting_review")) == {slow.pk, soon.pk}
    assert visible_rows(slow, state="revising") == {}
    assert visible_rows(slow, older_than=timedelta(hours=1)) == {}
    wait_for(lambda: set(visible_rows(slow, older_than=timedelta(seconds=1)))
             == {slow.pk, soon.pk}, what="both older than a second")

    client.force_login(admin_user)
    text = body(page(client, deadline_within="2"))
    assert f'id="wf-{soon.pk}"' in text and f'id="wf-{slow.pk}"' not in text
    text = body(page(client, state="revising"))
    assert "No running review workflow matches these filters" in text
    text = body(page(client, older_than="1"))
    assert f'id="wf-{soon.pk}"' not in text
    # htmx: only the results
    response = client.get(reverse(PENDING), {"deadline_within": "2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in body(response) and f'id="wf-{soon.pk}"' in body(response)


@pytest.mark.parametrize("params, sentence", [
    ({"state": "bogus"}, "Unknown state"),
    ({"older_than": "abc"}, "must be a number of hours"),
    ({"older_than": "1' OR '1'='1"}, "must be a number of hours"),
    ({"deadline_within": "-3"}, "must be a number of hours"),
    ({"deadline_within": "0"}, "more than 0"),
    ({"page": "not a token!"}, "page link is damaged"),
])
def test_bad_filters_are_refused_plainly(temporal_server, task_queue, client, admin_user,
                                         params, sentence):
    client.force_login(admin_user)
    response = page(client, **params)
    assert response.status_code == 400
    assert sentence in html.unescape(body(response))


def test_query_builder_never_interpolates_user_text(settings):
    settings.TEMPORAL_TASK_QUEUE = "redline-reviews"
    query = visibility.build_query(visibility.PendingFilter(
        state="awaiting_review", older_than=timedelta(hours=12),
        deadline_within=timedelta(hours=2), draft_ids=(3, 4)))
    assert query.startswith("WorkflowType IN ('DraftReview', 'DraftReviewWorkflow') AND "
                            "ExecutionStatus = "
                            "'Running' AND TaskQueue = 'redline-reviews' AND ReviewState = "
                            "'awaiting_review' AND StartTime < '")
    assert "ReviewDeadline <= '" in query and query.endswith("DraftId IN (3, 4)")
    with pytest.raises(visibility.FilterError):
        visibility.PendingFilter(task_queue="q' OR '1'='1")
    with pytest.raises(visibility.FilterError):
        visibility.PendingFilter(state="x' OR 'a'='a")
    assert "TaskQueue" not in visibility.build_query(visibility.PendingFilter(task_queue="*"))


def test_pagination_with_page_tokens(live_worker, settings, client, admin_user, author):
    settings.PENDING_PAGE_SIZE = 2
    drafts = [submit(author, f"Topic {i}") for i in range(3)]
    wait_visible(*drafts)
    client.force_login(admin_user)

    seen: list[int] = []
    url, pages = reverse(PENDING), 0
    while url:
        text = body(client.get(url))
        ids = [int(i) for i in re.findall(r'id="wf-(\d+)"', text)]
        assert 1 <= len(ids) <= 2
        seen += ids
        pages += 1
        found = re.search(r'href="(\?[^"]*)" rel="next"', text)
        url = reverse(PENDING) + html.unescape(found.group(1)) if found else None
        assert pages <= 3
    assert pages == 2
    assert sorted(seen) == sorted(d.pk for d in drafts)
    assert "First page" in text  # the second page links back to the first


def test_details_partial_shows_the_status_query(live_worker, client, admin_user, author,
                                                editor):
    draft = submit(author)
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="More about spring tides")
    draft = wait_for(lambda: Draft.objects.filter(pk=draft.pk, status="awaiting_review",
                                                  current_version=2).first(), what="version 2")
    client.force_login(admin_user)
    url = reverse("review:pending_details", args=[draft.pk])

    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    text = html.unescape(body(partial))
    assert "<html" not in text
    assert "Current version</dt><dd>2</dd>" in text
    assert "Revisions</dt><dd>1 of at most 3</dd>" in text
    assert f"{draft.deadline:%Y-%m-%d %H:%M}" in text
    assert "request_changes</strong> by editor1 (version 1): “More about spring tides”" in text
    assert f"/workflows/draft-{draft.pk}" in text

    full = client.get(url)  # without JavaScript: a page of its own
    assert full.status_code == 200 and "<html" in body(full)
    assert "Current version</dt><dd>2</dd>" in body(full)

    missing = client.get(reverse("review:pending_details", args=[999999]),
                         HTTP_HX_REQUEST="true")
    assert missing.status_code == 404
    assert "Temporal has no workflow for draft #999999" in body(missing)


# ------------------------------------------------------------------ actions


def _events(draft, kind):
    return list(DraftEvent.objects.filter(draft=draft, kind=kind))


def test_extend_deadline_confirms_then_extends(live_worker, client, admin_user, author):
    draft = submit(author)
    client.force_login(admin_user)
    url = reverse("review:pending_action", args=[draft.pk, "extend"])

    confirm = client.get(url, {"next": reverse(PENDING) + "?state=awaiting_review"})
    assert confirm.status_code == 200
    assert "Extend the review deadline of draft" in body(confirm)
    assert 'name="hours"' in body(confirm)
    assert not _events(draft, "deadline_extended")  # GET changes nothing

    bad = client.post(url, {"hours": "0"})
    assert bad.status_code == 400 and "at least a minute" in body(bad)

    done = client.post(url, {"hours": "2", "next": reverse(PENDING) + "?state=awaiting_review"})
    assert done.status_code == 302
    assert done["Location"] == reverse(PENDING) + "?state=awaiting_review"
    event = wait_for(lambda: _events(draft, "deadline_extended"), what="the event")[0]
    assert event.actor == admin_user and event.comment == "by 2 h"
    before = draft.deadline
    draft.refresh_from_db()
    assert draft.deadline - before == timedelta(hours=2)
    followed = client.get(done["Location"])
    assert "Deadline extended by 2 h" in body(followed)  # the message is shown

    # an offsite `next` is ignored
    done = client.post(url, {"hours": "1", "next": "https://evil.example/"})
    assert done["Location"] == reverse(PENDING)


def test_cancel_needs_a_reason_and_records_the_admin(live_worker, client, admin_user, author):
    draft = submit(author)
    client.force_login(admin_user)
    url = reverse("review:pending_action", args=[draft.pk, "cancel"])

    panel = client.get(url, HTTP_HX_REQUEST="true")  # the htmx confirmation panel
    assert panel.status_code == 200 and "<html" not in body(panel)
    assert "Cancel the review of draft" in body(panel)

    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Give a reason" in body(refused)
    assert Draft.objects.get(pk=draft.pk).status == "awaiting_review"

    done = client.post(url, {"reason": "Duplicate of another draft"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    assert "Cancelled by admin1." in body(done)
    draft = wait_for_status(draft, "cancelled")
    event = _events(draft, "cancelled")[0]
    assert event.actor == admin_user and event.comment == "Duplicate of another draft"

    again = client.post(url, {"reason": "twice"})
    assert again.status_code == 409
    assert "cancelled" in body(again) or "already ended" in body(again)


def test_resend_reminder_records_the_admin(live_worker, client, admin_user, author):
    draft = submit(author)
    client.force_login(admin_user)
    url = reverse("review:pending_action", args=[draft.pk, "remind"])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Send the editors a reminder" in body(confirm)
    assert not _events(draft, "reminded")

    done = client.post(url)
    assert done.status_code == 302
    event = wait_for(lambda: _events(draft, "reminded"), what="the reminder event")[0]
    assert event.actor == admin_user
    unknown = reverse("review:pending_action", args=[draft.pk, "explode"])
    assert client.get(unknown).status_code == 404


def test_only_staff(temporal_server, task_queue, client, editor, author):
    urls = [reverse(PENDING), reverse("review:pending_details", args=[1]),
            reverse("review:pending_action", args=[1, "cancel"])]
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    client.force_login(editor)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(urls[2], {"reason": "x"}).status_code == 403
    client.force_login(author)
    assert client.get(urls[0]).status_code == 403


def test_temporal_unreachable_is_said_plainly(settings, client, admin_user):
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"
    gateway.reset_client()
    try:
        client.force_login(admin_user)
        response = page(client)
        assert response.status_code == 503
        assert "could not be reached" in body(response)
        details = client.get(reverse("review:pending_details", args=[1]))
        assert details.status_code == 503
    finally:
        gateway.reset_client()


# ------------------------------------------------------------------ the command


def test_pending_workflows_command(live_worker, task_queue, settings, author):
    settings.REVIEW_TIMEOUT = 3600.0
    settings.REMIND_AFTER = 3000.0
    draft = submit(author)
    wait_visible(draft)

    out = StringIO()
    call_command("pending_workflows", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["task_queue"] == task_queue
    assert data["counts"] == {"awaiting_review": 1} and data["total"] == 1
    (row,) = data["workflows"]
    assert row["draft_id"] == draft.pk and row["state"] == "awaiting_review"
    assert row["workflow_id"] == f"draft-{draft.pk}" and row["deadline"]

    out = StringIO()
    call_command("pending_workflows", "--deadline-within", "2h", "--state", "awaiting_review",
                 stdout=out)
    table = out.getvalue()
    assert "1 running review workflow on task queue" in table
    assert "DRAFT" in table and "DEADLINE (UTC)" in table
    assert re.search(rf"^{draft.pk}\s+awaiting_review\s+0\s", table, re.M)

    out = StringIO()
    call_command("pending_workflows", "--older-than", "12h", "--json", stdout=out)
    assert json.loads(out.getvalue())["workflows"] == []

    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="must be a number of hours"):
        call_command("pending_workflows", "--older-than", "soon", stdout=StringIO())
