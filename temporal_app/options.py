"""Timeouts and retry policies of every activity the review workflow runs, in one place.

Django-free (the workflow imports it). The numbers come from the workflow input's
`ActivityPolicy`, which the web fills from settings when a review starts, so a running review
keeps the options it started with and tests can shorten them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

from temporal_app.types import ActivityPolicy

# The projection's errors that no retry can fix (bad data, a missing draft): fail at once.
PERMANENT_WRITE_ERRORS = ["DraftMissing", "BadData"]


def llm(policy: ActivityPolicy) -> dict[str, Any]:
    """The LLM call: long, heartbeated while text streams, retried with backoff."""
    return dict(
        start_to_close_timeout=timedelta(seconds=policy.llm_start_to_close_seconds),
        schedule_to_close_timeout=timedelta(seconds=policy.llm_schedule_to_close_seconds),
        heartbeat_timeout=timedelta(seconds=policy.llm_heartbeat_seconds),
        retry_policy=RetryPolicy(
            initial_interval=timedelta(seconds=policy.llm_retry_initial_seconds),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=policy.llm_retry_max_interval_seconds),
            maximum_attempts=policy.llm_max_attempts,
        ),
    )


def project(policy: ActivityPolicy) -> dict[str, Any]:
    """The local write of events and versions: short, retried until the database answers
    (db_max_attempts = 0) because a decision the workflow took must be stored; bad data is
    refused before it gets here and fails at once if it does."""
    return dict(
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(
            initial_interval=timedelta(milliseconds=200),
            maximum_interval=timedelta(seconds=10),
            maximum_attempts=policy.db_max_attempts,
            non_retryable_error_types=PERMANENT_WRITE_ERRORS,
        ),
    )


def drain(wait_seconds: float) -> dict[str, Any]:
    """One pass of the mail outbox: waits for mail up to `wait_seconds`, heartbeating."""
    return dict(
        start_to_close_timeout=timedelta(seconds=wait_seconds + 120),
        heartbeat_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1),
                                 maximum_interval=timedelta(seconds=30)),
    )
