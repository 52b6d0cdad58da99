"""The JSON API (/api/v1/, docs/api.md) on the real stack: a live worker on the session's
Temporal dev server, real PostgreSQL, per-user tokens made on the account page.

The story runs through the API only (token auth): submit, poll, the editor requests changes
on version 1, a stale decision on version 1 gets the rulebook's sentence, the editor approves
version 2, the author sees it approved. Then tokens (create, shown once, stored hashed,
revoked → 401), idempotent submit, every kind of bad input (a JSON error, nothing written),
decisions on others' and own drafts, the engine unavailable (503, nothing recorded), the
queue's cursors, the admins' pending list, session auth with CSRF, and throttling.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from drafts.models import Draft, DraftEvent, DraftVersion, OutboxMail
from rulebook import authors, decisions, inputs, policies
from rulebook.snapshot import Request, Snapshot
from rulebook.states import DecisionKind, ReviewState
from temporal_app import devserver, gateway
from tests.conftest import make_user, wait_for
from tests.test_web_common import (
    V1,
    V2,
    client_for,
    fast_password_hasher,  # noqa: F401 (autouse)
    make_draft,
    snapshot,
)

AWAITING = ReviewState.AWAITING_REVIEW.value
JSON = "application/json"


# ------------------------------------------------------------------ helpers


def create_token(user, name: str = "tests") -> str:
    """A token made as a person makes one: on the account page (shown once)."""
    response = client_for(user).post(reverse("api:tokens"), {"name": name})
    assert response.status_code == 201, response.content.decode()
    return re.search(r'value="(rl_[A-Za-z0-9_-]+)"', response.content.decode()).group(1)


class Api:
    """An API client with a bearer token (or none)."""

    def __init__(self, token: str | None = None, **kwargs) -> None:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        self.client = Client(**headers, **kwargs)

    def get(self, url: str, **params):
        return self.client.get(url, params)

    def post(self, url: str, body=None, *, raw: bytes | str | None = None,
             content_type: str = JSON, **headers):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.post(url, data=data, content_type=content_type, headers=headers)


def error(response, status: int, code: str) -> dict:
    """The JSON error body, after checking its status and code."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith(JSON)
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"].strip()
    return body


def rows() -> tuple[int, ...]:
    return (Draft.objects.count(), DraftEvent.objects.count(), DraftVersion.objects.count(),
            OutboxMail.objects.count())


def drafts_url() -> str:
    return reverse("api:drafts")


def draft_url(pk: int) -> str:
    return reverse("api:draft", args=[pk])


def decisions_url(pk: int) -> str:
    return reverse("api:decisions", args=[pk])


def rulebook_sentence(kind: DecisionKind, *, snap_version: int, version: int, author_id: int,
                      actor_id: int) -> str:
    """What the rulebook says to this decision on a draft awaiting review (asked, not typed)."""
    refusal = decisions.refusal(
        Snapshot(state=ReviewState.AWAITING_REVIEW, version=snap_version,
                           author_id=author_id),
        Request(kind, actor_id, version), datetime.now(UTC))
    assert refusal is not None
    return refusal.sentence


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # throttling counts in the cache
    yield
    cache.clear()


# ------------------------------------------------------------------ the story


@pytest.mark.django_db(transaction=True)
def test_the_whole_story_through_the_api(live_worker, author, editor):
    writer, reviewer = Api(create_token(author)), Api(create_token(editor))

    # 1. The author submits a topic.
    response = writer.post(drafts_url(), {"topic": "Tides and the moon",
                                          "brief": "For curious adults.", "tone": "warm",
                                          "target_words": 300})
    assert response.status_code == 201, response.content
    draft = response.json()
    assert response["Location"] == draft["url"]
    assert draft["topic"] == "Tides and the moon" and draft["target_words"] == 300
    assert draft["events"][0]["kind"] == "submitted"
    pk = draft["id"]

    # 2. It polls until the draft awaits review.
    def awaiting(version: int):
        def check():
            body = writer.get(draft_url(pk)).json()
            return body if body["state"] == AWAITING and body["current_version"] == version \
                else None
        return wait_for(check, timeout=30, interval=0.1, what=f"version {version} awaiting")

    body = awaiting(1)
    assert body["deadline"] and [v["number"] for v in body["versions"]] == [1]
    assert body["versions"][0]["diff_url"] is None
    assert writer.get(drafts_url()).json()["results"][0]["id"] == pk

    # 3. The editor finds it in the queue, reads version 1 and requests changes.
    queue = reviewer.get(reverse("api:queue")).json()
    assert [row["id"] for row in queue["results"]] == [pk]
    text = reviewer.get(reverse("api:version", args=[pk, 1])).json()["text"]
    assert text.startswith("#")
    response = reviewer.post(decisions_url(pk), {"decision": "request_changes", "version": 1,
                                                 "comment": "Add spring tides."})
    assert response.status_code == 200, response.content
    assert response.json() == {"state": ReviewState.REVISING.value, "version": 1,
                               "message": "Sent back for changes by editor1."}

    # 4. Version 2 arrives, with its diff to version 1.
    body = awaiting(2)
    assert [v["number"] for v in body["versions"]] == [1, 2]
    diff = reviewer.get(body["versions"][1]["diff_url"]).json()
    assert diff["old_number"] == 1 and diff["new_number"] == 2
    assert diff["added"] > 0 and {line["kind"] for line in diff["lines"]} >= {"added"}

    # 5. A decision on the version the editor read before: the rulebook's sentence, 409.
    before = snapshot(Draft.objects.get(pk=pk))
    stale = error(reviewer.post(decisions_url(pk), {"decision": "approve", "version": 1}),
                  409, "StaleVersion")
    assert stale["detail"] == rulebook_sentence(DecisionKind.APPROVE, snap_version=2, version=1,
                                                author_id=author.pk, actor_id=editor.pk)
    assert snapshot(Draft.objects.get(pk=pk)) == before

    # 6. The editor approves version 2.
    response = reviewer.post(decisions_url(pk), {"decision": "approve", "version": 2,
                                                 "comment": "Ship it."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ReviewState.APPROVED.value
    assert response.json()["message"] == "Approved by editor1."

    # 7. The author sees it approved, with the decision and its history.
    body = writer.get(draft_url(pk)).json()
    assert body["state"] == ReviewState.APPROVED.value and body["is_final"] is True
    assert body["decided_by"] == "editor1" and body["decision_comment"] == "Ship it."
    kinds = [event["kind"] for event in body["events"]]
    assert kinds[0] == "submitted" and kinds[-1] == "approved" and "changes_requested" in kinds

    # 8. Deciding again: the draft is closed.
    again = error(reviewer.post(decisions_url(pk), {"decision": "reject", "version": 2,
                                                    "comment": "No."}), 409, "AlreadyDecided")
    assert again["detail"].startswith("This draft was already approved by editor1")


@pytest.mark.django_db(transaction=True)
def test_the_author_withdraws_through_the_api(live_worker, author):
    writer = Api(create_token(author))
    pk = writer.post(drafts_url(), {"topic": "Withdraw me"}).json()["id"]
    wait_for(lambda: writer.get(draft_url(pk)).json()["state"] == AWAITING, timeout=30,
             interval=0.1, what="awaiting review")
    response = writer.post(reverse("api:withdraw", args=[pk]), {"comment": "Not needed."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ReviewState.WITHDRAWN.value
    assert writer.get(draft_url(pk)).json()["state"] == ReviewState.WITHDRAWN.value
    # Once closed: the rulebook's early refusal, nothing sent to the workflow.
    error(writer.post(reverse("api:withdraw", args=[pk])), 409, "Closed")


# ------------------------------------------------------------------ tokens


@pytest.mark.django_db
def test_a_token_is_created_on_the_account_page_shown_once_and_revoked(author, other_author):
    page = client_for(author)
    listing = page.get(reverse("api:tokens"))
    assert listing.status_code == 200
    assert f'href="{reverse("api:tokens")}"' in listing.content.decode()  # in the nav too
    assert listing["Cache-Control"].startswith("max-age=0")

    secret = create_token(author, "CMS import")
    token = ApiToken.objects.get(user=author)
    # Stored hashed: the secret itself is in no column.
    assert token.hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.name, token.prefix, token.hash} and secret.startswith(
        token.prefix)
    # Shown once: the page shows its prefix from now on, never the token.
    html = page.get(reverse("api:tokens")).content.decode()
    assert secret not in html and f"{token.prefix}…" in html and "CMS import" in html

    api = Api(secret)
    assert api.get(drafts_url()).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    # Someone else cannot revoke it; GET does not revoke.
    assert client_for(other_author).post(
        reverse("api:token_revoke", args=[token.pk])).status_code == 404
    assert page.get(reverse("api:token_revoke", args=[token.pk])).status_code == 405
    assert api.get(drafts_url()).status_code == 200

    response = page.post(reverse("api:token_revoke", args=[token.pk]), follow=True)
    assert "is revoked" in response.content.decode()
    assert "Revoked " in response.content.decode()
    body = error(api.get(drafts_url()), 401, "TokenRevoked")
    assert token.prefix in body["detail"]
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_account_page_refuses_a_bad_name_and_needs_csrf(author):
    page = client_for(author)
    for name, sentence in (("", "Give the token a name"),
                           ("a\nb", "The name must be one line")):
        response = page.post(reverse("api:tokens"), {"name": name})
        assert response.status_code == 400 and sentence in response.content.decode()
    strict = client_for(author, enforce_csrf_checks=True)
    assert strict.post(reverse("api:tokens"), {"name": "x"}).status_code == 403
    assert ApiToken.objects.count() == 0
    # Signed out: the login page.
    assert Client().get(reverse("api:tokens")).status_code == 302


@pytest.mark.django_db
def test_without_a_valid_token_the_answer_is_401(author):
    secret = create_token(author)
    for headers, code in (({}, "NotAuthenticated"),
                          ({"HTTP_AUTHORIZATION": "Bearer rl_unknown"}, "InvalidToken"),
                          ({"HTTP_AUTHORIZATION": "Bearer"}, "InvalidToken"),
                          ({"HTTP_AUTHORIZATION": f"Bearer {secret} extra"}, "InvalidToken"),
                          ({"HTTP_AUTHORIZATION": f"Bearer {secret[:-1]}"}, "InvalidToken")):
        response = Client(**headers).get(drafts_url())
        error(response, 401, code)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    author.is_active = False
    author.save()
    error(Api(secret).get(drafts_url()), 401, "InvalidToken")


# ------------------------------------------------------------------ idempotent submit


@pytest.mark.django_db(transaction=True)
def test_submit_is_idempotent_by_key(task_queue, author, other_author):
    # A dev server but no worker: the reviews start and wait.
    api = Api(create_token(author))
    body = {"topic": "Once only", "brief": "Twice sent."}
    first = api.post(drafts_url(), body, **{"Idempotency-Key": "cms-item-42"})
    assert first.status_code == 201
    again = api.post(drafts_url(), body, **{"Idempotency-Key": "cms-item-42"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Draft.objects.count() == 1
    # The same key with another body is a mistake, reported; nothing new.
    conflict = error(api.post(drafts_url(), {"topic": "Something else"},
                              **{"Idempotency-Key": "cms-item-42"}), 409,
                     "IdempotencyKeyReused")
    assert f"#{first.json()['id']}" in conflict["detail"]
    # Keys are per user; no key means a new draft each time.
    other = Api(create_token(other_author)).post(drafts_url(), body,
                                                  **{"Idempotency-Key": "cms-item-42"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert api.post(drafts_url(), body).status_code == 201
    assert Draft.objects.count() == 3
    before = rows()
    error(api.post(drafts_url(), body, **{"Idempotency-Key": "x" * 256}), 400,
          "InvalidIdempotencyKey")
    assert rows() == before


# ------------------------------------------------------------------ bad input


BIG = 2_621_440  # Django's default DATA_UPLOAD_MAX_MEMORY_SIZE


def _long_topic_sentence() -> str:
    return inputs.brief_problems(topic="x" * (inputs.TOPIC_MAX + 1))["topic"]


SUBMIT_CASES = [
    # (id, raw body, content type, status, code, field at fault)
    ("malformed JSON", '{"topic": ', JSON, 400, "MalformedJSON", None),
    ("NaN", '{"topic": NaN}', JSON, 400, "MalformedJSON", None),
    ("not UTF-8", b'{"topic": "\xff"}', JSON, 400, "MalformedJSON", None),
    ("a list", "[1, 2]", JSON, 400, "Invalid", None),
    ("unknown field", {"topic": "Tides", "colour": "red"}, JSON, 400, "UnknownField", "colour"),
    ("topic missing", {"brief": "x"}, JSON, 400, "Invalid", "topic"),
    ("topic a number", {"topic": 123}, JSON, 400, "Invalid", "topic"),
    ("topic null", {"topic": None}, JSON, 400, "Invalid", "topic"),
    ("length a string", {"topic": "Tides", "target_words": "600"}, JSON, 400, "Invalid",
     "target_words"),
    ("length not offered", {"topic": "Tides", "target_words": 700}, JSON, 400, "Invalid",
     "target_words"),
    ("length true", {"topic": "Tides", "target_words": True}, JSON, 400, "Invalid",
     "target_words"),
    ("blank topic", {"topic": "   "}, JSON, 400, "InvalidBrief", "topic"),
    ("topic too long", {"topic": "x" * (inputs.TOPIC_MAX + 1)}, JSON, 400, "InvalidBrief",
     "topic"),
    ("NUL in the brief", {"topic": "Tides", "brief": "a\x00b"}, JSON, 400, "InvalidBrief",
     "brief"),
    ("HTML topic", {"topic": "<b>bold</b>"}, JSON, 400, "InvalidBrief", "topic"),
    ("two-line topic", {"topic": "a\nb"}, JSON, 400, "InvalidBrief", "topic"),
    ("oversized body", {"topic": "Tides", "brief": "x" * BIG}, JSON, 413, "TooLarge", None),
    ("form-encoded", "topic=Tides", "application/x-www-form-urlencoded", 415,
     "UnsupportedMediaType", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", SUBMIT_CASES, ids=[c[0] for c in SUBMIT_CASES])
def test_bad_submits_get_a_json_error_and_write_nothing(case, author):
    name, body, content_type, status, code, field = case
    api = Api(create_token(author))
    before = rows()
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    response = api.post(drafts_url(), raw=raw, content_type=content_type)
    result = error(response, status, code)
    if field:
        assert field in result["fields"], result
    assert rows() == before


@pytest.mark.django_db
def test_brief_errors_are_the_rulebooks_sentences(author):
    api = Api(create_token(author))
    result = error(api.post(drafts_url(), {"topic": "x" * (inputs.TOPIC_MAX + 1),
                                           "brief": "a\x00b"}), 400, "InvalidBrief")
    assert result["fields"] == inputs.brief_problems(
        topic="x" * (inputs.TOPIC_MAX + 1), brief="a\x00b", audience="", tone="")
    assert result["fields"]["topic"] == _long_topic_sentence()


@pytest.mark.django_db
def test_the_in_flight_cap_is_the_services(settings, author):
    settings.MAX_DRAFTS_IN_FLIGHT = 1
    make_draft(author)
    before = rows()
    result = error(Api(create_token(author)).post(drafts_url(), {"topic": "One more"}), 409,
                   "TooManyInFlight")
    assert result["detail"] == authors.in_flight_refusal(1, 1).sentence
    assert rows() == before


@pytest.mark.django_db
def test_wrong_methods_and_unknown_paths_answer_json(author):
    api = Api(create_token(author))
    response = api.client.put(drafts_url(), data="{}", content_type=JSON)
    error(response, 405, "MethodNotAllowed")
    assert "GET" in response["Allow"] and "POST" in response["Allow"]
    error(api.client.delete(draft_url(1)), 405, "MethodNotAllowed")
    error(api.get("/api/v1/nothing-here/"), 404, "NotFound")
    hint = error(api.post("/api/v1/drafts", {"topic": "x"}), 404, "NotFound")
    assert "Did you mean /api/v1/drafts/" in hint["detail"]
    error(api.get("/api/v1/drafts/abc/"), 404, "NotFound")


@pytest.mark.django_db
def test_bad_decisions_get_a_json_error_and_write_nothing(author, editor):
    draft = make_draft(author)
    api = Api(create_token(editor))
    cases = [
        ({"decision": "maybe", "version": 1}, "Invalid", "decision"),
        ({"decision": "approve", "version": "1"}, "Invalid", "version"),
        ({"decision": "approve", "version": 1.0}, "Invalid", "version"),
        ({"decision": "approve"}, "Invalid", "version"),
        ({"decision": "approve", "version": 0}, "Invalid", "version"),
        ({"decision": "approve", "version": 1, "comment": 5}, "Invalid", "comment"),
        ({"decision": "approve", "version": 1, "actor_id": 1}, "UnknownField", "actor_id"),
        ({"decision": "reject", "version": 1}, "Invalid", "comment"),
        ({"decision": "approve_with_edits", "version": 1}, "Invalid", "text"),
        ({"decision": "approve", "version": 1, "comment": "x" * (inputs.COMMENT_MAX + 1)},
         "Invalid", "comment"),
        ({"decision": "approve", "version": 1, "comment": "a\x00b"}, "Invalid", "comment"),
    ]
    before = snapshot(draft)
    for body, code, field in cases:
        result = error(api.post(decisions_url(draft.pk), body), 400, code)
        assert field in result["fields"], (body, result)
    # The sentences are the rulebook's.
    result = error(api.post(decisions_url(draft.pk), {"decision": "reject", "version": 1}),
                   400, "Invalid")
    assert result["fields"]["comment"] == decisions.input_refusal(
        Request(DecisionKind.REJECT, 0, 1)).sentence
    error(api.post(decisions_url(draft.pk), raw="{oops"), 400, "MalformedJSON")
    # No feedback and no passage comments on the version: what the draft holds decides, 409.
    result = error(api.post(decisions_url(draft.pk), {"decision": "request_changes",
                                                      "version": 1, "comment": " "}),
                   409, "NeedsFeedback")
    assert "needs feedback" in result["detail"]
    assert snapshot(draft) == before


# ------------------------------------------------------------------ who may see and do what


@pytest.mark.django_db
def test_others_drafts_are_404_like_drafts_that_do_not_exist(author, other_author, editor):
    draft = make_draft(author, texts=(V1, V2))
    stranger = Api(create_token(other_author))
    missing = stranger.get(draft_url(999_999))
    for url in (draft_url(draft.pk), reverse("api:version", args=[draft.pk, 1]),
                reverse("api:version_diff", args=[draft.pk, 2])):
        response = stranger.get(url)
        error(response, 404, "NotFound")
        assert response.json() == missing.json()  # existence is not leaked
    before = snapshot(draft)
    error(stranger.post(reverse("api:withdraw", args=[draft.pk])), 404, "NotFound")
    assert [d["id"] for d in stranger.get(drafts_url()).json()["results"]] == []
    # The author and editors see it, versions and diff included.
    owner, reviewer = Api(create_token(author)), Api(create_token(editor))
    assert owner.get(draft_url(draft.pk)).json()["versions"][1]["number"] == 2
    assert reviewer.get(reverse("api:version", args=[draft.pk, 2])).json()["text"] == V2
    diff = owner.get(reverse("api:version_diff", args=[draft.pk, 2])).json()
    assert (diff["added"], diff["removed"]) == (1, 1)
    error(owner.get(reverse("api:version", args=[draft.pk, 3])), 404, "NotFound")
    error(owner.get(reverse("api:version_diff", args=[draft.pk, 1])), 404, "NoPreviousVersion")
    # An editor who is not an author: no list of "my drafts", no withdrawing.
    error(reviewer.get(drafts_url()), 403, "Forbidden")
    error(reviewer.post(reverse("api:withdraw", args=[draft.pk])), 403, "Forbidden")
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_decisions_on_own_drafts_and_by_authors_are_403(author, editor):
    both = make_user("writer-editor", "Authors", "Editors")
    own = make_draft(both)
    theirs = make_draft(author)
    api = Api(create_token(both))
    before = snapshot(own), snapshot(theirs)
    result = error(api.post(decisions_url(own.pk), {"decision": "approve", "version": 1}),
                   403, "OwnDraft")
    assert result["detail"] == decisions.OWN_DRAFT
    # ... even before reading a body
    error(api.post(decisions_url(own.pk), raw="{oops"), 403, "OwnDraft")
    # An author who is not an editor decides nothing; the queue is not theirs either.
    writer = Api(create_token(author))
    result = error(writer.post(decisions_url(theirs.pk), {"decision": "approve", "version": 1}),
                   403, "Forbidden")
    assert result["detail"] == "Only editors can review drafts."
    error(writer.get(reverse("api:queue")), 403, "Forbidden")
    # Withdrawing a draft one can see but did not write.
    error(Api(create_token(both)).post(reverse("api:withdraw", args=[theirs.pk])), 403,
          "Forbidden")
    error(Api(create_token(editor)).post(decisions_url(999_999),
                                         {"decision": "approve", "version": 1}), 404, "NotFound")
    assert (snapshot(own), snapshot(theirs)) == before


@pytest.mark.django_db
def test_closed_and_stale_are_refused_from_the_row_with_the_rulebooks_sentence(author, editor):
    api = Api(create_token(editor))
    closed = make_draft(author, status=ReviewState.APPROVED.value, decided_by=editor)
    result = error(api.post(decisions_url(closed.pk), {"decision": "reject", "version": 1,
                                                       "comment": "No."}), 409, "AlreadyDecided")
    assert result["detail"].startswith("This draft was already approved by editor1")
    two = make_draft(author, texts=(V1, V2))
    before = snapshot(two)
    result = error(api.post(decisions_url(two.pk), {"decision": "approve", "version": 1}), 409,
                   "StaleVersion")
    assert result["detail"] == rulebook_sentence(DecisionKind.APPROVE, snap_version=2,
                                                 version=1, author_id=author.pk,
                                                 actor_id=editor.pk)
    assert snapshot(two) == before


@pytest.mark.django_db
def test_engine_unavailable_is_503_and_nothing_recorded(settings, author, editor):
    draft = make_draft(author)
    api = Api(create_token(editor))
    before = snapshot(draft)
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"  # nothing listens
    gateway.reset_client()
    try:
        response = api.post(decisions_url(draft.pk), {"decision": "approve", "version": 1})
        withdraw = Api(create_token(author)).post(reverse("api:withdraw", args=[draft.pk]))
    finally:
        gateway.reset_client()
    result = error(response, 503, "Unavailable")
    assert "could not be reached" in result["detail"]
    assert "Nothing was recorded" in result["detail"]
    assert response["Retry-After"] == "5"
    error(withdraw, 503, "Unavailable")
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_a_database_outage_is_a_json_503(author, monkeypatch):
    from django.db import OperationalError

    api = Api(create_token(author))
    assert api.get(drafts_url()).status_code == 200  # the token's first use is recorded

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("drafts.selectors.drafts_for_author", down)
    response = api.get(drafts_url())
    result = error(response, 503, "DatabaseUnavailable")
    assert result["detail"] == "The database is unavailable. Nothing was saved."
    assert response["Retry-After"] == "5"


# ------------------------------------------------------------------ lists


@pytest.mark.django_db
def test_the_queue_pages_with_cursors_and_filters(author, other_author, editor):
    drafts = [make_draft(author, topic=f"Queue {n}") for n in range(3)]
    make_draft(other_author, topic="Other author's")
    make_draft(author, status=ReviewState.APPROVED.value, decided_by=editor, topic="Closed")
    api = Api(create_token(editor))
    seen, url = [], reverse("api:queue") + "?page_size=2"
    while url:
        page = api.client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    mine = {d.pk for d in drafts}
    assert len(seen) == 4 and len(set(seen)) == 4 and mine < set(seen)
    filtered = api.get(reverse("api:queue"), author=author.pk).json()["results"]
    assert {row["id"] for row in filtered} == mine
    error(api.get(reverse("api:queue"), cursor="garbage"), 400, "InvalidCursor")
    error(api.get(reverse("api:queue"), age="forever"), 400, "Invalid")
    # The author's own list, filtered by state.
    writer = Api(create_token(author))
    assert len(writer.get(drafts_url()).json()["results"]) == 4
    closed = writer.get(drafts_url(), state=ReviewState.APPROVED.value).json()["results"]
    assert [row["topic"] for row in closed] == ["Closed"]
    error(writer.get(drafts_url(), state="lost"), 400, "Invalid")


@pytest.mark.django_db
def test_the_queue_filters_by_channel_step_claim_and_the_callers_steps(author, editor):
    from dataclasses import asdict

    from review import services as review
    from review.models import Policy, PolicyStep

    policy = Policy.objects.create(name="Press")  # Legal is a step's group: they review
    PolicyStep.objects.create(policy=policy, order=1, name="Legal", required=1,
                              group=make_user("x", "Legal").groups.get())
    press = asdict(policies.ReviewPolicy("Press", [policies.ReviewStep("Editor", "Editors"),
                                                    policies.ReviewStep("Legal", "Legal")]))
    blog = make_draft(author, topic="Blog post", channel="blog")
    first = make_draft(author, topic="At the editor", channel="press", review_policy=press)
    legal = make_draft(author, topic="At legal", channel="press", review_policy=press, step=1)
    api, lawyer = Api(create_token(editor)), Api(create_token(make_user("lawyer", "Legal")))

    def ids(client, **params) -> set[int]:
        return {row["id"] for row in client.get(reverse("api:queue"), **params).json()["results"]}

    assert ids(api) == {blog.pk, first.pk}  # the steps editors decide
    assert ids(lawyer) == {legal.pk}
    assert ids(api, every_step="true") == ids(lawyer, every_step="true") == {
        blog.pk, first.pk, legal.pk}
    assert ids(api, channel="press") == {first.pk}
    assert ids(api, every_step="true", step=1) == {legal.pk}
    review.claim(user=editor, draft_id=first.pk)
    assert ids(api, claimed_by_me="true") == {first.pk}
    error(api.get(reverse("api:queue"), channel="Press Releases!"), 400, "Invalid")
    error(api.get(reverse("api:queue"), step=-1), 400, "Invalid")


@pytest.mark.django_db(transaction=True)
def test_admins_see_pending_workflows_from_temporal(task_queue, author, admin_user, editor):
    api = Api(create_token(author))
    pk = api.post(drafts_url(), {"topic": "Pending one"}).json()["id"]  # no worker: it waits
    admin = Api(create_token(admin_user))

    def listed():
        body = admin.get(reverse("api:pending")).json()
        return body if pk in [row["draft_id"] for row in body["results"]] else None

    body = wait_for(listed, timeout=20, interval=0.2, what="the review in visibility")
    row = next(r for r in body["results"] if r["draft_id"] == pk)
    assert row["workflow_id"] == f"draft-{pk}" and row["task_queue"] == task_queue
    assert body["total"] >= 1 and body["next"] is None
    error(admin.get(reverse("api:pending"), older_than="soon"), 400, "InvalidFilter")
    error(admin.get(reverse("api:pending"), cursor="%%%"), 400, "InvalidCursor")
    error(Api(create_token(editor)).get(reverse("api:pending")), 403, "Forbidden")


# ------------------------------------------------------------------ the browser's session


@pytest.mark.django_db
def test_session_auth_enforces_csrf_on_unsafe_methods(author):
    browser = client_for(author, enforce_csrf_checks=True)
    assert browser.get(drafts_url()).status_code == 200
    before = rows()
    response = browser.post(drafts_url(), data='{"topic": 1}', content_type=JSON)
    error(response, 403, "CsrfFailed")
    # With the token the check passes (and the body is judged: here, refused).
    browser.get(reverse("api:tokens"))
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(drafts_url(), data='{"topic": 1}', content_type=JSON,
                            headers={"X-CSRFToken": csrf})
    error(response, 400, "Invalid")
    assert rows() == before


@pytest.mark.django_db
def test_requests_are_throttled_per_token(settings, author):
    settings.API_THROTTLE_RATE = "3/min"
    first, second = Api(create_token(author, "one")), Api(create_token(author, "two"))
    for _ in range(3):
        assert first.get(drafts_url()).status_code == 200
    response = first.get(drafts_url())
    error(response, 429, "Throttled")
    assert 0 < int(response["Retry-After"]) <= 61
    assert second.get(drafts_url()).status_code == 200  # another token has its own count
