"""The Temporal client: one per process, created lazily, on one event loop.

Django views are synchronous. Rather than spinning up an event loop per request
(async_to_sync), each process runs one background "portal" thread with one asyncio loop; the
client lives on that loop and sync code submits coroutines to it with a timeout. The worker
process (which has its own loop) uses `get_client()` directly.

The sync functions at the bottom are the app's whole vocabulary towards Temporal: start a
review, send a decision (an Update: the browser gets a definite answer), signal, query.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from temporal_app.types import (
    DRAFT_ID,
    REVIEW_STATE,
    REVISION,
    WORKFLOW_TYPE,
    ReviewInput,
    ReviewState,
    ReviewStatus,
    workflow_id_for,
)

T = TypeVar("T")


class EngineError(Exception):
    """Something the user should read: `str(err)` is a full sentence."""


class EngineUnavailable(EngineError):
    """Temporal or the worker did not answer: nothing was recorded."""


class DecisionRefused(EngineError):
    """The workflow answered and said no (validator or handler)."""


# ------------------------------------------------------------------ one loop, one client


class _Portal:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="temporal-portal",
                                       daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise


_portal: _Portal | None = None
_portal_lock = threading.Lock()
_client: Client | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def portal() -> _Portal:
    global _portal
    with _portal_lock:
        if _portal is None:
            _portal = _Portal()
        return _portal


async def get_client() -> Client:
    """The process's client, connected on first use (on the calling loop)."""
    global _client, _client_loop
    loop = asyncio.get_running_loop()
    if _client is None or _client_loop is not loop:
        _client = await Client.connect(settings.TEMPORAL_ADDRESS,
                                       namespace=settings.TEMPORAL_NAMESPACE)
        _client_loop = loop
    return _client


def reset_client() -> None:
    """Forget the client (tests switching servers; commands closing down)."""
    global _client, _client_loop
    _client, _client_loop = None, None


def run(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    return portal().run(coro, timeout)


def workflow_ui_url(draft_id: int | None = None, *, workflow_id: str = "",
                    run_id: str = "") -> str:
    """The workflow's page in the Temporal UI (one run's history when run_id is given)."""
    base = (f"{settings.TEMPORAL_UI_URL}/namespaces/{settings.TEMPORAL_NAMESPACE}"
            f"/workflows/{workflow_id or workflow_id_for(draft_id or 0)}")
    return f"{base}/{run_id}/history" if run_id else base


# ------------------------------------------------------------------ the app's calls


def _unreachable(err: BaseException) -> EngineUnavailable:
    return EngineUnavailable(
        f"The review engine (Temporal at {settings.TEMPORAL_ADDRESS}) could not be reached: "
        f"{err}. Nothing was recorded; try again in a moment.")


async def _handle(draft_id: int) -> WorkflowHandle:
    return (await get_client()).get_workflow_handle(workflow_id_for(draft_id))


def start_review(inp: ReviewInput) -> None:
    """Start the draft's workflow. One running workflow per draft: a second start while one
    runs fails; a new run after a closed one (a retried failure) is allowed."""

    async def go() -> None:
        client = await get_client()
        await client.start_workflow(
            WORKFLOW_TYPE,
            inp,
            id=workflow_id_for(inp.draft_id),
            task_queue=settings.TEMPORAL_TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(DRAFT_ID, inp.draft_id),
                SearchAttributePair(REVIEW_STATE, ReviewState.GENERATING.value),
                SearchAttributePair(REVISION, 0),
            ]),
            static_summary=f"Review of draft {inp.draft_id}",
            rpc_timeout=timedelta(seconds=10),
        )

    try:
        run(go(), timeout=15)
    except WorkflowAlreadyStartedError as err:
        raise DecisionRefused("This draft already has a review running.") from err
    except (RPCError, TimeoutError, OSError, RuntimeError) as err:
        raise _unreachable(err) from err


async def _worker_is_polling() -> bool:
    client = await get_client()
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=settings.TEMPORAL_NAMESPACE,
            task_queue=TaskQueue(name=settings.TEMPORAL_TASK_QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        ),
        timeout=timedelta(seconds=3),
    )
    return bool(response.pollers)


def send_update(draft_id: int, name: str, arg: Any, result_type: type[T],
                timeout: float | None = None) -> T:
    """Run a workflow Update and return its answer, or raise DecisionRefused / EngineUnavailable.

    Before sending, it checks that a worker polls the task queue: with none, an update would
    wait unanswered, so the user is told at once that nothing was recorded.
    """
    timeout = timeout or settings.TEMPORAL_UPDATE_TIMEOUT

    async def go() -> T:
        if not await _worker_is_polling():
            raise EngineUnavailable(
                "No review worker is running, so your decision was NOT recorded. "
                "Ask an admin to start the worker, then try again.")
        handle = await _handle(draft_id)
        return await handle.execute_update(
            name, arg, result_type=result_type, rpc_timeout=timedelta(seconds=timeout))

    try:
        return run(go(), timeout=timeout + 1)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
        raise DecisionRefused(message) from err
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError) as err:
        raise EngineUnavailable(
            f"The review engine did not answer within {timeout:g} s, so your decision was NOT "
            "confirmed. Reload the page before deciding again.") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise DecisionRefused("This draft's review has already ended.") from err
        raise _unreachable(err) from err


def send_signal(draft_id: int, name: str, arg: Any) -> None:
    async def go() -> None:
        await (await _handle(draft_id)).signal(name, arg, rpc_timeout=timedelta(seconds=5))

    try:
        run(go(), timeout=10)
    except (RPCError, TimeoutError) as err:
        raise _unreachable(err) from err


def query_status(draft_id: int) -> ReviewStatus:
    """The workflow's `status` query, with a sentence for each way it can fail."""

    async def go() -> ReviewStatus:
        handle = await _handle(draft_id)
        return await handle.query("status", result_type=ReviewStatus,
                                  rpc_timeout=timedelta(seconds=5))

    try:
        return run(go(), timeout=8)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise DecisionRefused(f"Temporal has no workflow for draft #{draft_id}.") from err
        if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
            raise EngineUnavailable(
                "The workflow did not answer within 5 s: is a review worker running?") from err
        raise _unreachable(err) from err
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as err:
        raise DecisionRefused(f"The workflow could not answer: {err}.") from err
    except (TimeoutError, OSError, RuntimeError) as err:
        raise EngineUnavailable(
            "Temporal or the review worker did not answer in time; try again in a moment."
        ) from err
