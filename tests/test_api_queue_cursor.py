"""The API queue's seek cursor (api.pagination.Queue) at its edges: one-row pages forwards
and backwards (every key shape is a page boundary: either priority, a deadline or none,
shared deadlines and submission times), pages emptied by decisions between requests still
lead on, decisions while paging backwards, validly signed cursors that are not the queue's,
and the cost of a deep page in both directions. The basics (pages in the queue's order,
decisions between pages, previous, a damaged cursor, no OFFSET) are in
test_api_queue_seek.py."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api import pagination
from drafts import selectors
from drafts.models import Draft
from rulebook.states import ReviewState
from rulebook.urgency import Priority
from tests.test_api import Api, create_token, error
from tests.test_web_common import make_draft

pytestmark = pytest.mark.django_db

QUEUE = reverse("api:queue")
DECIDED = ReviewState.APPROVED.value


@pytest.fixture
def queue(author):
    """16 drafts: both priorities; in each, two drafts sharing a deadline and a submission
    time (only the id tells them apart), a shared deadline with different submission times,
    and drafts without a deadline (two of them submitted at the same time)."""
    now = timezone.now()
    soon, later = now + timedelta(hours=2), now + timedelta(hours=7)
    shapes = [(soon, 0), (soon, 0), (soon, 1), (later, 2), (None, 0), (None, 0), (None, 3),
              (later, 4)]
    drafts = []
    for priority in (Priority.NORMAL, Priority.HIGH):
        for i, (deadline, minutes) in enumerate(shapes):
            draft = make_draft(author, topic=f"{priority.name} {i}", priority=priority,
                               deadline=deadline)
            Draft.objects.filter(pk=draft.pk).update(created_at=now - timedelta(minutes=minutes))
            drafts.append(draft)
    return drafts


def queue_order() -> list[int]:
    return [d.pk for d in selectors.review_queue(groups=None)]


def ids(page: dict) -> list[int]:
    return [row["id"] for row in page["results"]]


def cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def forward(api, url: str) -> list[dict]:
    pages = []
    while url:
        pages.append(api.client.get(url).json())
        url = pages[-1]["next"]
    return pages


def backward(api, page: dict) -> list[int]:
    """The rows before `page`, following previous links to the front, in queue order."""
    seen = []
    while page["previous"]:
        page = api.client.get(page["previous"]).json()
        seen = ids(page) + seen
    return seen


def test_every_row_is_a_page_boundary_both_ways(queue, editor):
    """One-row pages put the cursor on every key (either priority, a deadline or none, ties
    broken by submission time, then id): forwards and then backwards from the last page."""
    api = Api(create_token(editor))
    order = queue_order()
    assert [d.pk for d in queue] != order  # the fixture is not already in queue order
    for size in (1, 2, 3):
        pages = forward(api, f"{QUEUE}?every_step=true&page_size={size}")
        assert [pk for page in pages for pk in ids(page)] == order
        assert backward(api, pages[-1]) + ids(pages[-1]) == order
        assert pages[0]["previous"] is None and pages[-1]["next"] is None


def test_a_previous_page_emptied_by_decisions_still_leads_forward(queue, editor):
    """Every draft before the page was decided: the previous page is empty, and its next
    link must not say the list ended (the page the client came from is still there)."""
    api = Api(create_token(editor))
    order = queue_order()
    first = api.client.get(f"{QUEUE}?every_step=true&page_size=3").json()
    second = api.client.get(first["next"]).json()
    Draft.objects.filter(pk__in=ids(first)).update(status=DECIDED)
    back = api.client.get(second["previous"]).json()
    assert back["results"] == [] and back["previous"] is None
    assert back["next"] is not None
    assert [pk for page in forward(api, back["next"]) for pk in ids(page)] == order[3:]


def test_a_next_page_emptied_by_decisions_still_leads_back(queue, editor):
    """Every draft after the page was decided: the next page is empty, and its previous link
    leads back to the drafts before it."""
    api = Api(create_token(editor))
    order = queue_order()
    first = api.client.get(f"{QUEUE}?every_step=true&page_size=4").json()
    Draft.objects.filter(pk__in=order[4:]).update(status=DECIDED)
    end = api.client.get(first["next"]).json()
    assert end["results"] == [] and end["next"] is None
    assert end["previous"] is not None
    back = api.client.get(end["previous"]).json()
    assert ids(back) == order[:4] and back["previous"] is None


def test_decisions_while_paging_backwards_skip_nobody(queue, editor):
    api = Api(create_token(editor))
    order = queue_order()
    last = forward(api, f"{QUEUE}?every_step=true&page_size=3")[-1]
    page = api.client.get(last["previous"]).json()
    seen = ids(page)
    # the rows already read, and two further back, are decided while the client pages
    gone = set(seen) | set(order[:2])
    Draft.objects.filter(pk__in=gone).update(status=DECIDED)
    rest = backward(api, page)
    before = order[:order.index(seen[0])]
    assert rest == [pk for pk in before if pk not in gone]


def test_signed_cursors_that_are_not_the_queues_are_refused(queue, author, editor):
    api = Api(create_token(editor))
    page = api.client.get(f"{QUEUE}?every_step=true&page_size=2").json()
    token = cursor_of(page["next"])
    payload = signing.loads(token, salt=pagination.Queue.salt)
    # a damaged signature; the same payload signed for another purpose; payloads of the
    # wrong shape, signed with the queue's salt (as only the server could)
    forged = [token[:-2] + ("xx" if not token.endswith("xx") else "yy"), signing.dumps(payload),
              signing.dumps({"k": payload["k"][:3], "b": False}, salt=pagination.Queue.salt),
              signing.dumps({"k": [1, None, None, 1], "b": False}, salt=pagination.Queue.salt),
              signing.dumps({"k": "abcd", "b": False}, salt=pagination.Queue.salt),
              signing.dumps([payload["k"]], salt=pagination.Queue.salt),
              signing.dumps({"k": payload["k"]}, salt=pagination.Queue.salt)]
    # A cursor from another list (the author's drafts: the framework's unsigned cursor) is
    # refused with 400, never read as a position in the queue, with the same sentence as a
    # damaged cursor of that list.
    writer = Api(create_token(author))
    mine = writer.get(reverse("api:drafts") + "?page_size=1").json()
    foreign = error(api.get(QUEUE, cursor=cursor_of(mine["next"])), 400, "InvalidCursor")
    framework = error(writer.get(reverse("api:drafts"), cursor="garbage"), 400, "InvalidCursor")
    assert foreign["detail"] == framework["detail"] == pagination.INVALID_CURSOR
    for cursor in forged:
        body = error(api.get(QUEUE, every_step="true", cursor=cursor), 400, "InvalidCursor")
        assert body["detail"] == pagination.INVALID_CURSOR


def test_a_deep_page_costs_what_the_first_does_both_ways(queue, editor,
                                                          django_assert_max_num_queries):
    api = Api(create_token(editor))
    with CaptureQueriesContext(connection) as first:
        api.client.get(f"{QUEUE}?every_step=true&page_size=2")
    most = len(first)  # now: the next request clears the connection's query log
    pages = forward(api, f"{QUEUE}?every_step=true&page_size=2")
    assert len(pages) == 8
    for url in (pages[-2]["next"], pages[-1]["previous"]):
        with django_assert_max_num_queries(most) as deep:
            assert len(ids(api.client.get(url).json())) == 2
        listing = [q["sql"] for q in deep.captured_queries if 'FROM "drafts_draft"' in q["sql"]]
        assert listing and not any("OFFSET" in sql for sql in listing)


def test_a_deep_page_reads_only_index_ranges(queue, editor):
    """No row before the page is read and thrown away: every part of the seek is an index
    range (Index Cond), none a filter over a scan from the start of the queue. (The seek as
    one OR in a WHERE had "Rows Removed by Filter": every row before the page.)"""
    api = Api(create_token(editor))
    pages = forward(api, f"{QUEUE}?every_step=true&page_size=2")
    for url in (pages[-3]["next"], pages[-1]["previous"]):
        with CaptureQueriesContext(connection) as deep:
            api.client.get(url)
        sql = next(q["sql"] for q in deep.captured_queries if 'FROM "drafts_draft"' in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a 16-row table: use the index
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
        assert "using draft_queue_urgency" in plan, plan
        assert "Rows Removed by Filter" not in plan, plan
