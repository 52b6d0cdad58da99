"""Drafts, their versions and their history.

Workflow-driven fields (status, current_version, deadline, …) are written only by Temporal
activities (temporal_app.activities); the web layer creates drafts and reads everything.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from temporal_app.types import FINAL_STATES, EventKind, ReviewState, VersionKind, workflow_id_for


class Draft(models.Model):
    class Status(models.TextChoices):
        GENERATING = ReviewState.GENERATING, "Generating"
        AWAITING_REVIEW = ReviewState.AWAITING_REVIEW, "Awaiting review"
        REVISING = ReviewState.REVISING, "Revising"
        APPROVED = ReviewState.APPROVED, "Approved"
        REJECTED = ReviewState.REJECTED, "Rejected"
        EXPIRED = ReviewState.EXPIRED, "Expired"
        WITHDRAWN = ReviewState.WITHDRAWN, "Withdrawn"
        CANCELLED = ReviewState.CANCELLED, "Cancelled"
        FAILED = ReviewState.FAILED, "Failed"

    class Length(models.IntegerChoices):
        SHORT = 300, "Short (about 300 words)"
        MEDIUM = 600, "Medium (about 600 words)"
        LONG = 1200, "Long (about 1,200 words)"

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="drafts")
    topic = models.CharField(max_length=200)
    brief = models.TextField(max_length=4000, blank=True)
    audience = models.CharField(max_length=200, blank=True)
    tone = models.CharField(max_length=100, blank=True)
    target_words = models.PositiveIntegerField(choices=Length.choices, default=Length.MEDIUM)
    # The form's one-time token: a double-submitted form creates one draft.
    submission_key = models.UUIDField(null=True, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.GENERATING)
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
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic}"

    def get_absolute_url(self) -> str:
        return reverse("drafts:detail", args=[self.pk])

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.pk)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def is_pending(self) -> bool:
        return not self.is_final

    @property
    def is_working(self) -> bool:
        """The writer (LLM) is producing a version right now."""
        return self.status in (ReviewState.GENERATING, ReviewState.REVISING)

    @property
    def reminder_due(self) -> bool:
        """Awaiting review and past the reminder time (REMIND_AFTER): shown highlighted."""
        return (self.status == ReviewState.AWAITING_REVIEW and self.remind_at is not None
                and self.remind_at <= timezone.now())

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.deadline <= timezone.now()

    @property
    def decision_events(self) -> list[DraftEvent]:
        """The editors' and author's decisions, from the (prefetched) events."""
        return [e for e in self.events.all() if e.kind in DECISION_EVENTS]

    @property
    def live_stamp(self) -> str:
        """Changes whenever the draft page's content (versions, history) changes."""
        return f"{self.current_version}.{len(self.events.all())}.{self.status}"


DECISION_EVENTS = frozenset({
    EventKind.APPROVED, EventKind.REJECTED, EventKind.CHANGES_REQUESTED, EventKind.EDITED,
    EventKind.WITHDRAWN, EventKind.CANCELLED,
})


class DraftVersion(models.Model):
    class Kind(models.TextChoices):
        GENERATED = VersionKind.GENERATED, "Generated"
        REVISED = VersionKind.REVISED, "Revised"
        EDITED = VersionKind.EDITED, "Edited by an editor"

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
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


EVENT_LABELS = {
    EventKind.SUBMITTED: "Submitted",
    EventKind.GENERATED: "Version written",
    EventKind.REVISED: "Revised version written",
    EventKind.EDITED: "Edited by an editor",
    EventKind.APPROVED: "Approved",
    EventKind.REJECTED: "Rejected",
    EventKind.CHANGES_REQUESTED: "Changes requested",
    EventKind.REMINDED: "Editors reminded",
    EventKind.EXPIRED: "Expired: no decision before the deadline",
    EventKind.WITHDRAWN: "Withdrawn",
    EventKind.CANCELLED: "Cancelled by an admin",
    EventKind.DEADLINE_EXTENDED: "Deadline extended",
    EventKind.FAILED: "Failed",
    EventKind.RETRIED: "Retried",
}


class DraftEvent(models.Model):

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()  # per draft; keys retried activities
    kind = models.CharField(max_length=30, choices=[(k.value, EVENT_LABELS[k]) for k in EventKind])
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=0)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["draft", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "seq"], name="one_event_per_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.draft_id}#{self.seq} {self.kind}"

    @property
    def label(self) -> str:
        """The kind in words."""
        return self.get_kind_display()
