"""Types that cross the workflow boundary. Django-free: workflows import this module.

One frozen dataclass goes in and one comes out of each workflow, activity and update. The four
editor decisions share `DecisionInput`/`DecisionResult`, and withdraw/cancel share `StopInput`:
their payloads are the same shape, and one type keeps the JSON documented in README simple.

Adding a field is safe for running workflows only with a default value (old histories carry
payloads without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from temporalio.common import SearchAttributeKey

from rulebook.budgets import Budget, Spent
from rulebook.checks import Finding
from rulebook.policies import Approval, ReviewPolicy

# The review workflow's type, and the type of runs started by releases before the local-writes
# core (workflows/draft_review_v1.py), kept registered until no such run is open.
WORKFLOW_TYPE = "DraftReview"
WORKFLOW_TYPE_V1 = "DraftReviewWorkflow"
WORKFLOW_TYPES = (WORKFLOW_TYPE, WORKFLOW_TYPE_V1)
OUTBOX_WORKFLOW_TYPE = "MailOutbox"
PUBLISH_WORKFLOW_TYPE = "PublishDraft"

# Search attributes: ids and states only, never personal data.
REVIEW_STATE = SearchAttributeKey.for_keyword("ReviewState")
REVIEW_DEADLINE = SearchAttributeKey.for_datetime("ReviewDeadline")
DRAFT_ID = SearchAttributeKey.for_int("DraftId")
REVISION = SearchAttributeKey.for_int("Revision")
REVIEW_STEP = SearchAttributeKey.for_int("ReviewStep")  # 1-based; set for multi-step policies
# Set while a review's database write goes on as a regular activity (the database stayed away
# past its local attempts): reconcile describes these runs for their attempts and last error.
WRITE_RETRYING = SearchAttributeKey.for_bool("WriteRetrying")
SEARCH_ATTRIBUTES = {
    REVIEW_STATE.name: "Keyword",
    REVIEW_DEADLINE.name: "Datetime",
    DRAFT_ID.name: "Int",
    REVISION.name: "Int",
    REVIEW_STEP.name: "Int",
    WRITE_RETRYING.name: "Bool",
}


def workflow_id_for(draft_id: int) -> str:
    return f"draft-{draft_id}"


def outbox_workflow_id(task_queue: str) -> str:
    return f"mail-outbox-{task_queue}"


def publish_workflow_id(draft_id: int) -> str:
    return f"publish-{draft_id}"


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
    # Local attempts at a write before it goes on as a regular activity (visible in Temporal
    # and to `reconcile`); 0 = only local (what runs started before this field existed get).
    db_local_attempts: int = 0
    notify_schedule_to_close_seconds: float = 3600.0
    llm_retry_initial_seconds: float = 1.0
    llm_retry_max_interval_seconds: float = 60.0
    # Long pieces (target words ≥ threshold) are outlined and written section by section in
    # parallel; 0 = always one call (also what runs started before this field existed get).
    llm_sections_threshold_words: int = 0
    llm_section_concurrency: int = 4
    # The task queue of the LLM calls (temporal_app/queues.py); "" = the review's own queue
    # (what runs started before the LLM had a queue of its own get, so they replay as they ran).
    llm_task_queue: str = ""


@dataclass(frozen=True)
class PublishPolicy:
    """How an approved draft is delivered to its destinations (settings PUBLISH_*)."""

    retry_seconds: float = 24 * 3600.0  # each destination is tried for this long
    request_timeout_seconds: float = 10.0  # one HTTP request, connect to last byte
    retry_initial_seconds: float = 10.0
    retry_max_interval_seconds: float = 3600.0


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
    publish: PublishPolicy = field(default_factory=PublishPolicy)
    # Who approves, in which steps (the rulebook's ReviewPolicy), copied when the review
    # starts; runs started before policies existed get the default: one editor.
    review_policy: ReviewPolicy = field(default_factory=ReviewPolicy)
    # The author's due date: no review deadline goes past it (None: no due date).
    due_at: datetime | None = None
    # What the draft may spend on the LLM (rulebook.budgets); None: no limit (runs started
    # before budgets, drafts submitted before them).
    budget: Budget | None = None
    # What the draft had spent on the LLM before this run (a retried draft's earlier runs);
    # None: nothing (a first run, runs started before it was passed).
    spent: Spent | None = None
    # Checks before a human reads (rulebook.checks): the draft's checks as stored
    # (Check.as_dict each; None: none, as for runs started before them) and how many
    # automatic rounds their blocking findings may send a draft back to the LLM.
    checks: list[dict] | None = None
    check_max_auto_revisions: int = 0
    # The channel's LLM judge: its rubric ("" none) and what its findings weigh.
    judge_rubric: str = ""
    judge_severity: str = "warn"


@dataclass(frozen=True)
class PublishInput:
    """A PublishDraft run: deliver an approved draft to its destinations; its event (published
    or delivery_failed) takes `first_event_seq`."""

    draft_id: int
    first_event_seq: int
    policy: PublishPolicy = field(default_factory=PublishPolicy)


@dataclass(frozen=True)
class PublishResult:
    delivered: int
    failed: dict[str, str]  # destination name → why


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
    # When the sender stops waiting for the answer: the workflow refuses the decision after
    # it, so a caller that gave up can truthfully say it was not recorded. None (signals from
    # the CLI): no limit.
    expires_at: datetime | None = None
    # The reviewer's groups and the policy step they reviewed at (rulebook.decisions.Request); None:
    # not said (not checked).
    actor_groups: list[str] | None = None
    step: int | None = None
    # An outside approver deciding through their signed link (actor_id is then
    # rulebook.policies.outside_actor_id(email), actor the email).
    outside_email: str = ""
    # request_changes: the commented passages of `version` to rewrite, in text order
    # (rulebook.revisions); empty: the whole draft is revised from `comment`. suggest: the
    # one passage to suggest a rewrite of.
    passages: list[PassageInput] = field(default_factory=list)
    # edit: `text` is the version the editor's choices among the changes make
    # (rulebook.suggestions.edit); what they chose, for the record.
    choices: list[ChoiceInput] = field(default_factory=list)


@dataclass(frozen=True)
class ChoiceInput:
    """An editor's choice on one change (a drafts.PassageChange) of the reviewed version,
    and where the passage they chose is in the edited text."""

    change_id: int
    accepted: bool
    start: int
    end: int


@dataclass(frozen=True)
class PassageInput:
    """A commented passage to rewrite: text[start:end] of the reviewed version, the threads
    on it ("author: body" lines, replies included) and their comment ids."""

    start: int
    end: int
    text: str
    thread: list[str] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)


def passage_fields(passages: Sequence[PassageInput]) -> dict:
    """The passages as rulebook.decisions.Request takes them: (start, end, text) ranges and
    their threads' lines."""
    return {"passages": tuple((p.start, p.end, p.text) for p in passages),
            "threads": tuple(line for p in passages for line in p.thread)}


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
    expires_at: datetime | None = None


@dataclass(frozen=True)
class StopWritingInput:
    """Stop the LLM writing a version (the author, or an editor at the draft's step): keep
    the text so far as the version, or discard it (rulebook.writing)."""

    actor_id: int
    actor: str
    keep: bool
    actor_groups: list[str] | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class RecheckInput:
    """Run the checks again on the version awaiting review, with these checks (the channel's
    as they are now: Check.as_dict each)."""

    actor_id: int
    actor: str
    checks: list[dict]
    expires_at: datetime | None = None


@dataclass(frozen=True)
class StreamedInput:
    draft_id: int
    version: int


@dataclass(frozen=True)
class StreamedResult:
    text: str  # the version's text so far, its parts in order ("" if none was written)
    # What writing it cost, estimated from the prompts and the text so far (a stopped call
    # never gets the provider's usage): recorded as the kept version's usage.
    usage: GenerateResult | None = None


@dataclass(frozen=True)
class ExtendDeadlineInput:
    actor_id: int
    actor: str
    seconds: float
    expires_at: datetime | None = None


@dataclass(frozen=True)
class DeadlineResult:
    deadline: datetime
    message: str


@dataclass(frozen=True)
class RemindInput:
    actor_id: int
    actor: str
    expires_at: datetime | None = None


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
    seq: int = 0  # the last event the workflow recorded
    step: int = 0  # the policy step the review is at
    approvals: list[Approval] = field(default_factory=list)  # counted in this round


# --- activities ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerateInput:
    draft_id: int
    workflow_id: str
    version: int
    brief: DraftBrief
    feedback: str = ""
    previous_text: str = ""
    max_tokens: int = 0  # what the draft's budget leaves (0: the site's LLM_MAX_TOKENS)


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
class ChangeRecord:
    """One passage of a targeted revision: where it was in the previous version and what it
    read, where it is in the new one and what it reads (the same when `error` says why it
    could not be rewritten), and the comments it answers."""

    comment_ids: list[int]
    old_start: int
    old_end: int
    old_text: str
    start: int
    end: int
    text: str
    error: str = ""
    # A suggestion's LLM call (its usage: no version carries it; text "").
    generation: GenerateResult | None = None


RUN_CHECKS = "run_checks"


@dataclass(frozen=True)
class ChecksInput:
    """A version's text and the draft's checks (Check.as_dict each): the deterministic
    checks (a local activity: milliseconds, no database)."""

    draft_id: int
    version: int
    text: str
    checks: list[dict]
    target_words: int = 0


@dataclass(frozen=True)
class ChecksResult:
    findings: list[Finding]


JUDGE_DRAFT = "judge_draft"  # the LLM judge of a channel's rubric (LLM queue)
CHECK_LINKS = "check_links"  # links answering a HEAD request (review queue)


@dataclass(frozen=True)
class JudgeInput:
    draft_id: int
    version: int
    text: str
    rubric: str
    severity: str = "warn"


@dataclass(frozen=True)
class JudgeResult:
    findings: list[Finding]
    usage: GenerateResult  # its LLM usage (text ""): counts in the draft's spend


@dataclass(frozen=True)
class VersionRecord:
    """A new version, written with the event that announces it."""

    number: int
    kind: str  # a VersionKind
    text: str
    generation: GenerateResult | None = None
    actor_id: int | None = None
    changes: list[ChangeRecord] = field(default_factory=list)  # a targeted revision's
    choices: list[ChoiceInput] = field(default_factory=list)  # an edit from suggestions'
    stopped: bool = False  # the text written before a stop, kept (rulebook.writing)
    findings: list[Finding] | None = None  # the checks' on it (None: not checked)
    checks_usage: Spent | None = None  # what its checks cost (the LLM judge)


@dataclass(frozen=True)
class EventRecord:
    """One review event and the draft's row after it: the workflow knows both, the projection
    (drafts/projection.py) writes both. `revisions` None = count it from the row (v1 runs)."""

    seq: int
    kind: str  # an EventKind
    state: str  # the ReviewState after the event
    version: int = 0
    actor_id: int | None = None
    comment: str = ""
    deadline: datetime | None = None
    remind_at: datetime | None = None
    revisions: int | None = None
    notify: bool = True  # queue the mail the rulebook names for this event (rulebook.states.NOTIFY)
    step: int | None = None  # the policy step after the event (None: unchanged, or no policy)
    # The step the event was taken at, when it differs (an approval that completed its step).
    event_step: int | None = None
    actor_email: str = ""  # an outside approver's (no account: actor_id is None)
    # The current step's escalation (rulebook.policies.Escalation): when it falls due while
    # awaiting review, and the group it let decide there too ("" none; None: unchanged, as
    # from runs before escalation existed).
    escalate_at: datetime | None = None
    escalated_to: str | None = None


@dataclass(frozen=True)
class ProjectInput:
    """The one local activity that writes: a version (optional) and events, one transaction."""

    draft_id: int
    events: list[EventRecord]
    version: VersionRecord | None = None
    # A `suggested` event's rewrite of one passage of the event's version: old_* where the
    # passage is, text the rewrite (start/end: where it would go).
    suggestion: ChangeRecord | None = None
    # A `rechecked` event's findings for the event's version: they replace its findings.
    findings: list[Finding] | None = None


@dataclass(frozen=True)
class ProjectResult:
    applied: int  # events newer than the row's last one (0 on a retry)
    # An `approved` event was written and an active destination wants the draft: the review
    # starts its PublishDraft child (no destination, no child: approvals stay cheap).
    publish: bool = False


@dataclass(frozen=True)
class DrainInput:
    """One pass of the mail outbox: send what is due, wait for more up to `wait_seconds`."""

    wait_seconds: float = 300.0
    poll_seconds: float = 1.0
    batch: int = 200
    digest_threshold: int = 5  # more mails than this to one person in a pass → one digest


@dataclass(frozen=True)
class DrainResult:
    sent: int
    failed: int


# --- v1 runs only (workflows/draft_review_v1.py): kept until no run of that type is open --------


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
    max_tokens: int = 0  # what the draft's budget leaves this call (0: the site's LLM_MAX_TOKENS)


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
    max_tokens: int = 0  # what the draft's budget leaves this call (0: the site's LLM_MAX_TOKENS)


@dataclass(frozen=True)
class ReviseInput:
    """One commented passage, rewritten by the LLM (the targeted revision)."""

    draft_id: int
    workflow_id: str
    version: int  # the version being written
    brief: DraftBrief
    passage: str
    before: str = ""  # the text around it (rulebook.revisions.context)
    after: str = ""
    thread: list[str] = field(default_factory=list)
    feedback: str = ""  # the editor's general remark, if any
    index: int = 0
    count: int = 1
    max_tokens: int = 0  # what the draft's budget leaves this call (0: the site's LLM_MAX_TOKENS)


@dataclass(frozen=True)
class PlanInput:
    draft_id: int


@dataclass(frozen=True)
class PlannedDelivery:
    delivery_id: int
    destination: str  # its name (no URL or secret: those stay in the database)


@dataclass(frozen=True)
class DeliveryPlan:
    """The deliveries a PublishDraft run makes: every matching destination not yet delivered
    to; `not_retried`: failed deliveries left alone (destination deactivated) → why."""

    state: str  # the draft's state (approved, or published)
    version: int
    deliveries: list[PlannedDelivery]
    not_retried: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliverInput:
    delivery_id: int
    request_timeout_seconds: float = 10.0


@dataclass(frozen=True)
class DeliverResult:
    status_code: int  # 0: it had been delivered before (nothing sent)


@dataclass(frozen=True)
class GiveUpInput:
    delivery_id: int
    reason: str = ""  # Temporal's, for a delivery that recorded no attempt


@dataclass(frozen=True)
class GiveUpResult:
    failure: str  # the sentence shown for that destination ("" if it was delivered after all)


# Activity names: workflows refer to activities by name, so they never import Django code.
GENERATE_DRAFT = "generate_draft"
OUTLINE_DRAFT = "outline_draft"
WRITE_SECTION = "write_section"
REVISE_PASSAGE = "revise_passage"
PROJECT = "project"  # local activity
READ_STREAMED = "read_streamed"  # local activity: the text so far of a stopped version
DRAIN_OUTBOX = "drain_outbox"
PLAN_DELIVERIES = "plan_deliveries"  # local activity
DELIVER = "deliver"
GIVE_UP_DELIVERY = "give_up_delivery"  # local activity
# v1 runs only
STORE_VERSION = "store_version"
RECORD_EVENT = "record_event"
NOTIFY = "notify"
