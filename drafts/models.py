"""Drafts, their versions, their history, and the mail the history queues.

A draft's workflow-driven fields (WORKFLOW_FIELDS) have one writer: drafts/projection.py. The
vocabulary (states, event and version kinds, labels, limits) is the rulebook's
(rulebook.states, rulebook.inputs); the choices here derive from it, and templates ask the
properties below instead of comparing state names.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from rulebook import (
    budgets,
    checks,
    comments,
    delivery,
    inputs,
    passages,
    policies,
    suggestions,
    urgency,
    writing,
)
from rulebook.states import (
    APPROVED_STATES,
    CLOSING_DECISION_EVENTS,
    DECISION_EVENTS,
    FINAL_STATES,
    WRITING_STATES,
    EventKind,
    ReviewState,
    VersionKind,
)
from temporal_app.types import workflow_id_for

STATE_CHOICES = [(s.value, s.label) for s in ReviewState]
AWAITING = models.Q(status=ReviewState.AWAITING_REVIEW.value)  # the queue's partial indexes
EVENT_CHOICES = [(k.value, k.label) for k in EventKind]
VERSION_CHOICES = [(k.value, k.label) for k in VersionKind]
# The fields only drafts/projection.py writes.
WORKFLOW_FIELDS = ("status", "current_version", "revisions", "deadline", "remind_at",
                   "status_message", "progress_chars", "decided_by", "decided_at",
                   "decision_comment", "last_seq", "step", "first_decided_at", "was_edited",
                   "spent_tokens", "spent_usd", "escalate_at", "escalated_to")


class Draft(models.Model):
    LENGTH_CHOICES = list(inputs.LENGTHS)

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="drafts")
    topic = models.CharField(max_length=inputs.TOPIC_MAX)
    brief = models.TextField(max_length=inputs.BRIEF_MAX, blank=True)
    audience = models.CharField(max_length=inputs.AUDIENCE_MAX, blank=True)
    tone = models.CharField(max_length=inputs.TONE_MAX, blank=True)
    target_words = models.PositiveIntegerField(choices=LENGTH_CHOICES,
                                               default=inputs.DEFAULT_LENGTH)
    # Its channel (review.models.Channel's slug): which review policy it gets and which
    # publishing destinations get it once approved (publishing.models.Destination).
    channel = models.CharField(max_length=delivery.CHANNEL_MAX, blank=True)
    # The review policy in force when it was submitted (dataclasses.asdict of the rulebook's
    # ReviewPolicy; empty: the default, one editor decides). Never changes afterwards.
    review_policy = models.JSONField(default=dict, blank=True)
    # Urgency: the queue sorts by priority, then deadline; no deadline goes past the due date.
    priority = models.PositiveSmallIntegerField(
        choices=[(p.value, p.label) for p in urgency.Priority],
        default=urgency.Priority.NORMAL.value)
    due_at = models.DateTimeField("due date", null=True, blank=True)
    # What it may spend on the LLM (rulebook.budgets), fixed when it is submitted: its
    # channel's budget or the site's. 0 and 0: no limit (drafts from before budgets).
    budget_tokens = models.PositiveIntegerField(default=0)
    budget_usd = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    # The form's one-time token: a double-submitted form creates one draft.
    submission_key = models.UUIDField(null=True, blank=True)

    # Workflow-driven (WORKFLOW_FIELDS): written by drafts/projection.py only.
    status = models.CharField(max_length=20, choices=STATE_CHOICES,
                              default=ReviewState.GENERATING.value)
    current_version = models.PositiveIntegerField(default=0)
    revisions = models.PositiveIntegerField(default=0)
    deadline = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    status_message = models.TextField(blank=True)  # e.g. why generation failed
    progress_chars = models.PositiveIntegerField(default=0)  # streamed so far (while writing)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    last_seq = models.PositiveIntegerField(default=0)  # the newest event applied to this row
    step = models.PositiveSmallIntegerField(default=0)  # the policy step (index) it is at
    # What Insights reads (review/insights.py), kept on the row as each event and version is
    # written, so a period's figures are aggregates over drafts alone, never over every
    # event: the first decision's time, whether an editor's edit made a version, and what
    # every version cost (the LLM's and the checks' judge's tokens and USD).
    # The current step's escalation (rulebook.policies.Escalation): when it falls due, and the
    # group it let decide at the step too ("": none), which then has the draft in its queue.
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.CharField(max_length=150, blank=True)
    first_decided_at = models.DateTimeField(null=True, blank=True)
    was_edited = models.BooleanField(default=False)
    spent_tokens = models.PositiveIntegerField(default=0)
    spent_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    # The group that decides at that step, computed by the database from review_policy and
    # step (no writer): each reviewer's queue asks for the drafts at their groups' steps
    # (drafts.selectors.at_steps_of), with statistics and an index the planner can use.
    step_group = models.GeneratedField(
        expression=Coalesce(
            Func(F("review_policy"), Value("steps"), Cast("step", models.TextField()),
                 Value("group"), function="jsonb_extract_path_text",
                 output_field=models.TextField()),
            Value(policies.DEFAULT_POLICY.steps[0].group), output_field=models.TextField()),
        output_field=models.CharField(max_length=150), db_persist=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["author", "submission_key"],
                                    name="one_draft_per_submission"),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["author", "-created_at"]),
            # The editors' queue (drafts.selectors.review_queue): only the drafts awaiting
            # review, in the queue's order, and per filter, so a page and its capped count
            # read a few index entries however long the queue or the history grows.
            models.Index(fields=["deadline", "id"], name="draft_queue_order", condition=AWAITING),
            models.Index(fields=["-priority", "deadline", "created_at", "id"],
                         name="draft_queue_urgency", condition=AWAITING),
            models.Index(fields=["author", "deadline", "id"], name="draft_queue_author",
                         condition=AWAITING),
            models.Index(fields=["step_group", "-priority", "deadline", "created_at", "id"],
                         name="draft_queue_step_group", condition=AWAITING),
            models.Index(fields=["created_at"], name="draft_queue_age", condition=AWAITING),
            # A period's drafts (Insights: those submitted in it).
            models.Index(fields=["created_at"], name="draft_submitted"),
            models.Index(fields=["remind_at"], name="draft_queue_remind", condition=AWAITING),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic}"

    def get_absolute_url(self) -> str:
        return reverse("drafts:detail", args=[self.pk])

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.pk)

    @property
    def state(self) -> ReviewState:
        return ReviewState(self.status)

    @property
    def is_high_priority(self) -> bool:
        return self.priority == urgency.Priority.HIGH

    @property
    def priority_name(self) -> str:
        """ "normal" / "high", as the API says it."""
        return urgency.Priority(self.priority).name.lower()

    @cached_property
    def policy(self) -> policies.ReviewPolicy:
        """The policy it was submitted under (never changes: read once per instance)."""
        return policies.policy_from_data(self.review_policy)

    @property
    def has_steps(self) -> bool:
        """Reviewed under a policy of more than one editor's approval (the progress line)."""
        return self.policy.is_chain

    @property
    def current_index(self) -> int:
        """The policy step the draft is at (the last one once every step is done)."""
        return min(self.step, len(self.policy.steps) - 1)

    @property
    def current_step(self) -> policies.ReviewStep:
        """Its rule: who decides now (group, outside approvers)."""
        return self.policy.steps[self.current_index]

    @property
    def escalated(self) -> bool:
        """Its step escalated and let another group decide too (that group: escalated_to)."""
        return bool(self.escalated_to)

    @property
    def escalation_line(self) -> str:
        """ "Escalates at 14:05 UTC: notify Managing editors" while it is pending, "Escalated:
        Managing editors decide too" once it let them; "" otherwise (the draft page)."""
        if not self.awaiting_review:
            return ""
        step = self.current_step
        if self.escalate_at and step.escalates:
            return (f"Escalates {self.escalate_at:%Y-%m-%d %H:%M} UTC without a decision: "
                    f"{policies.escalation_words(step)}")
        if self.escalated_to:
            return f"Escalated: {self.escalated_to} may decide at this step too"
        return ""

    @property
    def step_label(self) -> str:
        """ "step 2 of 3, Legal" while awaiting review under a chain, else ""."""
        if not (self.has_steps and self.awaiting_review):
            return ""
        return policies.step_words(self.policy, self.current_index)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def is_pending(self) -> bool:
        return not self.is_final

    @property
    def is_working(self) -> bool:
        """The writer (LLM) is producing a version right now."""
        return self.state in WRITING_STATES

    @property
    def is_generating(self) -> bool:
        return self.state == ReviewState.GENERATING

    @property
    def is_revising(self) -> bool:
        return self.state == ReviewState.REVISING

    @property
    def awaiting_review(self) -> bool:
        return self.state == ReviewState.AWAITING_REVIEW

    @property
    def is_failed(self) -> bool:
        return self.state == ReviewState.FAILED

    @property
    def is_expired(self) -> bool:
        return self.state == ReviewState.EXPIRED

    @property
    def is_withdrawn(self) -> bool:
        return self.state == ReviewState.WITHDRAWN

    @property
    def is_cancelled(self) -> bool:
        return self.state == ReviewState.CANCELLED

    @property
    def is_approved(self) -> bool:
        """Approved (and perhaps published since): it has an approved version."""
        return self.state in APPROVED_STATES

    @property
    def is_published(self) -> bool:
        return self.state == ReviewState.PUBLISHED

    @property
    def decided_by_name(self) -> str | None:
        """Who closed the review: the user, or an outside approver's email (the decision's
        event keeps it; read from the prefetched history when there is one)."""
        if self.decided_by is not None:
            return self.decided_by.get_username()
        if not self.is_decided_by_editor:
            return None
        closing = [e for e in self.events.all() if e.is_closing_decision]
        return closing[-1].actor_email or None if closing else None

    @property
    def is_decided_by_editor(self) -> bool:
        """Approved (or published) or rejected."""
        return self.is_approved or self.state == ReviewState.REJECTED

    @property
    def reminder_due(self) -> bool:
        """Awaiting review and past the reminder time (REMIND_AFTER): shown highlighted."""
        return (self.awaiting_review and self.remind_at is not None
                and self.remind_at <= timezone.now())

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.deadline <= timezone.now()

    @property
    def decision_events(self) -> list[DraftEvent]:
        """The editors' and author's decisions, from the (prefetched) events."""
        return [e for e in self.events.all() if e.kind in DECISION_EVENTS]

    @property
    def budget(self) -> budgets.Budget | None:
        """What it may spend on the LLM; None: no limit (submitted before budgets)."""
        if not self.budget_tokens and not self.budget_usd:
            return None
        return budgets.Budget(self.budget_tokens, float(self.budget_usd))

    @property
    def live_stamp(self) -> str:
        """Changes whenever the draft page's content (versions, history) changes."""
        return f"{self.current_version}.{len(self.events.all())}.{self.status}"


class DraftVersion(models.Model):
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=VERSION_CHOICES)
    text = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    backend = models.CharField(max_length=20, blank=True)  # "openai" / "offline" / "" (edits)
    model_name = models.CharField(max_length=100, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    from_suggestions = models.BooleanField(default=False)  # an edit from chosen changes
    stopped = models.BooleanField(default=False)  # the text written before a stop, kept
    # What its checks cost (rulebook.checks: a channel's LLM judge): in the draft's spend.
    checks_tokens = models.PositiveIntegerField(default=0)
    checks_cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)

    class Meta:
        ordering = ["draft", "number"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "number"], name="one_row_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.draft_id} v{self.number}"

    @property
    def is_offline(self) -> bool:
        return self.backend == "offline"

    @property
    def usage_estimated(self) -> str:
        """Why the usage is an estimate ("" when the provider counted it): a stopped call."""
        return writing.USAGE_ESTIMATED if self.stopped and self.backend else ""

    @property
    def described(self) -> str:
        """What the version is, as its heading says it: "revised", "edited by an editor by
        ana", "edited by ana from suggestions"."""
        who = self.created_by.get_username() if self.created_by_id else ""
        if self.from_suggestions:
            words = suggestions.label(who or "an editor")
            return words[:1].lower() + words[1:]
        kind = self.get_kind_display().lower()
        if self.stopped:
            kind = f"{kind}, {writing.stopped_label(writing.words(self.text))}"
        return f"{kind} by {who}" if who else kind


class DraftEvent(models.Model):

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()  # per draft; keys retried activities
    kind = models.CharField(max_length=30, choices=EVENT_CHOICES)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=0)
    comment = models.TextField(blank=True)
    step = models.PositiveSmallIntegerField(null=True, blank=True)  # the policy step it was at
    actor_email = models.EmailField(blank=True)  # an outside approver's (actor is then None)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["draft", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "seq"], name="one_event_per_seq"),
        ]
        # A period's audit history in order (review/exports.py, GET /api/v1/events/): read
        # along this index, never sorted, however many events there are.
        indexes = [models.Index(fields=["created_at", "id"], name="event_time_order")]

    def __str__(self) -> str:
        return f"{self.draft_id}#{self.seq} {self.kind}"

    @property
    def label(self) -> str:
        """The kind in words."""
        return self.get_kind_display()

    @property
    def is_closing_decision(self) -> bool:
        return self.kind in CLOSING_DECISION_EVENTS

    @property
    def actor_name(self) -> str | None:
        """Who did it: the user's name, or the outside approver's email (no account); None
        for the system's events."""
        return self.actor.get_username() if self.actor else self.actor_email or None


COMMENT_STATE_CHOICES = [(c.value, c.label) for c in comments.CommentState]


class Comment(models.Model):
    """A thread's first comment (`parent` None) or a reply to one (drafts/comments.py writes
    them; the rules are rulebook.comments).

    A thread on a passage keeps the anchor it was made with, on `version` (rulebook.passages:
    quote, prefix, suffix, start, end) and where that passage is in the newest version it
    was looked for on (`at_version`, `at_start`, `at_end`, `found`: how it was found). A
    general remark (on the whole draft) and every reply have no quote."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(max_length=comments.BODY_MAX)
    version = models.PositiveIntegerField()  # the version it was written on
    quote = models.TextField(max_length=passages.MAX_QUOTE, blank=True)
    prefix = models.CharField(max_length=passages.CONTEXT, blank=True)
    suffix = models.CharField(max_length=passages.CONTEXT, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    at_version = models.PositiveIntegerField(null=True, blank=True)
    at_start = models.PositiveIntegerField(null=True, blank=True)
    at_end = models.PositiveIntegerField(null=True, blank=True)
    found = models.CharField(max_length=10, blank=True)  # rulebook.passages EXACT/QUOTE/FUZZY
    state = models.CharField(max_length=10, choices=COMMENT_STATE_CHOICES,
                             default=comments.CommentState.OPEN.value)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["draft", "parent", "created_at"],
                                name="comment_threads")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__isnull=True) | models.Q(end__gt=F("start")),
                name="comment_range_forward"),
        ]

    def __str__(self) -> str:
        return f"{self.draft_id} comment {self.pk}"

    @property
    def on_passage(self) -> bool:
        return bool(self.quote)

    @property
    def is_open(self) -> bool:
        return self.state == comments.CommentState.OPEN

    @property
    def is_resolved(self) -> bool:
        return self.state == comments.CommentState.RESOLVED

    @property
    def is_outdated(self) -> bool:
        return self.state == comments.CommentState.OUTDATED

    def anchor(self) -> passages.Anchor:
        """The anchor it was made with (on `version`)."""
        return passages.Anchor(quote=self.quote, prefix=self.prefix, suffix=self.suffix,
                               start=self.start or 0, end=self.end or 0)


class PassageChange(models.Model):
    """One passage of a targeted revision (rulebook.revisions; written by the projection with
    the version it is in): what it read in version `version` - 1 and where, what it reads in
    `version` and where, and the comment threads it answers. `error`: why it could not be
    rewritten (its text is then the old one).

    Or, `suggested`: a rewrite of one passage of `version` asked for one comment
    (rulebook.suggestions): old_* is the passage in `version`, `text` the rewrite (not in
    the text until accepted; start/end: where it would go).

    An editor's choice on it (`decision`, accept or reject) made version `decided_in`."""

    class Decision(models.TextChoices):
        UNDECIDED = "", "Not chosen yet"
        ACCEPTED = suggestions.ACCEPT, "Accepted"
        REJECTED = suggestions.REJECT, "Rejected"

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="changes")
    version = models.PositiveIntegerField()  # the version it is in
    old_start = models.PositiveIntegerField()
    old_end = models.PositiveIntegerField()
    old_text = models.TextField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    error = models.TextField(blank=True)
    comments = models.ManyToManyField(Comment, related_name="changes", blank=True)
    suggested = models.BooleanField(default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_in = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    # A suggestion's LLM call (a revision's passages count in their version's usage).
    backend = models.CharField(max_length=20, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)

    class Meta:
        ordering = ["draft", "version", "old_start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "version", "old_start"],
                                    condition=models.Q(suggested=False),
                                    name="one_change_per_passage"),
        ]

    def __str__(self) -> str:
        return f"{self.draft_id} v{self.version} change at {self.start}"

    @property
    def revised(self) -> bool:
        return not self.error

    @property
    def choosable(self) -> bool:
        """The editor can still take it or leave it (a rewrite, not chosen yet)."""
        return not self.error and not self.decision and self.text != self.old_text

    def offer(self) -> suggestions.Offer:
        """The change as the editor takes it or leaves it on its version's text."""
        if self.suggested:
            return suggestions.Offer(self.pk, self.old_start, self.old_end, self.old_text,
                                     self.text, in_text=False)
        return suggestions.Offer(self.pk, self.start, self.end, self.text, self.old_text,
                                 in_text=True)

    @property
    def accepted(self) -> bool:
        return self.decision == self.Decision.ACCEPTED

    @property
    def rejected(self) -> bool:
        return self.decision == self.Decision.REJECTED


class StreamedText(models.Model):
    """The text of a version while the LLM writes it (issue 25): one row per part (0: the
    whole version; a long piece's section n: n, under its `heading`), updated in place by the
    LLM activity at most every LLM_STREAM_INTERVAL (drafts/projection.py `stream`), read by
    the pages. `attempt`: the activity attempt that wrote it; a retried attempt starts the
    text again (an older attempt never writes over a newer one). The rows go when the draft
    stops being written (its version is stored, it failed, it was stopped): partial text
    never outlives the version. A long piece's sections get their rows (attempt 0, no text)
    as the first of them starts, so each has its place before its call does."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="streamed")
    version = models.PositiveIntegerField()
    part = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(max_length=300, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    text = models.TextField(blank=True)
    # The call writing it (its backend's model, its prompt's size in tokens, estimated): what
    # a stop that keeps the text records as the version's usage, labelled an estimate (the
    # provider reports usage only at the end of a call, which a stop cancels).
    backend = models.CharField(max_length=20, blank=True)
    model_name = models.CharField(max_length=100, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["draft", "version", "part"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "version", "part"],
                                    name="one_stream_per_part"),
        ]

    def __str__(self) -> str:
        return f"{self.draft_id} v{self.version} part {self.part} ({len(self.text)} chars)"

    @property
    def restarted(self) -> bool:
        return self.attempt > 1

    @property
    def waiting(self) -> bool:
        """A section's place under the outline, its call not started yet (attempt 0)."""
        return self.attempt == 0 and not self.text


class OutboxMail(models.Model):
    """A notification queued by the projection in the same transaction as its event, and sent
    by the MailOutbox workflow (temporal_app/workflows/outbox.py): mail never holds a review
    open, and a mail that keeps failing is visible here (Django admin) instead of retried
    forever. Recipients are resolved when it is sent (rulebook.states.NOTIFY names the audience)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"  # not-a-state: a mail's status
        SKIPPED = "skipped", "Nobody to tell"

    key = models.CharField(max_length=200, unique=True)  # "<draft>:<seq>" — a retry adds none
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=30, choices=EVENT_CHOICES)
    version = models.PositiveIntegerField(default=0)
    comment = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    recipients = models.PositiveIntegerField(default=0)
    # Addresses it was handed to the mail server for, each recorded right after its send: a
    # sender that dies mid-batch leaves the rest to the next one, which skips these.
    delivered_to = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_due",
                         condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.kind} ({self.status})"


FINDING_STATE_CHOICES = [(s.value, s.value.title()) for s in checks.FindingState]
SEVERITY_CHOICES = [(s.value, s.value.title()) for s in checks.Severity]


class CheckFinding(models.Model):
    """What a check found on a version before a human read it (issue 23; rulebook.checks),
    stored with the version by the projection in the transaction that stores it. Its passage
    is the one anchor of rulebook.passages (quote, prefix, suffix, offsets into that
    version); no quote: about the whole draft. A warning can be dismissed with a reason."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="findings")
    version = models.PositiveIntegerField()
    check_name = models.CharField("check", max_length=100)
    kind = models.CharField(max_length=20)
    severity = models.CharField(max_length=5, choices=SEVERITY_CHOICES)
    message = models.TextField()
    quote = models.TextField(blank=True)
    prefix = models.CharField(max_length=100, blank=True)
    suffix = models.CharField(max_length=100, blank=True)
    start = models.PositiveIntegerField(default=0)
    end = models.PositiveIntegerField(default=0)
    suggestion = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=FINDING_STATE_CHOICES,
                             default=checks.FindingState.OPEN.value)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    dismiss_reason = models.TextField(blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["draft", "version", "start", "id"]
        indexes = [models.Index(fields=["draft", "version"], name="finding_by_version")]

    def __str__(self) -> str:
        return f"{self.draft_id} v{self.version} {self.check_name}: {self.message[:40]}"

    @property
    def blocking(self) -> bool:
        return self.severity == checks.Severity.BLOCK

    @property
    def is_open(self) -> bool:
        return self.state == checks.FindingState.OPEN

    @property
    def dismissed(self) -> bool:
        return self.state == checks.FindingState.DISMISSED

    @property
    def whole_draft(self) -> bool:
        return not self.quote

    def as_rule(self) -> checks.Finding:
        return checks.Finding(self.check_name, self.kind, self.severity, self.message,
                              self.quote, self.prefix, self.suffix, self.start, self.end,
                              self.suggestion)
