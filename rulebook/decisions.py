"""The decision rule: `refusal(snapshot, request, now)` is the one answer to "may this decision
be taken on this snapshot, and if not, why": a pure function of plain values, tested in
milliseconds (tests/test_rulebook_decisions.py). The workflow builds the snapshot from its own
fields; the web builds it from the draft row (which lags the workflow, so the web only uses it
to refuse early; the workflow has the last word).

Here too: every refusal sentence of a decision and the answers a decided or failed review
gives (`decided_message`, `write_failed`). The values it reads are `rulebook.snapshot`'s
(Snapshot, Request, Refusal); the policy's step rules are `rulebook.steps`'.
"""

from __future__ import annotations

from datetime import datetime

from rulebook import budgets, check_run, revisions, steps, suggestions
from rulebook import checks as checks_rules
from rulebook.inputs import _CONTROL, COMMENT_MAX, TEXT_MAX, text_problem
from rulebook.snapshot import Decided, Refusal, Request, Snapshot, invalid
from rulebook.states import (
    EDITING_DECISIONS,
    EVENT_LABELS,
    FINAL_STATES,
    PASSAGE_DECISIONS,
    PAST_TENSE,
    VERSION_DECISIONS,
    DecisionKind,
    EventKind,
    ReviewState,
)


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


def input_refusal(request: Request) -> Refusal | None:
    """The checks on the request alone (no snapshot): text limits and required fields."""
    problem = text_problem(request.comment, "The comment", COMMENT_MAX)
    if problem:
        return invalid(problem, "comment")
    problem = text_problem(request.text, "The edited text", TEXT_MAX)
    if problem:
        return invalid(problem, "text")
    kind = request.kind
    if kind == DecisionKind.REJECT and not request.comment.strip():
        return invalid("A rejection needs a reason.", "comment")
    if request.passages and kind not in PASSAGE_DECISIONS:
        return invalid("Only a request for changes or a suggestion rewrites commented "
                        "passages.")
    if kind == DecisionKind.SUGGEST and (problem := suggestions.suggestion_refusal(
            0, len(request.passages))):
        return invalid(problem)
    if kind == DecisionKind.REQUEST_CHANGES and not request.comment.strip() \
            and not request.passages:
        return invalid("Requesting changes needs feedback for the writer, or comments on "
                        "the passages to change.", "comment")
    problem = revisions.too_many(len(request.passages)) or \
        revisions.thread_problem(request.threads)
    if problem:
        return invalid(problem)
    if kind in EDITING_DECISIONS and not request.text.strip():
        return invalid("The edited text is empty.", "text")
    if kind in VERSION_DECISIONS and (request.version is None or request.version < 1):
        return invalid("Say which version you reviewed (a version number from 1).", "version")
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
    step_refusal = steps.step_refusal(snap, request)
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
        return invalid("The edited text is unchanged; use Approve instead.", "text")
    if kind == DecisionKind.EDIT and snap.text and request.text == snap.text:
        return invalid(suggestions.NOTHING_TO_APPLY, "text")
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
        count = len(checks_rules.blocking(check_run.run(
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


def decided_message(kind: DecisionKind, actor: str) -> str:
    return f"{PAST_TENSE[kind].capitalize()} by {actor}."


def write_failed(kinds: tuple[EventKind, ...], reason: str) -> str:
    """What a review that could not record a step says (its `failed` event, the decision's
    answer): the step, the database's reason (one line, bounded), and what to do."""
    reason = _CONTROL.sub("", " ".join(reason.split()))[:300]
    what = " and ".join(EVENT_LABELS[kind].lower() for kind in kinds)
    return (f"Could not record this step ({what}): {reason}. Nothing of it was saved and the "
            "review stopped here; the author can retry.")
