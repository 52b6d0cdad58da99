"""Publishing: a draft's channel, one destination's delivery status, which HTTP answers are
retried, and the sentences of a delivery that failed or may be retried.
"""

from __future__ import annotations

import re
from enum import StrEnum

from rulebook.deadlines import duration_words
from rulebook.inputs import _CONTROL, text_problem
from rulebook.snapshot import Refusal
from rulebook.states import APPROVED_STATES, ReviewState

# A draft's channel: which destinations get it when approved (blank: only those for every
# channel). A short slug, so it reads the same in the form, the API and the admin.
CHANNEL_MAX = 50
_CHANNEL = re.compile(r"[a-z0-9][a-z0-9_-]*")


def channel_problem(value: str) -> str:
    """A sentence saying what is wrong with a channel name, or "" if nothing ("" is fine)."""
    if not value:
        return ""
    if problem := text_problem(value, "The channel", CHANNEL_MAX, line=True):
        return problem
    if not _CHANNEL.fullmatch(value):
        return ("The channel must be lower-case letters, digits, '-' or '_' (for example "
                "'blog' or 'newsletter-en').")
    return ""


class DeliveryStatus(StrEnum):
    """One destination's delivery of an approved draft."""

    PENDING = "pending"  # being delivered (retried with backoff until it succeeds or gives up)
    DELIVERED = "delivered"  # the destination answered 2xx
    # given up: refused (4xx), or still failing when the window closed
    FAILED = "failed"  # not-a-state: a delivery's status

    @property
    def label(self) -> str:
        return DELIVERY_LABELS[self]


DELIVERY_LABELS = {
    DeliveryStatus.PENDING: "Delivering",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.FAILED: "Delivery failed",
}


def delivery_retryable(status_code: int) -> bool:
    """Is an HTTP answer worth trying again? 2xx is success; a 4xx means the request itself
    is refused, and the same request will be refused again, except 408 (timeout) and 429
    (slow down); anything else (3xx, 5xx) may pass later."""
    return not (400 <= status_code < 500) or status_code in (408, 429)


def delivery_failed(attempts: int, elapsed_seconds: float, last_error: str) -> str:
    """Why a destination did not get a draft: how long it was tried and its last answer."""
    tries = "1 attempt" if attempts == 1 else f"{attempts or 'no answered'} attempts"
    over = f" over {duration_words(elapsed_seconds)}" if elapsed_seconds >= 60 else ""
    last_error = _CONTROL.sub("", " ".join(last_error.split()))[:300] or "none recorded"
    return f"Delivery failed after {tries}{over}; last error: {last_error}."


def not_published(failed: dict[str, str]) -> str:
    """The `delivery_failed` event's comment: each destination that did not get the draft."""
    return "; ".join(f"{name}: {sentence}" for name, sentence in sorted(failed.items()))


DELIVERING = ("This draft is being delivered right now; wait until every destination has "
              "accepted it or been given up.")


def retry_delivery_refusal(state: ReviewState, undelivered: int) -> Refusal | None:
    """May an admin deliver an approved draft again to the destinations that did not get it?
    (Whether a run is delivering right now is the engine's to say: it refuses a second run
    with DELIVERING, and a row left pending by a run that was terminated can be retried.)"""
    if state not in APPROVED_STATES:
        return Refusal("NotApproved", "Only an approved draft is delivered.")
    if not undelivered:
        return Refusal("NothingFailed", "No delivery of this draft failed; there is nothing "
                                        "to retry.")
    return None
