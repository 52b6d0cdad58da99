"""Writes from the admins' side of publishing: Retry delivery."""

from __future__ import annotations

from django.db import transaction

from drafts import projection
from drafts.models import Draft
from drafts.services import publish_policy
from publishing.models import Delivery
from rulebook import delivery
from rulebook.delivery import DeliveryStatus
from rulebook.states import EventKind
from temporal_app import errors, gateway
from temporal_app.types import PublishInput


def retry_delivery(*, draft_id: int, user) -> str:
    """Deliver an approved draft again to the destinations that did not get it: a new
    PublishDraft run (same id, same message ids, so receivers see the same messages). Returns
    the sentence to show. Raises Refused (nothing to retry, not approved, a run delivering
    right now: the engine refuses a second one) or EngineUnavailable; either way nothing is
    recorded."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft_id)
        undelivered = Delivery.objects.filter(draft=draft).exclude(
            status=DeliveryStatus.DELIVERED.value).count()
        refusal = delivery.retry_delivery_refusal(draft.state, undelivered)
        if refusal is not None:
            raise errors.Refused(refusal.sentence, refusal.code)
        # The run's event follows the `delivery_retried` one written here once it started
        # (the row stays locked meanwhile, so no other event takes that number).
        seq = projection.next_seq(draft)
        gateway.start_publish(PublishInput(draft_id=draft.pk, first_event_seq=seq + 1,
                                           policy=publish_policy()))
        projection.record(draft, EventKind.DELIVERY_RETRIED, actor_id=user.pk)
    return (f"Delivering draft #{draft.pk} again to the "
            f"{'destination' if undelivered == 1 else f'{undelivered} destinations'} that did "
            "not get it.")
