"""Every answer to a decision is true, including "NOT recorded" (issue 10 item 4).

For minutes after a worker stops, Temporal still lists it as a poller of the task queue, so
a "is a worker polling?" check passes while nothing will answer. The decision then carries
`expires_at`; the caller waits until it has passed plus the workflow task timeout and says
"NOT recorded, and it will not be applied later" — and when a worker comes back, the
workflow's validator refuses the late decision, so the sentence stays true.
"""

from __future__ import annotations

import time

import pytest

from drafts import services
from drafts.models import Draft
from review import services as review
from rulebook.states import ReviewState
from temporal_app import errors, gateway
from tests.conftest import start_worker, stop_worker, wait_for, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)


def test_not_recorded_means_never_applied(settings, task_queue, author, editor, editor2):
    settings.TEMPORAL_UPDATE_TIMEOUT = 1.0
    settings.TEMPORAL_WORKFLOW_TASK_TIMEOUT = 2.0
    worker = start_worker(task_queue)
    draft, _ = services.submit_draft(author=author, topic="Truthful answers")
    draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW)
    stop_worker(worker)
    # Temporal keeps listing the stopped worker as a poller: the cheap check passes.
    gateway._polling_seen.clear()

    started = time.monotonic()
    with pytest.raises(errors.EngineUnavailable) as refused:
        review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1,
                      comment="too late")
    waited = time.monotonic() - started
    assert "NOT recorded, and it will not be applied later" in str(refused.value)
    assert waited >= 1.0 + 2.0  # expires_at plus the workflow task timeout

    # The worker comes back: the admitted update reaches the validator, which refuses it.
    worker = start_worker(task_queue)
    try:
        status = wait_for(lambda: gateway.query_status(draft.pk), what="the workflow answers")
        assert status.state == ReviewState.AWAITING_REVIEW and status.decisions == []
        time.sleep(1.0)  # give a wrongly accepted update time to be recorded
        assert Draft.objects.get(pk=draft.pk).status == ReviewState.AWAITING_REVIEW
        # A fresh decision goes through as usual.
        result = review.decide(draft_id=draft.pk, editor=editor2, decision="approve",
                               version=1)
        assert result.state == ReviewState.APPROVED
        assert Draft.objects.get(pk=draft.pk).decided_by == editor2
    finally:
        stop_worker(worker, task_queue)


def test_no_worker_seen_answers_at_once(settings, task_queue, author, editor):
    """With no poller at all the cached check answers at once, without an Update."""
    draft = Draft.objects.create(author=author, topic="Nobody home",
                                 status=ReviewState.AWAITING_REVIEW, current_version=1)
    started = time.monotonic()
    with pytest.raises(errors.EngineUnavailable, match="No review worker is running"):
        review.decide(draft=draft, editor=editor, decision="approve", version=1)
    assert time.monotonic() - started < 2.0
