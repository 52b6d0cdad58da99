"""The rulebook: every rule of a draft's review, in one Django-free module.

States, event kinds, decision kinds, version kinds; what each decision leads to; which events
close a review, name a decider, bring a new version or send mail to whom; every refusal
sentence; the input limits. The workflow (validators and handlers), the web forms, the
services' shortcut refusals, the projection and reconcile all ask this module, so a rule is
written once and the editor reads the same sentence whichever layer refused.

`refusal(snapshot, request, now)` is the one answer to "may this decision be taken on this
snapshot, and if not, why": a pure function of plain values, tested in milliseconds
(tests/test_lifecycle.py). The workflow builds the snapshot from its own fields; the web
builds it from the draft row (which lags the workflow, so the web only uses it to refuse
early; the workflow has the last word).

Imports only the standard library: the workflow sandbox imports it.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

# ------------------------------------------------------------------ vocabulary


class ReviewState(StrEnum):
    GENERATING = "generating"
    AWAITING_REVIEW = "awaiting_review"
    REVISING = "revising"
    APPROVED = "approved"
    PUBLISHED = "published"  # approved, and accepted by every destination it went to
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


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
    PUBLISHED = "published"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERY_RETRIED = "delivery_retried"
    STEP_APPROVED = "step_approved"  # an approval that does not close the review (policies)

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


class VersionKind(StrEnum):
    GENERATED = "generated"
    REVISED = "revised"
    EDITED = "edited"

    @property
    def label(self) -> str:
        return VERSION_LABELS[self]


class DecisionKind(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"
    APPROVE_WITH_EDITS = "approve_with_edits"
    WITHDRAW = "withdraw"  # the author
    CANCEL = "cancel"  # an admin

    @property
    def label(self) -> str:
        return DECISION_LABELS[self]


STATE_LABELS = {
    ReviewState.GENERATING: "Generating",
    ReviewState.AWAITING_REVIEW: "Awaiting review",
    ReviewState.REVISING: "Revising",
    ReviewState.APPROVED: "Approved",
    ReviewState.PUBLISHED: "Published",
    ReviewState.REJECTED: "Rejected",
    ReviewState.EXPIRED: "Expired",
    ReviewState.WITHDRAWN: "Withdrawn",
    ReviewState.CANCELLED: "Cancelled",
    ReviewState.FAILED: "Failed",
}
EVENT_LABELS = {
    EventKind.SUBMITTED: "Submitted",
    EventKind.GENERATED: "Version written",
    EventKind.REVISED: "Revised version written",
    EventKind.EDITED: "Edited by an editor",
    EventKind.APPROVED: "Approved",
    EventKind.REJECTED: "Rejected",
    EventKind.CHANGES_REQUESTED: "Changes requested",
    EventKind.REMINDED: "Editors reminded",
    EventKind.EXPIRED: "Expired: no decision before the deadline",
    EventKind.WITHDRAWN: "Withdrawn",
    EventKind.CANCELLED: "Cancelled by an admin",
    EventKind.DEADLINE_EXTENDED: "Deadline extended",
    EventKind.FAILED: "Failed",
    EventKind.RETRIED: "Retried",
    EventKind.PUBLISHED: "Published to every destination",
    EventKind.DELIVERY_FAILED: "Delivery failed",
    EventKind.DELIVERY_RETRIED: "Delivery retried",
    EventKind.STEP_APPROVED: "Approved at a step",
}
VERSION_LABELS = {
    VersionKind.GENERATED: "Generated",
    VersionKind.REVISED: "Revised",
    VersionKind.EDITED: "Edited by an editor",
}
DECISION_LABELS = {
    DecisionKind.APPROVE: "Approve",
    DecisionKind.REJECT: "Reject",
    DecisionKind.REQUEST_CHANGES: "Request changes",
    DecisionKind.APPROVE_WITH_EDITS: "Edit & approve",
    DecisionKind.WITHDRAW: "Withdraw",
    DecisionKind.CANCEL: "Cancel",
}
PAST_TENSE = {
    DecisionKind.APPROVE: "approved",
    DecisionKind.APPROVE_WITH_EDITS: "approved with edits",
    DecisionKind.REJECT: "rejected",
    DecisionKind.REQUEST_CHANGES: "sent back for changes",
    DecisionKind.WITHDRAW: "withdrawn",
    DecisionKind.CANCEL: "cancelled",
}

# ------------------------------------------------------------------ transitions and tables

FINAL_STATES = frozenset({ReviewState.APPROVED, ReviewState.PUBLISHED, ReviewState.REJECTED,
                          ReviewState.EXPIRED, ReviewState.WITHDRAWN, ReviewState.CANCELLED,
                          ReviewState.FAILED})
# States with an approved version (its text can be downloaded, and is what was published).
APPROVED_STATES = frozenset({ReviewState.APPROVED, ReviewState.PUBLISHED})
WRITING_STATES = frozenset({ReviewState.GENERATING, ReviewState.REVISING})
PENDING_STATES = frozenset(ReviewState) - FINAL_STATES

# The four decisions an editor takes on the current version, in the order the page shows them.
EDITOR_DECISIONS = (DecisionKind.APPROVE, DecisionKind.REJECT, DecisionKind.REQUEST_CHANGES,
                    DecisionKind.APPROVE_WITH_EDITS)
# Decisions that stop a review whatever it is doing (even while the LLM writes).
STOP_DECISIONS = frozenset({DecisionKind.WITHDRAW, DecisionKind.CANCEL})

# What a decision leads to: the event recorded and the state after it.
OUTCOME: dict[DecisionKind, tuple[EventKind, ReviewState]] = {
    DecisionKind.APPROVE: (EventKind.APPROVED, ReviewState.APPROVED),
    DecisionKind.APPROVE_WITH_EDITS: (EventKind.APPROVED, ReviewState.APPROVED),
    DecisionKind.REJECT: (EventKind.REJECTED, ReviewState.REJECTED),
    DecisionKind.REQUEST_CHANGES: (EventKind.CHANGES_REQUESTED, ReviewState.REVISING),
    DecisionKind.WITHDRAW: (EventKind.WITHDRAWN, ReviewState.WITHDRAWN),
    DecisionKind.CANCEL: (EventKind.CANCELLED, ReviewState.CANCELLED),
}
# Every event and the state a draft is in after it (None: the state does not change).
STATE_AFTER: dict[EventKind, ReviewState | None] = {
    EventKind.SUBMITTED: ReviewState.GENERATING,
    EventKind.GENERATED: ReviewState.AWAITING_REVIEW,
    EventKind.REVISED: ReviewState.AWAITING_REVIEW,
    EventKind.EDITED: None,  # always followed by `approved` in the same write
    EventKind.APPROVED: ReviewState.APPROVED,
    EventKind.REJECTED: ReviewState.REJECTED,
    EventKind.CHANGES_REQUESTED: ReviewState.REVISING,
    EventKind.REMINDED: None,
    EventKind.EXPIRED: ReviewState.EXPIRED,
    EventKind.WITHDRAWN: ReviewState.WITHDRAWN,
    EventKind.CANCELLED: ReviewState.CANCELLED,
    EventKind.DEADLINE_EXTENDED: None,
    EventKind.FAILED: ReviewState.FAILED,
    EventKind.RETRIED: ReviewState.GENERATING,
    # Publishing (the PublishDraft workflow, after the review closed as approved).
    EventKind.PUBLISHED: ReviewState.PUBLISHED,
    EventKind.DELIVERY_FAILED: None,  # stays approved; each destination says why
    EventKind.DELIVERY_RETRIED: None,
    EventKind.STEP_APPROVED: None,  # the review goes on (more approvals, or the next step)
}
# The event that records a review closing in each final state (reconcile uses it; a review
# run never ends as published: that state comes from its publishing afterwards).
EVENT_FOR_FINAL_STATE = {state: event for event, state in STATE_AFTER.items()
                         if state in FINAL_STATES and event != EventKind.PUBLISHED}
# Events a person decided: shown under "Decisions"; the ones that close a review also name
# the decider on the draft.
DECISION_EVENTS = frozenset({EventKind.APPROVED, EventKind.REJECTED, EventKind.CHANGES_REQUESTED,
                             EventKind.EDITED, EventKind.WITHDRAWN, EventKind.CANCELLED,
                             EventKind.STEP_APPROVED})
CLOSING_DECISION_EVENTS = frozenset({EventKind.APPROVED, EventKind.REJECTED,
                                     EventKind.WITHDRAWN, EventKind.CANCELLED})
NEW_VERSION_EVENTS = frozenset({EventKind.GENERATED, EventKind.REVISED})
VERSION_KIND_FOR_EVENT = {EventKind.GENERATED: VersionKind.GENERATED,
                          EventKind.REVISED: VersionKind.REVISED,
                          EventKind.EDITED: VersionKind.EDITED}


class Audience(StrEnum):
    # every active editor but the draft's author; under a multi-step policy, the members of
    # the group of the step the draft is at
    EDITORS = "editors"
    AUTHOR = "author"
    AUTHOR_AND_ADMINS = "author_and_admins"
    ADMINS = "admins"


# Who is mailed about which event, and the subject line ({id}, {topic}).
NOTIFY: dict[EventKind, tuple[Audience, str]] = {
    EventKind.GENERATED: (Audience.EDITORS, "Draft #{id} awaits your review: {topic}"),
    EventKind.REVISED: (Audience.EDITORS, "Revised draft #{id} awaits your review: {topic}"),
    EventKind.REMINDED: (Audience.EDITORS,
                         "Reminder: draft #{id} is waiting for review: {topic}"),
    EventKind.APPROVED: (Audience.AUTHOR, "Your draft #{id} was approved: {topic}"),
    EventKind.REJECTED: (Audience.AUTHOR, "Your draft #{id} was rejected: {topic}"),
    EventKind.CHANGES_REQUESTED: (Audience.AUTHOR,
                                  "Changes requested on your draft #{id}: {topic}"),
    EventKind.EXPIRED: (Audience.AUTHOR_AND_ADMINS,
                        "Draft #{id} expired without a review: {topic}"),
    EventKind.CANCELLED: (Audience.AUTHOR,
                          "The review of your draft #{id} was cancelled: {topic}"),
    # Only when the approval completed a step (the workflow says so): the next step's group.
    EventKind.STEP_APPROVED: (Audience.EDITORS,
                              "Draft #{id} awaits your review at the next step: {topic}"),
    EventKind.DELIVERY_FAILED: (Audience.ADMINS,
                                "Approved draft #{id} could not be delivered: {topic}"),
}

# ------------------------------------------------------------------ limits

TOPIC_MAX = 200
BRIEF_MAX = 4000
AUDIENCE_MAX = 200
TONE_MAX = 100
COMMENT_MAX = 4000
TEXT_MAX = 100_000
MAX_EXTENSIONS = 10
MIN_EXTENSION_SECONDS = 60.0
MAX_EXTENSION_SECONDS = 30 * 24 * 3600.0
# Target lengths the author can pick (words, label).
LENGTHS = ((300, "Short (about 300 words)"), (600, "Medium (about 600 words)"),
           (1200, "Long (about 1,200 words)"))
DEFAULT_LENGTH = 600


# C0 controls and DEL, except tab and line breaks; line breaks (CR, LF and Unicode's) apart.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


def text_problem(value: str, what: str, limit: int, *, line: bool = False) -> str:
    """A sentence saying what is wrong with a piece of user text, or "" if nothing.
    PostgreSQL cannot store U+0000, so a NUL byte is refused at every boundary; other control
    characters too, and line breaks where one line is meant (`line`: a topic, a mail
    subject)."""
    if "\x00" in value:
        return f"{what} contains a NUL character (U+0000), which cannot be stored; remove it."
    if line and _LINE_BREAK.search(value):
        return f"{what} must be one line; remove the line break."
    if control := _CONTROL.search(value):
        return (f"{what} contains a control character (U+{ord(control.group()):04X}); "
                "remove it.")
    if len(value) > limit:
        return (f"{what} is too long: at most {limit:,} characters (it has {len(value):,}).")
    return ""


# The brief's fields: (label, limit, one line?). Plain text: the LLM gets them verbatim.
BRIEF_FIELDS = {
    "topic": ("The topic", TOPIC_MAX, True),
    "brief": ("The brief", BRIEF_MAX, False),
    "audience": ("The audience", AUDIENCE_MAX, True),
    "tone": ("The tone", TONE_MAX, True),
}


def brief_problems(**values: str) -> dict[str, str]:
    """{field: sentence} for each brief field (topic, brief, audience, tone) that is wrong;
    empty when all are fine. The form and the submit service both ask this."""
    problems = {}
    for field, value in values.items():
        what, limit, line = BRIEF_FIELDS[field]
        if field == "topic" and not value.strip():
            problems[field] = "Enter a topic."
        elif problem := text_problem(value, what, limit, line=line):
            problems[field] = problem
        elif _TAG.search(value):
            problems[field] = f"{what} must be plain text, not HTML."
    return problems


# ------------------------------------------------------------------ the decision rule


# ------------------------------------------------------------------ review policies

# The group of people who review under the default policy (Django group of that name; admins
# may do what its members do).
EDITORS_GROUP = "Editors"
STEP_NAME_MAX = 100
MAX_STEPS = 10
MAX_REQUIRED = 20


@dataclass(frozen=True)
class ReviewStep:
    """One step of a review policy: `required` distinct members of `group`, or outside
    approvers named by email (`outside`, people without an account, who decide through a
    signed link), approve the same version. `review_seconds`: the step's own deadline (0:
    the review's)."""

    name: str
    group: str
    required: int = 1
    review_seconds: float = 0.0
    outside: list[str] = dataclasses.field(default_factory=list)

    def takes(self, email: str) -> bool:
        return email.strip().lower() in {e.strip().lower() for e in self.outside}


def outside_actor_id(email: str) -> int:
    """A stable id for an outside approver (no account): negative, so never a user's."""
    return -1 - (zlib.crc32(email.strip().lower().encode()) & 0x7FFFFFFF)


@dataclass(frozen=True)
class ReviewPolicy:
    """Ordered steps; `distinct_across_steps`: one person counts at most once in the whole
    chain (separation of duties). Copied into the review when it starts: editing a policy
    changes new drafts only."""

    name: str = "Default"
    steps: list[ReviewStep] = dataclasses.field(default_factory=lambda: [
        ReviewStep("Review", EDITORS_GROUP, 1)])
    distinct_across_steps: bool = False

    @property
    def is_chain(self) -> bool:
        """More than today's one approval by one editor."""
        return len(self.steps) > 1 or self.steps[0].required > 1


DEFAULT_POLICY = ReviewPolicy()


def policy_from_data(data: dict | None) -> ReviewPolicy:
    """A policy stored as JSON (dataclasses.asdict of one); empty: the default policy."""
    if not data:
        return DEFAULT_POLICY
    return ReviewPolicy(name=data["name"], steps=[ReviewStep(**step) for step in data["steps"]],
                        distinct_across_steps=data.get("distinct_across_steps", False))


def policy_problems(policy: ReviewPolicy) -> list[str]:
    """What is wrong with a policy an admin defines (one sentence each; empty when fine)."""
    problems = []
    if not policy.steps:
        problems.append("A policy needs at least one step.")
    if len(policy.steps) > MAX_STEPS:
        problems.append(f"A policy has at most {MAX_STEPS} steps.")
    for number, step in enumerate(policy.steps, 1):
        if not step.group and not step.outside:
            problems.append(f"Step {number} ({step.name}) needs a group or outside approvers.")
        if any("@" not in e or len(e.split()) != 1 for e in step.outside):
            problems.append(f"Step {number} ({step.name}): outside approvers are email "
                            "addresses, one per line.")
        if not step.group and step.required > len(step.outside):
            problems.append(f"Step {number} ({step.name}) needs {step.required} approvals but "
                            f"names {len(step.outside)} outside approvers and no group.")
        if not 1 <= step.required <= MAX_REQUIRED:
            problems.append(f"Step {number} ({step.name}) must need between 1 and "
                            f"{MAX_REQUIRED} approvals.")
        if step.review_seconds and not (
                MIN_EXTENSION_SECONDS <= step.review_seconds <= MAX_EXTENSION_SECONDS):
            problems.append(f"Step {number} ({step.name}): a deadline is between a minute "
                            "and 30 days.")
    return problems


@dataclass(frozen=True)
class Approval:
    """An approval counted in the current round (since the version that started at step 1)."""

    actor_id: int
    actor: str
    step: int  # index into the policy's steps
    version: int


@dataclass(frozen=True)
class Decided:
    """A decision in flight or the one that closed the review."""

    kind: DecisionKind
    actor: str
    at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """What the rule needs to know about a review. `text` is the current version's text when
    known ("" = unknown: the unchanged-edit rule is then left to the workflow)."""

    state: ReviewState
    version: int
    author_id: int
    revisions: int = 0
    max_revisions: int = 3
    deadline: datetime | None = None
    decided: Decided | None = None
    text: str = ""
    extensions: int = 0
    reminder_pending: bool = False
    policy: ReviewPolicy = DEFAULT_POLICY
    due_at: datetime | None = None  # the author's due date: no deadline goes past it
    step: int = 0  # the current step (index into policy.steps)
    approvals: tuple[Approval, ...] = ()  # this round's, accepted so far (recorded or not)


@dataclass(frozen=True)
class Request:
    """A decision someone asks for. `version` is the version they read (None for withdraw and
    cancel, which apply to whatever is current); `expires_at` is when the caller stops waiting
    for the answer: after it the decision is refused, so "not recorded" stays true."""

    kind: DecisionKind
    actor_id: int
    version: int | None = None
    comment: str = ""
    text: str = ""
    expires_at: datetime | None = None
    # The reviewer's groups (admins: also EDITORS_GROUP), for step eligibility; None = not
    # said (signals from the CLI, callers from before policies): not checked.
    actor_groups: frozenset[str] | None = None
    step: int | None = None  # the step the reviewer saw (None: not said, not checked)
    outside_email: str = ""  # an outside approver's, deciding through their link


@dataclass(frozen=True)
class Refusal:
    code: str  # stable, for programs: AlreadyDecided, StaleVersion, …
    sentence: str  # for people, shown as is
    field: str = ""  # the input at fault, for forms: "comment", "text", "version"

    def __str__(self) -> str:
        return self.sentence


def refuse_already_decided(decided: Decided) -> Refusal:
    if decided.kind == DecisionKind.REQUEST_CHANGES:
        when = f" (at {decided.at:%H:%M} UTC)" if decided.at else ""
        return Refusal("AlreadyDecided", f"{decided.actor} just requested changes{when}; "
                                         "wait for the new version.")
    when = f" at {decided.at:%H:%M} UTC" if decided.at else ""
    return Refusal("AlreadyDecided",
                   f"This draft was already {PAST_TENSE[decided.kind]} by {decided.actor}{when}.")


CLOSED_SENTENCES = {
    ReviewState.EXPIRED: "This draft expired; its review deadline has passed.",
    ReviewState.WITHDRAWN: "The author withdrew this draft; it takes no more decisions.",
    ReviewState.CANCELLED: "An admin cancelled this review; it takes no more decisions.",
    ReviewState.FAILED: "Writing this draft failed; it takes no decisions until the author "
                        "retries it.",
    ReviewState.APPROVED: "This draft was already approved; it takes no more decisions.",
    ReviewState.PUBLISHED: "This draft was approved and published; it takes no more "
                           "decisions.",
    ReviewState.REJECTED: "This draft was already rejected; it takes no more decisions.",
}
OWN_DRAFT = "You wrote this draft's topic; another editor must review it."
NOT_AUTHOR = "Only the draft's author can withdraw it."
LATE = ("This decision arrived after its sender had stopped waiting for an answer, so it was "
        "not recorded; decide again.")
REVIEW_ENDED = "This draft's review has already ended."


def _invalid(sentence: str, field: str = "") -> Refusal:
    return Refusal("Invalid", sentence, field)


def input_refusal(request: Request) -> Refusal | None:
    """The checks on the request alone (no snapshot): text limits and required fields."""
    problem = text_problem(request.comment, "The comment", COMMENT_MAX)
    if problem:
        return _invalid(problem, "comment")
    problem = text_problem(request.text, "The edited text", TEXT_MAX)
    if problem:
        return _invalid(problem, "text")
    kind = request.kind
    if kind == DecisionKind.REJECT and not request.comment.strip():
        return _invalid("A rejection needs a reason.", "comment")
    if kind == DecisionKind.REQUEST_CHANGES and not request.comment.strip():
        return _invalid("Requesting changes needs feedback for the writer.", "comment")
    if kind == DecisionKind.APPROVE_WITH_EDITS and not request.text.strip():
        return _invalid("The edited text is empty.", "text")
    if kind in EDITOR_DECISIONS and (request.version is None or request.version < 1):
        return _invalid("Say which version you reviewed (a version number from 1).", "version")
    return None


def own_draft_refusal(author_id: int, actor_id: int) -> Refusal | None:
    """An editor never decides on a draft they submitted (asked first by the web, which
    answers it with 403 before reading the form)."""
    return Refusal("OwnDraft", OWN_DRAFT) if actor_id == author_id else None


# The decision a draft closed in this state was taken with (for "already … by …").
DECISION_FOR_CLOSED_STATE = {ReviewState.APPROVED: DecisionKind.APPROVE,
                             ReviewState.PUBLISHED: DecisionKind.APPROVE,
                             ReviewState.REJECTED: DecisionKind.REJECT}


def refusal_if_late(expires_at: datetime | None, now: datetime) -> Refusal | None:
    """A request whose sender stopped waiting is refused, so "not recorded" stays true."""
    if expires_at is not None and now > expires_at:
        return Refusal("Late", LATE)
    return None


def refusal(snap: Snapshot, request: Request, now: datetime) -> Refusal | None:
    """Why `request` may not be taken on `snap` at `now`, or None when it may."""
    late = refusal_if_late(request.expires_at, now)
    if late is not None:
        return late
    bad_input = input_refusal(request)
    if bad_input is not None:
        return bad_input
    if snap.decided is not None:
        return refuse_already_decided(snap.decided)
    if snap.state in FINAL_STATES:
        return Refusal("Closed", CLOSED_SENTENCES[snap.state])
    kind = request.kind
    if kind == DecisionKind.WITHDRAW:
        if request.actor_id != snap.author_id:
            return Refusal("NotAuthor", NOT_AUTHOR)
        return None
    if kind == DecisionKind.CANCEL:
        return None
    own = own_draft_refusal(snap.author_id, request.actor_id)
    if own is not None:
        return own
    if snap.state != ReviewState.AWAITING_REVIEW:
        return Refusal("NotAwaiting", f"This draft is {snap.state.label.lower()}, not awaiting "
                                      "review; wait for the new version.")
    if snap.deadline is not None and now >= snap.deadline:
        return Refusal("Expired", CLOSED_SENTENCES[ReviewState.EXPIRED])
    assert request.version is not None  # input_refusal checked it
    if request.version < snap.version:
        return Refusal("StaleVersion", f"A newer version exists (version {snap.version}; you "
                                       f"reviewed version {request.version}). Reload to review "
                                       "it.")
    if request.version > snap.version:
        return Refusal("UnknownVersion", f"There is no version {request.version} of this draft "
                                         f"yet; the current one is version {snap.version}. "
                                         "Reload the page.")
    step_refusal = _step_refusal(snap, request)
    if step_refusal is not None:
        return step_refusal
    if kind == DecisionKind.REQUEST_CHANGES and snap.revisions >= snap.max_revisions:
        return Refusal("TooManyRevisions", f"This draft has had {snap.revisions} revisions, the "
                                           "most allowed; approve or reject it.")
    if kind == DecisionKind.APPROVE_WITH_EDITS and snap.text and request.text == snap.text:
        return _invalid("The edited text is unchanged; use Approve instead.", "text")
    return None


def step_words(policy: ReviewPolicy, step: int) -> str:
    """ "step 2 of 3, Legal" (or "" for a one-step policy)."""
    if len(policy.steps) == 1:
        return ""
    return f"step {step + 1} of {len(policy.steps)}, {policy.steps[step].name}"


def step_approvals(snap: Snapshot) -> list[Approval]:
    """The approvals that count toward the current step: its own, of the current version."""
    return [a for a in snap.approvals if a.step == snap.step and a.version == snap.version]


def decides_at(step: ReviewStep, actor_groups: Iterable[str]) -> bool:
    """Does a reviewer in these groups decide at this step? (Outside approvers decide by
    their email, through their link: ReviewStep.takes.)"""
    return bool(step.group) and step.group in actor_groups


def eligibility_refusal(policy: ReviewPolicy, step: int, actor_groups: Iterable[str]
                        ) -> Refusal | None:
    """Refused unless a reviewer in these groups decides at the policy's step."""
    current = policy.steps[step]
    if decides_at(current, actor_groups):
        return None
    where = step_words(policy, step)
    if not current.group:
        return Refusal("NotEligible", f"Only the outside approvers named at "
                                      f"{where or 'this step'} decide it.")
    who = f"This draft is at {where}, which members of" if where else "Members of"
    return Refusal("NotEligible", f"{who} {current.group} decide; you are not one of them.")


def _step_refusal(snap: Snapshot, request: Request) -> Refusal | None:
    """The policy's rules for an editor's decision at the current step."""
    policy, current = snap.policy, snap.policy.steps[snap.step]
    where = step_words(policy, snap.step)
    if request.step is not None and request.step != snap.step:
        if request.step < snap.step:
            seen = policy.steps[request.step] if request.step < len(policy.steps) else None
            name = f" ({seen.name})" if seen else ""
            return Refusal("StepMoved", f"Step {request.step + 1}{name} already has its "
                                        f"approvals; this draft is now at {where}. Reload "
                                        "the page.")
        return Refusal("StepMoved", f"This draft is at {where or 'its only step'}, not step "
                                    f"{request.step + 1}. Reload the page.")
    if request.outside_email:
        if not current.takes(request.outside_email):
            return Refusal("NotEligible", f"This draft is at {where or 'review'}, which "
                                          f"{request.outside_email} does not decide.")
        if request.kind == DecisionKind.APPROVE_WITH_EDITS:
            return _invalid("Outside approvers approve, reject or request changes; they do "
                            "not edit.")
    elif request.actor_groups is not None and (
            not_eligible := eligibility_refusal(policy, snap.step, request.actor_groups)):
        return not_eligible
    if request.kind not in (DecisionKind.APPROVE, DecisionKind.APPROVE_WITH_EDITS):
        return None
    if request.kind == DecisionKind.APPROVE and any(
            a.actor_id == request.actor_id for a in step_approvals(snap)):
        left = current.required - len(step_approvals(snap))
        return Refusal("AlreadyApproved", f"You already approved version {snap.version}"
                                          f"{' at ' + where if where else ''}; it needs {left} "
                                          f"more approval{'s' if left != 1 else ''} from "
                                          f"{current.group}, by other people.")
    if policy.distinct_across_steps:
        earlier = [a for a in snap.approvals if a.actor_id == request.actor_id
                   and a.step < snap.step]
        if earlier:
            return Refusal("SeparationOfDuties", (
                f"You approved this draft at {step_words(policy, earlier[0].step)}; this "
                "policy needs different people at each step."))
    return None


def after_approval(snap: Snapshot, actor_id: int, edited: bool = False
                   ) -> tuple[EventKind, int]:
    """What an accepted approval leads to: (APPROVED, step) when it completes the last step,
    else (STEP_APPROVED, the step the review is at after it). An edit is a new version, so
    only its author's approval counts toward the step."""
    count = 1 if edited else len(step_approvals(snap)) + 1
    if count < snap.policy.steps[snap.step].required:
        return EventKind.STEP_APPROVED, snap.step
    if snap.step + 1 < len(snap.policy.steps):
        return EventKind.STEP_APPROVED, snap.step + 1
    return EventKind.APPROVED, snap.step


@dataclass(frozen=True)
class StepProgress:
    """One step on the progress line: done, current or waiting, and who approved at it."""

    number: int  # from 1
    rule: ReviewStep
    status: str  # "done", "current", "waiting" (presentation words, not states)
    names: tuple[str, ...]

    @property
    def is_done(self) -> bool:
        return self.status == "done"

    @property
    def is_current(self) -> bool:
        return self.status == "current"

    @property
    def summary(self) -> str:
        """ "1 of 2 approvals: legal1" for the current step; the names for a done one."""
        who = ", ".join(self.names)
        if self.status == "current":
            return (f"{len(self.names)} of {self.rule.required} approval"
                    f"{'s' if self.rule.required != 1 else ''}" + (f": {who}" if who else ""))
        return who


def step_progress(policy: ReviewPolicy, step: int, approvals: list[Approval], version: int,
                  final: bool = False) -> list[StepProgress]:
    """Each step with its status and the names counted at it (a done step's approvals of any
    version of this round; the current step's of the current version only)."""
    rows = []
    for index, rule in enumerate(policy.steps):
        done = index < step or final
        names = tuple(a.actor for a in approvals
                      if a.step == index and (done or a.version == version))
        status = "done" if done else "current" if index == step else "waiting"
        rows.append(StepProgress(index + 1, rule, status, names))
    return rows


def current_details(state: ReviewState, version: int, policy: ReviewPolicy, step: int,
                    approvals: list[Approval]) -> str:
    """What the Temporal UI shows as the review's current details: the state, the version
    and, under a chain, every step with its count. Counts only, never names: no personal data
    leaves the database for the engine's UI."""
    lines = [f"**{state.label}**, version {version}"]
    if policy.is_chain and state == ReviewState.AWAITING_REVIEW:
        for row in step_progress(policy, step, approvals, version):
            mark = {"done": "✓", "current": "→"}.get(row.status, "·")
            count = ("done" if row.is_done else f"{len(row.names)} of {row.rule.required}"
                     if row.is_current else f"{row.rule.required} needed")
            lines.append(f"{mark} step {row.number}, {row.rule.name}: {count}")
    return "\n".join(lines)


def extension_refusal(snap: Snapshot, seconds: float, now: datetime) -> Refusal | None:
    """May an admin move the deadline by `seconds`?"""
    if snap.state != ReviewState.AWAITING_REVIEW or snap.decided is not None:
        return Refusal("NotAwaiting", "Only a draft awaiting review has a deadline to extend.")
    if not MIN_EXTENSION_SECONDS <= seconds <= MAX_EXTENSION_SECONDS:
        return _invalid("An extension must be between a minute and 30 days.", "seconds")
    if snap.extensions >= MAX_EXTENSIONS:
        return Refusal("TooManyExtensions",
                       f"The deadline was already extended {MAX_EXTENSIONS} times.")
    if snap.deadline is not None and now >= snap.deadline:
        return Refusal("Expired", CLOSED_SENTENCES[ReviewState.EXPIRED])
    if snap.due_at is not None and snap.deadline is not None and snap.deadline >= snap.due_at:
        return Refusal("DueDate", f"The deadline is already the author's due date "
                                  f"({snap.due_at:%Y-%m-%d %H:%M} UTC); it cannot go past it.")
    return None


def reminder_refusal(snap: Snapshot) -> Refusal | None:
    """May an admin send the editors a reminder now?"""
    if snap.state != ReviewState.AWAITING_REVIEW or snap.decided is not None:
        return Refusal("NotAwaiting", "Only a draft awaiting review can have a reminder sent.")
    if snap.reminder_pending:
        return Refusal("Busy", "A reminder is already being sent.")
    return None


def in_flight_refusal(in_flight: int, cap: int) -> Refusal | None:
    """May an author with `in_flight` drafts not yet decided submit another? (cap 0: no cap)"""
    if cap and in_flight >= cap:
        return Refusal("TooManyInFlight", (
            f"You have {in_flight} drafts in progress, the most an author may have at once. "
            "Wait until one is decided, or withdraw one, then submit this topic again."))
    return None


def retry_refusal(state: ReviewState) -> Refusal | None:
    """May the author start a failed draft again?"""
    if state != ReviewState.FAILED:
        return Refusal("NotFailed", "Only a failed draft can be retried.")
    return None


def withdraw_refusal(state: ReviewState) -> Refusal | None:
    """The web's early answer to a withdrawal of a closed draft."""
    if state in FINAL_STATES:
        return Refusal("Closed", f"This draft is already {state.label.lower()}; there is "
                                 "nothing to withdraw.")
    return None


# ------------------------------------------------------------------ deadlines and wording


def capped(deadline: datetime, remind_at: datetime, due_at: datetime | None
           ) -> tuple[datetime, datetime]:
    """(deadline, reminder) never past the author's due date (the reminder keeps its share
    of the time left)."""
    if due_at is None or deadline <= due_at:
        return deadline, remind_at
    return due_at, min(remind_at, due_at)


def deadlines(now: datetime, review_seconds: float, remind_after_seconds: float
              ) -> tuple[datetime, datetime]:
    """(deadline, reminder time) for a version published at `now`."""
    return now + timedelta(seconds=review_seconds), now + timedelta(seconds=remind_after_seconds)


def step_deadlines(now: datetime, step: ReviewStep, review_seconds: float,
                   remind_after_seconds: float) -> tuple[datetime, datetime]:
    """(deadline, reminder time) for a step that starts at `now`: its own time if it has one
    (the reminder at the same share of it), else the review's."""
    if not step.review_seconds:
        return deadlines(now, review_seconds, remind_after_seconds)
    share = remind_after_seconds / review_seconds if review_seconds else 1.0
    return deadlines(now, step.review_seconds, step.review_seconds * share)


def vote_message(policy: ReviewPolicy, actor: str, step_before: int, step_after: int,
                 counted: int) -> str:
    """The answer to an approval that does not close the review."""
    if step_after > step_before:
        return (f"Approved by {actor}: {step_words(policy, step_before)} is complete; the "
                f"draft goes to {step_words(policy, step_after)}.")
    rule = policy.steps[step_before]
    where = step_words(policy, step_before)
    return (f"Approved by {actor}: {counted} of {rule.required} approvals"
            f"{' at ' + where if where else ''}.")


def extended(deadline: datetime, seconds: float, review_seconds: float,
             remind_after_seconds: float) -> tuple[datetime, datetime]:
    """(deadline, reminder time) after an extension: the reminder keeps its distance."""
    new_deadline = deadline + timedelta(seconds=seconds)
    return new_deadline, new_deadline - timedelta(seconds=review_seconds - remind_after_seconds)


def duration_words(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:g} h" if hours >= 1 else f"{seconds / 60:g} min"


def decided_message(kind: DecisionKind, actor: str) -> str:
    return f"{PAST_TENSE[kind].capitalize()} by {actor}."


def write_failed(kinds: tuple[EventKind, ...], reason: str) -> str:
    """What a review that could not record a step says (its `failed` event, the decision's
    answer): the step, the database's reason (one line, bounded), and what to do."""
    reason = _CONTROL.sub("", " ".join(reason.split()))[:300]
    steps = " and ".join(EVENT_LABELS[kind].lower() for kind in kinds)
    return (f"Could not record this step ({steps}): {reason}. Nothing of it was saved and the "
            "review stopped here; the author can retry.")


# ------------------------------------------------------------------ urgency

class Priority(IntEnum):
    NORMAL = 0
    HIGH = 1

    @property
    def label(self) -> str:
        return PRIORITY_LABELS[self]


PRIORITY_LABELS = {Priority.NORMAL: "Normal", Priority.HIGH: "High"}
MIN_DUE_SECONDS = 3600.0  # a due date at least an hour ahead: editors need time to decide
MAX_DUE_SECONDS = 365 * 24 * 3600.0


def due_problem(due_at: datetime | None, now: datetime) -> str:
    """A sentence saying what is wrong with a due date ("" when fine or none)."""
    if due_at is None:
        return ""
    if due_at.tzinfo is None:
        return "Give the due date with its time zone."
    if (due_at - now).total_seconds() < MIN_DUE_SECONDS:
        return "The due date must be at least an hour from now."
    if (due_at - now).total_seconds() > MAX_DUE_SECONDS:
        return "The due date must be within a year."
    return ""


# ------------------------------------------------------------------ bulk decisions

BULK_MAX = 25  # drafts per bulk decision: each is its own Update, answered on one page
BULK_DECISIONS = (DecisionKind.APPROVE, DecisionKind.REJECT)


def bulk_refusal(count: int, kind: DecisionKind, comment: str) -> Refusal | None:
    """May an editor send `kind` to `count` drafts at once? (Each draft's own rules are its
    workflow's, answered per draft.)"""
    if kind not in BULK_DECISIONS:
        return _invalid("Several drafts at once can only be approved or rejected.", "decision")
    if count == 0:
        return _invalid("Select at least one draft.", "drafts")
    if count > BULK_MAX:
        return _invalid(f"Select at most {BULK_MAX} drafts at once (you selected {count}).",
                        "drafts")
    return input_refusal(Request(kind, 0, 1, comment=comment))


# ------------------------------------------------------------------ claims

MIN_CLAIM_SECONDS = 60.0
MAX_CLAIM_SECONDS = 8 * 3600.0


def claim_refusal(state: ReviewState, holder: str, holder_id: int | None,
                  until: datetime | None, actor_id: int, now: datetime) -> Refusal | None:
    """May `actor_id` claim a draft ("I'm reviewing this")? Its holder may renew; anyone may
    take a claim that ran out."""
    if state != ReviewState.AWAITING_REVIEW:
        return Refusal("NotAwaiting", "Only a draft awaiting review can be claimed.")
    if holder_id is not None and holder_id != actor_id and until is not None and until > now:
        return Refusal("Claimed", claimed_sentence(holder, until))
    return None


def claimed_sentence(holder: str, until: datetime) -> str:
    return f"{holder} is reviewing this draft until {until:%H:%M} UTC."


def claim_override_refusal(holder: str, holder_id: int | None, until: datetime | None,
                           actor_id: int, now: datetime, confirmed: bool) -> Refusal | None:
    """A decision on a draft someone else has claimed needs the decider's confirmation."""
    if (holder_id is None or holder_id == actor_id or until is None or until <= now
            or confirmed):
        return None
    return Refusal("Claimed", claimed_sentence(holder, until) + " Confirm that you want to "
                              "decide anyway.", "confirm_claim")


# ------------------------------------------------------------------ publishing

# A draft's channel: which destinations get it when approved (blank: only those for every
# channel). A short slug, so it reads the same in the form, the API and the admin.
CHANNEL_MAX = 50
_CHANNEL = re.compile(r"[a-z0-9][a-z0-9_-]*")


def channel_problem(value: str) -> str:
    """A sentence saying what is wrong with a channel name, or "" if nothing ("" is fine)."""
    if not value:
        return ""
    if problem := text_problem(value, "The channel", CHANNEL_MAX, line=True):
        return problem
    if not _CHANNEL.fullmatch(value):
        return ("The channel must be lower-case letters, digits, '-' or '_' (for example "
                "'blog' or 'newsletter-en').")
    return ""


class DeliveryStatus(StrEnum):
    """One destination's delivery of an approved draft."""

    PENDING = "pending"  # being delivered (retried with backoff until it succeeds or gives up)
    DELIVERED = "delivered"  # the destination answered 2xx
    FAILED = "failed"  # given up: refused (4xx), or still failing when the window closed

    @property
    def label(self) -> str:
        return DELIVERY_LABELS[self]


DELIVERY_LABELS = {
    DeliveryStatus.PENDING: "Delivering",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.FAILED: "Delivery failed",
}


def delivery_retryable(status_code: int) -> bool:
    """Is an HTTP answer worth trying again? 2xx is success; a 4xx means the request itself
    is refused, and the same request will be refused again, except 408 (timeout) and 429
    (slow down); anything else (3xx, 5xx) may pass later."""
    return not (400 <= status_code < 500) or status_code in (408, 429)


def delivery_failed(attempts: int, elapsed_seconds: float, last_error: str) -> str:
    """Why a destination did not get a draft: how long it was tried and its last answer."""
    tries = "1 attempt" if attempts == 1 else f"{attempts or 'no answered'} attempts"
    over = f" over {duration_words(elapsed_seconds)}" if elapsed_seconds >= 60 else ""
    last_error = _CONTROL.sub("", " ".join(last_error.split()))[:300] or "none recorded"
    return f"Delivery failed after {tries}{over}; last error: {last_error}."


def not_published(failed: dict[str, str]) -> str:
    """The `delivery_failed` event's comment: each destination that did not get the draft."""
    return "; ".join(f"{name}: {sentence}" for name, sentence in sorted(failed.items()))


DELIVERING = ("This draft is being delivered right now; wait until every destination has "
              "accepted it or been given up.")


def retry_delivery_refusal(state: ReviewState, undelivered: int) -> Refusal | None:
    """May an admin deliver an approved draft again to the destinations that did not get it?
    (Whether a run is delivering right now is the engine's to say: it refuses a second run
    with DELIVERING, and a row left pending by a run that was terminated can be retried.)"""
    if state not in APPROVED_STATES:
        return Refusal("NotApproved", "Only an approved draft is delivered.")
    if not undelivered:
        return Refusal("NothingFailed", "No delivery of this draft failed; there is nothing "
                                        "to retry.")
    return None
