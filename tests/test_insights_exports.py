"""Insight exports (issue 24): the figures as CSV (the viewer's, as the page shows them), the
period's audit history as CSV and JSON Lines, streamed in chunks, admins only, and
`GET /api/v1/events/` in cursor pages; each with the same refusals as the page. The
`november` fixture's numbers are hand-computed in tests/test_insights.py."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from drafts.models import Draft, DraftEvent
from review import exports
from tests.test_api import Api, create_token, error
from tests.test_insights import at, november  # noqa: F401 (the fixture)
from tests.test_web_common import client_for

NOV = {"from": "2026-11-01", "to": "2026-11-30"}
# The November drafts' events: 5 + 3 + 4 + 3 + 2 (the October draft's 2 are outside).
NOVEMBER_EVENTS = 17


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def actors(november, editor):  # noqa: F811
    """An editor's event and an outside approver's, with a comment CSV must quote."""
    rejected = DraftEvent.objects.get(kind="rejected")
    rejected.actor, rejected.comment = editor, 'Off brief, "again",\nsee notes'
    rejected.save()
    DraftEvent.objects.filter(kind="approved", created_at__month=11).filter(
        draft__channel="blog").update(actor_email="partner@example.org")
    return rejected


def test_the_figures_download_as_csv_in_long_form(november, admin_user, editor):  # noqa: F811
    response = client_for(admin_user).get(reverse("insights_figures_csv"), NOV)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="redline-figures-2026-11-01-to-2026-11-30.csv"' in \
        response["Content-Disposition"]
    rows = _csv(response.content.decode())
    assert rows[0] == ["figure", "item", "value"]
    values = {(figure, item): value for figure, item, value in rows[1:]}
    assert values["submitted", ""] == "5" and values["approved", ""] == "2"
    assert values["approval_rate", ""] == "0.6667"
    assert values["first_decision_seconds", "p50"] == "3600.0"
    assert values["final_decision_seconds", "p50"] == "14400.0"
    assert values["channels.approved", "press"] == "1"
    assert values["channels.submitted", "blog"] == "2"
    assert values["deadline_breaches", "step 1 (Editors)"] == "1"
    assert values["findings_by_check", "claims (block)"] == "2"
    assert values["waiting.count", "1–4 h"] == "1"
    press = client_for(editor).get(reverse("insights_figures_csv"), {**NOV, "channel": "press"})
    assert ["submitted", "", "3"] in _csv(press.content.decode())
    assert ["channel", "", "press"] in _csv(press.content.decode())
    bad = client_for(editor).get(reverse("insights_figures_csv"),
                                 {"from": "2026-11-30", "to": "2026-11-01"})
    assert bad.status_code == 400 and "after it ends" in bad.content.decode()


def test_the_audit_history_streams_as_csv_in_time_order(actors, admin_user, editor,
                                                         monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 4)  # 17 rows: five chunks and the header
    response = client_for(admin_user).get(reverse("insights_events_csv"), NOV)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 5
    rows = _csv(b"".join(chunks).decode())
    assert rows[0] == list(exports.AUDIT_COLUMNS)
    assert len(rows) == 1 + NOVEMBER_EVENTS
    times = [r[1] for r in rows[1:]]
    assert times == sorted(times) and times[0].startswith("2026-11-02T10:00:00")
    by_kind = {r[4]: r for r in rows[1:]}
    assert by_kind["rejected"][5] == editor.username
    assert by_kind["rejected"][8] == 'Off brief, "again",\nsee notes'  # quoted, one row
    blog_approved = [r for r in rows[1:] if r[4] == "approved" and r[5]]
    assert [r[5] for r in blog_approved] == ["partner@example.org"]
    assert all(r[5] == "" for r in rows[1:] if r[4] == "submitted")  # the system's


def test_the_audit_history_streams_as_json_lines_of_a_channel(actors, admin_user):
    response = client_for(admin_user).get(reverse("insights_events_jsonl"),
                                          {**NOV, "channel": "blog"})
    assert response.status_code == 200
    assert 'filename="redline-events-2026-11-01-to-2026-11-30-blog.jsonl"' in \
        response["Content-Disposition"]
    lines = [json.loads(line) for line in _body(response).splitlines()]
    blog = set(Draft.objects.filter(channel="blog").values_list("pk", flat=True))
    assert len(lines) == 4 + 3 and {e["draft_id"] for e in lines} == blog
    assert set(lines[0]) == set(exports.AUDIT_COLUMNS)
    assert lines[0]["kind"] == "submitted" and lines[0]["actor"] is None
    assert [e["actor"] for e in lines if e["kind"] == "approved"] == ["partner@example.org"]


def test_the_audit_history_is_for_admins_and_refuses_bad_periods(november, editor,  # noqa: F811
                                                                  admin_user):
    for name in ("insights_events_csv", "insights_events_jsonl"):
        assert client_for(editor).get(reverse(name), NOV).status_code == 403
        refused = client_for(admin_user).get(reverse(name), {"from": "2020-01-01",
                                                             "to": "2026-11-30"})
        assert refused.status_code == 400 and "two years" in refused.content.decode()
        unknown = client_for(admin_user).get(reverse(name), {**NOV, "channel": "nope"})
        assert unknown.status_code == 400
        assert unknown.content.decode() == "There is no channel “nope”.\n"
    page = client_for(admin_user).get(reverse("insights"), NOV).content.decode()
    assert reverse("insights_events_csv") + "?from=2026-11-01&amp;to=2026-11-30" in page
    editors_page = client_for(editor).get(reverse("insights"), NOV).content.decode()
    assert reverse("insights_figures_csv") in editors_page
    assert reverse("insights_events_csv") not in editors_page


def test_the_events_api_pages_the_audit_history_by_cursor(actors, admin_user, editor):
    api = Api(create_token(admin_user))
    url = reverse("api:events")
    seen, page = [], api.get(url, **NOV, page_size=5).json()
    while True:
        seen += page["results"]
        if not page["next"]:
            break
        page = api.client.get(page["next"]).json()
    streamed = _csv(_body(client_for(admin_user).get(reverse("insights_events_csv"), NOV)))
    assert [e["id"] for e in seen] == [int(r[0]) for r in streamed[1:]]
    assert len(seen) == NOVEMBER_EVENTS
    rejected = next(e for e in seen if e["kind"] == "rejected")
    assert (rejected["actor"], rejected["comment"]) == (editor.username, actors.comment)
    assert rejected["at"].startswith("2026-11-03T09:30:00")
    # an event written meanwhile comes after every page read so far
    late = DraftEvent.objects.create(draft=actors.draft, seq=99, kind="reminded")
    DraftEvent.objects.filter(pk=late.pk).update(created_at=at(30, 23))
    assert api.client.get(page["previous"]).status_code == 200
    again = api.get(url, **NOV, page_size=1000).json()["results"]
    assert [e["id"] for e in again] == [e["id"] for e in seen] + [late.pk]
    error(api.get(url, **{"from": "2026-11-30", "to": "2026-11-01"}), 400, "FromAfterTo")
    error(api.get(url, **NOV, channel="nope"), 400, "UnknownChannel")
    error(api.get(url, **NOV, cursor="bogus"), 400, "InvalidCursor")
    error(api.get(url, **NOV, page_size=1001), 400, "Invalid")
    error(Api(create_token(editor)).get(url, **NOV), 403, "Forbidden")
