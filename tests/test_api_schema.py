"""The API's OpenAPI 3 schema: the one served at /api/v1/schema/ validates with
openapi-spec-validator, drf-spectacular generates it without a warning, and it lists exactly
the routes under /api/v1/ with their methods, so a new endpoint or a renamed path that the
schema misses fails here. The browsable docs load their assets from our own static files."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openapi_spec_validator import validate

API_PREFIX = "api/v1/"
# Routes under /api/v1/ that are not endpoints: the schema, its docs, the JSON 404.
NOT_ENDPOINTS = {"schema", "docs", "not_found"}
METHODS = ("get", "post", "put", "patch", "delete")


def api_routes() -> dict[str, set[str]]:
    """{"/api/v1/drafts/{draft_id}/": {"get"}, …} from the URL resolver itself."""
    found: dict[str, set[str]] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith(API_PREFIX):
                if pattern.name in NOT_ENDPOINTS:
                    continue
                view = getattr(pattern.callback, "view_class", None)
                assert view is not None, f"{route} is not an API view"
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                found[path] = {m for m in METHODS if hasattr(view, m)}

    walk(get_resolver().url_patterns, "")
    return found


@pytest.fixture
def schema(db) -> dict:
    response = Client().get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_served_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises OpenAPIValidationError


def test_the_schema_generates_without_warnings(db):
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=StringIO())
    assert "openapi:" in out.getvalue()


def test_every_api_route_is_in_the_schema_and_nothing_else(schema):
    routes = api_routes()
    assert len(routes) >= 8  # the walk finds the API (an empty result would prove nothing)
    documented = {path: {m for m in operations if m in METHODS}
                  for path, operations in schema["paths"].items()}
    assert documented == routes


def test_every_operation_documents_its_errors_and_auth(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("operationId"), (path, method)
            assert operation["security"], (path, method)
            assert "401" in operation["responses"], (path, method)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {"type": "http", "scheme": "bearer",
                                    "description": schemes["tokenAuth"]["description"]}


@pytest.mark.django_db
def test_the_docs_page_serves_its_assets_from_our_static_files():
    client = Client()
    page = client.get(reverse("api:docs"))
    html = page.content.decode()
    # The site's CSP holds; only Swagger UI's data: icons are let in, on this page alone.
    policy = dict(d.strip().split(" ", 1) for d in page["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert "swagger-ui-bundle.js" in html and "<style" not in html
    assert not re.search(r"<script>(?!</script>)", html)  # no inline script: the CSP holds
    assert "https://" not in html  # nothing from a CDN
    script = re.search(r'<script src="([^"]+script=[^"]*)"', html).group(1)
    response = client.get(script.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert reverse("api:schema") in response.content.decode()


# ------------------------------------------------------------------ what the schema refuses


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_documents_the_errors_it_can_answer(schema):
    """api.schema.RedlineSchema's rules, operation by operation: each error documented with
    the JSON error body, none missing where the view can answer it."""
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        where = {p["in"] for p in operation.get("parameters", [])}
        body = "requestBody" in operation
        expected = {"401", "406", "429", "503"}
        expected |= {"404"} if "path" in where else set()
        expected |= {"400"} if body or "query" in where else set()
        expected |= {"413", "415", "403"} if body else set()
        assert expected <= set(responses), (path, method, expected - set(responses))
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"] == error
                assert response["description"], (path, method, status)
    by_id = {op["operationId"]: op for _, _, op in _operations(schema)}
    # Role-only operations answer 403; reading a draft anyone may see (else 404) does not.
    for role_only in ("drafts_list", "queue_list", "pending_list", "drafts_submit"):
        assert "403" in by_id[role_only]["responses"], role_only
    assert "403" not in by_id["drafts_get"]["responses"]
    for refused in ("drafts_submit", "drafts_withdraw", "drafts_decide", "deliveries_retry"):
        assert "409" in by_id[refused]["responses"], refused


def test_query_parameters_have_their_real_types_and_limits(schema):
    queue = {p["name"]: p["schema"]
             for p in schema["paths"]["/api/v1/queue/"]["get"]["parameters"]}
    assert queue["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200,
                                  "default": 50}
    channel = queue["channel"]
    assert "maxLength" not in channel  # in the pattern, which counts after trimming
    pattern = next(part["pattern"] for part in channel["allOf"] if "pattern" in part)
    refused = next(part["not"]["pattern"] for part in channel["allOf"] if "not" in part)
    for good in ("blog", "newsletter-en", "", " blog ", "b" * 50, "\x85" * 60):
        assert re.search(pattern, good) and not re.search(refused, good), good
    for bad in ("Blog", "-blog", "blog\x01", "a\nb", "blog post", "b" * 51):
        assert not re.search(pattern, bad) or re.search(refused, bad), bad
    assert queue["step"]["minimum"] == 0 and queue["author"]["type"] == "integer"
    drafts = {p["name"]: p["schema"]
              for p in schema["paths"]["/api/v1/drafts/"]["get"]["parameters"]}
    assert drafts["page_size"]["maximum"] == 200


def test_a_decision_is_one_of_four_shapes_by_its_decision(schema):
    components = schema["components"]["schemas"]
    decision = components["DecisionRequest"]
    assert decision["discriminator"]["propertyName"] == "decision"
    shapes = {kind: components[ref.rsplit("/", 1)[1]]
              for kind, ref in decision["discriminator"]["mapping"].items()}
    assert [{"$ref": ref} for ref in decision["discriminator"]["mapping"].values()] \
        == decision["oneOf"]
    assert set(shapes) == {"approve", "approve_with_edits", "request_changes", "reject"}
    # request_changes: feedback unless the version has passage comments (409 NeedsFeedback)
    needs = {"approve": [], "approve_with_edits": ["text"], "request_changes": [],
             "reject": ["comment"]}
    for kind, shape in shapes.items():
        assert shape["additionalProperties"] is False
        assert sorted(shape["required"]) == sorted(["decision", "version", *needs[kind]])
        assert shape["properties"]["version"]["minimum"] == 1
        for name in needs[kind]:
            blank = next(p["pattern"] for p in shape["properties"][name]["allOf"]
                         if "pattern" in p)
            assert not re.search(blank, " \n\t") and re.search(blank, " why ")


def test_a_body_with_a_required_field_is_itself_required(schema):
    """Before: the decisions body (a oneOf) was optional, so Schemathesis took an empty POST
    for a valid request that the API refused (ST202)."""
    bodies = {(method, path): op["requestBody"] for path, ops in schema["paths"].items()
              for method, op in ops.items() if isinstance(op, dict) and "requestBody" in op}
    assert bodies[("post", "/api/v1/drafts/{draft_id}/decisions/")].get("required") is True
    assert bodies[("post", "/api/v1/drafts/")].get("required") is True
    # Withdraw and Retry delivery take an empty body (every field has a default).
    assert not bodies[("post", "/api/v1/drafts/{draft_id}/withdraw/")].get("required")


BAD_PAGE_SIZES = ("null", "0", "-1", "201", "ten", "1.5", "", "５")


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["api:queue", "api:drafts"])
def test_a_page_size_that_is_not_1_to_200_is_refused(url_name):
    """The framework used the default page for page_size=null (or 0, or ten) and 200 for
    anything larger, in silence; now each answers 400 with a sentence."""
    from drafts.roles import AUTHORS, EDITORS
    from tests.conftest import make_user
    from tests.test_api import Api, create_token, error

    user = make_user("both1", AUTHORS, EDITORS)
    api = Api(create_token(user))
    url = reverse(url_name)
    for size in BAD_PAGE_SIZES:
        body = error(api.get(url, page_size=size), 400, "Invalid")
        assert "page_size must be a whole number from 1 to 200" in body["detail"], size
        assert set(body["fields"]) == {"page_size"}
    for size in ("1", "200"):
        assert api.get(url, page_size=size).status_code == 200


@pytest.mark.django_db
def test_a_path_with_a_line_break_gets_the_json_404():
    """Schemathesis sent /api/v1/drafts/<text with a line break>/ and got the site's HTML
    404: the catch-all's `.` did not match the line break."""
    response = Client().get("/api/v1/drafts/1%0A/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "NotFound"
