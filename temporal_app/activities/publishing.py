"""The PublishDraft workflow's activities: plan the deliveries, deliver one, give one up.

`deliver` is one signed HTTP POST (Standard Webhooks) to one destination, bounded end to end
by the request timeout, whatever the destination does (a hang, a trickle, a redirect loop, the
app itself): async, so a slow destination holds no thread. Temporal retries it with backoff
for the publish window; a 4xx other than 408/429 is final (non-retryable). Every request is
logged (publishing/deliveries.py writes the rows). The URL and the signing secret are read
from the database here and never enter a workflow payload.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.utils import timezone
from temporalio import activity
from temporalio.exceptions import ApplicationError

from publishing import deliveries, signing  # up: the deliveries' one writer, and signing
from rulebook.delivery import delivery_retryable
from temporal_app.types import (
    DELIVER,
    GIVE_UP_DELIVERY,
    PLAN_DELIVERIES,
    DeliverInput,
    DeliverResult,
    DeliveryPlan,
    GiveUpInput,
    GiveUpResult,
    PlanInput,
    PlannedDelivery,
)

# Error types the workflow's retry policy does not retry (temporal_app/options.py).
REFUSED = "DeliveryRefused"  # the destination answered 4xx (not 408/429)
GONE = "DeliveryMissing"  # the delivery row or its draft is gone
NOT_APPROVED = "NotApproved"
RETRY_AFTER_MAX = 3600.0
ERROR_BODY_BYTES = 200  # of a refusal's body, kept as its last error


@activity.defn(name=PLAN_DELIVERIES)
def plan_deliveries(inp: PlanInput) -> DeliveryPlan:
    try:
        draft, pending, left = deliveries.plan(inp.draft_id)
    except deliveries.NotApproved as err:
        raise ApplicationError(str(err), type=NOT_APPROVED, non_retryable=True) from None
    return DeliveryPlan(state=draft.status, version=draft.current_version,
                        deliveries=[PlannedDelivery(d.pk, d.destination.name) for d in pending],
                        not_retried=left)


@activity.defn(name=GIVE_UP_DELIVERY)
def give_up_delivery(inp: GiveUpInput) -> GiveUpResult:
    return GiveUpResult(failure=deliveries.give_up(inp.delivery_id, inp.reason))


def _db(fn, *args, **kwargs):
    """A database call from the event loop: in a thread, with a fresh connection."""
    def call():
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()
    return sync_to_async(call, thread_sensitive=False)()


def _load(delivery_id: int):
    try:
        return deliveries.load(delivery_id)
    except deliveries.DeliveryMissing as err:
        raise ApplicationError(str(err), type=GONE, non_retryable=True) from None


@activity.defn(name=DELIVER)
async def deliver(inp: DeliverInput) -> DeliverResult:
    delivery, body = await _db(_load, inp.delivery_id)
    if delivery.is_delivered:  # an earlier attempt was accepted, then its answer was lost
        return DeliverResult(status_code=0)
    destination = delivery.destination
    headers = signing.signed_headers(destination.secret, delivery.message_id, body)
    activity.heartbeat()
    started = time.monotonic()
    status, error, retry_after = await _post(destination.url, body, headers,
                                             inp.request_timeout_seconds)
    await _db(deliveries.record_attempt, delivery.pk, status_code=status, error=error,
              duration_ms=int((time.monotonic() - started) * 1000))
    if not error:
        return DeliverResult(status_code=status or 0)
    if status is not None and not delivery_retryable(status):
        raise ApplicationError(error, type=REFUSED, non_retryable=True)
    raise ApplicationError(error, type="DeliveryFailed", next_retry_delay=retry_after)


async def _post(url: str, body: str, headers: dict[str, str], timeout: float
                ) -> tuple[int | None, str, timedelta | None]:
    """(status code or None, error or "" when accepted, the destination's Retry-After)."""
    try:
        async with asyncio.timeout(timeout):
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                         trust_env=False) as client:
                async with client.stream("POST", url, content=body.encode(),
                                         headers=headers) as response:
                    code = response.status_code
                    if 200 <= code < 300:
                        return code, "", None
                    snippet = b""
                    async for chunk in response.aiter_bytes():
                        snippet += chunk
                        if len(snippet) >= ERROR_BODY_BYTES:
                            break
    except TimeoutError:
        return None, f"no answer within {timeout:g} s", None
    except httpx.HTTPError as err:
        return None, f"{type(err).__name__}: {err}" if str(err) else type(err).__name__, None
    text = " ".join(snippet[:ERROR_BODY_BYTES].decode(errors="replace").split())
    error = f"HTTP {code} {response.reason_phrase}".strip() + (f": {text}" if text else "")
    return code, error, _retry_after(response.headers.get("retry-after"))


def _retry_after(value: str | None) -> timedelta | None:
    """The destination's Retry-After (seconds or an HTTP date), capped at an hour."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError):
            return None
    return timedelta(seconds=min(max(seconds, 1.0), RETRY_AFTER_MAX))
