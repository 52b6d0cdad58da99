"""Cursor pagination (opaque `cursor` links, stable while rows are added)."""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.db.models import F, Q
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.exceptions import BadRequest
from drafts.selectors import QUEUE_ORDER

INVALID_CURSOR = "This cursor is damaged or from another list; start again from the first page."


class Cursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-pk")

    def get_page_size(self, request):
        """`page_size` from 1 to max_page_size; anything else is refused (the framework
        quietly used the default for `null`, `0` or `ten`, and the maximum above it)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            sentence = (f"page_size must be a whole number from 1 to {self.max_page_size} "
                        f"(without it, {self.page_size}).")
            raise BadRequest(f"page_size: {sentence}", "Invalid", {"page_size": sentence})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1,
                                       "maximum": self.max_page_size, "default": self.page_size}
                parameter["description"] = "Rows per page."
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = ("Another page: follow `next` or `previous` as "
                                            "given (the cursor is opaque).")
        return parameters

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as err:  # the framework's "Invalid cursor"
            raise BadRequest(INVALID_CURSOR, "InvalidCursor") from err


class MyDrafts(Cursor):
    """drafts.selectors.drafts_for_author's order: newest first."""

    ordering = ("-created_at", "-pk")


class Events(Cursor):
    """The audit history's order, oldest first (review.exports.audit_events, along its index).
    Events are only ever added, with the time they are written: a page's cursor positions on
    the last one's time (and the ids after it at the same time), and new events come after."""

    ordering = ("created_at", "pk")
    page_size = 100
    max_page_size = 1000


class Queue(Cursor):
    """drafts.selectors.review_queue's order, most urgent first, paged by seeking: the cursor
    holds the last row's whole sort key (priority, deadline, created_at, id), and the next
    page is the rows after it in that order. DRF's cursor positions on the first ordering
    field only (priority: two values) and counts an offset within it, so a client paging a
    queue that editors were emptying skipped drafts; a key skips nothing. The rows after (or
    before) a key are a few disjoint ranges of the queue's index (_after, _before), read in
    one query (UNION ALL, each part limited), so a deep page costs what the first does."""

    ordering = QUEUE_ORDER
    salt = "api.queue.cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request, self.base_url = request, request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        key, backwards, inclusive = self._decode(request.query_params.get(self.cursor_query_param))
        if backwards:
            rows = _seek(queryset, _before(key, inclusive), _REVERSED, self.page_size + 1)
            more = len(rows) > self.page_size
            self.page = list(reversed(rows[:self.page_size]))
            # Nothing left before the key (decided meanwhile): every row is after it, so the
            # next page is the first one; null would say the list had ended.
            self._next = (self._link(_key(self.page[-1]), False) if self.page
                          else remove_query_param(self.base_url, self.cursor_query_param))
            self._previous = self._link(_key(self.page[0]), True) if more else None
        else:
            ranges = [Q()] if key is None else _after(key)
            rows = _seek(queryset, ranges, QUEUE_ORDER, self.page_size + 1)
            self.page = rows[:self.page_size]
            more = len(rows) > self.page_size
            self._next = self._link(_key(self.page[-1]), False) if more else None
            # Past the first page, the rows before this one; when nothing is left after the
            # key (decided meanwhile), the rows up to and with the key: the last one read.
            if key is None:
                self._previous = None
            elif self.page:
                self._previous = self._link(_key(self.page[0]), True)
            else:
                self._previous = self._link(key, True, inclusive=True)
        return self.page

    def get_next_link(self):
        return self._next

    def get_previous_link(self):
        return self._previous

    def _link(self, key, backwards: bool, inclusive: bool = False) -> str:
        priority, deadline, created, pk = key
        data = {"k": [priority, None if deadline is None else deadline.isoformat(),
                      created.isoformat(), pk], "b": backwards}
        if inclusive:
            data["i"] = True
        token = signing.dumps(data, salt=self.salt, compress=True)
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def _decode(self, token: str | None):
        if not token:
            return None, False, False
        try:
            data = signing.loads(token, salt=self.salt)
            priority, deadline, created, pk = data["k"]
            key = (int(priority), None if deadline is None else datetime.fromisoformat(deadline),
                   datetime.fromisoformat(created), int(pk))
            return key, bool(data["b"]), bool(data.get("i", False))
        except (signing.BadSignature, KeyError, TypeError, ValueError) as err:
            raise BadRequest(INVALID_CURSOR, "InvalidCursor") from err


# The seek below knows this order exactly; a new order must teach it first.
assert QUEUE_ORDER == ("-priority", "deadline", "created_at", "pk"), QUEUE_ORDER
# PostgreSQL sorts NULL deadlines last ascending (first descending), as order_by does.
_REVERSED = ("priority", F("deadline").desc(nulls_first=True), "-created_at", "-pk")


def _key(draft) -> tuple:
    """A row's whole sort key, in QUEUE_ORDER's fields."""
    return draft.priority, draft.deadline, draft.created_at, draft.pk


def _seek(queryset, ranges: list[Q], order, limit: int) -> list:
    """The first `limit` rows of the ranges in `order`. Each range is one range of the
    queue's index (an equality prefix, then one inequality), read in order and limited; their
    OR in one WHERE would be a filter on a scan from the start of the index instead."""
    parts = [queryset.filter(q).order_by(*order)[:limit] for q in ranges]
    if len(parts) == 1:
        return list(parts[0])
    return list(parts[0].union(*parts[1:], all=True).order_by(*order)[:limit])


def _after(key) -> list[Q]:
    """The rows after `key` (p, d, c, id) in QUEUE_ORDER, as disjoint ranges in that order;
    their OR is priority < p OR (priority = p AND (deadline > d OR deadline IS NULL OR
    (deadline = d AND (created_at > c OR (created_at = c AND pk > id))))), and with d NULL
    priority < p OR (priority = p AND deadline IS NULL AND (created_at > c OR ...))."""
    priority, deadline, created, pk = key
    if deadline is None:
        same, later = Q(priority=priority, deadline__isnull=True), []
    else:
        same = Q(priority=priority, deadline=deadline)
        later = [Q(priority=priority, deadline__gt=deadline),
                 Q(priority=priority, deadline__isnull=True)]
    return [same & Q(created_at=created, pk__gt=pk), same & Q(created_at__gt=created),
            *later, Q(priority__lt=priority)]


def _before(key, inclusive: bool = False) -> list[Q]:
    """The rows before `key` in QUEUE_ORDER (and the key's own row if `inclusive`), as
    disjoint ranges: _after's mirror."""
    priority, deadline, created, pk = key
    if deadline is None:
        same = Q(priority=priority, deadline__isnull=True)
        earlier = Q(priority=priority, deadline__isnull=False)
    else:
        same = Q(priority=priority, deadline=deadline)
        earlier = Q(priority=priority, deadline__lt=deadline)
    last = Q(pk__lte=pk) if inclusive else Q(pk__lt=pk)
    return [Q(priority__gt=priority), earlier, same & Q(created_at__lt=created),
            same & Q(created_at=created) & last]
