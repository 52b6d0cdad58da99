"""rulebook.authors: what an author may do outside a review's decisions (pure)."""

from __future__ import annotations

from rulebook import authors
from rulebook.states import ReviewState


def test_retry_and_withdraw_rules():
    assert authors.retry_refusal(ReviewState.FAILED) is None
    assert authors.retry_refusal(ReviewState.APPROVED).sentence == \
        "Only a failed draft can be retried."
    assert authors.withdraw_refusal(ReviewState.AWAITING_REVIEW) is None
    assert authors.withdraw_refusal(ReviewState.EXPIRED).sentence == \
        "This draft is already expired; there is nothing to withdraw."


def test_the_in_flight_cap():
    assert authors.in_flight_refusal(0, 3) is None
    assert authors.in_flight_refusal(5, 0) is None  # 0: no cap
    refused = authors.in_flight_refusal(3, 3)
    assert refused.code == "TooManyInFlight"
    assert refused.sentence.startswith("You have 3 drafts in progress")
