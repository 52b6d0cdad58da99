"""rulebook.delivery: channels, delivery retries and their sentences (pure)."""

from __future__ import annotations

from rulebook import delivery
from rulebook.states import ReviewState


def test_delivery_rules():
    assert set(delivery.DELIVERY_LABELS) == set(delivery.DeliveryStatus)
    assert [c for c in (200, 204, 301, 408, 429, 500, 503) if delivery.delivery_retryable(c)] \
        == [200, 204, 301, 408, 429, 500, 503]
    assert not any(delivery.delivery_retryable(c) for c in (400, 401, 403, 404, 410, 422))
    assert delivery.delivery_failed(1, 0.5, "HTTP 410 Gone") == (
        "Delivery failed after 1 attempt; last error: HTTP 410 Gone.")
    assert delivery.delivery_failed(7, 24 * 3600, "timed out\r\nafter 10 s") == (
        "Delivery failed after 7 attempts over 24 h; last error: timed out after 10 s.")
    assert delivery.channel_problem("") == ""
    assert delivery.channel_problem("newsletter-en") == ""
    assert "lower-case" in delivery.channel_problem("Blog")
    assert "one line" in delivery.channel_problem("a\nb")
    assert "too long" in delivery.channel_problem("a" * 51)
    refuse = delivery.retry_delivery_refusal
    assert refuse(ReviewState.REJECTED, 1).code == "NotApproved"
    assert refuse(ReviewState.PUBLISHED, 0).code == "NothingFailed"
    assert refuse(ReviewState.APPROVED, 1) is None
