"""Reads of publishing: a draft's deliveries for its page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from drafts.models import Draft
from publishing.models import Delivery, Destination
from rulebook.states import EventKind

# After an approval or a Retry delivery, the PublishDraft run creates (or resets) the delivery
# rows a moment later: until then, for at most this long, its page counts it as under way.
START_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Publishing:
    """A draft's deliveries (with their logs) and what they add up to."""

    deliveries: list[Delivery]
    starting: bool = False  # a run was just asked for and has not written its rows yet

    @property
    def delivering(self) -> bool:
        """A destination is still being tried, or about to be (the page keeps refreshing)."""
        return self.starting or any(d.is_pending for d in self.deliveries)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.is_failed]

    @property
    def stamp(self) -> str:
        """Changes whenever a delivery or its log changes (for the page's live refresh)."""
        return ".".join(f"{d.pk}:{d.status}:{d.attempts}" for d in self.deliveries)


def matching_destinations(draft: Draft):
    """The active destinations that want this draft: every channel's, and its channel's."""
    return wanting_destinations([draft.channel])


def wanting_destinations(channels):
    """The active destinations for every channel or for one of `channels` (a list, or a
    subquery of one channel value)."""
    return Destination.objects.filter(is_active=True).filter(
        Q(channel="") | Q(channel__in=channels))


def wants_publishing(draft_id: int) -> bool:
    """Does an active destination want this (approved) draft? One query."""
    return wanting_destinations(Draft.objects.filter(pk=draft_id).values("channel")).exists()


def publishing_of(draft: Draft) -> Publishing:
    """`draft` with its events prefetched (selectors.draft_with_history) for `starting`."""
    if not draft.is_approved:
        return Publishing([])
    rows = list(Delivery.objects.filter(draft=draft).select_related("destination")
                .prefetch_related("log").order_by("destination__name"))
    return Publishing(rows, starting=_starting(draft, rows))


def _starting(draft: Draft, rows: list[Delivery]) -> bool:
    """The last event asked for a PublishDraft run a moment ago, and its rows are not there
    (or not reset) yet: an approval with a destination that wants it, or a retry."""
    events = draft.events.all()
    last = events[len(events) - 1] if events else None
    if last is None or timezone.now() - last.created_at > START_GRACE:
        return False
    if last.kind == EventKind.DELIVERY_RETRIED:
        return not any(d.is_pending for d in rows)  # until its plan resets them
    return (last.kind == EventKind.APPROVED and not rows
            and matching_destinations(draft).exists())
