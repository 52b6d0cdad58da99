"""Where approved drafts go (destinations) and how each delivery went (deliveries, attempts).

Admins configure destinations in Django admin. When a review closes as approved, its
PublishDraft workflow (temporal_app/workflows/publish_draft.py) delivers the approved version
to every active destination whose channel matches the draft's, as a signed webhook (Standard
Webhooks). Delivery rows have one writer: publishing/deliveries.py.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.functional import cached_property

from drafts.models import Draft
from review.models import Channel
from rulebook.delivery import CHANNEL_MAX, DeliveryStatus, channel_problem

DELIVERY_CHOICES = [(s.value, s.label) for s in DeliveryStatus]
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_secret(value: str) -> None:
    raw = value.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        raise ValidationError("A signing secret is \"whsec_\" followed by base64.") from None
    if len(key) < 24:
        raise ValidationError("A signing secret needs at least 24 random bytes (32 is usual).")


def validate_channel(value: str) -> None:
    if problem := channel_problem(value):
        raise ValidationError(problem)


class Destination(models.Model):
    name = models.CharField(max_length=100, unique=True)
    url = models.URLField("webhook URL", max_length=2000,
                          validators=[URLValidator(schemes=["http", "https"])])
    secret = models.CharField("signing secret", max_length=200, default=new_secret,
                              validators=[validate_secret],
                              help_text="The receiver verifies each request with it "
                                        "(Standard Webhooks). Keep it secret.")
    channel = models.CharField(max_length=CHANNEL_MAX, blank=True,
                               validators=[validate_channel],
                               help_text="Only drafts of this channel; blank: every draft.")
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if "@" in self.url.split("//", 1)[-1].split("/", 1)[0]:
            raise ValidationError({"url": "Put no credentials in the URL; the signature "
                                          "authenticates each request."})
        if (self.url.startswith("http:") and not settings.DEBUG
                and not settings.PUBLISH_ALLOW_HTTP):
            raise ValidationError({"url": "Use an https:// URL: drafts must not travel in "
                                          "clear text (PUBLISH_ALLOW_HTTP=true allows http)."})
        if (self.channel and not channel_problem(self.channel)
                and not Channel.objects.filter(slug=self.channel).exists()):
            known = ", ".join(Channel.objects.values_list("slug", flat=True))
            raise ValidationError({"channel": (
                f"There is no channel '{self.channel}': no draft would ever reach this "
                "destination. " + (f"Use one of: {known}, or leave it blank for every channel."
                                   if known else "Leave it blank for every channel."))})


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class Delivery(models.Model):
    """One approved draft to one destination: one logical message (`message_id` is the
    webhook-id of every attempt, so the receiver can drop repeats)."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="deliveries")
    destination = models.ForeignKey(Destination, on_delete=models.PROTECT,
                                    related_name="deliveries")
    version = models.PositiveIntegerField()
    message_id = models.CharField(max_length=50, unique=True, default=new_message_id)
    status = models.CharField(max_length=20, choices=DELIVERY_CHOICES,
                              default=DeliveryStatus.PENDING.value)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    failure = models.TextField(blank=True)  # the sentence when it was given up
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["draft", "destination__name"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["draft", "destination"],
                                    name="one_delivery_per_destination"),
        ]

    def __str__(self) -> str:
        return f"draft #{self.draft_id} → {self.destination}"

    @cached_property
    def state(self) -> DeliveryStatus:
        return DeliveryStatus(self.status)

    @property
    def label(self) -> str:
        return self.state.label

    @property
    def is_delivered(self) -> bool:
        return self.state == DeliveryStatus.DELIVERED

    @property
    def is_failed(self) -> bool:
        return self.state == DeliveryStatus.FAILED

    @property
    def is_pending(self) -> bool:
        return self.state == DeliveryStatus.PENDING


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery: the log shown on the draft page."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)  # None: no answer
    error = models.TextField(blank=True)  # "" when it was accepted
    duration_ms = models.PositiveIntegerField(default=0)
    at = models.DateTimeField()

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"],
                                    name="one_row_per_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery} #{self.number}"

    @property
    def accepted(self) -> bool:
        return not self.error
