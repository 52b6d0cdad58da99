"""Standard Webhooks signing (https://www.standardwebhooks.com): the headers of one request.

Every attempt of a delivery carries the same `webhook-id` (the delivery's message id), so a
receiver that saw it before drops the repeat; the timestamp and signature are fresh, because
receivers refuse timestamps older than a few minutes. Signed by the reference library
(`standardwebhooks`), which receivers can use to verify (docs/api.md has an example).
"""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook

USER_AGENT = "Redline-Webhooks/1"


def signed_headers(secret: str, message_id: str, body: str, now: datetime | None = None
                   ) -> dict[str, str]:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }
