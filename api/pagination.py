"""Cursor pagination (opaque `cursor` links, stable while rows are added)."""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.db.models import F, Q
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.utils.urls import replace_query_param

from api.exceptions import BadRequest
from drafts.selectors import QUEUE_ORDER

INVALID_CURSOR = "This cursor is damaged or from another list; start again from the first page."


class Cursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-pk")

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as err:  # the framework's "Invalid cursor"
            raise BadRequest(INVALID_CURSOR, "InvalidCursor") from err


class MyDrafts(Cursor):
    """drafts.selectors.drafts_for_author's order: newest first."""

    ordering = ("-created_at", "-pk")


class Queue(Cursor):
    """drafts.selectors.review_queue's order, most urgent first, paged by seeking: the cursor
    holds the last row's whole sort key (priority, deadline, created_at, id), and the next
    page is the rows after it in that order. DRF's cursor positions on the first ordering
    field only (priority: two values) and counts an offset within it, so a client paging a
    queue that editors were emptying skipped drafts; a key skips nothing and reads one index
    range however deep the page."""

    ordering = QUEUE_ORDER
    salt = "api.queue.cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request, self.base_url = request, request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        key, backwards = self._decode(request.query_params.get(self.cursor_query_param))
        if backwards:
            rows = list(queryset.filter(_before(key)).order_by(*_REVERSED)[:self.page_size + 1])
            more = len(rows) > self.page_size
            self.page = list(reversed(rows[:self.page_size]))
            self._next = self._link(self.page[-1], False) if self.page else None
            self._previous = self._link(self.page[0], True) if more else None
        else:
            if key is not None:
                queryset = queryset.filter(_after(key))
            rows = list(queryset.order_by(*QUEUE_ORDER)[:self.page_size + 1])
            self.page = rows[:self.page_size]
            self._next = self._link(self.page[-1], False) if len(rows) > self.page_size else None
            self._previous = (self._link(self.page[0], True) if key is not None and self.page
                              else None)
        return self.page

    def get_next_link(self):
        return self._next

    def get_previous_link(self):
        return self._previous

    def _link(self, draft, backwards: bool) -> str:
        key = [draft.priority, draft.deadline.isoformat() if draft.deadline else None,
               draft.created_at.isoformat(), draft.pk]
        token = signing.dumps({"k": key, "b": backwards}, salt=self.salt, compress=True)
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def _decode(self, token: str | None):
        if not token:
            return None, False
        try:
            data = signing.loads(token, salt=self.salt)
            priority, deadline, created, pk = data["k"]
            key = (int(priority), datetime.fromisoformat(deadline) if deadline else None,
                   datetime.fromisoformat(created), int(pk))
            return key, bool(data["b"])
        except (signing.BadSignature, KeyError, TypeError, ValueError) as err:
            raise BadRequest(INVALID_CURSOR, "InvalidCursor") from err


# The seek below knows this order exactly; a new order must teach it first.
assert QUEUE_ORDER == ("-priority", "deadline", "created_at", "pk"), QUEUE_ORDER
# PostgreSQL sorts NULL deadlines last ascending (first descending), as order_by does.
_REVERSED = ("priority", F("deadline").desc(nulls_first=True), "-created_at", "-pk")


def _after(key) -> Q:
    """The rows after `key` in QUEUE_ORDER."""
    priority, deadline, created, pk = key
    tie = Q(created_at__gt=created) | Q(created_at=created, pk__gt=pk)
    if deadline is None:
        same = Q(deadline__isnull=True) & tie
    else:
        same = (Q(deadline__gt=deadline) | Q(deadline__isnull=True)
                | (Q(deadline=deadline) & tie))
    return Q(priority__lt=priority) | (Q(priority=priority) & same)


def _before(key) -> Q:
    """The rows before `key` in QUEUE_ORDER."""
    priority, deadline, created, pk = key
    tie = Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk)
    if deadline is None:
        same = Q(deadline__isnull=False) | (Q(deadline__isnull=True) & tie)
    else:
        same = Q(deadline__lt=deadline) | (Q(deadline=deadline) & tie)
    return Q(priority__gt=priority) | (Q(priority=priority) & same)
