"""Review policies in the rulebook, as pure functions: steps, quorum, distinct people,
separation of duties, approvals voided by a new version, late and stale approvals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rulebook import decisions, policies
from rulebook.decisions import Request, Snapshot
from rulebook.policies import Approval, ReviewPolicy, ReviewStep
from rulebook.states import DecisionKind, EventKind, ReviewState

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
AUTHOR, ED1, ED2, L1, L2, L3 = 1, 2, 3, 4, 5, 6
PRESS = ReviewPolicy("Press release", [ReviewStep("Editor", "Editors", 1),
                                       ReviewStep("Legal", "Legal", 2)])
GROUPS = {ED1: {"Editors"}, ED2: {"Editors"}, L1: {"Legal"}, L2: {"Legal"},
          L3: {"Legal", "Editors"}}


def snap(step=0, approvals=(), version=2, policy=PRESS) -> Snapshot:
    return Snapshot(state=ReviewState.AWAITING_REVIEW, version=version, author_id=AUTHOR,
                    deadline=NOW + timedelta(hours=1), policy=policy, step=step,
                    approvals=tuple(approvals))


def ask(s: Snapshot, who: int, kind=DecisionKind.APPROVE, step=None, version=None, **kw):
    request = Request(kind, who, s.version if version is None else version,
                      actor_groups=frozenset(GROUPS.get(who, set())), step=step, **kw)
    return decisions.refusal(s, request, NOW)


def test_only_the_current_steps_group_decides():
    assert ask(snap(), ED1) is None
    refused = ask(snap(), L1)
    assert refused.code == "NotEligible"
    assert refused.sentence == ("This draft is at step 1 of 2, Editor, which members of "
                                "Editors decide; you are not one of them.")
    assert ask(snap(step=1), L1) is None
    assert ask(snap(step=1), ED1).code == "NotEligible"
    # rejecting and requesting changes too
    assert ask(snap(step=1), ED1, DecisionKind.REJECT, comment="no").code == "NotEligible"
    # unknown groups (a CLI signal): not checked; the author never decides
    assert decisions.refusal(snap(), Request(DecisionKind.APPROVE, L1, 2), NOW) is None
    assert ask(snap(), AUTHOR).code == "OwnDraft"


def test_eligibility_is_one_rule_for_claims_queues_and_decisions():
    # the same answer the decision rule gives, asked without a decision (claims, the queue)
    assert decisions.eligibility_refusal(PRESS, 1, GROUPS[L1]) is None
    assert decisions.eligibility_refusal(PRESS, 1, GROUPS[ED1]) == ask(snap(step=1), ED1)
    assert policies.decides_at(PRESS.steps[0], {"Editors"})
    assert not policies.decides_at(PRESS.steps[0], {"Legal"})
    # an outside approvers' step has no group: nobody decides it by group membership
    partner = ReviewStep("Partner", "", 1, outside=["p@example.com"])
    assert not policies.decides_at(partner, {""})
    chain = ReviewPolicy("Quote", [PRESS.steps[0], partner])
    assert decisions.eligibility_refusal(chain, 1, {"Editors", ""}).sentence == (
        "Only the outside approvers named at step 2 of 2, Partner decide it.")
    # the default policy's one step names no step
    assert decisions.eligibility_refusal(policies.DEFAULT_POLICY, 0, set()).sentence == (
        "Members of Editors decide; you are not one of them.")


def test_quorum_counts_distinct_people_on_the_same_version():
    first = Approval(L1, "legal1", 1, 2)
    s = snap(step=1, approvals=[Approval(ED1, "ed1", 0, 2), first])
    refused = ask(s, L1)
    assert refused.code == "AlreadyApproved"
    assert refused.sentence == ("You already approved version 2 at step 2 of 2, Legal; it "
                                "needs 1 more approval from Legal, by other people.")
    assert ask(s, L2) is None
    assert decisions.after_approval(s, L2) == (EventKind.APPROVED, 1)
    # the first of the two: recorded, the step stays
    assert decisions.after_approval(snap(step=1), L1) == (EventKind.STEP_APPROVED, 1)
    # the editor's step: one approval completes it and moves on
    assert decisions.after_approval(snap(), ED1) == (EventKind.STEP_APPROVED, 1)


def test_a_new_version_voids_the_current_steps_approvals():
    """Approvals of version 2 at step 2 do not count for version 3 (an edit); step 1's
    approval stands."""
    s = snap(step=1, version=3, approvals=[Approval(ED1, "ed1", 0, 2), Approval(L1, "l1", 1, 2)])
    assert decisions.step_approvals(s) == []
    assert ask(s, L1) is None  # may approve the new version
    assert decisions.after_approval(s, L1) == (EventKind.STEP_APPROVED, 1)
    # an edit-and-approve is a new version: only its author's approval counts
    s2 = snap(step=1, approvals=[Approval(L1, "l1", 1, 2)])
    assert decisions.after_approval(s2, L2, edited=True) == (EventKind.STEP_APPROVED, 1)
    progress = policies.step_progress(PRESS, 1, list(s.approvals), 3)
    assert [(row.rule.name, row.status, row.summary) for row in progress] == [
        ("Editor", "done", "ed1"), ("Legal", "current", "0 of 2 approvals")]
    progress = policies.step_progress(PRESS, 1, [*s.approvals, Approval(L2, "l2", 1, 3)], 3)
    assert progress[1].summary == "1 of 2 approvals: l2"


def test_separation_of_duties_across_steps():
    strict = ReviewPolicy("Strict", PRESS.steps, distinct_across_steps=True)
    s = snap(step=1, policy=strict, approvals=[Approval(L3, "l3", 0, 2)])
    refused = ask(s, L3)
    assert refused.code == "SeparationOfDuties"
    assert "step 1 of 2, Editor" in refused.sentence
    assert ask(snap(step=1, approvals=[Approval(L3, "l3", 0, 2)]), L3) is None  # allowed


def test_a_late_approval_for_a_step_that_moved_on_is_refused():
    moved = ask(snap(step=1), ED2, step=0)
    assert moved.code == "StepMoved"
    assert moved.sentence == ("Step 1 (Editor) already has its approvals; this draft is now "
                              "at step 2 of 2, Legal. Reload the page.")
    assert ask(snap(step=1), L1, step=1) is None
    assert ask(snap(step=1), L1, version=1).code == "StaleVersion"  # an old version


def test_the_default_policy_is_todays_single_editor():
    default = policies.DEFAULT_POLICY
    assert not default.is_chain and PRESS.is_chain
    s = snap(policy=default)
    assert policies.step_words(default, 0) == ""
    assert decisions.after_approval(s, ED1) == (EventKind.APPROVED, 0)
    assert ask(s, L1).sentence == "Members of Editors decide; you are not one of them."


def test_outside_approvers_decide_by_email_only():
    quote = ReviewPolicy("Quote", [ReviewStep("Partner", "", 1, outside=["Partner@Example.com"])])
    s = snap(policy=quote)
    partner = policies.outside_actor_id("partner@example.com")
    assert partner < 0 and partner == policies.outside_actor_id(" PARTNER@example.com")
    ok = Request(DecisionKind.APPROVE, partner, 2, outside_email="partner@example.com")
    assert decisions.refusal(s, ok, NOW) is None
    stranger = Request(DecisionKind.APPROVE, -5, 2, outside_email="x@example.com")
    assert decisions.refusal(s, stranger, NOW).code == "NotEligible"
    edit = Request(DecisionKind.APPROVE_WITH_EDITS, partner, 2, text="new",
                   outside_email="partner@example.com")
    assert "do not edit" in decisions.refusal(s, edit, NOW).sentence
    assert ask(s, ED1).sentence == "Only the outside approvers named at this step decide it."


@pytest.mark.parametrize("policy, problem", [
    (ReviewPolicy("x", [ReviewStep("Partner", "")]), "needs a group or outside approvers"),
    (ReviewPolicy("x", [ReviewStep("Partner", "", 2, outside=["a@b.c"])]),
     "needs 2 approvals but names 1 outside approvers"),
    (ReviewPolicy("x", [ReviewStep("Partner", "", 1, outside=["not an email"])]),
     "email addresses"),
    (ReviewPolicy("x", []), "at least one step"),
    (ReviewPolicy("x", [ReviewStep("Legal", "Legal", 0)]), "between 1 and 20 approvals"),
    (ReviewPolicy("x", [ReviewStep("Legal", "Legal", 1, 5.0)]), "between a minute"),
    (ReviewPolicy("x", [ReviewStep("s", "g")] * 11), "at most 10 steps"),
])
def test_policy_problems(policy, problem):
    assert any(problem in p for p in policies.policy_problems(policy))
    assert policies.policy_problems(PRESS) == []


def test_current_details_for_the_temporal_ui_count_without_names():
    approvals = [Approval(ED1, "ed1", 0, 2), Approval(L1, "legal1", 1, 2)]
    text = policies.current_details(ReviewState.AWAITING_REVIEW, 2, PRESS, 1, approvals)
    assert text == ("**Awaiting review**, version 2\n✓ step 1, Editor: done\n"
                    "→ step 2, Legal: 1 of 2")
    waiting = policies.current_details(ReviewState.AWAITING_REVIEW, 2, PRESS, 0, [])
    assert waiting.endswith("→ step 1, Editor: 0 of 1\n· step 2, Legal: 2 needed")
    assert "legal1" not in text and "ed1" not in text  # no personal data for the engine's UI
    assert policies.current_details(ReviewState.APPROVED, 2, PRESS, 1, approvals) == (
        "**Approved**, version 2")
    assert policies.current_details(ReviewState.AWAITING_REVIEW, 1, policies.DEFAULT_POLICY,
                                     0, []) == "**Awaiting review**, version 1"
