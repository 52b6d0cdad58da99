"""Types that cross the workflow boundary. Django-free: workflows import this module.

One frozen dataclass goes in and one comes out of each workflow, activity and update. The four
editor decisions share `DecisionInput`/`DecisionResult`, and withdraw/cancel share `StopInput`:
their payloads are the same shape, and one type keeps the JSON documented in README simple.

Adding a field is safe for running workflows only with a default value (old histories carry
payloads without it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from temporalio.common import SearchAttributeKey

WORKFLOW_TYPE = "DraftReviewWorkflow"

# Search attributes: ids and states only, never personal data.
REVIEW_STATE = SearchAttributeKey.for_keyword("ReviewState")
REVIEW_DEADLINE = SearchAttributeKey.for_datetime("ReviewDeadline")
DRAFT_ID = SearchAttributeKey.for_int("DraftId")
REVISION = SearchAttributeKey.for_int("Revision")
SEARCH_ATTRIBUTES = {
    REVIEW_STATE.name: "Keyword",
    REVIEW_DEADLINE.name: "Datetime",
    DRAFT_ID.name: "Int",
    REVISION.name: "Int",
}


def workflow_id_for(draft_id: int) -> str:
    return f"draft-{draft_id}"


class ReviewState(StrEnum):
    GENERATING = "generating"
    AWAITING_REVIEW = "awaiting_review"
    REVISING = "revising"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    FAILED = "failed"


FINAL_STATES = frozenset(
    {
        ReviewState.APPROVED,
        ReviewState.REJECTED,
        ReviewState.EXPIRED,
        ReviewState.WITHDRAWN,
        ReviewState.CANCELLED,
        ReviewState.FAILED,
    }
)


class EventKind(StrEnum):
    SUBMITTED = "submitted"
    GENERATED = "generated"
    REVISED = "revised"
    EDITED = "edited"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    REMINDED = "reminded"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    DEADLINE_EXTENDED = "deadline_extended"
    FAILED = "failed"
    RETRIED = "retried"


class VersionKind(StrEnum):
    GENERATED = "generated"
    REVISED = "revised"
    EDITED = "edited"


class DecisionKind(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"
    APPROVE_WITH_EDITS = "approve_with_edits"
    WITHDRAW = "withdraw"
    CANCEL = "cancel"


# --- refusals the workflow and the web layer both say ------------------------------------------
# The workflow is the authority; review.services answers the cases the database already proves
# without asking it. Both word them here, so the editor reads the same sentence either way.


def refuse_own_draft() -> str:
    return "You wrote this draft's topic; another editor must review it."


def refuse_already_decided(past_tense: str, actor: str, at: datetime | None) -> str:
    when = f" at {at:%H:%M} UTC" if at else ""
    return f"This draft was already {past_tense} by {actor}{when}."


def refuse_stale_version(current: int, seen: int) -> str:
    return (f"A newer version exists (version {current}; you reviewed version {seen}). "
            "Reload to review it.")


# --- workflow -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftBrief:
    topic: str
    brief: str = ""
    audience: str = ""
    tone: str = ""
    target_words: int = 600


@dataclass(frozen=True)
class ActivityPolicy:
    """Timeouts and retry bounds, taken from settings when the workflow starts."""

    llm_start_to_close_seconds: float = 300.0
    llm_schedule_to_close_seconds: float = 1800.0
    llm_heartbeat_seconds: float = 30.0
    llm_max_attempts: int = 6
    db_max_attempts: int = 0  # 0 = retry until it works: a committed decision must be stored
    notify_schedule_to_close_seconds: float = 3600.0
    llm_retry_initial_seconds: float = 1.0
    llm_retry_max_interval_seconds: float = 60.0
    # Long pieces (target words ≥ threshold) are outlined and written section by section in
    # parallel; 0 = always one call (also what runs started before this field existed get).
    llm_sections_threshold_words: int = 0
    llm_section_concurrency: int = 4


@dataclass(frozen=True)
class ReviewInput:
    draft_id: int
    author_id: int
    brief: DraftBrief
    review_timeout_seconds: float = 24 * 3600.0
    remind_after_seconds: float = 20 * 3600.0
    max_revisions: int = 3
    # Numbering continues across runs of the same draft (a retried failure starts a new run).
    first_version: int = 1
    first_event_seq: int = 1
    policy: ActivityPolicy = field(default_factory=ActivityPolicy)


@dataclass(frozen=True)
class ReviewResult:
    state: str
    version: int
    decided_by: str = ""
    comment: str = ""


# --- updates, signals, query ------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionInput:
    """approve / reject / request_changes / approve_with_edits, as update or signal."""

    actor_id: int
    actor: str
    version: int
    comment: str = ""  # approve: optional; reject: the reason; request_changes: the feedback
    text: str = ""  # approve_with_edits: the edited Markdown


@dataclass(frozen=True)
class DecisionResult:
    state: str
    version: int
    message: str


@dataclass(frozen=True)
class StopInput:
    """withdraw (the author) / cancel (an admin)."""

    actor_id: int
    actor: str
    comment: str = ""


@dataclass(frozen=True)
class ExtendDeadlineInput:
    actor_id: int
    actor: str
    seconds: float


@dataclass(frozen=True)
class DeadlineResult:
    deadline: datetime
    message: str


@dataclass(frozen=True)
class RemindInput:
    actor_id: int
    actor: str


@dataclass(frozen=True)
class DecisionRecord:
    kind: str
    actor: str
    version: int
    comment: str
    at: datetime


@dataclass(frozen=True)
class ReviewStatus:
    """What the `status` query returns."""

    state: str
    version: int
    revisions: int
    max_revisions: int
    deadline: datetime | None
    remind_at: datetime | None
    reminded: bool
    extensions: int
    decisions: list[DecisionRecord]


# --- activities ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerateInput:
    draft_id: int
    workflow_id: str
    version: int
    brief: DraftBrief
    feedback: str = ""
    previous_text: str = ""


@dataclass(frozen=True)
class GenerateResult:
    text: str
    backend: str  # "openai" or "offline"
    model: str
    prompt_version: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class StoreVersionInput:
    draft_id: int
    number: int
    kind: str
    text: str
    generation: GenerateResult | None = None
    actor_id: int | None = None


@dataclass(frozen=True)
class StoreVersionResult:
    created: bool


@dataclass(frozen=True)
class RecordInput:
    """One transition: a DraftEvent row, and the draft's state after it."""

    draft_id: int
    seq: int
    kind: str
    state: str
    version: int
    actor_id: int | None = None
    comment: str = ""
    deadline: datetime | None = None
    remind_at: datetime | None = None


@dataclass(frozen=True)
class RecordResult:
    created: bool


@dataclass(frozen=True)
class NotifyInput:
    draft_id: int
    kind: str  # an EventKind
    version: int
    comment: str = ""


@dataclass(frozen=True)
class NotifyResult:
    sent: int


@dataclass(frozen=True)
class OutlineInput:
    draft_id: int
    workflow_id: str
    version: int
    brief: DraftBrief
    sections: int
    feedback: str = ""
    previous_text: str = ""


@dataclass(frozen=True)
class OutlineResult:
    title: str
    intro: str  # Markdown between the title and the first section
    headings: list[str]
    notes: list[str]
    usage: GenerateResult


@dataclass(frozen=True)
class SectionInput:
    draft_id: int
    workflow_id: str
    version: int
    brief: DraftBrief
    title: str
    headings: list[str]
    index: int
    notes: str = ""
    words: int = 300
    feedback: str = ""
    previous_text: str = ""  # the whole previous version; the activity picks this section


# Activity names: workflows refer to activities by name, so they never import Django code.
GENERATE_DRAFT = "generate_draft"
OUTLINE_DRAFT = "outline_draft"
WRITE_SECTION = "write_section"
STORE_VERSION = "store_version"
RECORD_EVENT = "record_event"
NOTIFY = "notify"
