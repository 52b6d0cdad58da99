"""The barest honest human-in-the-loop workflow, as a yardstick for Redline (bench/run.py).

    start ─▶ activity `bare_write_draft` inserts the row (awaiting review)
          ─▶ wait (workflow.wait_condition) for the `decide` Update
          ─▶ activity `bare_record_decision` updates the row
          ─▶ the Update answers ─▶ the workflow completes

Same PostgreSQL as Redline, but its own table (`bench_bare_review`, created by `create_table`
in the bench's database), written with plain SQL through Django's connection; no LLM call, no
events, no versions, no mail, no search attributes. Both activities are regular activities
(schedule, dispatch, complete: server round trips), idempotent on the workflow id. The worker
has Redline's settings: a ThreadPoolExecutor of settings.TEMPORAL_ACTIVITY_THREADS, the same
max_concurrent_activities, and the same interceptor that closes stale DB connections.

Sandbox-clean: this module imports no Django at top level (the activities import it when they
run, in the worker's threads), and the workflow calls the activities by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from rulebook.states import DecisionKind, ReviewState

TABLE = "bench_bare_review"
WORKFLOW_TYPE = "BareReview"
WRITE_DRAFT = "bare_write_draft"
RECORD_DECISION = "bare_record_decision"
ACTIVITY_TIMEOUT = timedelta(seconds=30)


@dataclass(frozen=True)
class BareInput:
    review_id: str  # the workflow id; keys the row
    phase: str  # which benchmark phase started it
    topic: str


@dataclass(frozen=True)
class BareDecision:
    actor_id: int
    decision: str


@dataclass(frozen=True)
class BareRecord:
    review_id: str
    actor_id: int
    state: str


@dataclass(frozen=True)
class BareResult:
    state: str


# ------------------------------------------------------------------ the workflow


@workflow.defn(name=WORKFLOW_TYPE)
class BareReviewWorkflow:
    def __init__(self) -> None:
        self._decision: BareDecision | None = None
        self._state = ReviewState.GENERATING
        self._recorded = False

    @workflow.run
    async def run(self, inp: BareInput) -> BareResult:
        await workflow.execute_activity(WRITE_DRAFT, inp, start_to_close_timeout=ACTIVITY_TIMEOUT)
        self._state = ReviewState.AWAITING_REVIEW
        await workflow.wait_condition(lambda: self._decision is not None)
        assert self._decision is not None
        state = ReviewState.APPROVED if self._decision.decision == DecisionKind.APPROVE \
            else ReviewState.REJECTED
        await workflow.execute_activity(
            RECORD_DECISION, BareRecord(inp.review_id, self._decision.actor_id, state.value),
            start_to_close_timeout=ACTIVITY_TIMEOUT)
        self._state, self._recorded = state, True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return BareResult(state=state.value)

    @workflow.update
    async def decide(self, d: BareDecision) -> BareResult:
        self._decision = d
        await workflow.wait_condition(lambda: self._recorded)
        return BareResult(state=self._state.value)

    @decide.validator
    def _decide_allowed(self, d: BareDecision) -> None:
        if self._state != ReviewState.AWAITING_REVIEW or self._decision is not None:
            raise ApplicationError("This review is not awaiting a decision.",
                                   type="Closed", non_retryable=True)


# ------------------------------------------------------------------ activities (worker side)


@activity.defn(name=WRITE_DRAFT)
def write_draft(inp: BareInput) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {TABLE} (review_id, phase, topic, body, status, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, now(), now()) ON CONFLICT (review_id) DO NOTHING",
            [inp.review_id, inp.phase, inp.topic, f"# {inp.topic}\n\nA short draft.\n",
             ReviewState.AWAITING_REVIEW.value])


@activity.defn(name=RECORD_DECISION)
def record_decision(rec: BareRecord) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {TABLE} SET status = %s, decided_by = %s, decided_at = now(),"
            " updated_at = now() WHERE review_id = %s",
            [rec.state, rec.actor_id, rec.review_id])


def create_table() -> None:
    """The bare workflow's table, in the bench's database (idempotent)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            " review_id text PRIMARY KEY, phase text NOT NULL, topic text NOT NULL,"
            " body text NOT NULL, status varchar(20) NOT NULL, decided_by integer,"
            " decided_at timestamptz, created_at timestamptz NOT NULL,"
            " updated_at timestamptz NOT NULL)")
        cur.execute(f"TRUNCATE {TABLE}")


def count_in_state(review_ids: list[str], states: tuple[ReviewState, ...]) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {TABLE} WHERE review_id = ANY(%s)"
                    " AND status = ANY(%s)", [list(review_ids), [s.value for s in states]])
        return cur.fetchone()[0]


def build_worker(client, task_queue: str):
    """A worker with Redline's worker settings (temporal_app/worker.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.conf import settings
    from temporalio.worker import Worker

    from temporal_app.worker import DjangoDbInterceptor, precompile

    precompile(BareReviewWorkflow)  # as Redline's worker does: no per-run compile
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BareReviewWorkflow],
        activities=[write_draft, record_decision],
        activity_executor=ThreadPoolExecutor(max_workers=settings.TEMPORAL_ACTIVITY_THREADS,
                                             thread_name_prefix="activity"),
        max_concurrent_activities=settings.TEMPORAL_ACTIVITY_THREADS,
        interceptors=[DjangoDbInterceptor()],
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


# ------------------------------------------------------------------ the callers' side


async def start(client, inp: BareInput, task_queue: str) -> None:
    await client.start_workflow(BareReviewWorkflow.run, inp, id=inp.review_id,
                                task_queue=task_queue, rpc_timeout=timedelta(seconds=10))


async def decide(client, review_id: str, decision: BareDecision, timeout: float) -> BareResult:
    handle = client.get_workflow_handle(review_id)
    return await handle.execute_update(BareReviewWorkflow.decide, decision,
                                       rpc_timeout=timedelta(seconds=timeout))
