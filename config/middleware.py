"""A plain 503 while PostgreSQL is unreachable, for pages and htmx fragments alike.

Django turns a database error into a 500 (a debug page with settings when DEBUG is on). While
the database is down or restarting, that is the wrong answer: the request can simply be
tried again. This middleware answers those errors with a 503 and one sentence instead, and
says whether anything was saved: it watches this request's statements, so "nothing was
saved" is only said when no write of the request reached the database.

It needs no healing step of its own: Django drops a connection that failed at the end of the
request, and checks a kept one before reusing it (CONN_HEALTH_CHECKS), so the first request
after PostgreSQL is back is served as usual.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django_htmx.http import reswap, retarget

log = logging.getLogger(__name__)

# PostgreSQL's "try again" classes: serialization failure, deadlock (SQLSTATE class 40).
_BUSY_CLASS = "40"
_WRITES = ("insert", "update", "delete")

NOTHING_SAVED = "Nothing was saved."
MAYBE_SAVED = ("Part of what this request did may have been saved: reload the page once the "
               "database is back to see where things stand.")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.database_wrote = False
        with connection.execute_wrapper(_WriteWatch(request)):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        busy = _sqlstate(exception).startswith(_BUSY_CLASS)
        log.warning("database %s: %s %s: %s", "busy" if busy else "unavailable",
                    request.method, request.path, exception)
        context = {
            "headline": "The database is busy" if busy else "The database is unavailable",
            "saved": MAYBE_SAVED if getattr(request, "database_wrote", False) else NOTHING_SAVED,
        }
        if getattr(request, "htmx", False):
            # Into the page's status line, leaving the panel (and what was typed) in place.
            body = render_to_string("503.html#status", context)
            return reswap(retarget(HttpResponse(body, status=503), "#site-status"),
                          "innerHTML")
        # Rendered without the request: its context processors would ask the database.
        response = HttpResponse(render_to_string("503.html", context), status=503)
        response["Retry-After"] = "5"
        return response


class _WriteWatch:
    """Notes when a write of this request is durable: at once in autocommit, on commit
    inside a transaction."""

    def __init__(self, request) -> None:
        self.request = request

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip()[:6].lower() in _WRITES:
            conn = context["connection"]
            if conn.in_atomic_block:
                conn.on_commit(self._wrote)
            else:
                self._wrote()
        return result

    def _wrote(self) -> None:
        self.request.database_wrote = True


def _sqlstate(exception: BaseException) -> str:
    cause = exception.__cause__
    return getattr(cause, "sqlstate", None) or ""
