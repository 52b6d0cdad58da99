"""The gateway: every call the app makes to Temporal, and the one place engine errors become
sentences (temporal_app.errors).

One client per process, on one event loop: Django views are synchronous, so a background
"portal" thread runs one asyncio loop, the client lives there, and sync code submits
coroutines to it with a timeout (the worker process, which has its own loop, uses
`get_client()` directly). Every process (web, workers, commands, make dev, the bench) connects
here, as the Temporal CLI and SDKs do: `temporalio.envconfig` reads the standard TEMPORAL_*
variables (address, namespace, API key, TLS and mTLS files, gRPC metadata) over a TOML profile
(TEMPORAL_PROFILE in TEMPORAL_CONFIG_FILE); settings.TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE
hold the address and namespace resolved from them (temporal_app/connection.py,
docs/deploy.md "Temporal"). Refused credentials and untrusted certificates get their own
sentences (`_engine_refused`).

Handlers are named by typed references (`DraftReviewWorkflow.approve`), not strings; signals,
which the review workflow takes dynamically for CLI callers, are named by the rulebook's
DecisionKind.

Decisions are Updates that carry `expires_at`: the workflow's validator refuses them after it
(rulebook.decisions.refusal_if_late). An accepted update is durable by the end of the workflow task
that accepted it, and a workflow task that started before `expires_at` ends within the
workflow task timeout; so a caller that waited until `expires_at + task timeout` and heard
nothing can say "NOT recorded, and it will not be applied later" and be right.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.envconfig import ClientConfig
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from rulebook.decisions import REVIEW_ENDED
from rulebook.delivery import DELIVERING
from rulebook.states import WRITING_STATES, DecisionKind, ReviewState
from temporal_app import errors
from temporal_app.converter import DATA_CONVERTER
from temporal_app.types import (
    DRAFT_ID,
    REVIEW_STATE,
    REVIEW_STEP,
    REVISION,
    WORKFLOW_TYPE,
    WORKFLOW_TYPE_V1,
    WORKFLOW_TYPES,
    WRITE_RETRYING,
    DeadlineResult,
    DecisionInput,
    DecisionResult,
    DrainInput,
    ExtendDeadlineInput,
    PublishInput,
    RecheckInput,
    RemindInput,
    ReviewInput,
    ReviewResult,
    ReviewStatus,
    StopInput,
    StopWritingInput,
    outbox_workflow_id,
    publish_workflow_id,
    workflow_id_for,
)
from temporal_app.workflows.draft_review import DECISION_UPDATES, DraftReviewWorkflow
from temporal_app.workflows.outbox import MailOutboxWorkflow
from temporal_app.workflows.publish_draft import PublishDraftWorkflow

T = TypeVar("T")

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


def connect_config() -> dict[str, Any]:
    """Client.connect's arguments: envconfig (the TEMPORAL_* environment over the TOML profile:
    API key, TLS and mTLS files, gRPC metadata), with the address and namespace from the
    settings, which resolved them from the same sources (temporal_app/connection.py) unless a
    test or the bench set them. Raises EngineUnavailable when the profile or a TLS file cannot
    be read."""
    try:
        config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    except (RuntimeError, OSError, ValueError) as err:  # envconfig's ConfigError: RuntimeError
        raise errors.EngineUnavailable(
            f"Redline cannot connect to Temporal: its client settings could not be read ({err}). "
            "Check TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE and the TEMPORAL_TLS_* files; "
            "nothing was recorded.", "Misconfigured") from err
    config["target_host"] = settings.TEMPORAL_ADDRESS
    config["namespace"] = settings.TEMPORAL_NAMESPACE
    return config


async def get_client() -> Client:
    """The process's client, connected on first use (on the calling loop). A refused or
    failed connection raises the gateway's sentence (errors.EngineUnavailable)."""
    global _client, _client_loop
    loop = asyncio.get_running_loop()
    if _client is None or _client_loop is not loop:
        config = connect_config()
        try:
            _client = await Client.connect(**config, data_converter=DATA_CONVERTER)
        except Exception as err:  # noqa: BLE001 - translated or re-raised by _translate
            raise _translate(err, doing="connect") from err
        _client_loop = loop
    return _client


def reset_client() -> None:
    """Forget the client (tests switching servers; commands closing down)."""
    global _client, _client_loop
    _client, _client_loop = None, None
    _polling_seen.clear()


def run(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    return portal().run(coro, timeout)


def workflow_ui_url(draft_id: int | None = None, *, workflow_id: str = "",
                    run_id: str = "") -> str:
    """The workflow's page in the Temporal UI (one run's history when run_id is given)."""
    base = (f"{settings.TEMPORAL_UI_URL}/namespaces/{settings.TEMPORAL_NAMESPACE}"
            f"/workflows/{workflow_id or workflow_id_for(draft_id or 0)}")
    return f"{base}/{run_id}/history" if run_id else base


# ------------------------------------------------------------------ engine errors → sentences


def _unreachable(err: BaseException) -> errors.EngineUnavailable:
    return errors.EngineUnavailable(
        f"The review engine (Temporal at {settings.TEMPORAL_ADDRESS}) could not be reached "
        f"({err or type(err).__name__}). Nothing was recorded; try again in a moment.")


# The Rust core reports a failed first connect as RuntimeError("Failed client connect: …")
# with the gRPC status or the TLS error in its text; later calls raise RPCError.
_STATUS_IN_TEXT = re.compile(r'code: (\w+), message: "((?:[^"\\]|\\.)*)"')
_TLS_UNTRUSTED = re.compile(r"InvalidCertificate\((\w+)\)")


def _engine_refused(err: BaseException) -> errors.EngineUnavailable | None:
    """The sentence for credentials or TLS that Temporal (or its proxy) refused, else None."""
    address, namespace = settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE
    if isinstance(err, RPCError):
        status, message = err.status, err.message
    else:
        text = str(err)
        found = _STATUS_IN_TEXT.search(text)
        status = {"Unauthenticated": RPCStatusCode.UNAUTHENTICATED,
                  "PermissionDenied": RPCStatusCode.PERMISSION_DENIED,
                  }.get(found.group(1)) if found else None
        message = found.group(2) if found else text
        if status is None:
            untrusted = _TLS_UNTRUSTED.search(text)
            if untrusted:
                return errors.EngineUnavailable(
                    f"Temporal at {address} presented a TLS certificate Redline does not trust "
                    f"({untrusted.group(1)}): set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the "
                    "certificate of the CA that signed it (and TEMPORAL_TLS_SERVER_NAME when it "
                    "names another host). Nothing was recorded.", "TLSUntrusted")
            if "InvalidContentType" in text:
                return errors.EngineUnavailable(
                    f"Redline spoke TLS to Temporal at {address}, which answered without TLS "
                    "(TEMPORAL_TLS, a TLS file or TEMPORAL_API_KEY turns TLS on): set "
                    "TEMPORAL_TLS=false for a server without TLS. Nothing was recorded.",
                    "TLSMismatch")
    if status == RPCStatusCode.UNAUTHENTICATED:
        return errors.EngineUnavailable(
            f"Temporal at {address} refused Redline's credentials ({message}): set "
            "TEMPORAL_API_KEY, or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, "
            f"to ones namespace {namespace} accepts. Nothing was recorded.", "Unauthenticated")
    if status == RPCStatusCode.PERMISSION_DENIED:
        return errors.EngineUnavailable(
            f"Temporal at {address} refused this call: Redline's credentials lack permission "
            f"in namespace {namespace} ({message}). The app needs write access to the namespace "
            "(docs/deploy.md). Nothing was recorded.", "PermissionDenied")
    return None


def _translate(err: BaseException, *, draft_id: int | None = None,
               doing: str = "") -> errors.RedlineError:
    """The one place an engine error becomes a sentence. `doing`: what was asked ("decide",
    "start", "query", "signal", "list", "connect")."""
    if isinstance(err, errors.RedlineError):
        return err
    if isinstance(err, WorkflowUpdateFailedError):
        cause = err.cause
        # A refusal (the rulebook's, or a handler's definite no) is raised non-retryable;
        # anything else out of a validator or handler is the workflow's own fault.
        if isinstance(cause, ApplicationError) and cause.non_retryable:
            return errors.DecisionRefused(cause.message, cause.type or None)
        return errors.EngineUnavailable(
            "The review workflow failed while checking this request (an internal error: "
            f"{getattr(cause, 'type', '') or type(cause).__name__}). Nothing was recorded; "
            "try again, and tell an admin if it happens again.", "WorkflowError")
    if isinstance(err, WorkflowAlreadyStartedError):
        if doing == "publish":
            return errors.Refused(DELIVERING, "Delivering")
        return errors.ReviewAlreadyRunning("This draft already has a review running.")
    if isinstance(err, (WorkflowQueryFailedError, WorkflowQueryRejectedError)):
        return errors.Refused(f"The workflow could not answer: {err}.")
    refused = _engine_refused(err) if isinstance(err, (RPCError, RuntimeError)) else None
    if refused is not None:
        return refused
    if isinstance(err, RPCError):
        if err.status == RPCStatusCode.NOT_FOUND:
            # Also a decision that arrived in the workflow task that closed the review (another
            # one won): Temporal aborts it with NOT_FOUND. Nothing was applied.
            if doing in ("decide", "signal"):
                return errors.ReviewNotFound(REVIEW_ENDED, "ReviewEnded")
            return errors.ReviewNotFound(f"Temporal has no workflow for draft #{draft_id}.")
        return _unreachable(err)
    # A first connect that fails raises RuntimeError; OSError and TimeoutError: the network.
    if isinstance(err, (RuntimeError, OSError, TimeoutError,
                        WorkflowUpdateRPCTimeoutOrCancelledError)):
        return _unreachable(err)
    raise err


def _call(coro: Coroutine[Any, Any, T], timeout: float, *, draft_id: int | None = None,
          doing: str = "") -> T:
    try:
        return run(coro, timeout=timeout)
    except Exception as err:  # noqa: BLE001 - translated or re-raised by _translate
        raise _translate(err, draft_id=draft_id, doing=doing) from err


# ------------------------------------------------------------------ is a worker polling?

_polling_seen: dict[str, tuple[float, bool]] = {}
POLLING_CACHE_SECONDS = 10.0


async def _worker_polling(client: Client, task_queue: str) -> bool:
    """Does any worker poll the review task queue? Asked at most once per
    POLLING_CACHE_SECONDS per process (not per decision). A "yes" may be stale (Temporal lists
    a stopped worker for minutes), which is why decisions also carry `expires_at`; a "no"
    lets the caller answer at once that nothing was recorded."""
    now = time.monotonic()
    seen = _polling_seen.get(task_queue)
    if seen is not None and now - seen[0] < POLLING_CACHE_SECONDS:
        return seen[1]
    polling = await _poller_count(client, task_queue,
                                  TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW) > 0
    _polling_seen[task_queue] = (now, polling)
    return polling


async def _poller_count(client: Client, task_queue: str, kind: TaskQueueType.ValueType) -> int:
    """How many workers Temporal lists as polling `task_queue` for `kind` tasks."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
                                 task_queue_type=kind), timeout=timedelta(seconds=3))
    return len(response.pollers)


def pollers(workflow_queues: list[str], activity_queues: list[str]) -> dict[str, int]:
    """How many workers poll each queue (workflow tasks for the review queue, activity tasks
    for the LLM queue), as Temporal lists them: for /readyz. Raises EngineUnavailable."""

    async def go() -> dict[str, int]:
        client = await get_client()
        asks = [(q, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW) for q in workflow_queues] + \
               [(q, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY) for q in activity_queues]
        counts = await asyncio.gather(*(_poller_count(client, q, kind) for q, kind in asks))
        return {q: n for (q, _), n in zip(asks, counts, strict=True)}

    return _call(go(), timeout=8, doing="describe")


# ------------------------------------------------------------------ reviews


def _start(run: Any, inp: Any, workflow_id: str, attributes: list[SearchAttributePair],
           summary: str, doing: str, **options: Any) -> None:
    """Start a workflow for a draft: one running per id (a second start while one runs is
    refused), a new run after a closed one allowed."""

    async def go() -> None:
        client = await get_client()
        await client.start_workflow(
            run, inp, id=workflow_id, task_queue=settings.TEMPORAL_TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(DRAFT_ID, inp.draft_id), *attributes]),
            static_summary=summary, rpc_timeout=timedelta(seconds=10), **options)

    _call(go(), timeout=15, draft_id=inp.draft_id, doing=doing)


def start_review(inp: ReviewInput) -> None:
    """Start the draft's review (its first run, or a new one after a failure)."""
    _start(DraftReviewWorkflow.run, inp, workflow_id_for(inp.draft_id), [
        SearchAttributePair(REVIEW_STATE, ReviewState.GENERATING.value),
        SearchAttributePair(REVISION, 0),
    ], f"Review of draft {inp.draft_id}", "start",
        task_timeout=timedelta(seconds=settings.TEMPORAL_WORKFLOW_TASK_TIMEOUT))


def start_publish(inp: PublishInput) -> None:
    """Start delivering an approved draft again (an admin's Retry delivery): a new run of its
    PublishDraft workflow, refused while one is running."""
    _start(PublishDraftWorkflow.run, inp, publish_workflow_id(inp.draft_id), [],
           f"publish draft {inp.draft_id}", "publish")


def _expiring(payload: T, expires_at: datetime) -> T:
    return dataclasses.replace(payload, expires_at=expires_at)  # type: ignore[type-var]


def _update(draft_id: int, update: Any, payload: Any, result_type: type[T],
            what: str) -> T:
    """Run an Update and return its answer; see the module docstring for why every failure
    sentence here is true."""
    timeout = settings.TEMPORAL_UPDATE_TIMEOUT
    wait = timeout + settings.TEMPORAL_WORKFLOW_TASK_TIMEOUT + 1.0
    expires_at = datetime.now(UTC) + timedelta(seconds=timeout)
    payload = _expiring(payload, expires_at)

    async def go() -> T:
        client = await get_client()
        if not await _worker_polling(client, settings.TEMPORAL_TASK_QUEUE):
            raise errors.EngineUnavailable(
                f"No review worker is running, so your {what} was NOT recorded. Ask an admin "
                "to start the worker, then try again.")
        handle = client.get_workflow_handle(workflow_id_for(draft_id))
        started = time.monotonic()
        try:
            accepted = await asyncio.wait_for(handle.start_update(
                update, payload, wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                result_type=result_type, rpc_timeout=timedelta(seconds=wait)), wait)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            _polling_seen.pop(settings.TEMPORAL_TASK_QUEUE, None)
            raise errors.EngineUnavailable(
                f"The review engine did not answer within {wait:g} s, so your {what} was NOT "
                "recorded, and it will not be applied later. Try again in a moment.") from None
        try:
            return await asyncio.wait_for(accepted.result(),
                                          max(1.0, wait - (time.monotonic() - started)))
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise errors.DecisionAccepted(
                f"The review workflow accepted your {what}; it is still being recorded and "
                "will show on the draft shortly.") from None

    return _call(go(), timeout=wait + 5, draft_id=draft_id, doing="decide")


def decide(draft_id: int, kind: DecisionKind, payload: DecisionInput | StopInput
           ) -> DecisionResult:
    """A decision (editor's, the author's withdraw or an admin's cancel) as an Update."""
    return _update(draft_id, DECISION_UPDATES[kind], payload, DecisionResult, "decision")


def extend_deadline(draft_id: int, payload: ExtendDeadlineInput) -> DeadlineResult:
    return _update(draft_id, DraftReviewWorkflow.extend_deadline, payload, DeadlineResult,
                   "extension")


def stop_writing(draft_id: int, payload: StopWritingInput) -> DecisionResult:
    """ "Stop writing": the workflow cancels the LLM and keeps or discards the text so far."""
    return _update(draft_id, DraftReviewWorkflow.stop_writing, payload, DecisionResult, "stop")


def recheck(draft_id: int, payload: RecheckInput) -> DecisionResult:
    """Run the checks again on the version awaiting review (the channel's as they are now)."""
    return _update(draft_id, DraftReviewWorkflow.recheck, payload, DecisionResult,
                   "request to run the checks again")


def resend_reminder(draft_id: int, payload: RemindInput) -> DecisionResult:
    return _update(draft_id, DraftReviewWorkflow.resend_reminder, payload, DecisionResult,
                   "reminder")


def signal_decision(draft_id: int, kind: DecisionKind, payload: DecisionInput | StopInput
                    ) -> None:
    """The same decision as a Signal (fire-and-forget; the workflow logs a refusal)."""

    async def go() -> None:
        handle = (await get_client()).get_workflow_handle(workflow_id_for(draft_id))
        await handle.signal(kind.value, payload, rpc_timeout=timedelta(seconds=5))

    _call(go(), timeout=10, draft_id=draft_id, doing="signal")


def query_status(draft_id: int) -> ReviewStatus:
    async def go() -> ReviewStatus:
        handle = (await get_client()).get_workflow_handle(workflow_id_for(draft_id))
        try:
            return await handle.query(DraftReviewWorkflow.status,
                                      rpc_timeout=timedelta(seconds=5))
        except RPCError as err:
            if err.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                raise
            # No answer in time: if Temporal itself answers, it is the worker that did not.
            await handle.describe(rpc_timeout=timedelta(seconds=3))
            raise errors.EngineUnavailable(
                "Temporal is up, but no review worker answered the workflow's status within "
                "5 s: is a worker running?") from err

    return _call(go(), timeout=12, draft_id=draft_id, doing="query")


# ------------------------------------------------------------------ reading many (reconcile)


@dataclass(frozen=True)
class PendingActivity:
    """An activity a running workflow waits on, as Temporal describes it."""

    name: str
    attempt: int
    last_error: str


@dataclass(frozen=True)
class ReviewTruth:
    """What Temporal says about a draft's workflow (its latest run)."""

    exists: bool
    status: WorkflowExecutionStatus | None = None
    state: str = ""  # the ReviewState search attribute
    result: ReviewResult | None = None  # completed runs
    query: ReviewStatus | None = None  # running runs, when a worker answered
    pending: tuple[PendingActivity, ...] = ()  # running runs
    step: int = 0  # the ReviewStep search attribute (from 1; 0: a one-step review)

    @property
    def running(self) -> bool:
        return self.status == WorkflowExecutionStatus.RUNNING

    @property
    def status_name(self) -> str:
        return self.status.name.lower().replace("_", " ") if self.status else "missing"

    @property
    def final_state(self) -> ReviewState:
        """The state a closed run ended in."""
        if self.result is not None:
            return ReviewState(self.result.state)
        if self.status == WorkflowExecutionStatus.CANCELED:
            return ReviewState.CANCELLED
        return ReviewState.FAILED


async def _truth(client: Client, draft_id: int, with_query: bool) -> ReviewTruth:
    handle = client.get_workflow_handle(workflow_id_for(draft_id), result_type=ReviewResult)
    try:
        desc = await handle.describe(rpc_timeout=timedelta(seconds=5))
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return ReviewTruth(exists=False)
        raise
    state = desc.typed_search_attributes.get(REVIEW_STATE) or ""
    result = query = None
    if desc.status == WorkflowExecutionStatus.COMPLETED:
        try:
            result = await handle.result(rpc_timeout=timedelta(seconds=5))
        except (WorkflowFailureError, RPCError):
            result = None
    elif desc.status == WorkflowExecutionStatus.RUNNING and with_query:
        try:
            query = await handle.query(DraftReviewWorkflow.status,
                                       rpc_timeout=timedelta(seconds=3))
        except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
            query = None  # no worker answered: the search attribute will do
    pending = tuple(
        PendingActivity(name=p.activity_type.name, attempt=p.attempt,
                        last_error=p.last_failure.message if p.HasField("last_failure") else "")
        for p in desc.raw_description.pending_activities)
    return ReviewTruth(exists=True, status=desc.status, state=state, result=result, query=query,
                       pending=pending,
                       step=desc.typed_search_attributes.get(REVIEW_STEP) or 0)


AGREE_BATCH = 500  # drafts per count query of listed_truths


def listed_truths(expected: dict[int, tuple[str, int]]) -> dict[int, ReviewTruth]:
    """What Temporal says of each draft's workflow ({draft id: (the state and step the
    database has)}), read in bulk and as little as it can be:

    1. counted: the drafts that expect the same waiting state and step, in batches of
       AGREE_BATCH, one visibility count each ("running, today's type, in this state at this
       step, no write going on as a regular activity, one of these ids"); a batch whose count
       is whole agrees, and no row of it is read. The engine lists a row in ~0.4-0.7 ms on
       the dev server but counts 10,000 in ~20-70 ms (bench/waiting.py).
    2. listed: the rows of every batch that fell short (pages of 1,000: status, state, step);
    3. described (`review_truths`): the drafts whose workflow is not among those (closed: its
       result; missing) or may have a pending activity, which visibility does not show:
       writing, a write going on as a regular activity (`WriteRetrying`), or a run of the v1
       workflow (every write of which is a regular activity).
    Visibility lags the workflows by a moment, so a disagreement seen here is confirmed with
    `review_truths`."""
    waiting = {pk: key for pk, key in expected.items() if key[0] not in WRITING_STATES}
    truths = {pk: ReviewTruth(exists=True, status=WorkflowExecutionStatus.RUNNING,
                              state=expected[pk][0], step=expected[pk][1] + 1)
              for pk in _counted(waiting)}
    rest = [pk for pk in expected if pk not in truths]
    truths.update(_listed([pk for pk in rest if pk in waiting]))
    truths.update(review_truths([pk for pk in rest if pk not in truths]))
    return truths


def _counted(expected: dict[int, tuple[str, int]]) -> set[int]:
    groups: dict[tuple[str, int], list[int]] = {}
    for pk, key in sorted(expected.items()):
        groups.setdefault(key, []).append(pk)
    batches = [ids[i:i + AGREE_BATCH] for ids in groups.values()
               for i in range(0, len(ids), AGREE_BATCH)]
    queries = []
    for ids in batches:
        state, step = expected[ids[0]]
        queries.append(
            f"WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND "
            f"{REVIEW_STATE.name} = '{ReviewState(state).value}' AND "
            f"({REVIEW_STEP.name} IS NULL OR {REVIEW_STEP.name} = {int(step) + 1}) AND "
            f"{WRITE_RETRYING.name} IS NULL AND "
            f"{DRAFT_ID.name} IN ({', '.join(str(int(pk)) for pk in ids)})")
    found = counts(queries, rpc_timeout=30) if queries else []
    return {pk for ids, n in zip(batches, found, strict=True) if n == len(ids) for pk in ids}


def _listed(draft_ids: list[int]) -> dict[int, ReviewTruth]:
    """The running review workflows of these drafts, from visibility's rows (the ones that
    may have a pending activity left out, for a describe)."""
    types = ", ".join(f"'{t}'" for t in WORKFLOW_TYPES)
    wanted = {workflow_id_for(pk): pk for pk in draft_ids}

    async def go() -> dict[int, ReviewTruth]:
        truths: dict[int, ReviewTruth] = {}
        client = await get_client()
        for start in range(0, len(draft_ids), AGREE_BATCH):
            ids = ", ".join(str(int(pk)) for pk in draft_ids[start:start + AGREE_BATCH])
            query = (f"WorkflowType IN ({types}) AND ExecutionStatus = 'Running' AND "
                     f"{DRAFT_ID.name} IN ({ids})")
            async for run in client.list_workflows(query, page_size=1000,
                                                   rpc_timeout=timedelta(seconds=10)):
                pk = wanted.get(run.id)
                attrs = run.typed_search_attributes
                state = attrs.get(REVIEW_STATE) or ""
                if pk is None or state in WRITING_STATES or attrs.get(WRITE_RETRYING) \
                        or run.workflow_type == WORKFLOW_TYPE_V1:
                    continue  # not asked for; or may have a pending activity: described
                truths[pk] = ReviewTruth(exists=True, status=run.status, state=state,
                                         step=attrs.get(REVIEW_STEP) or 0)
        return truths

    return _call(go(), timeout=120, doing="list") if draft_ids else {}


def review_truths(draft_ids: list[int], *, with_query: bool = False, concurrency: int = 16
                  ) -> dict[int, ReviewTruth]:
    async def go(ids: list[int]) -> dict[int, ReviewTruth]:
        client = await get_client()
        gate = asyncio.Semaphore(concurrency)

        async def one(pk: int) -> tuple[int, ReviewTruth]:
            async with gate:
                return pk, await _truth(client, pk, with_query)

        return dict(await asyncio.gather(*[one(pk) for pk in ids]))

    truths: dict[int, ReviewTruth] = {}
    for start in range(0, len(draft_ids), 200):
        truths.update(_call(go(draft_ids[start:start + 200]), timeout=60, doing="list"))
    return truths


# ------------------------------------------------------------------ visibility (admins)


@dataclass(frozen=True)
class ListPage:
    executions: list[WorkflowExecution]
    next_token: bytes | None


class QueryRefused(errors.Refused):
    """Temporal refused a visibility query or page token (INVALID_ARGUMENT)."""


def _visibility(coro: Coroutine[Any, Any, T], timeout: float) -> T:
    try:
        return run(coro, timeout=timeout)
    except RPCError as err:
        if err.status == RPCStatusCode.INVALID_ARGUMENT:
            raise QueryRefused(str(err)) from err
        raise _translate(err, doing="list") from err
    except Exception as err:  # noqa: BLE001
        raise _translate(err, doing="list") from err


def list_page(query: str, *, page_size: int, page_token: bytes | None, rpc_timeout: float
              ) -> ListPage:
    async def go() -> ListPage:
        iterator = (await get_client()).list_workflows(
            query, page_size=page_size, next_page_token=page_token,
            rpc_timeout=timedelta(seconds=rpc_timeout))
        await iterator.fetch_next_page()
        return ListPage(list(iterator.current_page or []), iterator.next_page_token)

    return _visibility(go(), timeout=rpc_timeout * 2)


def counts(queries: list[str], *, rpc_timeout: float) -> list[int]:
    """How many workflows match each query (concurrently)."""

    async def go() -> list[int]:
        client = await get_client()
        results = await asyncio.gather(*[
            client.count_workflows(q, rpc_timeout=timedelta(seconds=rpc_timeout))
            for q in queries])
        return [r.count for r in results]

    return _visibility(go(), timeout=rpc_timeout * 2)


def grouped_count(query: str, *, rpc_timeout: float) -> dict[str, int]:
    """COUNT … GROUP BY in one call; QueryRefused where the store cannot group (SQLite)."""

    async def go() -> dict[str, int]:
        result = await (await get_client()).count_workflows(
            query, rpc_timeout=timedelta(seconds=rpc_timeout))
        return {str(g.group_values[0]) if g.group_values else "": g.count
                for g in result.groups}

    return _visibility(go(), timeout=rpc_timeout * 2)


# ------------------------------------------------------------------ the mail outbox


async def ensure_outbox(client: Client, task_queue: str, inp: DrainInput) -> None:
    """Start the MailOutbox workflow of this task queue unless it runs (worker start-up).
    A refusal (e.g. credentials without write access) raises the gateway's sentence."""
    try:
        await client.start_workflow(
            MailOutboxWorkflow.run, inp, id=outbox_workflow_id(task_queue),
            task_queue=task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            static_summary="Sends the mail queued by reviews")
    except RPCError as err:
        raise _translate(err, doing="start") from err


async def stop_outbox(client: Client, task_queue: str) -> None:
    try:
        await client.get_workflow_handle(outbox_workflow_id(task_queue)).terminate(
            "worker stopped for good")
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
