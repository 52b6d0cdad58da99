"""The one writer of deliveries (publishing.models.Delivery, DeliveryAttempt).

Called by the PublishDraft workflow's activities (temporal_app/activities/publishing.py):
`plan` before a run delivers, `record_attempt` after each HTTP request, `give_up` when a
destination refused for good or the retry window closed. The draft's own events (published,
delivery_failed) go through drafts/projection.py like every other event.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from drafts.markdown import render_markdown
from drafts.models import Draft
from publishing.models import Delivery, DeliveryAttempt
from publishing.selectors import matching_destinations
from rulebook.delivery import DeliveryStatus, delivery_failed
from rulebook.states import APPROVED_STATES

EVENT_TYPE = "draft.approved"


class NotApproved(LookupError):
    """The draft is not approved (or gone): there is nothing to deliver, now or later."""


def plan(draft_id: int) -> tuple[Draft, list[Delivery], dict[str, str]]:
    """The deliveries a run makes: a row per matching active destination (created once, with
    its message id for good), failed ones to active destinations back to pending (a retry).
    Returns (draft, pending deliveries, {destination: failure} of failed ones left alone)."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().filter(pk=draft_id).first()
        if draft is None or draft.state not in APPROVED_STATES:
            raise NotApproved(f"draft {draft_id} is not approved")
        for destination in matching_destinations(draft):
            Delivery.objects.get_or_create(draft=draft, destination=destination,
                                           defaults={"version": draft.current_version})
        Delivery.objects.filter(draft=draft, status=DeliveryStatus.FAILED.value,
                                destination__is_active=True).update(
            status=DeliveryStatus.PENDING.value, failure="")
        rows = list(Delivery.objects.filter(draft=draft).select_related("destination"))
    pending = [d for d in rows if d.is_pending]
    left = {d.destination.name: d.failure for d in rows if d.is_failed}
    return draft, pending, left


def body(delivery: Delivery) -> str:
    """The request body: the same bytes on every attempt of a delivery."""
    draft = delivery.draft
    text = draft.versions.get(number=delivery.version).text
    return json.dumps({
        "type": EVENT_TYPE,
        "timestamp": (draft.decided_at or delivery.created_at).isoformat(),
        "data": {
            "draft_id": draft.pk,
            "version": delivery.version,
            "topic": draft.topic,
            "channel": draft.channel,
            "markdown": text,
            "html": str(render_markdown(text)),
            "approved_at": draft.decided_at.isoformat() if draft.decided_at else None,
            "url": f"{settings.SITE_URL}{draft.get_absolute_url()}",
        },
    }, ensure_ascii=False, separators=(",", ":"))


class DeliveryMissing(LookupError):
    """The delivery row is gone (its draft was deleted): nothing to send, ever."""


def load(delivery_id: int) -> tuple[Delivery, str]:
    """The delivery with its destination and draft, and the body to send ("" when it was
    delivered already)."""
    delivery = (Delivery.objects.select_related("destination", "draft")
                .filter(pk=delivery_id).first())
    if delivery is None:
        raise DeliveryMissing(f"delivery {delivery_id} does not exist")
    return delivery, ("" if delivery.is_delivered else body(delivery))


def record_attempt(delivery_id: int, *, status_code: int | None, error: str,
                   duration_ms: int) -> Delivery:
    """One request made: its log line, and the delivery delivered when it was accepted
    (`error` "")."""
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        delivery.first_attempt_at = delivery.first_attempt_at or now
        delivery.last_attempt_at = now
        delivery.last_error = error
        if not error:
            delivery.status = DeliveryStatus.DELIVERED.value
            delivery.delivered_at = now
            delivery.failure = ""
        delivery.save()
        DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts,
                                       status_code=status_code, error=error,
                                       duration_ms=duration_ms, at=now)
    return delivery


def give_up(delivery_id: int, reason: str = "") -> str:
    """Stop trying a delivery: failed, with the sentence saying how long it was tried and its
    last error (`reason`, Temporal's, when no attempt recorded one). "" when it was delivered
    after all (an accepted attempt won the race)."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.is_delivered:
            return ""
        elapsed = ((delivery.last_attempt_at - delivery.first_attempt_at).total_seconds()
                   if delivery.first_attempt_at and delivery.last_attempt_at else 0.0)
        delivery.status = DeliveryStatus.FAILED.value
        delivery.failure = delivery_failed(delivery.attempts, elapsed,
                                            delivery.last_error or reason)
        delivery.save(update_fields=["status", "failure"])
        return delivery.failure
