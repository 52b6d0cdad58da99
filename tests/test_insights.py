"""Insights (issue 24): the figures checked against a fixture computed by hand (every one
would be off if an aggregate were), who sees which drafts, bad periods refused with a
sentence (and 400 with a code over the API), an empty period's empty state, and the page's
charts with their tables. Real PostgreSQL: the figures are its aggregates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from drafts import projection
from drafts.models import CheckFinding, Draft, DraftEvent, DraftVersion
from review import insights
from review.models import Channel
from rulebook import insights as rules
from rulebook.insights import Period, PeriodError
from tests.conftest import make_user
from tests.test_api import Api, create_token, error
from tests.test_web_common import client_for

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def draft(author, submitted: datetime, channel: str, status: str, events, versions=(),
          findings=()) -> Draft:
    """A draft as the projection leaves one: its row, its events at the times given, its
    versions' usage."""
    d = Draft.objects.create(author=author, topic=f"Topic {submitted:%d %H}", channel=channel,
                             status=status)
    Draft.objects.filter(pk=d.pk).update(created_at=submitted)
    for seq, (kind, when, *step) in enumerate([("submitted", submitted), *events], 1):
        e = DraftEvent.objects.create(draft=d, seq=seq, kind=kind, step=(step or [None])[0])
        DraftEvent.objects.filter(pk=e.pk).update(created_at=when)
    for number, (tokens_in, tokens_out, usd, kind) in enumerate(versions, 1):
        DraftVersion.objects.create(draft=d, number=number, kind=kind, text="x",
                                    prompt_tokens=tokens_in, completion_tokens=tokens_out,
                                    cost_usd=Decimal(usd))
    for name, severity in findings:
        CheckFinding.objects.create(draft=d, version=1, check_name=name, kind="banned",
                                    severity=severity, message="m")
    # what the projection keeps on the row as it writes these (its one writer's bulk rule)
    Draft.objects.filter(pk=d.pk).update(revisions=sum(
        e[0] == "changes_requested" for e in events))
    projection.refresh_facts([d.pk])
    return d


@pytest.fixture
def november(db, author, editor):
    Channel.objects.create(slug="press", name="Press")
    Channel.objects.create(slug="blog", name="Blog")
    draft(author, at(2, 10), "press", "approved",  # changes after 1 h, approved after 4 h
          [("generated", at(2, 10, 1)), ("changes_requested", at(2, 11)),
           ("revised", at(2, 12)), ("approved", at(2, 14))],
          [(100, 50, "0.01", "generated"), (200, 100, "0.02", "revised")],
          [("claims", "block"), ("claims", "block"), ("length", "warn")])
    draft(author, at(3, 9), "press", "rejected",  # rejected after 30 min
          [("generated", at(3, 9, 1)), ("rejected", at(3, 9, 30))])
    draft(author, at(10, 8), "blog", "approved",  # edited and approved after a day
          [("generated", at(10, 8, 1)), ("edited", at(11, 8)), ("approved", at(11, 8))],
          [(300, 300, "0.03", "generated"), (0, 0, "0", "edited")])
    draft(author, at(12, 8), "blog", "expired",
          [("generated", at(12, 8, 1)), ("expired", at(13, 8), 0)])
    draft(author, at(20, 8), "press", "withdrawn", [("withdrawn", at(20, 9))])
    draft(author, at(15, 8, month=10), "press", "approved",  # October: not in the period
          [("approved", at(15, 9, month=10))])


def test_the_figures_match_the_fixture_computed_by_hand(november, admin_user):
    with CaptureQueriesContext(connection) as queries:
        f = insights.figures(NOVEMBER, scope=insights.Scope.of(admin_user))
    # one statement whatever the number of drafts (and its work_mem, in a transaction)
    assert len([q for q in queries if q["sql"].startswith("WITH")]) == 1
    assert len(queries) <= 4
    assert (f.submitted, f.approved, f.rejected, f.expired, f.withdrawn) == (5, 2, 1, 1, 1)
    assert f.approval_rate == pytest.approx(2 / 3, abs=1e-4)
    # first decisions 1,800 / 3,600 / 86,400 s: percentile_cont's p90 interpolates
    assert f.first_decision_seconds == {"p50": 3600.0, "p90": 3600 + 0.8 * (86400 - 3600)}
    assert f.final_decision_seconds == {"p50": 14400.0, "p90": 14400 + 0.8 * (86400 - 14400)}
    assert f.revisions_per_approved == 0.5  # one round on one of the two
    assert f.approved_with_edits_share == 0.5
    assert f.tokens_per_approved == (150 + 300 + 600) / 2
    assert f.cost_per_approved_usd == pytest.approx(0.03)
    assert f.deadline_breaches == [{"step": 1, "group": "Editors", "count": 1}]
    assert f.findings_by_check == [{"check": "claims", "severity": "block", "count": 2,
                                    "drafts": 1},
                                   {"check": "length", "severity": "warn", "count": 1,
                                    "drafts": 1}]
    assert [(w["week"], w["submitted"], w["approved"]) for w in f.weeks] == [
        ("2026-11-02", 2, 1), ("2026-11-09", 2, 1), ("2026-11-16", 1, 0)]
    assert {c["channel"]: (c["submitted"], c["approved"], c["rejected"], c["expired"])
            for c in f.channels} == {"press": (3, 1, 1, 0), "blog": (2, 1, 0, 1)}
    assert [(w["bucket"], w["count"]) for w in f.waiting] == [
        ("under 1 h", 1), ("1–4 h", 1), ("4–24 h", 0), ("1–3 days", 1), ("over 3 days", 0)]
    press = insights.figures(NOVEMBER, scope=insights.Scope.of(admin_user),
                             cut=insights.Cut(channel="press"))
    assert (press.submitted, press.approved, press.rejected, press.withdrawn) == (3, 1, 1, 1)


def test_an_editor_sees_their_channels_and_the_drafts_they_acted_on(november, editor):
    mine = insights.figures(NOVEMBER, scope=insights.Scope.of(editor))
    assert mine.submitted == 5  # no policy: Editors decide every draft here
    legal = make_user("legal1", "Legal")
    assert insights.figures(NOVEMBER, scope=insights.Scope.of(legal)).empty
    acted = Draft.objects.get(topic="Topic 03 09")
    DraftEvent.objects.filter(draft=acted, kind="rejected").update(actor=legal)
    assert insights.figures(NOVEMBER, scope=insights.Scope.of(legal)).submitted == 1


def test_a_period_with_nothing_has_no_ratios_and_shows_an_empty_state(db, admin_user):
    f = insights.figures(NOVEMBER, scope=insights.Scope.of(admin_user))
    assert f.empty and f.approval_rate is None and f.cost_per_approved_usd is None
    assert f.first_decision_seconds == {"p50": None, "p90": None}
    page = client_for(admin_user).get(reverse("insights"),
                                      {"from": "2026-11-01", "to": "2026-11-30"})
    assert page.status_code == 200 and "nothing to show yet" in page.content.decode()


@pytest.mark.parametrize("asked, code", [
    ({"start": "2026-12-01", "end": "2026-11-01"}, "FromAfterTo"),
    ({"start": "2023-01-01", "end": "2026-11-01"}, "PeriodTooLong"),
    ({"start": "yesterday"}, "InvalidDate"),
    ({"days": "12"}, "InvalidPreset"),
    ({"end": "0001-01-02"}, "InvalidDate"),  # no date arithmetic below year 1
    ({"start": "9999-12-30"}, "InvalidDate"),
])
def test_bad_periods_are_refused_with_a_sentence(asked, code):
    with pytest.raises(PeriodError) as err:
        rules.period(today=date(2026, 12, 7), **asked)
    assert err.value.code == code and err.value.sentence.endswith(".")


def test_the_default_and_preset_periods_end_today():
    today = date(2026, 12, 7)
    assert rules.period(today=today) == Period(today - timedelta(days=29), today)
    assert rules.period(today=today, days="7").days == 7
    assert rules.period(today=today, start="2026-11-01", end="2026-11-30").days == 30
    assert rules.duration_words(69840) == "19 h 24 min"
    assert rules.duration_words(None) == "—"


def test_the_page_shows_figures_charts_and_their_tables(november, admin_user, author):
    client = client_for(admin_user)
    page = client.get(reverse("insights"), {"from": "2026-11-01", "to": "2026-11-30"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<svg") == 3 and html.count('class="chart-table"') == 3
    assert "<td>67 %</td>" in html  # approval rate
    assert "1 h / 19 h 24 min" in html  # first decision p50 / p90
    assert "USD 0.0300" in html
    press = client.get(reverse("insights"), {"from": "2026-11-01", "to": "2026-11-30",
                                             "channel": "press"}).content.decode()
    assert re.search(r'<th scope="row">Drafts submitted</th><td><a href="[^"]+">3</a></td>',
                     press)
    bad = client.get(reverse("insights"), {"from": "2026-11-30", "to": "2026-11-01"})
    assert bad.status_code == 400 and "starts (2026-11-30) after it ends" in \
        bad.content.decode()
    unknown = client.get(reverse("insights"), {"channel": "nope"})
    assert unknown.status_code == 400 and "There is no channel “nope”." in \
        unknown.content.decode()
    assert client_for(author).get(reverse("insights")).status_code == 403


def test_the_api_gives_the_figures_and_refuses_bad_periods_with_a_code(november, admin_user):
    api = Api(create_token(admin_user))
    url = reverse("api:insights")
    body = api.get(url, **{"from": "2026-11-01", "to": "2026-11-30"}).json()
    for key in ("submitted", "approved", "rejected", "expired", "withdrawn", "approval_rate",
                "first_decision_seconds", "final_decision_seconds", "revisions_per_approved",
                "cost_per_approved_usd", "deadline_breaches"):
        assert key in body, key
    assert (body["from"], body["to"], body["submitted"]) == ("2026-11-01", "2026-11-30", 5)
    assert body["final_decision_seconds"]["p50"] == 14400.0
    assert api.get(url, **{"from": "2026-11-01", "to": "2026-11-30",
                         "channel": "blog"}).json()["submitted"] == 2
    error(api.get(url, **{"from": "2026-11-30", "to": "2026-11-01"}), 400, "FromAfterTo")
    error(api.get(url, **{"from": "2020-01-01", "to": "2026-11-01"}), 400, "PeriodTooLong")
    error(api.get(url, **{"channel": "nope"}), 400, "UnknownChannel")
    error(api.get(url, **{"from": "soon"}), 400, "Invalid")
