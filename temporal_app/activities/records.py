"""The activities that write a draft's review state, all through drafts/projection.py.

`project` is the review workflow's one write, run as a local activity: a version (optional)
and events, one transaction, idempotent on (draft, seq). `store_version`, `record_event` and
`notify` are the v1 runs' regular activities (workflows/draft_review_v1.py), kept until those
runs drain; they write through the same projection (and the mail outbox).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, DataError, IntegrityError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from drafts import projection
from drafts.outbox import queue_once  # up: v1 runs' notify queues mail as the outbox does
from publishing.selectors import wants_publishing  # up: one read, so approve answers publish
from rulebook.states import EventKind
from rulebook.writing import STOPPED_PROMPT
from temporal_app import llm
from temporal_app.options import BAD_DATA
from temporal_app.types import (
    NOTIFY,
    PROJECT,
    READ_STREAMED,
    RECORD_EVENT,
    STORE_VERSION,
    ChangeRecord,
    EventRecord,
    GenerateResult,
    NotifyInput,
    NotifyResult,
    ProjectInput,
    ProjectResult,
    RecordInput,
    RecordResult,
    StoreVersionInput,
    StoreVersionResult,
    StreamedInput,
    StreamedResult,
    VersionRecord,
)

log = logging.getLogger(__name__)


def _apply(draft_id: int, events: list[EventRecord], version: VersionRecord | None,
           suggestion: ChangeRecord | None = None, findings: list | None = None) -> int:
    """Errors no retry can fix fail at once (the workflow's options name these types);
    the database being away or busy is retried. Either way the failure carries the first
    line of the database's message and no chained error: a DETAIL line can quote the row's
    values, and failures go into the workflow's history (the worker's log has it all)."""
    try:
        return projection.apply(draft_id, events, version, suggestion=suggestion,
                                findings=findings)
    except projection.DraftMissing as err:
        raise ApplicationError(str(err), type="DraftMissing", non_retryable=True) from err
    except (DataError, IntegrityError) as err:
        log.warning("draft #%s: the database refused a write for good", draft_id, exc_info=err)
        raise ApplicationError(f"the database refused it ({_first_line(err)})", type=BAD_DATA,
                               non_retryable=True) from None
    except DatabaseError as err:
        log.warning("draft #%s: the database is away or busy", draft_id, exc_info=err)
        raise ApplicationError(f"the database did not take the write ({_first_line(err)})",
                               type=type(err).__name__) from None


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


@activity.defn(name=PROJECT)
def project(inp: ProjectInput) -> ProjectResult:
    applied = _apply(inp.draft_id, inp.events, inp.version, inp.suggestion, inp.findings)
    approved = any(e.kind == EventKind.APPROVED for e in inp.events)
    return ProjectResult(applied=applied, publish=approved and wants_publishing(inp.draft_id))


@activity.defn(name=READ_STREAMED)
def read_streamed(inp: StreamedInput) -> StreamedResult:
    """The text written so far of a version whose writing was stopped (kept as the version),
    and its usage estimated from each call's prompt and the text it wrote (labelled an
    estimate on the version: the provider's count never came)."""
    so_far = projection.streamed(inp.draft_id, inp.version)
    call = so_far.call
    if not call.backend:
        return StreamedResult(text=so_far.text)
    written = sum(llm.estimate_tokens(part) for part in so_far.parts)
    usage = GenerateResult(
        text="", backend=call.backend, model=call.model, prompt_version=STOPPED_PROMPT,
        prompt_tokens=call.prompt_tokens, completion_tokens=written,
        cost_usd=llm.estimate_cost(call.model, call.prompt_tokens, written))
    return StreamedResult(text=so_far.text, usage=usage)


# ------------------------------------------------------------------ v1 runs only


@activity.defn(name=STORE_VERSION)
def store_version(inp: StoreVersionInput) -> StoreVersionResult:
    version = VersionRecord(number=inp.number, kind=inp.kind, text=inp.text,
                            generation=inp.generation, actor_id=inp.actor_id)
    created = not projection.has_version(inp.draft_id, inp.number)
    _apply(inp.draft_id, [], version)
    return StoreVersionResult(created=created)


@activity.defn(name=RECORD_EVENT)
def record_event(inp: RecordInput) -> RecordResult:
    # v1 runs mail through their own `notify` activity: this write queues none.
    event = EventRecord(seq=inp.seq, kind=inp.kind, state=inp.state, version=inp.version,
                        actor_id=inp.actor_id, comment=inp.comment, deadline=inp.deadline,
                        remind_at=inp.remind_at, notify=False)
    return RecordResult(created=_apply(inp.draft_id, [event], None) > 0)


@activity.defn(name=NOTIFY)
def notify(inp: NotifyInput) -> NotifyResult:
    """Queues the mail in the outbox (sent by the MailOutbox workflow), keyed on this activity
    so a retry queues nothing twice."""
    info = activity.info()
    created = queue_once(f"v1:{info.workflow_run_id}:{info.activity_id}",
                         draft_id=inp.draft_id, kind=inp.kind, version=inp.version,
                         comment=inp.comment)
    return NotifyResult(sent=int(created))
