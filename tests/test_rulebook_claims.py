"""rulebook.claims: "I'm reviewing this" (pure). The claims on live drafts:
tests/test_claims.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rulebook import claims
from rulebook.states import ReviewState

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
HOLDER, OTHER = 2, 3
UNTIL = NOW + timedelta(minutes=30)


def test_a_claim_is_taken_renewed_or_refused():
    awaiting = ReviewState.AWAITING_REVIEW
    assert claims.claim_refusal(awaiting, "", None, None, OTHER, NOW) is None  # unclaimed
    assert claims.claim_refusal(awaiting, "ed1", HOLDER, UNTIL, HOLDER, NOW) is None  # renew
    refused = claims.claim_refusal(awaiting, "ed1", HOLDER, UNTIL, OTHER, NOW)
    assert (refused.code, refused.sentence) == (
        "Claimed", "ed1 is reviewing this draft until 14:30 UTC.")
    # a claim that ran out may be taken
    assert claims.claim_refusal(awaiting, "ed1", HOLDER, NOW, OTHER, NOW) is None
    assert claims.claim_refusal(ReviewState.REVISING, "", None, None, OTHER, NOW).code == (
        "NotAwaiting")


def test_deciding_on_someone_elses_claim_needs_confirmation():
    refused = claims.claim_override_refusal("ed1", HOLDER, UNTIL, OTHER, NOW, confirmed=False)
    assert refused.field == "confirm_claim" and refused.sentence.endswith(
        "Confirm that you want to decide anyway.")
    assert claims.claim_override_refusal("ed1", HOLDER, UNTIL, OTHER, NOW, True) is None
    assert claims.claim_override_refusal("ed1", HOLDER, UNTIL, HOLDER, NOW, False) is None
    assert claims.claim_override_refusal("ed1", HOLDER, NOW, OTHER, NOW, False) is None
