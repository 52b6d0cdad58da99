"""Cursor pagination (opaque `cursor` links, stable while rows are added)."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from api.exceptions import BadRequest
from drafts.selectors import QUEUE_ORDER


class Cursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-pk")

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as err:  # the framework's "Invalid cursor"
            raise BadRequest("This cursor is damaged or from another list; start again "
                             "from the first page.", "InvalidCursor") from err


class MyDrafts(Cursor):
    """drafts.selectors.drafts_for_author's order: newest first."""

    ordering = ("-created_at", "-pk")


class Queue(Cursor):
    """drafts.selectors.review_queue's order: most urgent first."""

    ordering = QUEUE_ORDER
