"""Django admin for publishing: destinations (configured here) and deliveries (read here).

Destinations are the admins' to edit: where approved drafts go (a webhook URL, its signing
secret, a channel). Deliveries and their attempt log have one writer, publishing/deliveries.py
(driven by the PublishDraft workflow); editing a status or a count here would make the page
disagree with what the destination got, so they are read-only. The one thing an admin does to
a delivery is ask for it again: the "Retry delivery" action (publishing.services), the same as
the draft page's button.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q

from drafts import roles
from drafts.admin import ReadOnly, ReadOnlyInline
from publishing import services
from publishing.models import Delivery, DeliveryAttempt, Destination
from rulebook.delivery import DeliveryStatus
from temporal_app import errors


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "channel_or_all", "is_active", "delivered_count",
                    "failed_count")
    list_filter = ("is_active", "channel")
    search_fields = ("name",)
    readonly_fields = ("created_at",)
    fieldsets = (
        (None, {"fields": ("name", "url", "channel", "is_active")}),
        ("Signing", {
            "fields": ("secret",),
            "description": "Each request is signed with this secret (Standard Webhooks: "
                           "webhook-id, webhook-timestamp, webhook-signature headers). Give "
                           "it to the receiver, which verifies every request with it. A new "
                           "destination gets a fresh random one; to rotate it, paste a new "
                           "\"whsec_…\" value and update the receiver at the same time.",
        }),
        (None, {"fields": ("created_at",)}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # a URL typed without a scheme is https
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_delivered=Count("deliveries",
                              filter=Q(deliveries__status=DeliveryStatus.DELIVERED.value)),
            n_failed=Count("deliveries",
                           filter=Q(deliveries__status=DeliveryStatus.FAILED.value)))

    @admin.display(description="channel", ordering="channel")
    def channel_or_all(self, obj: Destination) -> str:
        return obj.channel or "(every channel)"

    @admin.display(description=DeliveryStatus.DELIVERED.label, ordering="n_delivered")
    def delivered_count(self, obj: Destination) -> int:
        return obj.n_delivered

    @admin.display(description=DeliveryStatus.FAILED.label, ordering="n_failed")
    def failed_count(self, obj: Destination) -> int:
        return obj.n_failed


class AttemptInline(ReadOnlyInline):
    """The delivery's log: one row per HTTP request, read-only."""

    model = DeliveryAttempt
    show_change_link = False
    fields = ("number", "status_code", "error", "duration_ms", "at")
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("draft", "destination", "version", "status", "attempts",
                    "last_attempt_at", "failure")
    list_filter = ("status", "destination")
    search_fields = ("draft__topic", "destination__name", "message_id")
    list_select_related = ("draft", "destination")
    date_hierarchy = "created_at"
    fields = ("draft", "destination", "version", "message_id", "status", "attempts",
              "last_error", "failure", "first_attempt_at", "last_attempt_at", "delivered_at",
              "created_at")
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["retry_delivery"]

    # Read-only (ReadOnly): rows are written by publishing/deliveries.py only.
    def has_retry_permission(self, request) -> bool:
        """Who may retry: admins (staff) who may see deliveries, as on the draft page."""
        return roles.is_admin(request.user) and self.has_view_permission(request)

    @admin.action(description="Retry delivery (the drafts of the selected deliveries)",
                  permissions=["retry"])
    def retry_delivery(self, request, queryset):
        """Deliver each selected delivery's draft again to the destinations that did not
        get it: once per draft, each outcome reported."""
        draft_ids = sorted(set(queryset.values_list("draft_id", flat=True)))
        for draft_id in draft_ids:
            try:
                sentence = services.retry_delivery(draft_id=draft_id, user=request.user)
            except errors.RedlineError as err:  # refused, or Temporal did not answer
                self.message_user(request, f"Draft #{draft_id}: {err}",
                                  messages.ERROR)
            else:
                self.message_user(request, sentence, messages.SUCCESS)
