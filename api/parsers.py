"""The one request body the API reads: JSON (an object, checked by the serializers).

Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE never reach this parser: the framework reads
request.body, where Django refuses them (RequestDataTooBig → 413 TooLarge in
api.exceptions). Here: UTF-8 only, NaN and Infinity refused, and a sentence for each error."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError("The request body is not valid UTF-8 text.") from None
        try:
            return json.loads(text, parse_constant=_no_constants)
        except ValueError as err:
            raise ParseError(f"The request body is not valid JSON: {err}.") from None
