"""The whole story through Django's test client, with a live worker on a real Temporal dev
server and real PostgreSQL: submit (plain and htmx), live progress, request changes, a new
version with its diff, approve, the author sees the outcome; bad input writes nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from drafts.models import Draft, DraftEvent
from review import services as review_services
from temporal_app import errors
from tests.conftest import wait_for, wait_for_status
from tests.test_web_common import (
    HTMX,
    client_for,
    fast_password_hasher,  # noqa: F401 (autouse)
    snapshot,
)

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client, topic: str, key: str, htmx: bool = False) -> Draft:
    data = {"topic": topic, "brief": "Explain it for curious adults.", "audience": "adults",
            "tone": "warm", "target_words": "300", "submission_key": key}
    response = client.post(reverse("drafts:new"), data, **(HTMX if htmx else {}))
    draft = Draft.objects.get(topic=topic)
    if htmx:
        assert response.status_code == 200 and response["HX-Redirect"] == f"/drafts/{draft.pk}/"
    else:
        assert response.status_code == 302 and response.url == f"/drafts/{draft.pk}/"
    return draft


def poll_detail(client, draft, text: str) -> str:
    """Poll the draft page's htmx partial, as the browser does, until `text` shows."""
    url = reverse("drafts:detail", args=[draft.pk])

    def seen():
        response = client.get(url, **HTMX)
        assert response.status_code in (200, 286)
        html = response.content.decode()
        return html if text in html else ""

    return wait_for(seen, timeout=30, interval=0.2, what=f"“{text}” on the draft page")


def test_full_story(live_worker, author, editor, editor2):
    writer, reviewer = client_for(author), client_for(editor)

    # 1. The author submits twice: a plain form post and an htmx post.
    draft = submit(writer, "Tides and the moon", "8a3c1e9e-52a4-4c38-a4f4-8a2b9f7d3a01")
    other = submit(writer, "Why the sky is blue", "8a3c1e9e-52a4-4c38-a4f4-8a2b9f7d3a02",
                   htmx=True)
    # the same form sent again (a double click) creates nothing new
    again = writer.post(reverse("drafts:new"),
                        {"topic": "Tides and the moon", "target_words": "300",
                         "submission_key": "8a3c1e9e-52a4-4c38-a4f4-8a2b9f7d3a01"})
    assert again.url == f"/drafts/{draft.pk}/" and Draft.objects.count() == 2

    # 2. Live progress, until the draft awaits review.
    html = poll_detail(writer, draft, "Awaiting review")
    assert "Version 1 is waiting for an editor" in html
    page = writer.get(draft.get_absolute_url()).content.decode()
    assert "Version 1" in page and ">Withdraw</button>" in page

    # 3. The editor finds it in the queue and requests changes.
    queue = reviewer.get(reverse("review:queue")).content.decode()
    assert "Tides and the moon" in queue
    review_url = reverse("review:draft", args=[draft.pk])
    decide_url = reverse("review:decide", args=[draft.pk])
    assert ">Request changes</button>" in reviewer.get(review_url).content.decode()
    response = reviewer.post(decide_url, {"decision": "request_changes", "version": 1,
                                          "comment": "Add a paragraph on spring tides."}, **HTMX)
    assert response.status_code == 200, response.content.decode()
    panel = response.content.decode()
    assert panel.lstrip().startswith('<section id="panel"')
    assert "Sent back for changes by editor1." in panel

    # 4. The writer revises; the editor sees version 2 with its diff.
    wait_for(lambda: Draft.objects.filter(pk=draft.pk, status="awaiting_review",
                                          current_version=2).exists(),
             what="version 2 awaiting review")
    body = reviewer.get(review_url, **HTMX)
    assert body.status_code == 286  # no longer being written: polling stops
    html = reviewer.get(review_url).content.decode()
    assert "Version 2 <small" in html and "Changes from version 1" in html
    assert "<ins><span class=\"sr-only\">Added: </span>" in html
    assert 'name="version" value="2"' in html

    # 5. The editor approves version 2 with a comment.
    response = reviewer.post(decide_url, {"decision": "approve", "version": 2,
                                          "comment": "Ship it."}, **HTMX)
    assert response.status_code == 200
    assert "Approved by editor1." in response.content.decode()
    assert "queue-changed" in json.loads(response["HX-Trigger"])  # the nav count refreshes
    assert Draft.objects.get(pk=draft.pk).status == "approved"

    # 6. The author sees the outcome, the comment, both versions and the history.
    html = poll_detail(writer, draft, "Approved")
    page = writer.get(draft.get_absolute_url()).content.decode()
    assert "Ship it." in page and "Add a paragraph on spring tides." in page
    assert "Changes requested" in page and "Version 2" in page and "Version 1" in page
    assert ">Withdraw</button>" not in page
    assert writer.get(draft.get_absolute_url(), **HTMX).status_code == 286

    # 7. A second decision on the decided draft: the refusal sentence, nothing written.
    before = snapshot(draft)
    refused = client_for(editor2).post(decide_url, {"decision": "reject", "version": 2,
                                                    "comment": "No."}, **HTMX)
    assert refused.status_code == 409
    assert "This draft was already approved by editor1 at " in refused.content.decode()
    # ... and the workflow itself (asked without the local check) refuses too.
    with pytest.raises(errors.Refused, match="already approved|already ended"):
        review_services.decide(draft_id=draft.pk, editor=editor2, decision="reject",
                               version=2, comment="No.")
    assert snapshot(draft) == before

    # 8. Bad input writes nothing.
    events = DraftEvent.objects.count()
    for topic in ("", "x" * 201, "<b>bold</b>"):
        bad = writer.post(reverse("drafts:new"), {"topic": topic, "target_words": "300"},
                          **HTMX)
        assert bad.status_code == 422
    assert writer.get("/drafts/999999/").status_code == 404
    assert reviewer.post("/review/999999/decide/",
                         {"decision": "approve", "version": 1}).status_code == 404
    assert writer.post(decide_url, {"decision": "approve", "version": 2}).status_code == 403
    assert Draft.objects.count() == 2 and DraftEvent.objects.count() == events

    # 9. The author withdraws the other draft (plain form post, works without JavaScript).
    poll_detail(writer, other, "Awaiting review")
    response = writer.post(reverse("drafts:withdraw", args=[other.pk]), follow=True)
    assert "Withdrawn by author1." in response.content.decode()
    assert wait_for_status(other, "withdrawn").status == "withdrawn"


def test_edit_and_approve_through_the_page(live_worker, author, editor):
    writer, reviewer = client_for(author), client_for(editor)
    draft = submit(writer, "Bread at home", "0b5e0c8e-7f3f-4a76-9d71-3c0c8b8f0a11")
    wait_for_status(draft, "awaiting_review")
    version1 = draft.versions.get(number=1).text
    edited = version1.replace("Bread at home", "Baking bread at home", 1) + "\nA new line.\n"
    response = reviewer.post(reverse("review:decide", args=[draft.pk]),
                             {"decision": "approve_with_edits", "version": 1, "text": edited,
                              "comment": "Tightened the title."}, **HTMX)
    assert response.status_code == 200, response.content.decode()
    assert "Approved with edits by editor1." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.current_version == 2
    page = writer.get(draft.get_absolute_url()).content.decode()
    assert "Edited by an editor" in page and "A new line." in page
    assert "<ins><span class=\"sr-only\">Added: </span>A new line.</ins>" in page


def test_unchanged_edit_is_refused_by_the_workflow(live_worker, author, editor):
    writer, reviewer = client_for(author), client_for(editor)
    draft = submit(writer, "Night sky", "0b5e0c8e-7f3f-4a76-9d71-3c0c8b8f0a12")
    wait_for_status(draft, "awaiting_review")
    before = snapshot(draft)
    response = reviewer.post(reverse("review:decide", args=[draft.pk]),
                             {"decision": "approve_with_edits", "version": 1,
                              "text": draft.versions.get().text}, **HTMX)
    assert response.status_code == 409
    assert "The edited text is unchanged; use Approve instead." in response.content.decode()
    assert snapshot(draft) == before
