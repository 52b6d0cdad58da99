"""Writes from the authors' side: create a draft and start its review, Retry a failed one,
withdraw. The draft's review state is written through drafts/projection.py only."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from drafts import projection, roles, selectors
from drafts.models import Draft, DraftVersion, PassageChange
from review.models import Channel
from rulebook import (
    authors,
    budgets,
    check_file,
    decisions,
    delivery,
    inputs,
    policies,
    snapshot,
    states,
    urgency,
    writing,
)
from rulebook import checks as check_rules
from rulebook.states import DecisionKind, EventKind
from temporal_app import errors, gateway, queues
from temporal_app.types import (
    ActivityPolicy,
    DecisionResult,
    DraftBrief,
    PublishPolicy,
    ReviewInput,
    StopInput,
    StopWritingInput,
)

log = logging.getLogger(__name__)


def publish_policy() -> PublishPolicy:
    return PublishPolicy(retry_seconds=settings.PUBLISH_RETRY_WINDOW,
                         request_timeout_seconds=settings.PUBLISH_REQUEST_TIMEOUT,
                         retry_initial_seconds=settings.PUBLISH_RETRY_INITIAL_INTERVAL,
                         retry_max_interval_seconds=settings.PUBLISH_RETRY_MAX_INTERVAL)


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
            db_local_attempts=settings.DB_LOCAL_ATTEMPTS,
            notify_schedule_to_close_seconds=settings.NOTIFY_SCHEDULE_TO_CLOSE,
            llm_retry_initial_seconds=settings.LLM_RETRY_INITIAL_INTERVAL,
            llm_retry_max_interval_seconds=settings.LLM_RETRY_MAX_INTERVAL,
            llm_sections_threshold_words=settings.LLM_SECTIONS_THRESHOLD_WORDS,
            llm_section_concurrency=settings.LLM_SECTION_CONCURRENCY,
            llm_task_queue=queues.llm_queue(),
        ),
        publish=publish_policy(),
        review_policy=draft.policy,
        due_at=draft.due_at,
        budget=draft.budget,
        spent=selectors.spend(draft)[0] if first_version > 1 else None,
        checks=checks_for(draft.channel),
        check_max_auto_revisions=settings.CHECK_MAX_AUTO_REVISIONS,
        **_judge_for(draft.channel),
    )


@dataclass
class Start:
    """A review start scheduled for commit; `error` says why it failed, once committed."""

    inp: ReviewInput
    error: str = ""


def _start_after_commit(draft_id: int, inp: ReviewInput) -> Start:
    """Start the workflow once the draft row is committed; if Temporal cannot be reached or
    refuses, the draft fails with the reason (a `failed` event through the projection), and
    the author can retry from its page."""
    ticket = Start(inp)

    def start() -> None:
        try:
            gateway.start_review(inp)
        except errors.RedlineError as err:
            log.warning("could not start the workflow of draft %s: %s", draft_id, err)
            ticket.error = str(err)
            with transaction.atomic():
                draft = Draft.objects.select_for_update().get(pk=draft_id)
                if draft.last_seq < inp.first_event_seq:  # the run wrote nothing yet
                    projection.record(draft, EventKind.FAILED, comment=str(err))

    transaction.on_commit(start)
    return ticket


def _policy_for(channel: str) -> tuple[policies.ReviewPolicy, str]:
    """(the review policy a draft of `channel` gets, or a sentence when the channel is not
    one an author may pick). No channel, or a channel without a policy: the default."""
    if not channel:
        return policies.DEFAULT_POLICY, ""
    if problem := delivery.channel_problem(channel):
        return policies.DEFAULT_POLICY, problem
    found = Channel.objects.filter(slug=channel, is_active=True).select_related("policy").first()
    if found is None:
        known = ", ".join(Channel.objects.filter(is_active=True).values_list("slug", flat=True))
        return policies.DEFAULT_POLICY, (
            f"There is no channel '{channel}'. " + (f"Choose one of: {known}." if known else
                                                    "Leave it blank."))
    return (found.policy.as_rule() if found.policy else policies.DEFAULT_POLICY), ""


def _budget_for(channel: str) -> budgets.Budget:
    """What a draft of `channel` may spend: the channel's budget where it sets one, else the
    site's."""
    found = Channel.objects.filter(slug=channel).values("budget_tokens", "budget_usd").first() \
        if channel else None
    tokens = found["budget_tokens"] if found and found["budget_tokens"] is not None \
        else settings.LLM_BUDGET_TOKENS
    usd = float(found["budget_usd"]) if found and found["budget_usd"] is not None \
        else settings.LLM_BUDGET_USD
    return budgets.Budget(tokens, usd)


def checks_for(channel: str) -> list[dict] | None:
    """The checks a draft of `channel` gets (rulebook.checks), as the workflow takes them:
    the channel's file, else the site's defaults (CHECKS_SITE_DEFAULTS); None: no checks.
    Raises ChecksError for a channel file that no longer reads (edited past the admin)."""
    found = Channel.objects.filter(slug=channel).first() if channel else None
    if found is not None and found.checks_toml.strip():
        return [c.as_dict() for c in found.review_checks()]
    if settings.CHECKS_SITE_DEFAULTS:
        return [c.as_dict() for c in check_rules.DEFAULT_CHECKS]
    return None


def _judge_for(channel: str) -> dict:
    """The channel's LLM judge as the workflow takes it (none: nothing)."""
    found = Channel.objects.filter(slug=channel).values("judge_rubric", "judge_blocks") \
        .first() if channel else None
    if not found or not found["judge_rubric"].strip():
        return {}
    return {"judge_rubric": found["judge_rubric"].strip(),
            "judge_severity": (check_rules.Severity.BLOCK if found["judge_blocks"]
                               else check_rules.Severity.WARN).value}


def spent_today(author) -> float:
    """What the author's drafts spent on the LLM since midnight UTC (versions and
    suggestions)."""
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    versions = DraftVersion.objects.filter(draft__author=author, created_at__gte=midnight) \
        .aggregate(total=Sum(F("cost_usd") + F("checks_cost_usd")))["total"] or 0
    suggested = PassageChange.objects.filter(draft__author=author, created_at__gte=midnight) \
        .aggregate(total=Sum("cost_usd"))["total"] or 0
    return float(versions + suggested)


def _stored(policy: policies.ReviewPolicy) -> dict:
    """The policy as the draft keeps it: nothing for the default (so old and new drafts
    without a policy look the same)."""
    return {} if policy == policies.DEFAULT_POLICY else dataclasses.asdict(policy)


def submit_draft(*, author, topic: str, brief: str = "", audience: str = "", tone: str = "",
                 target_words: int = inputs.DEFAULT_LENGTH, channel: str = "",
                 priority: int = urgency.Priority.NORMAL, due_at: datetime | None = None,
                 submission_key: uuid.UUID | None = None) -> tuple[Draft, bool]:
    """Create a draft and start its review. Returns (draft, created): the same submission key
    twice (a double-submitted form, even two at the same instant) returns the first draft.
    Raises InvalidBrief when the rulebook refuses a field and Refused when the author already
    has MAX_DRAFTS_IN_FLIGHT drafts not yet decided; either way nothing is written."""
    problems = inputs.brief_problems(topic=topic, brief=brief, audience=audience, tone=tone)
    policy, channel_problem = _policy_for(channel)
    if channel_problem:
        problems["channel"] = channel_problem
    else:
        try:
            checks_for(channel)
        except check_file.ChecksError as err:
            problems["channel"] = (f"The checks of channel '{channel}' cannot be read "
                                   f"({err.problems[0]}); ask an admin to fix them.")
    if due := urgency.due_problem(due_at, timezone.now()):
        problems["due_at"] = due
    if priority not in set(urgency.Priority):
        problems["priority"] = "Choose a priority: normal or high."
    if problems:
        raise errors.InvalidBrief(problems)
    with transaction.atomic():
        # The author's row, locked: one author's submits count and create one at a time, so
        # the same submission key twice (even at the same instant) finds the first draft.
        get_user_model().objects.select_for_update().filter(pk=author.pk).exists()
        if submission_key is not None and (existing := Draft.objects.filter(
                author=author, submission_key=submission_key).first()):
            return existing, False
        in_flight = Draft.objects.filter(
            author=author, status__in=[s.value for s in states.PENDING_STATES]).count()
        refusal = authors.in_flight_refusal(in_flight, settings.MAX_DRAFTS_IN_FLIGHT)
        if refusal is not None:
            raise errors.Refused(refusal.sentence, refusal.code)
        if over := budgets.daily_refusal(spent_today(author),
                                         settings.LLM_DAILY_BUDGET_PER_AUTHOR):
            raise errors.Refused(over, "DailyBudget")
        budget = _budget_for(channel)
        draft = projection.create(author=author, topic=topic, brief=brief,
                                  audience=audience, tone=tone, target_words=target_words,
                                  channel=channel, submission_key=submission_key,
                                  review_policy=_stored(policy), priority=int(priority),
                                  due_at=due_at, budget_tokens=budget.tokens,
                                  budget_usd=Decimal(str(budget.usd)))
        _start_after_commit(draft.pk, review_input(draft, first_version=1,
                                                   first_event_seq=draft.last_seq + 1))
    return draft, True


def restart_review(draft: Draft, *, actor_id: int | None = None, comment: str = ""
                   ) -> Start:
    """Start a new run of a draft's workflow (same id) whose last run ended or vanished.

    Call inside a transaction with the draft locked (select_for_update). Records a `retried`
    event, which puts the draft back to generating, and starts the run after commit with
    version and event numbering continuing; if Temporal cannot be reached, the draft ends up
    failed with the reason (and the returned Start says it, after commit).
    """
    last_version = draft.versions.order_by("-number").values_list("number", flat=True).first()
    event = projection.record(draft, EventKind.RETRIED, actor_id=actor_id, comment=comment)
    inp = review_input(draft, first_version=(last_version or 0) + 1,
                       first_event_seq=event.seq + 1)
    return _start_after_commit(draft.pk, inp)


def retry_draft(*, draft: Draft, user) -> Draft:
    """The author's Retry on a failed draft: a new run, numbering continues."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        refusal = authors.retry_refusal(draft.state)
        if refusal is not None:
            raise errors.RetryRefused(refusal.sentence, refusal.code)
        restart_review(draft, actor_id=user.pk)
    return draft


def withdraw_draft(*, draft: Draft, user, comment: str = "") -> DecisionResult:
    """The author's withdrawal, as the workflow's answer. Raises DecisionRefused (closed,
    not the author, bad comment) or EngineUnavailable (nothing recorded)."""
    refusal = authors.withdraw_refusal(draft.state) or decisions.input_refusal(
        snapshot.Request(DecisionKind.WITHDRAW, user.pk, comment=comment))
    if refusal is not None:
        raise errors.DecisionRefused(refusal.sentence, refusal.code)
    return gateway.decide(draft.pk, DecisionKind.WITHDRAW,
                          StopInput(actor_id=user.pk, actor=user.get_username(),
                                    comment=comment))



def _stopper_groups(draft: Draft, user) -> frozenset[str] | None:
    """The groups a stop is judged by: None for the draft's author (always theirs)."""
    return None if draft.author_id == user.pk else roles.reviewer_groups(user)


def stop_refusal(draft: Draft, user) -> snapshot.Refusal | None:
    """Why `user` may not stop the writing of `draft`, as far as the row knows
    (rulebook.writing.stop_refusal; the workflow checks again): the pages ask it to offer
    "Stop writing", stop_writing to refuse early."""
    snap = snapshot.Snapshot(state=draft.state, version=draft.current_version,
                              author_id=draft.author_id, policy=draft.policy,
                              step=draft.current_index, escalated=draft.escalated)
    return writing.stop_refusal(snap, user.pk, _stopper_groups(draft, user), stopping=False,
                                expires_at=None, now=timezone.now())


def stop_writing(*, draft: Draft, user, keep: bool) -> DecisionResult:
    """ "Stop writing" (the author, or an editor at the draft's step): the workflow's answer.
    Raises DecisionRefused (not being written, not theirs: the row already proves it; the
    workflow checks again) or EngineUnavailable (nothing was stopped)."""
    if (refusal := stop_refusal(draft, user)) is not None:
        raise errors.DecisionRefused(refusal.sentence, refusal.code)
    groups = _stopper_groups(draft, user)
    return gateway.stop_writing(draft.pk, StopWritingInput(
        actor_id=user.pk, actor=user.get_username(), keep=keep,
        actor_groups=None if groups is None else sorted(groups)))
