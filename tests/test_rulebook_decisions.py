"""rulebook.decisions as pure tests (no database, no Temporal). First one table: each row is
a snapshot, a request, and the refusal code and sentence expected (None = allowed). Then the
policy step rules a decision meets (steps, quorum, distinct people, separation of duties,
approvals voided by a new version, late and stale approvals). The engine paths (validators,
handlers, races) are tested against a live worker elsewhere; the sentences are tested here,
once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rulebook import decisions, inputs, policies, states, steps
from rulebook.policies import Approval, ReviewPolicy, ReviewStep
from rulebook.snapshot import Decided, Request, Snapshot
from rulebook.states import DecisionKind, EventKind, ReviewState

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
AUTHOR, EDITOR = 1, 2
AWAITING = Snapshot(state=ReviewState.AWAITING_REVIEW, version=2, author_id=AUTHOR,
                    revisions=1, max_revisions=3, deadline=NOW + timedelta(hours=1),
                    text="the current text")
A, RJ, RC, AE = (DecisionKind.APPROVE, DecisionKind.REJECT, DecisionKind.REQUEST_CHANGES,
                 DecisionKind.APPROVE_WITH_EDITS)
W, C = DecisionKind.WITHDRAW, DecisionKind.CANCEL


def ask(kind, actor=EDITOR, version=2, comment="", text="", expires_at=None) -> Request:
    return Request(kind, actor, version, comment, text, expires_at)


# (id, snapshot changes, request, expected code, a phrase of the expected sentence)
CASES = [
    ("approve", {}, ask(A), None, None),
    ("reject with reason", {}, ask(RJ, comment="off-topic"), None, None),
    ("reject without reason", {}, ask(RJ, comment="  "), "Invalid",
     "A rejection needs a reason."),
    ("changes with feedback", {}, ask(RC, comment="shorter"), None, None),
    ("changes without feedback", {}, ask(RC), "Invalid",
     "Requesting changes needs feedback for the writer, or comments on the passages to "
     "change."),
    ("changes past the cap", {"revisions": 3}, ask(RC, comment="again"), "TooManyRevisions",
     "This draft has had 3 revisions, the most allowed; approve or reject it."),
    ("edit", {}, ask(AE, text="new text"), None, None),
    ("edit empty", {}, ask(AE, text="  \n"), "Invalid", "The edited text is empty."),
    ("edit unchanged", {}, ask(AE, text="the current text"), "Invalid",
     "The edited text is unchanged; use Approve instead."),
    ("edit unchanged, text unknown (web)", {"text": ""}, ask(AE, text="x"), None, None),
    ("edit too long, not also empty", {}, ask(AE, text="x" * (inputs.TEXT_MAX + 1)),
     "Invalid", "The edited text is too long: at most 100,000 characters (it has 100,001)."),
    ("comment too long", {}, ask(A, comment="c" * 4001), "Invalid",
     "The comment is too long: at most 4,000 characters (it has 4,001)."),
    ("NUL in a comment", {}, ask(W, actor=AUTHOR, version=None, comment="a\x00b"), "Invalid",
     "The comment contains a NUL character (U+0000), which cannot be stored; remove it."),
    ("NUL in an edit", {}, ask(AE, text="a\x00b"), "Invalid", "contains a NUL character"),
    ("no version", {}, ask(A, version=None), "Invalid", "Say which version you reviewed"),
    ("own draft", {}, ask(A, actor=AUTHOR), "OwnDraft",
     "You wrote this draft's topic; another editor must review it."),
    ("stale version", {}, ask(A, version=1), "StaleVersion",
     "A newer version exists (version 2; you reviewed version 1). Reload to review it."),
    ("future version", {}, ask(A, version=99), "UnknownVersion",
     "There is no version 99 of this draft yet; the current one is version 2."),
    ("past the deadline", {"deadline": NOW}, ask(A), "Expired",
     "This draft expired; its review deadline has passed."),
    ("while revising", {"state": ReviewState.REVISING}, ask(A), "NotAwaiting",
     "This draft is revising, not awaiting review; wait for the new version."),
    ("while generating", {"state": ReviewState.GENERATING}, ask(RJ, comment="no"),
     "NotAwaiting", "This draft is generating, not awaiting review"),
    ("second decision", {"decided": Decided(A, "editor2", NOW.replace(hour=13, minute=2))},
     ask(RJ, comment="no"), "AlreadyDecided",
     "This draft was already approved by editor2 at 13:02 UTC."),
    ("after an edit", {"decided": Decided(AE, "editor2", None)}, ask(A), "AlreadyDecided",
     "This draft was already approved with edits by editor2."),
    ("while changes are being requested", {"decided": Decided(RC, "editor2", NOW)}, ask(A),
     "AlreadyDecided", "editor2 just requested changes (at 14:00 UTC); wait for the new "
                       "version."),
    ("approved row (web)", {"state": ReviewState.APPROVED}, ask(A), "Closed",
     "This draft was already approved; it takes no more decisions."),
    ("expired", {"state": ReviewState.EXPIRED}, ask(A), "Closed",
     "This draft expired; its review deadline has passed."),
    ("withdrawn", {"state": ReviewState.WITHDRAWN}, ask(A), "Closed",
     "The author withdrew this draft; it takes no more decisions."),
    ("cancelled", {"state": ReviewState.CANCELLED}, ask(RJ, comment="x"), "Closed",
     "An admin cancelled this review; it takes no more decisions."),
    ("failed", {"state": ReviewState.FAILED}, ask(A), "Closed",
     "Writing this draft failed; it takes no decisions until the author retries it."),
    ("late (sender gave up)", {}, ask(A, expires_at=NOW - timedelta(seconds=1)), "Late",
     "not recorded; decide again"),
    ("just in time", {}, ask(A, expires_at=NOW), None, None),
    ("withdraw by the author", {}, ask(W, actor=AUTHOR, version=None), None, None),
    ("withdraw while writing", {"state": ReviewState.GENERATING},
     ask(W, actor=AUTHOR, version=None), None, None),
    ("withdraw by someone else", {}, ask(W, version=None), "NotAuthor",
     "Only the draft's author can withdraw it."),
    ("withdraw a closed draft", {"state": ReviewState.REJECTED},
     ask(W, actor=AUTHOR, version=None), "Closed", "already rejected"),
    ("cancel while revising", {"state": ReviewState.REVISING}, ask(C, actor=3, version=None),
     None, None),
    ("cancel after approval", {"decided": Decided(A, "editor2", None)},
     ask(C, actor=3, version=None), "AlreadyDecided", "already approved by editor2"),
]


@pytest.mark.parametrize(("changes", "request_", "code", "phrase"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decision_rule(changes, request_, code, phrase):
    refusal = decisions.refusal(replace(AWAITING, **changes), request_, NOW)
    if code is None:
        assert refusal is None
    else:
        assert refusal is not None, "expected a refusal"
        assert refusal.code == code
        assert phrase in refusal.sentence


def test_every_final_state_has_its_closed_sentence():
    assert set(decisions.CLOSED_SENTENCES) == states.FINAL_STATES


def test_a_write_failure_names_the_step_and_bounds_the_reason():
    sentence = decisions.write_failed((EventKind.EDITED, EventKind.APPROVED),
                                      "the database refused it (\x1bbad\n  value" + "x" * 400)
    assert sentence.startswith("Could not record this step (edited by an editor and approved): "
                               "the database refused it (bad value")
    assert "\x1b" not in sentence and "\n" not in sentence and len(sentence) < 450


# ------------------------------------------------------------------ policy steps

ED1, ED2, L1, L2, L3 = 2, 3, 4, 5, 6
PRESS = ReviewPolicy("Press release", [ReviewStep("Editor", "Editors", 1),
                                       ReviewStep("Legal", "Legal", 2)])
GROUPS = {ED1: {"Editors"}, ED2: {"Editors"}, L1: {"Legal"}, L2: {"Legal"},
          L3: {"Legal", "Editors"}}


def snap_at(step=0, approvals=(), version=2, policy=PRESS) -> Snapshot:
    return Snapshot(state=ReviewState.AWAITING_REVIEW, version=version, author_id=AUTHOR,
                    deadline=NOW + timedelta(hours=1), policy=policy, step=step,
                    approvals=tuple(approvals))


def ask_at(s: Snapshot, who: int, kind=DecisionKind.APPROVE, step=None, version=None, **kw):
    request = Request(kind, who, s.version if version is None else version,
                      actor_groups=frozenset(GROUPS.get(who, set())), step=step, **kw)
    return decisions.refusal(s, request, NOW)


def test_only_the_current_steps_group_decides():
    assert ask_at(snap_at(), ED1) is None
    refused = ask_at(snap_at(), L1)
    assert refused.code == "NotEligible"
    assert refused.sentence == ("This draft is at step 1 of 2, Editor, which members of "
                                "Editors decide; you are not one of them.")
    assert ask_at(snap_at(step=1), L1) is None
    assert ask_at(snap_at(step=1), ED1).code == "NotEligible"
    # rejecting and requesting changes too
    assert ask_at(snap_at(step=1), ED1, DecisionKind.REJECT, comment="no").code == "NotEligible"
    # unknown groups (a CLI signal): not checked; the author never decides
    assert decisions.refusal(snap_at(), Request(DecisionKind.APPROVE, L1, 2), NOW) is None
    assert ask_at(snap_at(), AUTHOR).code == "OwnDraft"


def test_eligibility_is_one_rule_for_claims_queues_and_decisions():
    # the same answer the decision rule gives, asked without a decision (claims, the queue)
    assert steps.eligibility_refusal(PRESS, 1, GROUPS[L1]) is None
    assert steps.eligibility_refusal(PRESS, 1, GROUPS[ED1]) == ask_at(snap_at(step=1), ED1)
    assert policies.decides_at(PRESS.steps[0], {"Editors"})
    assert not policies.decides_at(PRESS.steps[0], {"Legal"})
    # an outside approvers' step has no group: nobody decides it by group membership
    partner = ReviewStep("Partner", "", 1, outside=["p@example.com"])
    assert not policies.decides_at(partner, {""})
    chain = ReviewPolicy("Quote", [PRESS.steps[0], partner])
    assert steps.eligibility_refusal(chain, 1, {"Editors", ""}).sentence == (
        "Only the outside approvers named at step 2 of 2, Partner decide it.")
    # the default policy's one step names no step
    assert steps.eligibility_refusal(policies.DEFAULT_POLICY, 0, set()).sentence == (
        "Members of Editors decide; you are not one of them.")


def test_quorum_counts_distinct_people_on_the_same_version():
    first = Approval(L1, "legal1", 1, 2)
    s = snap_at(step=1, approvals=[Approval(ED1, "ed1", 0, 2), first])
    refused = ask_at(s, L1)
    assert refused.code == "AlreadyApproved"
    assert refused.sentence == ("You already approved version 2 at step 2 of 2, Legal; it "
                                "needs 1 more approval from Legal, by other people.")
    assert ask_at(s, L2) is None
    assert steps.after_approval(s, L2) == (EventKind.APPROVED, 1)
    # the first of the two: recorded, the step stays
    assert steps.after_approval(snap_at(step=1), L1) == (EventKind.STEP_APPROVED, 1)
    # the editor's step: one approval completes it and moves on
    assert steps.after_approval(snap_at(), ED1) == (EventKind.STEP_APPROVED, 1)


def test_a_new_version_voids_the_current_steps_approvals():
    """Approvals of version 2 at step 2 do not count for version 3 (an edit); step 1's
    approval stands."""
    s = snap_at(step=1, version=3, approvals=[Approval(ED1, "ed1", 0, 2), Approval(L1, "l1", 1, 2)])
    assert steps.step_approvals(s) == []
    assert ask_at(s, L1) is None  # may approve the new version
    assert steps.after_approval(s, L1) == (EventKind.STEP_APPROVED, 1)
    # an edit-and-approve is a new version: only its author's approval counts
    s2 = snap_at(step=1, approvals=[Approval(L1, "l1", 1, 2)])
    assert steps.after_approval(s2, L2, edited=True) == (EventKind.STEP_APPROVED, 1)
    progress = policies.step_progress(PRESS, 1, list(s.approvals), 3)
    assert [(row.rule.name, row.status, row.summary) for row in progress] == [
        ("Editor", "done", "ed1"), ("Legal", "current", "0 of 2 approvals")]
    progress = policies.step_progress(PRESS, 1, [*s.approvals, Approval(L2, "l2", 1, 3)], 3)
    assert progress[1].summary == "1 of 2 approvals: l2"


def test_separation_of_duties_across_steps():
    strict = ReviewPolicy("Strict", PRESS.steps, distinct_across_steps=True)
    s = snap_at(step=1, policy=strict, approvals=[Approval(L3, "l3", 0, 2)])
    refused = ask_at(s, L3)
    assert refused.code == "SeparationOfDuties"
    assert "step 1 of 2, Editor" in refused.sentence
    assert ask_at(snap_at(step=1, approvals=[Approval(L3, "l3", 0, 2)]), L3) is None  # allowed


def test_a_late_approval_for_a_step_that_moved_on_is_refused():
    moved = ask_at(snap_at(step=1), ED2, step=0)
    assert moved.code == "StepMoved"
    assert moved.sentence == ("Step 1 (Editor) already has its approvals; this draft is now "
                              "at step 2 of 2, Legal. Reload the page.")
    assert ask_at(snap_at(step=1), L1, step=1) is None
    assert ask_at(snap_at(step=1), L1, version=1).code == "StaleVersion"  # an old version


def test_the_default_policy_is_todays_single_editor():
    default = policies.DEFAULT_POLICY
    assert not default.is_chain and PRESS.is_chain
    s = snap_at(policy=default)
    assert policies.step_words(default, 0) == ""
    assert steps.after_approval(s, ED1) == (EventKind.APPROVED, 0)
    assert ask_at(s, L1).sentence == "Members of Editors decide; you are not one of them."


def test_outside_approvers_decide_by_email_only():
    quote = ReviewPolicy("Quote", [ReviewStep("Partner", "", 1, outside=["Partner@Example.com"])])
    s = snap_at(policy=quote)
    partner = policies.outside_actor_id("partner@example.com")
    assert partner < 0 and partner == policies.outside_actor_id(" PARTNER@example.com")
    ok = Request(DecisionKind.APPROVE, partner, 2, outside_email="partner@example.com")
    assert decisions.refusal(s, ok, NOW) is None
    stranger = Request(DecisionKind.APPROVE, -5, 2, outside_email="x@example.com")
    assert decisions.refusal(s, stranger, NOW).code == "NotEligible"
    edit = Request(DecisionKind.APPROVE_WITH_EDITS, partner, 2, text="new",
                   outside_email="partner@example.com")
    assert "do not edit" in decisions.refusal(s, edit, NOW).sentence
    assert ask_at(s, ED1).sentence == "Only the outside approvers named at this step decide it."
