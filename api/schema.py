"""drf-spectacular extensions: the Bearer token scheme, and the rulebook's limits on text
fields (checked by the rulebook, so the field carries no validator of its own)."""

from __future__ import annotations

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_basic_type, build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="HTTP_AUTHORIZATION",
                                                     token_prefix="Bearer")
        scheme["description"] = ("A personal API token from /account/tokens/: "
                                 "`Authorization: Bearer rl_…`.")
        return scheme


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "The browser's session (send X-CSRFToken on POST)."}


class TextField(OpenApiSerializerFieldExtension):
    target_class = "api.serializers.Text"

    def map_serializer_field(self, auto_schema, direction):
        schema = build_basic_type(OpenApiTypes.STR)
        schema["maxLength"] = self.target.limit
        return schema
