"""The decision rule: `refusal(snapshot, request, now)` is the one answer to "may this decision
be taken on this snapshot, and if not, why": a pure function of plain values, tested in
milliseconds (tests/test_rulebook_decisions.py). The workflow builds the snapshot from its own
fields; the web builds it from the draft row (which lags the workflow, so the web only uses it
to refuse early; the workflow has the last word).

Here too: `Snapshot`, `Request`, `Refusal`, every refusal sentence of a decision, the policy
step rules on a snapshot (`eligibility_refusal`, `after_approval`), and the answers a decided
or failed review gives (`decided_message`, `write_failed`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rulebook import budgets, revisions, suggestions
from rulebook import checks as checks_rules
from rulebook.inputs import _CONTROL, COMMENT_MAX, TEXT_MAX, text_problem
from rulebook.policies import DEFAULT_POLICY, Approval, ReviewPolicy, decides_at, step_words
from rulebook.states import (
    EDITING_DECISIONS,
    EVENT_LABELS,
    FINAL_STATES,
    PASSAGE_DECISIONS,
    PAST_TENSE,
    VERSION_DECISIONS,
    WORKBENCH_DECISIONS,
    DecisionKind,
    EventKind,
    ReviewState,
)


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
    suggestions: int = 0  # rewrites suggested on the current version (rulebook.suggestions)
    # What the draft may spend and has spent on the LLM, and what the current version cost
    # to write (rulebook.budgets: a revision is estimated from it). None: not checked.
    budget: budgets.Budget | None = None
    spent: budgets.Spent = budgets.Spent()
    last_version: budgets.Spent = budgets.Spent()
    # Checks before a human reads (rulebook.checks): the draft's checks, its brief's length,
    # and the current version's open blocking findings (approving over them needs a reason).
    checks: tuple[checks_rules.Check, ...] = ()
    target_words: int = 0
    open_blockers: int = 0


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
    # request_changes: the commented passages to rewrite, (start, end, text) on `version`
    # (rulebook.revisions); suggest: the one passage. Their threads' lines, checked like any
    # text. edit: `text` is the version the editor's choices make (rulebook.suggestions).
    passages: tuple[tuple[int, int, str], ...] = ()
    threads: tuple[str, ...] = ()


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
    if request.passages and kind not in PASSAGE_DECISIONS:
        return _invalid("Only a request for changes or a suggestion rewrites commented "
                        "passages.")
    if kind == DecisionKind.SUGGEST and (problem := suggestions.suggestion_refusal(
            0, len(request.passages))):
        return _invalid(problem)
    if kind == DecisionKind.REQUEST_CHANGES and not request.comment.strip() \
            and not request.passages:
        return _invalid("Requesting changes needs feedback for the writer, or comments on "
                        "the passages to change.", "comment")
    problem = revisions.too_many(len(request.passages)) or \
        revisions.thread_problem(request.threads)
    if problem:
        return _invalid(problem)
    if kind in EDITING_DECISIONS and not request.text.strip():
        return _invalid("The edited text is empty.", "text")
    if kind in VERSION_DECISIONS and (request.version is None or request.version < 1):
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
    if request.passages and snap.text:
        problem = revisions.passages_refusal(snap.text, request.passages)
        if problem:
            return Refusal("StalePassages", problem)
    step_refusal = _step_refusal(snap, request)
    if step_refusal is not None:
        return step_refusal
    if kind == DecisionKind.REQUEST_CHANGES and snap.revisions >= snap.max_revisions:
        return Refusal("TooManyRevisions", f"This draft has had {snap.revisions} revisions, the "
                                           "most allowed; approve or reject it.")
    if kind in PASSAGE_DECISIONS and snap.budget is not None and (
            over := budgets.revision_refusal(snap.budget, snap.spent,
                                             revision_estimate(snap, request))):
        return Refusal("OverBudget", over)
    if blockers := _blockers_refusal(snap, request):
        return blockers
    if kind == DecisionKind.APPROVE_WITH_EDITS and snap.text and request.text == snap.text:
        return _invalid("The edited text is unchanged; use Approve instead.", "text")
    if kind == DecisionKind.EDIT and snap.text and request.text == snap.text:
        return _invalid(suggestions.NOTHING_TO_APPLY, "text")
    if kind == DecisionKind.SUGGEST and snap.suggestions >= suggestions.MAX_SUGGESTIONS:
        return Refusal("TooManySuggestions", suggestions.TOO_MANY)
    return None


def _blockers_refusal(snap: Snapshot, request: Request) -> Refusal | None:
    """An approval of a version with open blocking findings needs a reason (its comment):
    the current version's, or for edit-and-approve, the edited text's (the deterministic
    checks, run here: milliseconds)."""
    if request.kind == DecisionKind.APPROVE:
        count = snap.open_blockers
    elif request.kind == DecisionKind.APPROVE_WITH_EDITS and snap.checks:
        count = len(checks_rules.blocking(checks_rules.run(
            snap.checks, request.text, target_words=snap.target_words)))
    else:
        return None
    why = checks_rules.approve_reason_refusal(count, request.comment)
    return Refusal("OpenBlockers", why) if why else None


def revision_estimate(snap: Snapshot, request: Request) -> budgets.Spent:
    """About what the revision asked for costs: the current version's writing, or for
    passages their share of its text."""
    if request.passages and snap.text:
        share = sum(end - start for start, end, _ in request.passages) / len(snap.text)
        return snap.last_version.scaled(min(1.0, share))
    return snap.last_version


def step_approvals(snap: Snapshot) -> list[Approval]:
    """The approvals that count toward the current step: its own, of the current version."""
    return [a for a in snap.approvals if a.step == snap.step and a.version == snap.version]


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
        if request.kind in WORKBENCH_DECISIONS:
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


def decided_message(kind: DecisionKind, actor: str) -> str:
    return f"{PAST_TENSE[kind].capitalize()} by {actor}."


def write_failed(kinds: tuple[EventKind, ...], reason: str) -> str:
    """What a review that could not record a step says (its `failed` event, the decision's
    answer): the step, the database's reason (one line, bounded), and what to do."""
    reason = _CONTROL.sub("", " ".join(reason.split()))[:300]
    steps = " and ".join(EVENT_LABELS[kind].lower() for kind in kinds)
    return (f"Could not record this step ({steps}): {reason}. Nothing of it was saved and the "
            "review stopped here; the author can retry.")
