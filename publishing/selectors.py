"""Reads of publishing: a draft's deliveries for its page and the API."""

from __future__ import annotations

from dataclasses import dataclass

from drafts.models import Draft
from publishing.models import Delivery


@dataclass(frozen=True)
class Publishing:
    """A draft's deliveries (with their logs) and what they add up to."""

    deliveries: list[Delivery]

    @property
    def delivering(self) -> bool:
        """Some destination is still being tried (the page keeps refreshing)."""
        return any(d.is_pending for d in self.deliveries)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.is_failed]

    @property
    def stamp(self) -> str:
        """Changes whenever a delivery or its log changes (for the page's live refresh)."""
        return ".".join(f"{d.pk}:{d.status}:{d.attempts}" for d in self.deliveries)


def publishing_of(draft: Draft) -> Publishing:
    return Publishing(list(Delivery.objects.filter(draft=draft)
                           .select_related("destination").prefetch_related("log")
                           .order_by("destination__name")))
