"""Task queues and the workers that poll them.

Two queues, so a flood of drafts never delays a decision:

- **review** (`TEMPORAL_TASK_QUEUE`): the review and mail-outbox workflows, their database
  writes (local activities) and the mail sender. Short work; this is what an editor waits on.
- **llm** (`TEMPORAL_LLM_TASK_QUEUE`, default "<review queue>-llm"): the LLM calls, long and
  rate-limited by the provider; served by workers of their own, with their own concurrency
  and a queue-wide rate limit.

A review names its LLM queue in its input (`ActivityPolicy.llm_task_queue`), so runs started
before the split ("" there) keep scheduling LLM work on the review queue, where review workers
still serve it: moving the activity needed no workflow change (docs/workflow.md).
"""

from __future__ import annotations

from django.conf import settings

REVIEW = "review"
LLM = "llm"
ALL = "all"
ROLES = (REVIEW, LLM, ALL)


def review_queue() -> str:
    return settings.TEMPORAL_TASK_QUEUE


def llm_queue(review: str | None = None) -> str:
    """The LLM queue that goes with a review queue (the setting, else "<review>-llm")."""
    return settings.TEMPORAL_LLM_TASK_QUEUE or f"{review or review_queue()}-llm"


def queues_for(role: str, review: str | None = None) -> list[str]:
    review = review or review_queue()
    return {REVIEW: [review], LLM: [llm_queue(review)], ALL: [review, llm_queue(review)]}[role]
