"""The projection (drafts/projection.py): the one writer of a draft's workflow-driven state."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from drafts import projection
from drafts.models import WORKFLOW_FIELDS, Draft, DraftVersion, OutboxMail
from rulebook.states import EventKind, ReviewState, VersionKind
from temporal_app.types import EventRecord, VersionRecord

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def event(seq: int, kind: EventKind, state: ReviewState, **kw) -> EventRecord:
    return EventRecord(seq=seq, kind=kind.value, state=state.value, **kw)


def new_draft(author) -> Draft:
    draft = Draft.objects.create(author=author, topic="Projection")
    projection.record(draft, EventKind.SUBMITTED, actor_id=author.pk)
    return Draft.objects.get(pk=draft.pk)


def test_version_event_and_row_in_one_write_and_a_retry_writes_nothing(author):
    draft = new_draft(author)
    deadline = timezone.now() + timedelta(hours=24)
    write = dict(events=[event(2, EventKind.GENERATED, ReviewState.AWAITING_REVIEW, version=1,
                               deadline=deadline, remind_at=deadline, revisions=0)],
                 version=VersionRecord(number=1, kind=VersionKind.GENERATED, text="Hello"))
    assert projection.apply(draft.pk, **write) == 1
    assert projection.apply(draft.pk, **write) == 0  # the local activity retried
    draft.refresh_from_db()
    assert (draft.status, draft.current_version, draft.last_seq, draft.deadline) == (
        ReviewState.AWAITING_REVIEW, 1, 2, deadline)
    assert DraftVersion.objects.filter(draft=draft).count() == 1
    assert list(draft.events.values_list("seq", "kind")) == [(1, "submitted"), (2, "generated")]
    # the editors' mail was queued once, with the event
    assert list(OutboxMail.objects.values_list("key", "kind")) == [(f"{draft.pk}:2",
                                                                    "generated")]


def test_a_late_write_never_moves_a_draft_backwards(author, editor):
    """A deadline_extended write (seq 3) that lands after the approval (seq 4): the event is
    kept in the history, the row stays approved."""
    draft = new_draft(author)
    deadline = timezone.now() + timedelta(hours=24)
    projection.apply(draft.pk, [event(2, EventKind.GENERATED, ReviewState.AWAITING_REVIEW,
                                      version=1, deadline=deadline, revisions=0)])
    projection.apply(draft.pk, [event(4, EventKind.APPROVED, ReviewState.APPROVED, version=1,
                                      actor_id=editor.pk, comment="ship it", revisions=0)])
    applied = projection.apply(draft.pk, [event(
        3, EventKind.DEADLINE_EXTENDED, ReviewState.AWAITING_REVIEW, version=1,
        deadline=deadline + timedelta(hours=2), revisions=0)])
    assert applied == 0
    draft.refresh_from_db()
    assert draft.status == ReviewState.APPROVED and draft.deadline is None
    assert draft.decided_by == editor and draft.decision_comment == "ship it"
    assert list(draft.events.values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_the_insight_facts_kept_on_the_row_are_what_its_history_says(author, editor):
    """Insights reads a draft's first decision, edits and spend from its row (kept by each
    write); refresh_facts (bulk loads, migration 0022) computes them from the events and
    versions: the two agree, a retried write counts nothing twice."""
    from rulebook.budgets import Spent
    from temporal_app.types import GenerateResult

    draft = new_draft(author)
    usage = GenerateResult(text="", backend="offline", model="m", prompt_version="p",
                           prompt_tokens=100, completion_tokens=300, cost_usd=0.0125)
    writes = [
        dict(events=[event(2, EventKind.GENERATED, ReviewState.AWAITING_REVIEW, version=1)],
             version=VersionRecord(number=1, kind=VersionKind.GENERATED, text="One",
                                   generation=usage, checks_usage=Spent(50, 0.001))),
        dict(events=[event(3, EventKind.CHANGES_REQUESTED, ReviewState.REVISING, version=1,
                           actor_id=editor.pk, revisions=1)]),
        dict(events=[event(4, EventKind.REVISED, ReviewState.AWAITING_REVIEW, version=2,
                           revisions=1)],
             version=VersionRecord(number=2, kind=VersionKind.REVISED, text="Two",
                                   generation=usage)),
        dict(events=[event(5, EventKind.EDITED, ReviewState.AWAITING_REVIEW, version=3),
                     event(6, EventKind.APPROVED, ReviewState.APPROVED, version=3,
                           actor_id=editor.pk)],
             version=VersionRecord(number=3, kind=VersionKind.EDITED, text="Three",
                                   actor_id=editor.pk)),
    ]
    for write in writes:
        projection.apply(draft.pk, **write)
        projection.apply(draft.pk, **write)  # retried: nothing counted twice
    facts = ("first_decided_at", "decided_at", "was_edited", "spent_tokens", "spent_usd")
    kept = Draft.objects.values_list(*facts).get(pk=draft.pk)
    first = draft.events.get(seq=3).created_at
    assert kept == (first, draft.events.get(seq=6).created_at, True, 850,
                    pytest.approx(Decimal("0.0260"), abs=Decimal("0.000001")))
    Draft.objects.filter(pk=draft.pk).update(first_decided_at=None, was_edited=False,
                                             spent_tokens=0, spent_usd=0)
    projection.refresh_facts([draft.pk])
    assert Draft.objects.values_list(*facts).get(pk=draft.pk) == kept


def test_events_from_outside_a_workflow_continue_the_numbering(author):
    draft = new_draft(author)
    failed = projection.record(draft, EventKind.FAILED, comment="Temporal is down")
    assert failed.seq == 2
    draft.refresh_from_db()
    assert draft.status == ReviewState.FAILED and draft.status_message == "Temporal is down"
    retried = projection.record(draft, EventKind.RETRIED, actor_id=author.pk)
    draft.refresh_from_db()
    assert retried.seq == 3
    assert draft.status == ReviewState.GENERATING and draft.status_message == ""


def test_missing_draft_is_its_own_error():
    with pytest.raises(projection.DraftMissing):
        projection.apply(10**9, [event(1, EventKind.SUBMITTED, ReviewState.GENERATING)])


# ------------------------------------------------------------------ one writer, by reading code

# Assignments to a draft's workflow-driven field, or a Draft update()/create() naming one.
_FIELDS = "|".join(WORKFLOW_FIELDS)
_WRITES = [
    re.compile(rf"\bdraft\w*\.(?:{_FIELDS})\s*=[^=]"),
    re.compile(rf"Draft\.objects\..*\.update\([^)]*\b(?:{_FIELDS})\s*="),
    re.compile(rf"Draft\.objects\.(?:create|update_or_create)\([^)]*\b(?:{_FIELDS})\s*="),
]
# scripts/chaos.py: the fault suite's control plants one stuck review behind the app's back, to
# prove its checks see one (like tests/ and bench/, it is not the app).
_ALLOWED = {"drafts/projection.py", "scripts/chaos.py"}


def test_nothing_else_writes_the_workflow_driven_fields():
    hits = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.split("/")[0] in {".venv", "tests", "bench", "build"} or "/migrations/" in rel \
                or rel in _ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if any(pattern.search(code) for pattern in _WRITES):
                hits.append(f"{rel}:{number}: {line.strip()}")
    assert hits == [], "workflow-driven fields written outside drafts/projection.py:\n" + \
        "\n".join(hits)


def test_the_check_above_can_fail(tmp_path):
    line = "    draft.status = ReviewState.APPROVED"
    assert any(pattern.search(line) for pattern in _WRITES)
    assert any(p.search("Draft.objects.filter(pk=1).update(status=x)") for p in _WRITES)
