"""The Temporal workers: on the review queue the review workflows (DraftReview, and v1 runs
until they drain), the mail outbox workflow and their activities; on the LLM queue the LLM
calls (temporal_app/queues.py). One process serves either or both (`run_worker --queue`).

ORM activities are sync `def`s on a thread pool; an activity interceptor closes stale database
connections before and after each one, as Django does around a request.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import logging
import os
import py_compile
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from temporal_app import queues
from temporal_app.types import DrainInput
from temporal_app.workflows.draft_review import DraftReviewWorkflow
from temporal_app.workflows.draft_review_v1 import DraftReviewWorkflowV1
from temporal_app.workflows.outbox import MailOutboxWorkflow
from temporal_app.workflows.publish_draft import PublishDraftWorkflow

log = logging.getLogger(__name__)


def _with_fresh_connections(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Around each activity, as Django does around a request: a connection past CONN_MAX_AGE,
    or one an error left unusable, is closed; a kept one is checked before its next use."""

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        close_old_connections()
        try:
            return fn(*args)
        finally:
            close_old_connections()

    return wrapped


class _CloseConnections(ActivityInboundInterceptor):
    """Interceptors run on the worker's event loop, but a sync activity's function runs in an
    executor thread with that thread's DB connection: wrap the function, not the call."""

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if not inspect.iscoroutinefunction(input.fn):
            input.fn = _with_fresh_connections(input.fn)
        return await self.next.execute_activity(input)


class DjangoDbInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CloseConnections(next)


# Django-free modules the workflows use: loaded once per process, not once per workflow run.
# "rulebook" passes the package and every submodule through (tests/test_rulebook_imports.py).
SANDBOX_PASSTHROUGH = ("rulebook", "temporal_app.options", "temporal_app.writing",
                       "temporal_app.waiting", "temporal_app.checking", "temporal_app.stopping",
                       "temporal_app.escalating",
                       "temporal_app.types", "temporal_app.converter")


def precompile(*classes: type) -> None:
    """The sandbox re-imports each workflow's module for every workflow run. Without a
    bytecode cache (PYTHONDONTWRITEBYTECODE, which many container images set) that means
    compiling it from source every time: measured, the largest single cost of a review in the
    worker. Write the cache once at start (reading it is allowed under that setting)."""
    for cls in classes:
        path = inspect.getsourcefile(sys.modules[cls.__module__])
        if not path:
            continue
        try:
            py_compile.compile(path, cfile=importlib.util.cache_from_source(path), doraise=True)
        except (OSError, py_compile.PyCompileError) as err:  # a read-only tree: just slower
            log.warning("could not write the bytecode of %s: %s", path, err)


def sandbox_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*SANDBOX_PASSTHROUGH))


class WorkerGroup:
    """The workers of one process (one per task queue it serves), run and stopped together."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers

    async def run(self) -> None:
        await asyncio.gather(*(w.run() for w in self.workers))

    async def shutdown(self) -> None:
        await asyncio.gather(*(w.shutdown() for w in self.workers))

    async def __aenter__(self) -> WorkerGroup:
        for w in self.workers:
            await w.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()


def build_worker(client: Client, task_queue: str | None = None,
                 executor: ThreadPoolExecutor | None = None, role: str = queues.ALL
                 ) -> WorkerGroup:
    """The workers for `role` (temporal_app/queues.py): `review` polls the review queue,
    `llm` the LLM queue, `all` both (make dev, tests). `task_queue`: the review queue (the
    LLM queue goes with it)."""
    review = task_queue or queues.review_queue()
    workers = []
    if role in (queues.REVIEW, queues.ALL):
        workers.append(_review_worker(client, review, executor))
    if role in (queues.LLM, queues.ALL):
        workers.append(_llm_worker(client, queues.llm_queue(review)))
    return WorkerGroup(workers)


def _review_worker(client: Client, task_queue: str, executor: ThreadPoolExecutor | None
                   ) -> Worker:
    """Review and outbox workflows, their local writes and the mail sender. Regular and local
    activities share one thread pool with room for both at full load, so a write always finds
    a thread. The LLM activities stay registered for runs started before the LLM queue
    existed, which still schedule them here."""
    from temporal_app.activities import all_activities

    regular = settings.TEMPORAL_ACTIVITY_THREADS
    local = settings.TEMPORAL_LOCAL_ACTIVITY_THREADS
    workflows = [DraftReviewWorkflow, DraftReviewWorkflowV1, MailOutboxWorkflow,
                 PublishDraftWorkflow]
    precompile(*workflows)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=all_activities(),
        activity_executor=executor or ThreadPoolExecutor(
            max_workers=regular + local, thread_name_prefix="activity"),
        max_concurrent_activities=regular,
        max_concurrent_local_activities=local,
        workflow_runner=sandbox_runner(),
        max_cached_workflows=settings.TEMPORAL_MAX_CACHED_WORKFLOWS,
        interceptors=[DjangoDbInterceptor()],
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


def _llm_worker(client: Client, task_queue: str) -> Worker:
    """LLM calls only, `LLM_WORKER_CONCURRENCY` at once in this process and at most
    `LLM_RATE_LIMIT_PER_SECOND` started per second across every worker of the queue."""
    from temporal_app.activities import llm_activities

    concurrency = settings.LLM_WORKER_CONCURRENCY
    return Worker(
        client,
        task_queue=task_queue,
        activities=llm_activities(),
        activity_executor=ThreadPoolExecutor(max_workers=concurrency,
                                             thread_name_prefix="llm"),
        max_concurrent_activities=concurrency,
        max_task_queue_activities_per_second=settings.LLM_RATE_LIMIT_PER_SECOND,
        interceptors=[DjangoDbInterceptor()],
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


def outbox_input() -> DrainInput:
    return DrainInput(wait_seconds=settings.OUTBOX_PASS_SECONDS,
                      poll_seconds=settings.OUTBOX_POLL_INTERVAL,
                      digest_threshold=settings.OUTBOX_DIGEST_THRESHOLD)


async def run_worker(role: str = queues.ALL) -> None:
    from temporal_app.gateway import ensure_outbox, get_client

    if settings.WORKER_METRICS_ADDRESS:
        # Before the first connect: the client's runtime carries the SDK's metrics.
        Runtime.set_default(Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(
            bind_address=settings.WORKER_METRICS_ADDRESS))), error_if_already_set=True)
        log.info("Temporal SDK metrics for Prometheus on http://%s/metrics",
                 settings.WORKER_METRICS_ADDRESS)
    if role == queues.LLM and settings.LLM_WORKER_NICE:
        os.nice(settings.LLM_WORKER_NICE)  # decisions are interactive; LLM work is not
        log.info("LLM worker at nice %s (LLM_WORKER_NICE)", os.nice(0))
    client = await get_client()
    worker = build_worker(client, role=role)
    if role != queues.LLM:
        await ensure_outbox(client, queues.review_queue(), outbox_input())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("%s worker polling %s on %s", role, ", ".join(queues.queues_for(role)),
             settings.TEMPORAL_ADDRESS)
    async with worker:
        await stop.wait()
    log.info("worker stopped")
