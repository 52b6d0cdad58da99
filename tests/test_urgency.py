"""Urgency: priority and due date, from the rulebook to the queue and the workflow (the
rulebook's own rules: tests/test_rulebook_urgency.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from drafts import selectors, services
from drafts.models import Draft
from review import services as review
from rulebook.urgency import Priority
from temporal_app import errors, gateway
from temporal_app.types import ExtendDeadlineInput
from tests.conftest import wait_for_status


@pytest.mark.django_db
def test_bad_urgency_is_refused_and_nothing_written(author):
    with pytest.raises(errors.InvalidBrief, match="at least an hour"):
        services.submit_draft(author=author, topic="x",
                              due_at=timezone.now() + timedelta(minutes=5))
    with pytest.raises(errors.InvalidBrief, match="normal or high"):
        services.submit_draft(author=author, topic="x", priority=7)
    assert not Draft.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_queue_is_most_urgent_first_and_no_deadline_passes_the_due_date(
        live_worker, author, editor, admin_user):
    due = timezone.now() + timedelta(hours=2)
    normal, _ = services.submit_draft(author=author, topic="Normal")
    high, _ = services.submit_draft(author=author, topic="High", priority=Priority.HIGH)
    due_soon, _ = services.submit_draft(author=author, topic="Due soon", due_at=due)
    for draft in (normal, high, due_soon):
        wait_for_status(draft, "awaiting_review")
    queue = [d.topic for d in selectors.review_queue()]
    # high first; then the nearest deadline (the due date caps the 24 h one), then the rest
    assert queue == ["High", "Due soon", "Normal"]
    # the API's cursor pages keep the same order (one QUEUE_ORDER)
    from tests.test_api import Api, create_token

    listed = Api(create_token(editor)).get("/api/v1/queue/").json()["results"]
    assert [d["topic"] for d in listed] == queue
    due_soon.refresh_from_db()
    assert due_soon.deadline == due and due_soon.remind_at <= due
    with pytest.raises(errors.DecisionRefused, match="already the author's due date"):
        gateway.extend_deadline(due_soon.pk, ExtendDeadlineInput(
            actor_id=admin_user.pk, actor="admin1", seconds=3600.0))
    assert review.decide(draft_id=due_soon.pk, editor=editor, decision="approve",
                         version=1).state == "approved"

    # due in 25 h: the 24 h deadline stands; an extension by 10 h stops at the due date
    later = timezone.now() + timedelta(hours=25)
    draft, _ = services.submit_draft(author=author, topic="Later", due_at=later)
    draft = wait_for_status(draft, "awaiting_review")
    assert draft.deadline < later
    result = gateway.extend_deadline(draft.pk, ExtendDeadlineInput(
        actor_id=admin_user.pk, actor="admin1", seconds=10 * 3600.0))
    assert result.deadline == later and "the author's due date" in result.message
    assert Draft.objects.get(pk=draft.pk).deadline == later
