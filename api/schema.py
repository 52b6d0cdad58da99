"""drf-spectacular extensions: the Bearer token scheme, and the rulebook's limits on text
fields (checked by the rulebook, so the field carries no validator of its own)."""

from __future__ import annotations

import copy

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import (
    ResolvedComponent,
    build_basic_type,
    build_bearer_security_scheme_object,
    force_instance,
)
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
        if not self.target.limit_in_pattern:
            schema["maxLength"] = self.target.limit
        # Both inside allOf: a top-level pattern on a field that allows blank would make
        # drf-spectacular add a oneOf with "" (which the pattern itself says).
        schema["allOf"] = [{"not": {"pattern": self.target.refused}}]
        if self.target.pattern:
            schema["allOf"].append({"pattern": self.target.pattern})
        return schema


class StrictBody(OpenApiSerializerExtension):
    """A request body that refuses keys it does not know says so: additionalProperties."""

    target_class = "api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class DecisionBody(StrictBody):
    """A decision is one of four shapes, told apart by `decision` (a oneOf with its
    discriminator): reject and request_changes need a comment that is not blank,
    approve_with_edits needs the edited text (rulebook.decisions.input_refusal)."""

    target_class = "api.serializers.DecisionSerializer"
    match_subclasses = False
    priority = 1  # before StrictBody, which matches it too

    def map_serializer(self, auto_schema, direction):
        from api.serializers import DECISION_NEEDS, NOT_BLANK

        base = super().map_serializer(auto_schema, direction)
        if direction != "request":
            return base
        base["properties"]["version"]["minimum"] = 1  # input_refusal: a version from 1
        variants, mapping = [], {}
        for kind, needs in DECISION_NEEDS.items():
            schema = copy.deepcopy(base)
            props = schema["properties"]
            props["decision"] = {"type": "string", "enum": [kind]}
            for name in needs:
                props[name].pop("default", None)  # required here: "" is no default
                props[name]["allOf"] = [*props[name].get("allOf", []), {"pattern": NOT_BLANK}]
                props[name]["description"] = props[name].get("description", "") + \
                    f" Required for {kind}: not blank."
            schema["required"] = sorted({*schema.get("required", []), *needs})
            name = "".join(part.title() for part in kind.split("_")) + "DecisionRequest"
            component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA,
                                          object=name, schema=schema)
            auto_schema.registry.register_on_missing(component)
            variants.append(component.ref)
            mapping[kind] = component.ref["$ref"]
        return {"oneOf": variants,
                "discriminator": {"propertyName": "decision", "mapping": mapping}}


# ------------------------------------------------------------------ what each operation refuses

# The error responses every operation documents where they can happen, each with the JSON
# error body (api.exceptions: {"code", "detail", "fields"}). RedlineSchema adds those a view
# does not describe itself, from what the view is: its authentication, permissions, path,
# parameters, body and throttle, so a new view documents its refusals without a list of its
# own (tests/test_api_schema.py checks the rules; tests/test_api_schemathesis.py checks the
# answers against them).
ERROR_WORDS = {
    400: "Invalid input; `code` says which kind and `fields` which input",
    401: "No token and no session, or an unknown, malformed or revoked token (NotAuthenticated, "
         "InvalidToken, TokenRevoked)",
    403: "Not allowed (Forbidden: your roles; CsrfFailed: a browser session's POST without "
         "X-CSRFToken)",
    404: "No such draft or version, or one you may not see (NotFound)",
    406: "An Accept header that excludes JSON (NotAcceptable)",
    413: "The body is too large (TooLarge)",
    415: "A body that is not application/json (UnsupportedMediaType)",
    429: "Over API_THROTTLE_RATE (Throttled); Retry-After says when to come back",
    503: "The database is unavailable (DatabaseUnavailable; says whether anything was saved); "
         "Retry-After: 5",
}


def error_statuses(view, method: str, operation: dict) -> dict[int, str]:
    """{status: description} of the errors this operation can answer, from the view alone."""
    from rest_framework.permissions import IsAuthenticated

    statuses = {401: ERROR_WORDS[401], 406: ERROR_WORDS[406], 503: ERROR_WORDS[503]}
    params = operation.get("parameters", [])
    body = "requestBody" in operation
    roles = [p for p in view.get_permissions() if type(p) is not IsAuthenticated]
    if roles or method.upper() not in ("GET", "HEAD", "OPTIONS"):
        statuses[403] = ERROR_WORDS[403]
    if any(p["in"] == "path" for p in params):
        statuses[404] = ERROR_WORDS[404]
    kinds = []
    if body:
        kinds += ["MalformedJSON: the body is not JSON", "UnknownField: a key it does not take",
                  "Invalid: a wrong type, a missing field, a value not offered"]
    if any(p["in"] == "query" for p in params):
        kinds.append("Invalid: a query parameter's value")
    if getattr(view, "pagination_class", None) is not None:
        kinds.append("InvalidCursor: a damaged cursor")
    if kinds:
        statuses[400] = f"{ERROR_WORDS[400]} ({'; '.join(kinds)})"
    if body:
        statuses[413] = ERROR_WORDS[413]
        statuses[415] = ERROR_WORDS[415]
    if view.get_throttles():
        statuses[429] = ERROR_WORDS[429]
    return statuses


class RedlineSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the error responses of error_statuses added to
    what the view's @extend_schema says (its own descriptions win)."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        from api.serializers import ErrorSerializer

        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        body = operation.get("requestBody")
        if body is not None and not body.get("required"):
            # A body with a required field is itself required: an empty POST is not valid
            # (drf-spectacular leaves `required` out when the body is a oneOf, as decisions').
            serializer = force_instance(self.get_request_serializer())
            fields = getattr(serializer, "fields", {})
            if any(field.required for field in fields.values()):
                body["required"] = True
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        for code, words in error_statuses(self.view, method, operation).items():
            responses.setdefault(str(code), {
                "description": words, "content": {"application/json": {"schema": error}}})
        operation["responses"] = dict(sorted(responses.items()))
        return operation
