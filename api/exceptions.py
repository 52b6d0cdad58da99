"""Every API error as JSON: {"code": "<stable code>", "detail": "<sentence>", "fields": {…}}.

`handler` is REST_FRAMEWORK["EXCEPTION_HANDLER"]. It maps the framework's errors (parse,
validation, authentication, permission, 404, 405, 415, 429) and the app's own
(temporal_app.errors: the rulebook's refusals with their codes, the engine unavailable, a
decision accepted but not yet recorded) to a status and a code; views raise and never build
an error response themselves. docs/api.md lists the codes.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from config.middleware import NOTHING_SAVED
from temporal_app import errors, visibility

log = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error with a code and a sentence chosen by the caller."""

    def __init__(self, detail: str, code: str, status_code: int,
                 fields: dict[str, str] | None = None) -> None:
        super().__init__(detail, code)
        self.status_code = status_code
        self.code = code
        self.fields = fields


class TooLarge(ApiError):
    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is too large: at most {limit:,} bytes. Nothing was "
                         "saved.", "TooLarge", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class Conflict(ApiError):
    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail, code, status.HTTP_409_CONFLICT)


class BadRequest(ApiError):
    def __init__(self, detail: str, code: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(detail, code, status.HTTP_400_BAD_REQUEST, fields)


class Forbidden(ApiError):
    def __init__(self, detail: str, code: str = "Forbidden") -> None:
        super().__init__(detail, code, status.HTTP_403_FORBIDDEN)


class Unauthorized(exceptions.AuthenticationFailed):
    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail, code)
        self.code = code


# The framework's exceptions: their code and, where its sentence is not one, ours.
_FRAMEWORK = {
    exceptions.ParseError: ("MalformedJSON", None),
    exceptions.NotAuthenticated: ("NotAuthenticated", "Authentication is needed: send "
                                  "“Authorization: Bearer <token>” (create a token on "
                                  "/account/tokens/) or sign in."),
    exceptions.AuthenticationFailed: ("InvalidToken", None),
    exceptions.PermissionDenied: ("Forbidden", None),
    exceptions.NotFound: ("NotFound", None),
    exceptions.MethodNotAllowed: ("MethodNotAllowed", None),
    exceptions.NotAcceptable: ("NotAcceptable", None),
    exceptions.UnsupportedMediaType: ("UnsupportedMediaType", None),
    exceptions.Throttled: ("Throttled", None),
}

# The app's errors (temporal_app.errors): the HTTP status for each kind; the code is the
# error's own (for a refusal, the rulebook's: StaleVersion, AlreadyDecided, …).
_APP_STATUS = (
    (errors.InvalidBrief, status.HTTP_400_BAD_REQUEST),
    (errors.Refused, status.HTTP_409_CONFLICT),
    (errors.DecisionAccepted, status.HTTP_202_ACCEPTED),
    (errors.EngineUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)


def body(code: str, detail: str, fields: dict[str, str] | None = None) -> dict:
    data = {"code": code, "detail": detail}
    if fields:
        data["fields"] = fields
    return data


def _flatten(detail, prefix: str = "") -> dict[str, str]:
    """A ValidationError's detail as {field: "sentence sentence"} (nested fields dotted)."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": " ".join(str(item) for item in detail)}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": str(detail)}


def _validation(exc: exceptions.ValidationError) -> Response:
    fields = _flatten(exc.detail)
    general = fields.pop("non_field_errors", "")
    named = " ".join(f"{name}: {sentence}" for name, sentence in fields.items())
    detail = " ".join(part for part in (general, named) if part) or "The request is not valid."
    return Response(body("Invalid", detail, fields), status=status.HTTP_400_BAD_REQUEST)


def handler(exc: Exception, context: dict) -> Response | None:
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = TooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    if isinstance(exc, ApiError):
        response = Response(body(exc.code, str(exc.detail), exc.fields), status=exc.status_code)
    elif isinstance(exc, Unauthorized):
        response = Response(body(exc.code, str(exc.detail)), status=exc.status_code)
    elif isinstance(exc, exceptions.ValidationError):
        response = _validation(exc)
    elif isinstance(exc, exceptions.APIException):
        code, sentence = next(((c, s) for kind, (c, s) in _FRAMEWORK.items()
                               if isinstance(exc, kind)), ("Error", None))
        detail = sentence or str(exc.detail)
        if isinstance(exc, exceptions.ParseError) and not detail.startswith("The request"):
            detail = f"The request body is not valid JSON ({detail})."
        response = Response(body(code, detail), status=exc.status_code)
    elif isinstance(exc, errors.RedlineError):
        http = next((st for kind, st in _APP_STATUS if isinstance(exc, kind)), 500)
        fields = exc.problems if isinstance(exc, errors.InvalidBrief) else None
        response = Response(body(exc.code, exc.sentence, fields), status=http)
        if http == status.HTTP_503_SERVICE_UNAVAILABLE:
            response["Retry-After"] = "5"
    elif isinstance(exc, visibility.FilterError):  # the pending list's filters and page token
        code = "InvalidCursor" if isinstance(exc, visibility.PageTokenError) else "InvalidFilter"
        response = Response(body(code, str(exc)), status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, (OperationalError, InterfaceError)):
        wrote = getattr(getattr(request, "_request", request), "database_wrote", False)
        log.warning("database unavailable during an API request: %s", exc)
        saved = (NOTHING_SAVED if not wrote else "Part of what this request did may have been "
                 "saved: read it back once the database is back before sending it again.")
        response = Response(body("DatabaseUnavailable", f"The database is unavailable. {saved}"),
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = "5"
    elif settings.DEBUG:
        return None  # a bug: raised, so the tests and the debug page show it
    else:
        log.exception("unexpected error in %s", getattr(request, "path", "an API view"))
        response = Response(body("ServerError", "Something went wrong on our side; nothing "
                                 "more can be said here. Try again, or tell an admin."),
                            status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    # What the framework would have added: WWW-Authenticate on 401, Allow on 405.
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):  # Throttled
            response["Retry-After"] = str(int(exc.wait) + 1)
    return response
