"""Timeouts and retry policies of every activity the review workflow runs, in one place.

Django-free (the workflow imports it). The numbers come from the workflow input's
`ActivityPolicy`, which the web fills from settings when a review starts, so a running review
keeps the options it started with and tests can shorten them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

from temporal_app.types import ActivityPolicy, PublishPolicy

# The projection's errors that no retry can fix (bad data, a missing draft): fail at once.
BAD_DATA = "BadData"
PERMANENT_WRITE_ERRORS = ["DraftMissing", BAD_DATA]


def llm(policy: ActivityPolicy) -> dict[str, Any]:
    """The LLM call: long, heartbeated while text streams, retried with backoff."""
    return dict(
        task_queue=policy.llm_task_queue or None,
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
    """The local write of events and versions: short, retried in the workflow task while the
    database is briefly away (a restart, a failover). Bad data is refused before it gets
    here and fails at once if it does (PERMANENT_WRITE_ERRORS)."""
    return dict(
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(
            initial_interval=timedelta(milliseconds=200),
            maximum_interval=timedelta(seconds=10),
            maximum_attempts=policy.db_local_attempts or policy.db_max_attempts,
            non_retryable_error_types=PERMANENT_WRITE_ERRORS,
        ),
    )


def checks() -> dict[str, Any]:
    """The deterministic checks (a local activity): pure functions of a text, so an attempt
    that fails would fail again; a worker that dies mid-way is the only retry."""
    return dict(start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=2))


def judge(policy: ActivityPolicy) -> dict[str, Any]:
    """The LLM judge: one answer, not streamed (no heartbeats), retried like an LLM call
    (an answer that does not fit its schema too); bounded, then "judge unavailable"."""
    return {**llm(policy), "heartbeat_timeout": None}


def links(timeout_seconds: float, count: int) -> dict[str, Any]:
    """The links' HEAD requests: each bounded by the check's timeout; one attempt."""
    return dict(start_to_close_timeout=timedelta(seconds=10 + count * timeout_seconds),
                heartbeat_timeout=timedelta(seconds=10 + timeout_seconds),
                retry_policy=RetryPolicy(maximum_attempts=1))


def project_durable(policy: ActivityPolicy) -> dict[str, Any]:
    """The same write as a regular activity, once the local attempts are spent: retried until
    the database answers (db_max_attempts = 0) because a decision the workflow took must be
    stored, and visible meanwhile (the Temporal UI's pending activity, `reconcile`)."""
    return dict(
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(
            initial_interval=timedelta(seconds=1),
            maximum_interval=timedelta(seconds=30),
            maximum_attempts=policy.db_max_attempts,
            non_retryable_error_types=PERMANENT_WRITE_ERRORS,
        ),
    )


def _application_error(err: FailureError) -> ApplicationError | None:
    """The activity's own error: a regular activity's comes wrapped in an ActivityError, a
    local activity's as it is."""
    while isinstance(err, ActivityError) and err.cause is not None:
        err = err.cause  # type: ignore[assignment]
    return err if isinstance(err, ApplicationError) else None


def permanent_write_error(err: FailureError) -> str:
    """The database's reason when a write failed for good (bad data), else ""."""
    app = _application_error(err)
    return app.message if app is not None and app.type == BAD_DATA else ""


def local_attempts_spent(err: FailureError, policy: ActivityPolicy) -> bool:
    """A local write failed after its local attempts (retried inside the SDK), for a reason
    a retry may fix; the regular activity takes over when the policy allows it."""
    app = _application_error(err)
    return policy.db_local_attempts > 0 and not (
        app is not None and app.type in PERMANENT_WRITE_ERRORS)


def drain(wait_seconds: float) -> dict[str, Any]:
    """One pass of the mail outbox: waits for mail up to `wait_seconds`, heartbeating."""
    return dict(
        start_to_close_timeout=timedelta(seconds=wait_seconds + 120),
        heartbeat_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1),
                                 maximum_interval=timedelta(seconds=30)),
    )


# Delivery errors no retry can fix: the destination refused (4xx but 408/429), the delivery or
# its draft is gone, the draft is not approved.
PERMANENT_DELIVERY_ERRORS = ["DeliveryRefused", "DeliveryMissing", "NotApproved"]


def deliver(policy: PublishPolicy) -> dict[str, Any]:
    """One destination's delivery: each attempt bounded by the request timeout (plus room to
    log it), retried with backoff until the publish window closes. The destination's
    Retry-After, when it sends one, replaces the backoff for that attempt."""
    return dict(
        start_to_close_timeout=timedelta(seconds=policy.request_timeout_seconds + 15),
        schedule_to_close_timeout=timedelta(seconds=policy.retry_seconds),
        retry_policy=RetryPolicy(
            initial_interval=timedelta(seconds=policy.retry_initial_seconds),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=policy.retry_max_interval_seconds),
            non_retryable_error_types=PERMANENT_DELIVERY_ERRORS,
        ),
    )


def publish_write() -> dict[str, Any]:
    """The publishing run's local writes (plan, give up, its event): retried while the
    database is away, never on a permanent error."""
    return dict(
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(
            initial_interval=timedelta(milliseconds=200),
            maximum_interval=timedelta(seconds=10),
            non_retryable_error_types=PERMANENT_WRITE_ERRORS + PERMANENT_DELIVERY_ERRORS,
        ),
    )
