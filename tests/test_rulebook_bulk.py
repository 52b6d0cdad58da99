"""rulebook.bulk: which decisions may go to several drafts at once, and how many (pure). Each
draft's own rules are its workflow's: tests/test_bulk.py."""

from __future__ import annotations

from rulebook import bulk
from rulebook.states import DecisionKind


def test_bulk_decisions_are_approvals_or_rejections_of_a_bounded_batch():
    assert bulk.bulk_refusal(3, DecisionKind.APPROVE, "") is None
    assert bulk.bulk_refusal(bulk.BULK_MAX, DecisionKind.REJECT, "Off-topic") is None
    refused = bulk.bulk_refusal(3, DecisionKind.REQUEST_CHANGES, "shorter")
    assert (refused.code, refused.field) == ("Invalid", "decision")
    assert bulk.bulk_refusal(0, DecisionKind.APPROVE, "").sentence == "Select at least one draft."
    assert bulk.bulk_refusal(bulk.BULK_MAX + 1, DecisionKind.APPROVE, "").sentence == (
        f"Select at most {bulk.BULK_MAX} drafts at once (you selected {bulk.BULK_MAX + 1}).")
    # the comment's own rules: a rejection needs a reason
    assert bulk.bulk_refusal(2, DecisionKind.REJECT, " ").sentence == "A rejection needs a reason."
