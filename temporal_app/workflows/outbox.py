"""MailOutboxWorkflow: sends the mail reviews queue, so mail costs a review no round trips.

The review workflow's one local write also queues the mail the rulebook names for the event
(drafts.models.OutboxMail, same transaction). This workflow, one per task queue (started by
the worker, id `mail-outbox-<queue>`), runs `drain_outbox` passes back to back: each pass
sends what is due (a digest to anyone with many mails at once), waits for more for up to
`wait_seconds` while heartbeating, and returns. A mail that keeps failing is given up and
shown to admins (Django admin → Outbox mails), never waited on by a review. Continue-as-new
keeps the history short.

Imports only stdlib, temporalio and Django-free modules.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import temporal_app.options as options
    from temporal_app.types import DRAIN_OUTBOX, OUTBOX_WORKFLOW_TYPE, DrainInput, DrainResult

PASSES_PER_RUN = 100


@workflow.defn(name=OUTBOX_WORKFLOW_TYPE)
class MailOutboxWorkflow:
    @workflow.run
    async def run(self, inp: DrainInput) -> None:
        for _ in range(PASSES_PER_RUN):
            await workflow.execute_activity(DRAIN_OUTBOX, inp, result_type=DrainResult,
                                            summary="send queued mail",
                                            **options.drain(inp.wait_seconds))
        workflow.continue_as_new(inp)
