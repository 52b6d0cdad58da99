"""The mail outbox's sender: `drain_outbox`, one pass of the MailOutbox workflow.

It sends batch after batch through the outbox service (drafts/outbox.py: claiming, recipients,
digests, retries); between batches it waits up to `wait_seconds` for new rows, heartbeating,
and returns early when the worker shuts down or the run is cancelled.
"""

from __future__ import annotations

import time

from temporalio import activity

from drafts.outbox import send_due  # up: sending mail is the outbox service's; this only paces it
from temporal_app.types import DRAIN_OUTBOX, DrainInput, DrainResult


@activity.defn(name=DRAIN_OUTBOX)
def drain_outbox(inp: DrainInput) -> DrainResult:
    sent = failed = 0
    until = time.monotonic() + inp.wait_seconds
    while True:
        s, f = send_due(inp.batch, inp.digest_threshold)
        sent, failed = sent + s, failed + f
        activity.heartbeat({"sent": sent, "given_up": failed})
        if time.monotonic() >= until or activity.is_worker_shutdown() \
                or activity.is_cancelled():
            return DrainResult(sent=sent, failed=failed)
        if not s and not f:
            time.sleep(inp.poll_seconds)
