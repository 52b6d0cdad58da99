"""PublishDraftWorkflow: deliver an approved draft to every destination that wants it.

    plan (local) ──▶ deliver to each destination, in parallel (regular activities, retried
                     with backoff for the publish window; a 4xx but 408/429 is final)
                 ──▶ published            every destination accepted
                 └─▶ delivery_failed      some did not: each says after how long and why

Started by the review workflow when it closes as approved (a child that outlives it), and by
an admin's Retry delivery (publishing/services.py), which makes a new run with the same id
for the destinations that failed. Deliveries keep their message id across runs, so a
receiver sees one logical message however often it is sent. Nothing here knows a URL or a
secret: the activities read them from the database.

Imports only stdlib, temporalio and Django-free modules.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import rulebook.delivery as delivery
    import rulebook.states as states
    import temporal_app.options as options
    from rulebook.states import STATE_AFTER, EventKind
    from temporal_app.types import (
        DELIVER,
        GIVE_UP_DELIVERY,
        PLAN_DELIVERIES,
        PROJECT,
        PUBLISH_WORKFLOW_TYPE,
        DeliverInput,
        DeliverResult,
        DeliveryPlan,
        EventRecord,
        GiveUpInput,
        GiveUpResult,
        PlanInput,
        PlannedDelivery,
        ProjectInput,
        ProjectResult,
        PublishInput,
        PublishResult,
    )


@workflow.defn(name=PUBLISH_WORKFLOW_TYPE)
class PublishDraftWorkflow:
    @workflow.run
    async def run(self, inp: PublishInput) -> PublishResult:
        plan = await workflow.execute_local_activity(
            PLAN_DELIVERIES, PlanInput(inp.draft_id), result_type=DeliveryPlan,
            summary="plan deliveries", **options.publish_write())
        if not plan.deliveries and not plan.not_retried:
            return PublishResult(delivered=0, failed={})  # no destination wants this draft
        outcomes = await asyncio.gather(*(self._deliver(inp, d) for d in plan.deliveries))
        failed = dict(plan.not_retried)
        failed.update({name: why for name, why in outcomes if why})
        kind = EventKind.DELIVERY_FAILED if failed else EventKind.PUBLISHED
        state = STATE_AFTER[kind] or states.ReviewState(plan.state)
        event = EventRecord(seq=inp.first_event_seq, kind=kind.value, state=state.value,
                            version=plan.version, comment=delivery.not_published(failed))
        await workflow.execute_local_activity(
            PROJECT, ProjectInput(draft_id=inp.draft_id, events=[event]),
            result_type=ProjectResult, summary=kind.value, **options.publish_write())
        return PublishResult(delivered=sum(1 for _, why in outcomes if not why), failed=failed)

    async def _deliver(self, inp: PublishInput, planned: PlannedDelivery) -> tuple[str, str]:
        """(destination, "" when it accepted, else why it did not)."""
        try:
            await workflow.execute_activity(
                DELIVER, DeliverInput(planned.delivery_id, inp.policy.request_timeout_seconds),
                result_type=DeliverResult, summary=f"deliver to {planned.destination}",
                **options.deliver(inp.policy))
            return planned.destination, ""
        except ActivityError as err:
            given_up = await workflow.execute_local_activity(
                GIVE_UP_DELIVERY, GiveUpInput(planned.delivery_id, _reason(err)),
                result_type=GiveUpResult, summary=f"give up {planned.destination}",
                **options.publish_write())
            return planned.destination, given_up.failure


def _reason(err: ActivityError) -> str:
    """The innermost message of an activity's failure (its last error, or the timeout)."""
    message = err.message
    cause = err.cause
    while cause is not None:
        message = getattr(cause, "message", "") or message
        cause = cause.cause
    return message
