"""rulebook.policies: what is wrong with a policy, how one is stored, and what the Temporal
UI shows of a chain (pure). The rules a decision meets at a step: test_rulebook_decisions.py."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from rulebook import policies
from rulebook.policies import Approval, ReviewPolicy, ReviewStep
from rulebook.states import ReviewState

PRESS = ReviewPolicy("Press release", [ReviewStep("Editor", "Editors", 1),
                                       ReviewStep("Legal", "Legal", 2)])
ED1, L1 = 2, 4


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


def test_a_stored_policy_reads_back_as_itself():
    assert policies.policy_from_data(asdict(PRESS)) == PRESS
    assert policies.policy_from_data({}) is policies.DEFAULT_POLICY
    assert policies.policy_from_data(None) is policies.DEFAULT_POLICY


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
