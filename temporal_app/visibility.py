"""Pending reviews as Temporal sees them: read from visibility (list/count workflows).

One module for the admins' page (review.admin_views) and the `pending_workflows` command:
- `PendingFilter.from_params()` validates user input strictly (state from a fixed list,
  durations as numbers, the task queue from a safe alphabet);
- `build_query()` turns a validated filter into a visibility query. Only values this module
  produced itself (enum values, integers, timestamps it formatted) go into the query text;
  no raw user string is ever interpolated;
- `pending_page()` returns one page of rows, the token of the next page, and counts.

Visibility is eventually consistent: a workflow started or updated a moment ago may show up
(or show its new state) a second later. The page says so; the tests poll with a bound.

The dev server's SQLite visibility cannot GROUP BY a custom search attribute, so counts per
state fall back to one count query per state (run concurrently) when GROUP BY is refused.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from temporalio.client import WorkflowExecution

from config.env import parse_duration
from rulebook.deadlines import elapsed_words
from rulebook.states import PENDING_STATES, ReviewState
from temporal_app import errors, gateway
from temporal_app.types import (
    DRAFT_ID,
    REVIEW_DEADLINE,
    REVIEW_STATE,
    REVIEW_STEP,
    REVISION,
    WORKFLOW_TYPES,
)

STATES = tuple(s.value for s in ReviewState)
_TASK_QUEUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$")
MAX_HOURS = 24 * 365 * 10  # ten years: anything longer is a typo
MAX_DRAFT_IDS = 500
RPC_TIMEOUT = 8.0


class FilterError(ValueError):
    """A filter value was refused; `str(err)` is a sentence for the user."""


class PageTokenError(FilterError):
    """The page token is not one Temporal issued for this query (stale or edited link)."""


# ------------------------------------------------------------------ filters and the query


def parse_hours(value: object, what: str) -> timedelta | None:
    """'12', '1.5' (hours) or '30m', '12h', '2d' → timedelta; '' / None → None."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    try:
        seconds = float(text) * 3600 if re.fullmatch(r"\d+(\.\d+)?", text) \
            else parse_duration(text)
    except ValueError:
        raise FilterError(f"“{what}” must be a number of hours, e.g. 12 or 1.5 "
                          "(or a duration such as 30m, 12h, 2d).") from None
    if not 0 < seconds <= MAX_HOURS * 3600:
        raise FilterError(f"“{what}” must be more than 0 and at most {MAX_HOURS} hours.")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class PendingFilter:
    state: str | None = None
    older_than: timedelta | None = None  # started more than this long ago
    deadline_within: timedelta | None = None  # review deadline at most this far ahead
    task_queue: str | None = None  # None: settings.TEMPORAL_TASK_QUEUE; "*": every queue
    draft_ids: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in STATES:
            raise FilterError(f"Unknown state “{self.state}”; use one of: {', '.join(STATES)}.")
        if self.task_queue is not None and self.task_queue != "*" \
                and not _TASK_QUEUE_RE.match(self.task_queue):
            raise FilterError("A task queue name may contain only letters, digits and . _ : / -")
        if len(self.draft_ids) > MAX_DRAFT_IDS:
            raise FilterError(f"At most {MAX_DRAFT_IDS} draft ids at once.")
        for pk in self.draft_ids:
            if not isinstance(pk, int) or isinstance(pk, bool) or pk <= 0:
                raise FilterError("Draft ids are positive whole numbers.")

    @classmethod
    def from_params(cls, params, *, task_queue: str | None = None) -> PendingFilter:
        """From a QueryDict/dict of strings: state, older_than, deadline_within (hours)."""
        state = (params.get("state") or "").strip() or None
        return cls(
            state=state,
            older_than=parse_hours(params.get("older_than"), "Older than"),
            deadline_within=parse_hours(params.get("deadline_within"), "Deadline within"),
            task_queue=task_queue,
        )

    @property
    def queue(self) -> str | None:
        """The task queue to filter on, or None for all queues."""
        if self.task_queue == "*":
            return None
        return self.task_queue or settings.TEMPORAL_TASK_QUEUE

    def as_params(self) -> dict[str, str]:
        """The web filter's query-string values (for links that keep the filters)."""
        params = {}
        if self.state:
            params["state"] = self.state
        if self.older_than:
            params["older_than"] = f"{self.older_than.total_seconds() / 3600:g}"
        if self.deadline_within:
            params["deadline_within"] = f"{self.deadline_within.total_seconds() / 3600:g}"
        return params


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _quote(value: str) -> str:
    # Values reaching here are validated already; escaping is a second line of defence.
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_query(flt: PendingFilter, *, now: datetime | None = None,
                include_state: bool = True) -> str:
    now = now or datetime.now(UTC)
    # Reviews started before the local-writes release run as the v1 type until they drain.
    types = ", ".join(_quote(t) for t in WORKFLOW_TYPES)
    clauses = [f"WorkflowType IN ({types})", "ExecutionStatus = 'Running'"]
    if flt.queue:
        clauses.append(f"TaskQueue = {_quote(flt.queue)}")
    if flt.state and include_state:
        clauses.append(f"{REVIEW_STATE.name} = {_quote(ReviewState(flt.state).value)}")
    if flt.older_than:
        clauses.append(f"StartTime < {_quote(_timestamp(now - flt.older_than))}")
    if flt.deadline_within:
        clauses.append(f"{REVIEW_DEADLINE.name} <= {_quote(_timestamp(now + flt.deadline_within))}")
    if flt.draft_ids:
        ids = ", ".join(str(int(pk)) for pk in flt.draft_ids)
        clauses.append(f"{DRAFT_ID.name} IN ({ids})")
    return " AND ".join(clauses)


# ------------------------------------------------------------------ page tokens in URLs


def encode_token(token: bytes | None) -> str:
    return base64.urlsafe_b64encode(token).decode().rstrip("=") if token else ""


def decode_token(text: str | None) -> bytes | None:
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 4000 or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise PageTokenError("This page link is damaged; start again from the first page.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PageTokenError("This page link is damaged; start again from the first page.") \
            from None


# ------------------------------------------------------------------ rows and counts


@dataclass(frozen=True)
class PendingRow:
    draft_id: int | None
    workflow_id: str
    run_id: str
    state: str
    revision: int
    deadline: datetime | None
    started: datetime | None
    task_queue: str
    ui_url: str
    step: int = 0  # the policy step (from 1) of a multi-step review; 0: a one-step review

    @property
    def awaiting_review(self) -> bool:
        """Waiting for an editor: the only state with a deadline to extend or a reminder."""
        return self.state == ReviewState.AWAITING_REVIEW

    @property
    def age(self) -> timedelta | None:
        return datetime.now(UTC) - self.started if self.started else None

    @property
    def age_text(self) -> str:
        return format_duration(self.age)

    @property
    def deadline_in_text(self) -> str:
        if self.deadline is None:
            return ""
        left = self.deadline - datetime.now(UTC)
        if left.total_seconds() < 0:
            return f"{format_duration(-left)} overdue"
        return f"in {format_duration(left)}"

    def as_json(self) -> dict:
        return {
            "draft_id": self.draft_id,
            "workflow_id": self.workflow_id,
            "run_id": self.run_id,
            "state": self.state,
            "revision": self.revision,
            "step": self.step or None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "started": self.started.isoformat() if self.started else None,
            "age_seconds": int(self.age.total_seconds()) if self.age else None,
            "task_queue": self.task_queue,
            "ui_url": self.ui_url,
        }


@dataclass(frozen=True)
class PendingPage:
    rows: list[PendingRow]
    next_token: bytes | None
    counts: dict[str, int]  # per state, under the filter without its state (zeros left out)
    total: int  # matching the whole filter
    query: str

    @property
    def next_token_text(self) -> str:
        return encode_token(self.next_token)


def format_duration(delta: timedelta | None) -> str:
    return "" if delta is None else elapsed_words(delta.total_seconds())


def _row(execution: WorkflowExecution) -> PendingRow:
    attrs = execution.typed_search_attributes
    draft_id = attrs.get(DRAFT_ID)
    return PendingRow(
        draft_id=draft_id,
        workflow_id=execution.id,
        run_id=execution.run_id,
        state=attrs.get(REVIEW_STATE) or "",
        revision=attrs.get(REVISION) or 0,
        deadline=attrs.get(REVIEW_DEADLINE),
        started=execution.start_time,
        task_queue=execution.task_queue,
        ui_url=gateway.workflow_ui_url(draft_id, workflow_id=execution.id,
                                        run_id=execution.run_id),
        step=attrs.get(REVIEW_STEP) or 0,
    )


_group_by_supported: bool | None = None  # learnt on first use


def _counts(flt: PendingFilter, now: datetime) -> dict[str, int]:
    global _group_by_supported
    base = build_query(flt, now=now, include_state=False)
    if _group_by_supported is not False:
        try:
            counts = gateway.grouped_count(f"{base} GROUP BY {REVIEW_STATE.name}",
                                           rpc_timeout=RPC_TIMEOUT)
        except gateway.QueryRefused:
            _group_by_supported = False
        else:
            _group_by_supported = True
            return {s: counts[s] for s in STATES if counts.get(s)}
    # One count per state a running review waits in (a final state lasts only as long as the
    # run's last workflow task), and the filter's own state: each count reads every matching
    # row, so 4 counts instead of 11 at 10,000 waiting (bench/waiting.py).
    states = [s for s in STATES if ReviewState(s) in PENDING_STATES or s == flt.state]
    results = gateway.counts([f"{base} AND {REVIEW_STATE.name} = {_quote(s)}" for s in states],
                             rpc_timeout=RPC_TIMEOUT)
    return {s: n for s, n in zip(states, results, strict=True) if n}


def _unavailable(err: BaseException) -> errors.EngineUnavailable:
    return errors.EngineUnavailable(
        f"Temporal (at {settings.TEMPORAL_ADDRESS}) could not be reached, so the list of "
        f"pending workflows is not available right now ({err}). Try again in a moment.")


def pending_page(flt: PendingFilter, *, page_size: int | None = None,
                 page_token: bytes | None = None, with_counts: bool = True) -> PendingPage:
    """One page of running review workflows matching `flt`, newest first.

    Raises PageTokenError for a token Temporal refuses, EngineUnavailable when Temporal
    cannot be reached (both with a sentence to show)."""
    page_size = page_size or settings.PENDING_PAGE_SIZE
    now = datetime.now(UTC)
    query = build_query(flt, now=now)
    try:
        listing = gateway.list_page(query, page_size=page_size, page_token=page_token,
                                    rpc_timeout=RPC_TIMEOUT)
        if with_counts:
            total = gateway.counts([query], rpc_timeout=RPC_TIMEOUT)[0]
            counts = _counts(flt, now)
        else:
            counts, total = {}, -1
    except gateway.QueryRefused as err:
        if page_token:
            raise PageTokenError("This page link no longer matches the list (the filters or "
                                 "the list changed); start again from the first page.") from err
        raise _unavailable(err) from err
    except errors.EngineUnavailable as err:
        raise _unavailable(err) from err
    return PendingPage(rows=[_row(e) for e in listing.executions],
                       next_token=listing.next_token, counts=counts, total=total, query=query)


def iter_pending(flt: PendingFilter, *, page_size: int = 200):
    """Every matching row, one page at a time (for the command line)."""
    token = None
    while True:
        page = pending_page(flt, page_size=page_size, page_token=token, with_counts=False)
        yield from page.rows
        token = page.next_token
        if not token:
            return


def pending_counts(flt: PendingFilter) -> tuple[dict[str, int], int]:
    """(counts per state, total) for `flt`."""
    now = datetime.now(UTC)
    try:
        total = gateway.counts([build_query(flt, now=now)], rpc_timeout=RPC_TIMEOUT)[0]
        return _counts(flt, now), total
    except (gateway.QueryRefused, errors.EngineUnavailable) as err:
        raise _unavailable(err) from err
