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
