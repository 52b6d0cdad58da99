"""Writes from the authors' side. A draft's workflow-driven state is written by activities;
these functions create drafts and send the author's requests to the workflow."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from drafts.models import Draft, DraftEvent
from temporal_app import client as temporal
from temporal_app.types import (
    ActivityPolicy,
    DecisionResult,
    DraftBrief,
    EventKind,
    ReviewInput,
    ReviewState,
    StopInput,
)

log = logging.getLogger(__name__)


def review_input(draft: Draft, *, first_version: int, first_event_seq: int) -> ReviewInput:
    return ReviewInput(
        draft_id=draft.pk,
        author_id=draft.author_id,
        brief=DraftBrief(topic=draft.topic, brief=draft.brief, audience=draft.audience,
                         tone=draft.tone, target_words=draft.target_words),
        review_timeout_seconds=settings.REVIEW_TIMEOUT,
        remind_after_seconds=settings.REMIND_AFTER,
        max_revisions=settings.MAX_REVISIONS,
        first_version=first_version,
        first_event_seq=first_event_seq,
        policy=ActivityPolicy(
            llm_start_to_close_seconds=settings.LLM_START_TO_CLOSE,
            llm_schedule_to_close_seconds=settings.LLM_SCHEDULE_TO_CLOSE,
            llm_heartbeat_seconds=settings.LLM_HEARTBEAT_TIMEOUT,
            llm_max_attempts=settings.LLM_MAX_ATTEMPTS,
            db_max_attempts=settings.DB_ACTIVITY_MAX_ATTEMPTS,
            notify_schedule_to_close_seconds=settings.NOTIFY_SCHEDULE_TO_CLOSE,
            llm_retry_initial_seconds=settings.LLM_RETRY_INITIAL_INTERVAL,
            llm_retry_max_interval_seconds=settings.LLM_RETRY_MAX_INTERVAL,
            llm_sections_threshold_words=settings.LLM_SECTIONS_THRESHOLD_WORDS,
            llm_section_concurrency=settings.LLM_SECTION_CONCURRENCY,
        ),
    )


def _start_after_commit(draft: Draft, inp: ReviewInput) -> None:
    """Start the workflow once the draft row is committed; if Temporal cannot be reached the
    draft is marked failed with the reason, and the author can retry from its page."""

    def start() -> None:
        try:
            temporal.start_review(inp)
        except temporal.EngineError as err:
            log.warning("could not start the workflow of draft %s: %s", draft.pk, err)
            Draft.objects.filter(pk=draft.pk, status=ReviewState.GENERATING).update(
                status=ReviewState.FAILED, status_message=str(err))

    transaction.on_commit(start)


def submit_draft(*, author, topic: str, brief: str = "", audience: str = "", tone: str = "",
                 target_words: int = Draft.Length.MEDIUM,
                 submission_key: uuid.UUID | None = None) -> tuple[Draft, bool]:
    """Create a draft and start its review. Returns (draft, created): the same submission key
    twice (a double-submitted form) returns the first draft."""
    with transaction.atomic():
        if submission_key is not None:
            existing = Draft.objects.filter(author=author, submission_key=submission_key).first()
            if existing is not None:
                return existing, False
        draft = Draft.objects.create(author=author, topic=topic, brief=brief, audience=audience,
                                     tone=tone, target_words=target_words,
                                     submission_key=submission_key)
        DraftEvent.objects.create(draft=draft, seq=1, kind=EventKind.SUBMITTED, actor=author)
        _start_after_commit(draft, review_input(draft, first_version=1, first_event_seq=2))
    return draft, True


def last_numbers(draft: Draft) -> tuple[int, int]:
    """(highest event seq, highest version number) the draft has: a new run continues them."""
    last_seq = draft.events.aggregate(n=Max("seq"))["n"] or 0
    last_version = draft.versions.aggregate(n=Max("number"))["n"] or 0
    return last_seq, last_version


def restart_review(draft: Draft, **event_fields) -> ReviewInput:
    """Start a new run of a draft's workflow (same id) whose last run ended or vanished.

    Call inside a transaction with the draft locked (select_for_update). Records a `retried`
    event (`event_fields`: actor, version, comment), puts the draft back to generating, and
    starts the run after commit with version and event numbering continuing; if Temporal
    cannot be reached, the draft ends up failed with the reason.
    """
    last_seq, last_version = last_numbers(draft)
    DraftEvent.objects.create(draft=draft, seq=last_seq + 1, kind=EventKind.RETRIED,
                              **event_fields)
    draft.status = ReviewState.GENERATING
    draft.deadline = draft.remind_at = None
    draft.status_message = ""
    draft.progress_chars = 0
    draft.save(update_fields=["status", "deadline", "remind_at", "status_message",
                              "progress_chars", "updated_at"])
    inp = review_input(draft, first_version=last_version + 1, first_event_seq=last_seq + 2)
    _start_after_commit(draft, inp)
    return inp


def retry_draft(*, draft: Draft, user) -> Draft:
    """The author's Retry on a failed draft: a new run, numbering continues."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        if draft.status != ReviewState.FAILED:
            raise temporal.DecisionRefused("Only a failed draft can be retried.")
        restart_review(draft, actor=user)
    return draft


def withdraw_draft(*, draft: Draft, user, comment: str = "") -> DecisionResult:
    return temporal.send_update(draft.pk, "withdraw",
                                StopInput(actor_id=user.pk, actor=user.get_username(),
                                          comment=comment), DecisionResult)
