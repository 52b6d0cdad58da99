"""The checks on the editors' pages (issue 23 item 4): the review page's Checks panel (each
finding with its severity, check, passage and suggested fix), the queue's badge, and
dismissing a warning with a reason. PostgreSQL only: the workflow side is
tests/test_checks_workflow.py."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from drafts.models import CheckFinding
from rulebook import checks
from tests.test_web_common import V1, client_for, fast_password_hasher, make_draft  # noqa: F401

pytestmark = pytest.mark.django_db


def found_on(draft, text: str) -> tuple[CheckFinding, CheckFinding]:
    quote = text.split()[3]
    start = text.index(quote)
    anchor = checks.passages.anchor_at(text, start, start + len(quote))
    blocker = CheckFinding.objects.create(
        draft=draft, version=1, check_name="claims", kind="banned", severity="block",
        message=f"Banned: “{quote}”.", quote=anchor.quote, prefix=anchor.prefix,
        suffix=anchor.suffix, start=anchor.start, end=anchor.end, suggestion="Give a figure.")
    warning = CheckFinding.objects.create(draft=draft, version=1, check_name="length",
                                          kind="length", severity="warn",
                                          message="101 words: at least 150 are asked for.")
    return blocker, warning


def test_the_review_page_shows_each_finding_and_the_queue_a_badge(author, editor):
    draft = make_draft(author)
    blocker, warning = found_on(draft, V1)
    page = client_for(editor).get(reverse("review:draft", args=[draft.pk])).content.decode()
    panel = page[page.index('id="checks"'):page.index("</details>", page.index('id="checks"'))]
    assert "Checks: 2 findings on version 1" in panel
    assert panel.index("length") < panel.index("claims")  # the whole draft's first
    assert f"<mark>{blocker.quote}</mark>" in panel and "Suggested: Give a figure." in panel
    assert "About the whole draft." in panel
    forms = re.findall(r'action="/review/\d+/findings/(\d+)/dismiss/"', panel)
    assert forms == [str(warning.pk)]  # a warning can be dismissed, a blocker cannot
    assert "1 open blocking finding (Checks, above): approving it needs a reason" in page
    queue = client_for(editor).get(reverse("review:queue")).content.decode()
    assert "checks: 1 blocking, 1 warning" in queue


def test_a_warning_is_dismissed_with_a_reason_and_a_blocker_is_not(author, editor):
    draft = make_draft(author)
    blocker, warning = found_on(draft, V1)
    url = reverse("review:dismiss_finding", args=[draft.pk, warning.pk])
    page = client_for(editor).post(url, {"reason": " "}, follow=True).content.decode()
    assert "Say why you dismiss this warning." in page
    warning.refresh_from_db()
    assert warning.is_open
    page = client_for(editor).post(url, {"reason": "A short piece on purpose."},
                                   follow=True).content.decode()
    assert "Warning dismissed" in page and "“A short piece on purpose.”" in page
    warning.refresh_from_db()
    assert warning.dismissed and warning.dismissed_by == editor
    again = client_for(editor).post(url, {"reason": "Twice."}, follow=True).content.decode()
    assert "This warning was dismissed already." in again
    blocked = client_for(editor).post(
        reverse("review:dismiss_finding", args=[draft.pk, blocker.pk]), {"reason": "No."},
        follow=True).content.decode()
    assert "A blocking finding cannot be dismissed" in blocked
    own = client_for(author).post(url, {"reason": "Mine."})
    assert own.status_code in (302, 403)
    queue = client_for(editor).get(reverse("review:queue")).content.decode()
    assert "checks: 1 blocking<" in queue


def test_the_api_lists_a_versions_findings_and_the_detail_sums_them_up(author, editor):
    from tests.test_api import Api, create_token

    draft = make_draft(author)
    blocker, warning = found_on(draft, V1)
    api = Api(create_token(editor))
    listed = api.get(f"/api/v1/drafts/{draft.pk}/versions/1/checks/")
    assert listed.status_code == 200
    first, second = listed.json()
    assert first["check"] == "length" and first["quote"] == "" and first["state"] == "open"
    assert {k: second[k] for k in ("check", "severity", "quote", "prefix", "suffix", "start",
                                   "end", "message", "suggestion", "state")} == {
        "check": "claims", "severity": "block", "quote": blocker.quote,
        "prefix": blocker.prefix, "suffix": blocker.suffix, "start": blocker.start,
        "end": blocker.end, "message": blocker.message, "suggestion": "Give a figure.",
        "state": "open"}
    assert V1[second["start"]:second["end"]] == second["quote"]
    detail = api.get(f"/api/v1/drafts/{draft.pk}/").json()
    assert detail["checks"] == {"blocking": 1, "warnings": 1,
                                "summary": "1 blocking, 1 warning"}
    missing = api.get(f"/api/v1/drafts/{draft.pk}/versions/9/checks/")
    assert missing.status_code == 404 and missing.json()["code"] == "NotFound"
    stranger = Api(create_token(make_user_other()))
    assert stranger.get(f"/api/v1/drafts/{draft.pk}/versions/1/checks/").status_code == 404


def make_user_other():
    from drafts.roles import AUTHORS
    from tests.conftest import make_user

    return make_user("someone-else", AUTHORS)
