"""What an author may do outside a review's decisions: submit another draft (the in-flight
cap), retry a failed one, withdraw one (the web's early answer; the workflow's is
decisions.refusal).
"""

from __future__ import annotations

from rulebook.snapshot import Refusal
from rulebook.states import FINAL_STATES, ReviewState


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
