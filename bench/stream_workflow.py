"""Workflow Streams beside the database channel (bench/streaming.py, phase "streams").

The engine-native transport of issue 25, built as its documentation shows: a workflow hosts a
`WorkflowStream`; its one activity streams the same draft from the same LLM server and
publishes each delta with `WorkflowStreamClient.from_within_activity` (batched every
`BATCH` like the app's database row); subscribers read it by offset. Django-free, so it runs
in a worker process of its own:

    .venv/bin/python bench/stream_workflow.py TEMPORAL_ADDRESS TASK_QUEUE
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.contrib.workflow_streams import WorkflowStream, WorkflowStreamClient

BATCH = timedelta(milliseconds=250)
TOPIC = "text"
DONE = "done"


@dataclass
class StreamInput:
    topic: str
    base_url: str


@activity.defn(name="bench_stream_llm")
async def stream_llm(data: StreamInput) -> int:
    from openai import AsyncOpenAI

    llm = AsyncOpenAI(base_url=data.base_url, api_key="bench-key", max_retries=0)
    written = 0
    stream = WorkflowStreamClient.from_within_activity(batch_interval=BATCH)
    async with stream:
        text = stream.topic(TOPIC)
        response = await llm.chat.completions.create(
            model="bench", stream=True,
            messages=[{"role": "user", "content": f"Write about: {data.topic}"}])
        async for chunk in response:
            delta = chunk.choices[0].delta.content if chunk.choices else None
            if delta:
                written += len(delta)
                text.publish(delta)
                activity.heartbeat(written)
            if chunk.choices and chunk.choices[0].finish_reason:
                break
        await response.close()
        stream.topic(DONE).publish(written)
        # Flushed here, not by leaving the block: measured with temporalio 1.35.0, a batch
        # still being signalled when the client's __aexit__ cancels its flusher left the
        # activity hanging until its heartbeat timeout (every attempt, retried for ever).
        await stream.flush()
    return written


@workflow.defn(name="BenchStreamedDraft")
class StreamedDraft:
    @workflow.init
    def __init__(self, data: StreamInput) -> None:
        self.stream = WorkflowStream()

    @workflow.run
    async def run(self, data: StreamInput) -> int:
        return await workflow.execute_activity(
            stream_llm, data, start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=30))


async def serve(address: str, task_queue: str) -> None:
    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(address)
    worker = Worker(client, task_queue=task_queue, workflows=[StreamedDraft],
                    activities=[stream_llm], max_concurrent_activities=100)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
