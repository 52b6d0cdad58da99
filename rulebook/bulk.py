"""Bulk decisions: an editor approves or rejects several drafts at once; each is its own
decision, refused or taken by its own workflow.
"""

from __future__ import annotations

from rulebook.decisions import input_refusal
from rulebook.snapshot import Refusal, Request, invalid
from rulebook.states import DecisionKind

BULK_MAX = 25  # drafts per bulk decision: each is its own Update, answered on one page
BULK_DECISIONS = (DecisionKind.APPROVE, DecisionKind.REJECT)


def bulk_refusal(count: int, kind: DecisionKind, comment: str) -> Refusal | None:
    """May an editor send `kind` to `count` drafts at once? (Each draft's own rules are its
    workflow's, answered per draft.)"""
    if kind not in BULK_DECISIONS:
        return invalid("Several drafts at once can only be approved or rejected.", "decision")
    if count == 0:
        return invalid("Select at least one draft.", "drafts")
    if count > BULK_MAX:
        return invalid(f"Select at most {BULK_MAX} drafts at once (you selected {count}).",
                        "drafts")
    return input_refusal(Request(kind, 0, 1, comment=comment))
