"""The history fixture (issue 24): `seed_history` and `seed_demo --history` write closed
reviews the way the workflow leaves them (final rows, events in order, versions with usage)
in one bulk load, which Insights then reads; bad arguments are refused with a sentence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Max
from django.utils import timezone

from drafts.models import Draft, DraftEvent, DraftVersion
from review import history, insights
from review.models import Channel
from rulebook.insights import Period
from rulebook.states import EventKind, ReviewState

FINAL = {s.value for s in (ReviewState.APPROVED, ReviewState.PUBLISHED, ReviewState.REJECTED,
                           ReviewState.EXPIRED, ReviewState.WITHDRAWN)}


def test_the_history_is_closed_reviews_as_the_workflow_leaves_them(db, author, editor,
                                                                    admin_user, monkeypatch):
    monkeypatch.setattr(history, "BATCH", 70)  # three bulk loads
    Channel.objects.create(slug="press", name="Press")
    call_command("seed_history", "--drafts", "200", "--days", "90")
    drafts = Draft.objects.filter(topic=history.TOPIC)
    assert drafts.count() == 200 and set(drafts.values_list("status", flat=True)) <= FINAL
    assert set(drafts.values_list("channel", flat=True)) == {"press"}
    events = DraftEvent.objects.filter(draft__in=drafts)
    per_draft = {d["draft"]: d for d in events.values("draft").annotate(
        n=Count("id"), last=Max("seq"))}
    for d in drafts.annotate(n_versions=Count("versions")):
        assert per_draft[d.pk]["n"] == per_draft[d.pk]["last"] == d.last_seq
        assert d.n_versions == d.current_version >= 1
        kinds = list(d.events.values_list("kind", flat=True))
        times = list(d.events.values_list("created_at", flat=True))
        assert kinds[:2] == [EventKind.SUBMITTED, EventKind.GENERATED] and times == sorted(times)
        assert kinds.count(EventKind.CHANGES_REQUESTED) == d.revisions
        # the facts Insights reads, as the projection keeps them
        assert (d.first_decided_at is not None) == any(
            k in {EventKind.APPROVED, EventKind.REJECTED, EventKind.CHANGES_REQUESTED}
            for k in kinds)
        assert d.was_edited == (EventKind.EDITED in kinds) and d.spent_tokens > 0
        assert (d.status == ReviewState.PUBLISHED) == (EventKind.PUBLISHED in kinds)
        assert d.created_at >= timezone.now() - timedelta(days=90)
        assert times[-1] < timezone.now()  # a history: nothing in the future
    assert DraftVersion.objects.filter(draft__in=drafts, kind="generated",
                                       prompt_tokens=0).count() == 0
    today = timezone.localdate()
    f = insights.figures(Period(today - timedelta(days=100), today),
                         scope=insights.Scope.of(admin_user))
    assert f.submitted == 200 == f.approved + f.rejected + f.expired + f.withdrawn
    assert f.approved > f.rejected > 0 and f.expired > 0 and f.cost_per_approved_usd > 0
    assert f.first_decision_seconds["p50"] < f.first_decision_seconds["p90"]
    # a draft row and its events are new ids from the tables' sequences: a real one follows
    later = Draft.objects.create(author=author, topic="after")
    assert later.pk > drafts.aggregate(m=Max("pk"))["m"]


def test_the_same_seed_gives_the_same_history(db, author, editor):
    now = timezone.now()
    first = history.seed(drafts=30, days=30, authors=[author.pk], editors=[editor.pk],
                         channels=[""], now=now)
    statuses = list(Draft.objects.order_by("pk").values_list("status", "created_at"))
    Draft.objects.all().delete()
    assert history.seed(drafts=30, days=30, authors=[author.pk], editors=[editor.pk],
                        channels=[""], now=now) == first
    assert list(Draft.objects.order_by("pk").values_list("status", "created_at")) == statuses


def test_bad_arguments_and_an_empty_site_are_refused(db):
    with pytest.raises(CommandError, match="no authors or no editors"):
        call_command("seed_history", "--drafts", "5")
    for bad in (["--drafts", "0"], ["--drafts", "ten"], ["--days", "731"]):
        with pytest.raises(CommandError, match="invalid whole number from 1 to"):
            call_command("seed_history", *bad)
    assert not Draft.objects.exists()


def test_seed_demo_fills_the_history_once(db, monkeypatch):
    call_command("seed_demo", "--password", "pw-for-tests-only", "--history")
    seeded = Draft.objects.filter(topic=history.TOPIC).count()
    assert seeded == 600
    call_command("seed_demo", "--password", "pw-for-tests-only", "--history")
    assert Draft.objects.filter(topic=history.TOPIC).count() == seeded


def test_after_seed_demo_history_an_admin_sees_charts_and_exports(db):
    from django.contrib.auth.models import User
    from django.urls import reverse

    from tests.test_web_common import client_for

    call_command("seed_demo", "--password", "pw-for-tests-only", "--history")
    admin = client_for(User.objects.get(username="admin"))
    page = admin.get(reverse("insights"), {"days": "90"}).content.decode()
    assert page.count("<svg") == 3 and "nothing to show yet" not in page
    figures = admin.get(reverse("insights_figures_csv"), {"days": "90"}).content.decode()
    assert int(next(line for line in figures.splitlines()
                    if line.startswith("submitted,")).split(",")[2]) > 300
