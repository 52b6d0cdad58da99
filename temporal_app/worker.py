"""The Temporal worker: the review workflows (DraftReview, and v1 runs until they drain), the
mail outbox workflow, and the activities, on the settings' task queue.

ORM activities are sync `def`s on a thread pool; an activity interceptor closes stale database
connections before and after each one, as Django does around a request.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import logging
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
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from temporal_app.types import DrainInput
from temporal_app.workflows.draft_review import DraftReviewWorkflow
from temporal_app.workflows.draft_review_v1 import DraftReviewWorkflowV1
from temporal_app.workflows.outbox import MailOutboxWorkflow

log = logging.getLogger(__name__)


def _with_fresh_connections(fn: Callable[..., Any]) -> Callable[..., Any]:
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
SANDBOX_PASSTHROUGH = ("temporal_app.lifecycle", "temporal_app.options", "temporal_app.writing",
                       "temporal_app.types")


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


def build_worker(client: Client, task_queue: str | None = None,
                 executor: ThreadPoolExecutor | None = None) -> Worker:
    """Regular activities (the LLM, the mail outbox) and local activities (the database
    writes) run on one thread pool with room for both at full load: long LLM calls can take
    every regular slot and a decision's write still finds a thread at once."""
    from temporal_app.activities import all_activities

    regular = settings.TEMPORAL_ACTIVITY_THREADS
    local = settings.TEMPORAL_LOCAL_ACTIVITY_THREADS
    workflows = [DraftReviewWorkflow, DraftReviewWorkflowV1, MailOutboxWorkflow]
    precompile(*workflows)
    return Worker(
        client,
        task_queue=task_queue or settings.TEMPORAL_TASK_QUEUE,
        workflows=workflows,
        activities=all_activities(),
        activity_executor=executor or ThreadPoolExecutor(
            max_workers=regular + local, thread_name_prefix="activity"),
        max_concurrent_activities=regular,
        max_concurrent_local_activities=local,
        workflow_runner=sandbox_runner(),
        interceptors=[DjangoDbInterceptor()],
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


def outbox_input() -> DrainInput:
    return DrainInput(wait_seconds=settings.OUTBOX_PASS_SECONDS,
                      poll_seconds=settings.OUTBOX_POLL_INTERVAL,
                      digest_threshold=settings.OUTBOX_DIGEST_THRESHOLD)


async def run_worker() -> None:
    from temporal_app.gateway import ensure_outbox, get_client

    client = await get_client()
    worker = build_worker(client)
    await ensure_outbox(client, settings.TEMPORAL_TASK_QUEUE, outbox_input())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling task queue %r on %s", settings.TEMPORAL_TASK_QUEUE,
             settings.TEMPORAL_ADDRESS)
    async with worker:
        await stop.wait()
    log.info("worker stopped")
