"""Claims: "I'm reviewing this" on a draft awaiting review, for a while; deciding on a draft
someone else has claimed needs the decider's confirmation.
"""

from __future__ import annotations

from datetime import datetime

from rulebook.snapshot import Refusal
from rulebook.states import ReviewState

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
