"""The API queue's pages seek by the whole sort key (api.pagination.Queue): every draft once,
in the queue's order, while drafts leave the queue between pages; damaged cursors refused;
no OFFSET however deep the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from drafts import selectors
from drafts.models import Draft
from rulebook.states import ReviewState
from rulebook.urgency import Priority
from tests.test_api import Api, create_token, error
from tests.test_web_common import make_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(author):
    """Mixed priorities, equal deadlines, no deadline, equal creation times."""
    now = timezone.now()
    soon, later = now + timedelta(hours=2), now + timedelta(hours=5)
    rows = []
    for i in range(13):
        rows.append(make_draft(
            author, topic=f"Q{i}", priority=Priority.HIGH if i % 4 == 0 else Priority.NORMAL,
            deadline=None if i % 5 == 0 else soon if i % 2 else later))
    Draft.objects.filter(pk__in=[d.pk for d in rows[:6]]).update(created_at=now)
    return rows


def walk(api, url: str) -> list[int]:
    seen = []
    while url:
        page = api.client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    return seen


def queue_order() -> list[int]:
    return [d.pk for d in selectors.review_queue(groups=None)]


def test_pages_hold_every_draft_once_in_the_queues_order(queue, editor):
    api = Api(create_token(editor))
    for size in (1, 2, 3, 5):
        url = reverse("api:queue") + f"?every_step=true&page_size={size}"
        assert walk(api, url) == queue_order()


def test_drafts_leaving_the_queue_between_pages_skip_nobody(queue, editor):
    """The old cursor (position on the priority + an offset within it) skipped as many
    drafts as had been decided from the pages already read."""
    api = Api(create_token(editor))
    order = queue_order()
    page = api.client.get(reverse("api:queue") + "?every_step=true&page_size=3").json()
    seen = [row["id"] for row in page["results"]]
    # editors decide the drafts already read: they leave the queue
    Draft.objects.filter(pk__in=seen).update(status=ReviewState.APPROVED.value)
    rest = walk(api, page["next"])
    assert seen + rest == order


def test_previous_pages_go_back(queue, editor):
    api = Api(create_token(editor))
    first = api.client.get(reverse("api:queue") + "?every_step=true&page_size=4").json()
    assert first["previous"] is None
    second = api.client.get(first["next"]).json()
    third = api.client.get(second["next"]).json()
    back = api.client.get(third["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in second["results"]]
    front = api.client.get(back["previous"]).json()
    assert [r["id"] for r in front["results"]] == [r["id"] for r in first["results"]]
    assert front["previous"] is None
    assert api.client.get(front["next"]).json()["results"] == back["results"]


def test_damaged_or_foreign_cursors_are_refused(queue, author, editor):
    api = Api(create_token(editor))
    page = api.client.get(reverse("api:queue") + "?every_step=true&page_size=2").json()
    token = page["next"].split("cursor=")[1].split("&")[0]
    error(api.get(reverse("api:queue"), cursor=token[:-2] + "xx"), 400, "InvalidCursor")
    error(api.get(reverse("api:queue"), cursor="garbage"), 400, "InvalidCursor")
    # the author's own list signs nothing: its cursor is not the queue's
    mine = Api(create_token(author)).get(reverse("api:drafts") + "?page_size=2").json()
    foreign = mine["next"].split("cursor=")[1].split("&")[0]
    error(api.get(reverse("api:queue"), cursor=foreign), 400, "InvalidCursor")


def test_a_deep_page_seeks_without_an_offset(queue, editor):
    api = Api(create_token(editor))
    page = api.client.get(reverse("api:queue") + "?every_step=true&page_size=2").json()
    for _ in range(4):
        page = api.client.get(page["next"]).json()
    with CaptureQueriesContext(connection) as deep:
        api.client.get(page["next"])
    with CaptureQueriesContext(connection) as first:
        api.client.get(reverse("api:queue") + "?every_step=true&page_size=2")
    assert len(deep) == len(first)
    listing = next(q["sql"] for q in deep if 'FROM "drafts_draft"' in q["sql"])
    assert "OFFSET" not in listing
