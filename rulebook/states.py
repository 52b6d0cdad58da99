"""The vocabulary: states, event kinds, version kinds, decision kinds, their labels, and the
tables that say what each decision leads to, which events close a review, name a decider,
bring a new version, and who is mailed about which event (NOTIFY).

The one home of the state names: no other file writes "awaiting_review" as a string
(tests/test_one_home.py); it asks ReviewState. The lowest module of the rulebook: it imports
nothing of it.
"""

from __future__ import annotations

from enum import StrEnum

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
    SUGGESTED = "suggested"  # a rewrite of one commented passage, to accept or reject
    WRITING_STOPPED = "writing_stopped"  # a revision stopped and discarded (rulebook.writing)
    # Checks before a human reads (rulebook.checks): a version stored and sent back to the LLM
    # for its blocking findings; the version the LLM wrote for them, awaiting review.
    SENT_BACK = "sent_back_by_checks"
    REVISED_FOR_CHECKS = "revised_for_checks"
    CHECK_ROUND_FAILED = "check_round_failed"  # the LLM failed it: the version goes to review
    RECHECKED = "rechecked"  # an editor ran the checks again on the version awaiting review
    ESCALATED = "escalated"  # a step went its escalation time without a decision (policies)

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


class VersionKind(StrEnum):
    GENERATED = "generated"
    REVISED = "revised"
    EDITED = "edited"
    CHECKED = "revised_for_checks"  # written by the LLM for the checks' findings

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
    # The workbench (rulebook.suggestions): the review goes on after them.
    EDIT = "edit"  # a version from the editor's choices among the changes
    SUGGEST = "suggest"  # a rewrite of one commented passage, asked of the LLM

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
    EventKind.SUGGESTED: "Rewrite suggested",
    EventKind.WRITING_STOPPED: "Revision stopped and discarded",
    EventKind.SENT_BACK: "Sent back to the LLM by the checks",
    EventKind.REVISED_FOR_CHECKS: "Revised for the checks",
    EventKind.CHECK_ROUND_FAILED: "Automatic round failed: the version goes to review",
    EventKind.RECHECKED: "Checks run again",
    EventKind.ESCALATED: "Escalated",
}
VERSION_LABELS = {
    VersionKind.GENERATED: "Generated",
    VersionKind.REVISED: "Revised",
    VersionKind.EDITED: "Edited by an editor",
    VersionKind.CHECKED: "Revised for checks",
}
DECISION_LABELS = {
    DecisionKind.APPROVE: "Approve",
    DecisionKind.REJECT: "Reject",
    DecisionKind.REQUEST_CHANGES: "Request changes",
    DecisionKind.APPROVE_WITH_EDITS: "Edit & approve",
    DecisionKind.WITHDRAW: "Withdraw",
    DecisionKind.CANCEL: "Cancel",
    DecisionKind.EDIT: "Apply my choices",
    DecisionKind.SUGGEST: "Suggest a rewrite",
}
PAST_TENSE = {
    DecisionKind.APPROVE: "approved",
    DecisionKind.APPROVE_WITH_EDITS: "approved with edits",
    DecisionKind.REJECT: "rejected",
    DecisionKind.REQUEST_CHANGES: "sent back for changes",
    DecisionKind.WITHDRAW: "withdrawn",
    DecisionKind.CANCEL: "cancelled",
    DecisionKind.EDIT: "edited from suggestions",
    DecisionKind.SUGGEST: "given a suggested rewrite",
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
# Decisions on the version someone read (they say which); those that carry an edited text;
# those that rewrite commented passages; those outside approvers do not take (no comments).
VERSION_DECISIONS = frozenset(EDITOR_DECISIONS) | {DecisionKind.EDIT, DecisionKind.SUGGEST}
EDITING_DECISIONS = frozenset({DecisionKind.APPROVE_WITH_EDITS, DecisionKind.EDIT})
PASSAGE_DECISIONS = frozenset({DecisionKind.REQUEST_CHANGES, DecisionKind.SUGGEST})
WORKBENCH_DECISIONS = frozenset({DecisionKind.APPROVE_WITH_EDITS, DecisionKind.EDIT,
                                 DecisionKind.SUGGEST})

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
    # followed by `approved` or `step_approved` in the same write, or alone: a version made
    # from the editor's choices among the changes (rulebook.suggestions), the review goes on
    EventKind.EDITED: None,
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
    EventKind.SUGGESTED: None,
    EventKind.WRITING_STOPPED: ReviewState.AWAITING_REVIEW,  # on the previous version
    EventKind.SENT_BACK: ReviewState.REVISING,  # the version stored, the LLM revises it
    EventKind.REVISED_FOR_CHECKS: ReviewState.AWAITING_REVIEW,
    EventKind.CHECK_ROUND_FAILED: ReviewState.AWAITING_REVIEW,  # on the version sent back
    EventKind.RECHECKED: None,
    EventKind.ESCALATED: None,  # the review waits on (or the expiry that follows ends it)
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
NEW_VERSION_EVENTS = frozenset({EventKind.GENERATED, EventKind.REVISED, EventKind.SENT_BACK,
                                EventKind.REVISED_FOR_CHECKS})
# (A version sent back by the checks keeps the kind it was written as.)
VERSION_KIND_FOR_EVENT = {EventKind.GENERATED: VersionKind.GENERATED,
                          EventKind.REVISED: VersionKind.REVISED,
                          EventKind.EDITED: VersionKind.EDITED,
                          EventKind.REVISED_FOR_CHECKS: VersionKind.CHECKED}


class Audience(StrEnum):
    # every active editor but the draft's author; under a multi-step policy, the members of
    # the group of the step the draft is at
    EDITORS = "editors"
    AUTHOR = "author"
    AUTHOR_AND_ADMINS = "author_and_admins"
    ADMINS = "admins"
    ESCALATION = "escalation"  # the members of the escalation group of the draft's step


# Who is mailed about which event, and the subject line ({id}, {topic}).
NOTIFY: dict[EventKind, tuple[Audience, str]] = {
    EventKind.GENERATED: (Audience.EDITORS, "Draft #{id} awaits your review: {topic}"),
    EventKind.REVISED: (Audience.EDITORS, "Revised draft #{id} awaits your review: {topic}"),
    EventKind.REVISED_FOR_CHECKS: (Audience.EDITORS,
                                   "Draft #{id} awaits your review (revised for checks): "
                                   "{topic}"),
    EventKind.CHECK_ROUND_FAILED: (Audience.EDITORS, "Draft #{id} awaits your review: {topic}"),
    EventKind.REMINDED: (Audience.EDITORS,
                         "Reminder: draft #{id} is waiting for review: {topic}"),
    EventKind.APPROVED: (Audience.AUTHOR, "Your draft #{id} was approved: {topic}"),
    EventKind.REJECTED: (Audience.AUTHOR, "Your draft #{id} was rejected: {topic}"),
    EventKind.CHANGES_REQUESTED: (Audience.AUTHOR,
                                  "Changes requested on your draft #{id}: {topic}"),
    EventKind.ESCALATED: (Audience.ESCALATION,
                          "Escalated to you: draft #{id} has waited for a decision: {topic}"),
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
