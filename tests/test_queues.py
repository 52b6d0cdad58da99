"""The LLM calls run on a task queue of their own (temporal_app/queues.py), served by their
own workers: a review worker alone still takes decisions while no draft gets written, an LLM
worker alone writes drafts, the queue-wide rate limit spaces calls, and a run started before
the split (no LLM queue in its input) still gets its LLM call served on the review queue."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest

from drafts import services
from drafts.models import Draft
from rulebook.states import DecisionKind, ReviewState
from temporal_app import gateway, queues
from temporal_app.types import DecisionInput, workflow_id_for
from tests.conftest import start_worker, stop_worker, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)


def activity_events(draft_id: int) -> list[dict]:
    async def go():
        handle = (await gateway.get_client()).get_workflow_handle(workflow_id_for(draft_id))
        return json.loads((await handle.fetch_history()).to_json())["events"]

    return [e for e in gateway.run(go(), timeout=30)
            if e["eventType"] in ("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED",
                                  "EVENT_TYPE_ACTIVITY_TASK_STARTED")]


def test_decisions_need_only_the_review_worker_and_drafts_only_the_llm_worker(
        task_queue, author, editor):
    review_worker = start_worker(task_queue, queues.REVIEW)
    llm_worker = None
    try:
        waiting, _ = services.submit_draft(author=author, topic="Written before")
        llm_worker = start_worker(task_queue, queues.LLM)
        waiting = wait_for_status(waiting, ReviewState.AWAITING_REVIEW)
        stop_worker(llm_worker)
        llm_worker = None

        # No LLM worker: a new draft waits to be written, and a decision goes through at once.
        stuck, _ = services.submit_draft(author=author, topic="Written later")
        result = gateway.decide(waiting.pk, DecisionKind.APPROVE,
                                DecisionInput(actor_id=editor.pk, actor="editor", version=1))
        assert result.state == ReviewState.APPROVED
        assert Draft.objects.get(pk=stuck.pk).status == ReviewState.GENERATING
        scheduled = activity_events(stuck.pk)[0]["activityTaskScheduledEventAttributes"]
        assert scheduled["taskQueue"]["name"] == queues.llm_queue(task_queue)

        llm_worker = start_worker(task_queue, queues.LLM)
        wait_for_status(stuck, ReviewState.AWAITING_REVIEW)
    finally:
        if llm_worker is not None:
            stop_worker(llm_worker)
        stop_worker(review_worker, task_queue)


def test_a_run_started_before_the_split_gets_its_llm_call_on_the_review_queue(
        task_queue, author, monkeypatch):
    real = services.review_input

    def before_the_split(draft, **kw):
        inp = real(draft, **kw)
        return dataclasses.replace(inp, policy=dataclasses.replace(inp.policy,
                                                                   llm_task_queue=""))

    monkeypatch.setattr(services, "review_input", before_the_split)
    worker = start_worker(task_queue, queues.REVIEW)  # no LLM worker at all
    try:
        draft, _ = services.submit_draft(author=author, topic="An old run")
        wait_for_status(draft, ReviewState.AWAITING_REVIEW)
        scheduled = activity_events(draft.pk)[0]["activityTaskScheduledEventAttributes"]
        assert scheduled["taskQueue"]["name"] == task_queue
    finally:
        stop_worker(worker, task_queue)


def test_the_queue_wide_rate_limit_spaces_llm_calls(settings, task_queue, author):
    settings.LLM_RATE_LIMIT_PER_SECOND = 2.0
    worker = start_worker(task_queue, queues.ALL)
    try:
        drafts = [services.submit_draft(author=author, topic=f"Rate {i}")[0] for i in range(6)]
        for draft in drafts:
            wait_for_status(draft, ReviewState.AWAITING_REVIEW)
    finally:
        stop_worker(worker, task_queue)
    started = sorted(
        datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00"))
        for d in drafts for e in activity_events(d.pk)
        if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_STARTED")
    # Six calls at two per second: even if the limiter lets the first two through at once, the
    # rest take at least 2 s to start (measured 2.0-2.5 s); unlimited, all start within 0.1 s.
    assert (started[-1] - started[0]).total_seconds() >= 1.5
