"""Reads. Each returns querysets shaped for one page, with the joins that page needs."""

from __future__ import annotations

from django.db.models import QuerySet

from drafts.models import Draft
from temporal_app.types import ReviewState


def drafts_for_author(user, status: str = "") -> QuerySet[Draft]:
    qs = Draft.objects.filter(author=user)
    if status:
        qs = qs.filter(status=status)
    return qs


def draft_with_history(pk: int) -> Draft:
    return (Draft.objects.select_related("author", "decided_by")
            .prefetch_related("versions__created_by", "events__actor")
            .get(pk=pk))


def review_queue() -> QuerySet[Draft]:
    """Drafts awaiting review, nearest deadline first."""
    return (Draft.objects.filter(status=ReviewState.AWAITING_REVIEW)
            .select_related("author").order_by("deadline", "pk"))


def queue_count() -> int:
    return Draft.objects.filter(status=ReviewState.AWAITING_REVIEW).count()
