"""Who may do what: every URL × anonymous / author / other author / editor / admin, in plain
HTML and htmx, with exact status codes and redirects; CSRF on every POST."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from drafts.models import Draft
from tests.conftest import make_user
from tests.test_web_common import (
    HTMX,
    client_for,
    fast_password_hasher,  # noqa: F401 (autouse)
    make_draft,
    snapshot,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "author", "other_author", "editor", "admin"]
LOGIN = "login"  # expected: a redirect to the login page with ?next=


def _urls(draft_pk: int) -> dict[str, tuple[str, str]]:
    return {
        "home": ("get", "/"),
        "list": ("get", reverse("drafts:list")),
        "new": ("get", reverse("drafts:new")),
        "new_post": ("post", reverse("drafts:new")),
        "detail": ("get", reverse("drafts:detail", args=[draft_pk])),
        "retry": ("post", reverse("drafts:retry", args=[draft_pk])),
        "withdraw": ("post", reverse("drafts:withdraw", args=[draft_pk])),
        "retry_delivery": ("post", reverse("drafts:retry_delivery", args=[draft_pk])),
        "queue": ("get", reverse("review:queue")),
        "review": ("get", reverse("review:draft", args=[draft_pk])),
        "decide": ("post", reverse("review:decide", args=[draft_pk])),
        "detail_forged": ("get", "/drafts/999999/"),
        "review_forged": ("get", "/review/999999/"),
        "decide_forged": ("post", "/review/999999/decide/"),
    }


# Expected answer per URL, for roles in ROLES order. An int is a status code; a string is a
# redirect's target ("login" = the login page with ?next=the URL). The draft is the author's,
# already approved, so no POST here reaches Temporal: retry/withdraw are refused in words
# (a redirect with a message), decide posts an empty form (422 for those who may decide).
MATRIX = {
    "home":          ["/login/", "/drafts/", "/drafts/", "/review/", "/drafts/"],
    "list":          [LOGIN, 200, 200, 403, 200],
    "new":           [LOGIN, 200, 200, 403, 200],
    "new_post":      [LOGIN, 200, 200, 403, 200],  # empty form: errors shown (htmx: 422)
    "detail":        [LOGIN, 200, 404, 200, 200],
    "retry":         [LOGIN, "detail", 404, 403, 403],
    "withdraw":      [LOGIN, "detail", 404, 403, 403],
    "retry_delivery": [LOGIN, 403, 403, 403, "detail"],  # nothing failed: refused in words
    "queue":         [LOGIN, 403, 403, 200, 200],
    "review":        [LOGIN, 403, 403, 200, 200],
    "decide":        [LOGIN, 403, 403, 422, 422],
    "detail_forged": [LOGIN, 404, 404, 404, 404],
    "review_forged": [LOGIN, 403, 403, 404, 404],
    "decide_forged": [LOGIN, 403, 403, 404, 404],
}


@pytest.fixture
def users(author, other_author, editor, admin_user):
    return {"anonymous": None, "author": author, "other_author": other_author,
            "editor": editor, "admin": admin_user}


@pytest.mark.parametrize("htmx", [False, True], ids=["html", "htmx"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(MATRIX))
def test_permission_matrix(users, editor, name, role, htmx):
    draft = make_draft(users["author"], status="approved", decided_by=editor)
    before = snapshot(draft)
    count = Draft.objects.count()
    method, url = _urls(draft.pk)[name]
    expected = MATRIX[name][ROLES.index(role)]
    if htmx and name == "new_post" and expected == 200:
        expected = 422  # the form's errors, for htmx to swap in
    if htmx and name in ("detail", "review") and expected == 200:
        expected = 286  # the partial, and stop polling: the draft is final
    client = client_for(users[role])
    response = getattr(client, method)(url, **(HTMX if htmx else {}))
    if expected == LOGIN and htmx:  # an expired session: the browser goes to log in
        assert response.status_code == 200
        assert response["HX-Redirect"] == f"/login/?next={quote(url)}"
    elif expected == LOGIN:
        assert response.status_code == 302
        assert response.url == f"/login/?next={quote(url)}"
    elif expected == "detail" and htmx and name == "retry_delivery":
        assert response.status_code == 200  # htmx: the browser goes to the page
        assert response["HX-Redirect"] == reverse("drafts:detail", args=[draft.pk])
    elif expected == "detail":
        assert response.status_code == 302
        assert response.url == reverse("drafts:detail", args=[draft.pk])
    elif isinstance(expected, str):
        assert response.status_code == 302 and response.url == expected
    else:
        assert response.status_code == expected, response.content.decode()[:500]
    if expected == 403:
        assert "You can't do that" in response.content.decode()
    if expected == 404:
        assert "There is nothing here, or it is not yours to see." in response.content.decode()
    # nothing was written, whoever asked
    assert snapshot(draft) == before and Draft.objects.count() == count


def test_expired_session_htmx_goes_back_to_the_page_after_login(author):
    draft = make_draft(author)
    response = Client().post(f"/review/{draft.pk}/decide/", {"decision": "approve"},
                             HTTP_HX_CURRENT_URL=f"http://testserver/review/{draft.pk}/?version=1",
                             **HTMX)
    assert response["HX-Redirect"] == f"/login/?next=/review/{draft.pk}/%3Fversion%3D1"


def test_refusals_say_why(author, editor):
    draft = make_draft(author)
    assert "Only authors can do this." in client_for(editor).get("/drafts/").content.decode()
    assert "Only editors can review drafts." in \
        client_for(author).get(f"/review/{draft.pk}/").content.decode()


def test_user_without_a_role(author):
    nobody = make_user("nobody")
    draft = make_draft(author)
    client = client_for(nobody)
    assert client.get("/drafts/").status_code == 403
    assert client.get("/review/").status_code == 403
    assert client.get(f"/drafts/{draft.pk}/").status_code == 404


@pytest.mark.parametrize(("method", "name"), [("get", "drafts:withdraw"), ("get", "review:decide"),
                                               ("get", "drafts:retry"), ("put", "drafts:new")])
def test_wrong_method_is_405(author, method, name):
    draft = make_draft(author)
    url = reverse(name) if name == "drafts:new" else reverse(name, args=[draft.pk])
    assert getattr(client_for(author), method)(url).status_code == 405


# ----------------------------------------------------------------- CSRF


def test_body_sends_the_csrf_token_with_every_htmx_request(author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    html = client.get("/drafts/new/").content.decode()
    token = client.cookies["csrftoken"].value
    assert token
    assert "<body hx-headers='{\"X-CSRFToken\": \"" in html


@pytest.mark.parametrize("htmx", [False, True], ids=["html", "htmx"])
def test_post_without_csrf_token_is_refused_and_writes_nothing(author, editor, htmx):
    headers = HTMX if htmx else {}
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    response = client.post("/drafts/new/", {"topic": "Tides", "target_words": "600"},
                           **headers)
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert Draft.objects.count() == 0

    draft = make_draft(author)
    before = snapshot(draft)
    editor_client = Client(enforce_csrf_checks=True)
    editor_client.force_login(editor)
    refused = editor_client.post(f"/review/{draft.pk}/decide/",
                                 {"decision": "approve", "version": 1}, **headers)
    assert refused.status_code == 403
    withdraw = client.post(f"/drafts/{draft.pk}/withdraw/", **headers)
    assert withdraw.status_code == 403
    assert snapshot(draft) == before


def test_post_with_the_htmx_csrf_header_is_accepted(author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    client.get("/drafts/new/")
    token = client.cookies["csrftoken"].value
    response = client.post("/drafts/new/", {"topic": "Tides", "target_words": "600"},
                           HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/drafts/")
    assert Draft.objects.count() == 1
