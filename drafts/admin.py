"""Django admin for drafts, their versions and their events.

A draft's workflow-driven fields (status, versions, deadline, decision, …) are written by the
Temporal workflow; editing them here would make the database disagree with the workflow, so
they are read-only. Events are the audit trail: read-only entirely.
"""

from django.contrib import admin

from drafts import models
from drafts.models import Draft, DraftEvent, DraftVersion

# The projection's fields, and what is fixed when a draft is submitted.
WORKFLOW_FIELDS = (*models.WORKFLOW_FIELDS, "submission_key", "created_at", "updated_at",
                   "review_policy")


class ReadOnly:
    """Admin pages of rows that have one writer elsewhere (the audit trail, deliveries):
    looked at, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class VersionInline(ReadOnlyInline):
    model = DraftVersion
    fields = ("number", "kind", "created_by", "backend", "model_name", "prompt_tokens",
              "completion_tokens", "latency_ms", "cost_usd", "created_at")
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = DraftEvent
    fields = ("seq", "kind", "actor", "version", "comment", "created_at")
    readonly_fields = fields


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    list_display = ("pk", "topic", "author", "status", "current_version", "deadline",
                    "created_at")
    list_filter = ("status", "target_words", "created_at")
    search_fields = ("topic", "brief", "author__username")
    list_select_related = ("author",)
    date_hierarchy = "created_at"
    readonly_fields = WORKFLOW_FIELDS
    raw_id_fields = ("author",)
    inlines = [VersionInline, EventInline]
    fieldsets = (
        (None, {"fields": ("author", "topic", "brief", "audience", "tone", "target_words")}),
        ("Review (written by the workflow)", {"fields": WORKFLOW_FIELDS}),
    )


@admin.register(DraftVersion)
class DraftVersionAdmin(admin.ModelAdmin):
    list_display = ("draft", "number", "kind", "backend", "model_name", "prompt_tokens",
                    "completion_tokens", "latency_ms", "cost_usd", "created_at")
    list_filter = ("kind", "backend", "model_name")
    search_fields = ("draft__topic", "text")
    list_select_related = ("draft",)
    raw_id_fields = ("draft", "created_by")
    readonly_fields = ("draft", "number", "kind", "created_by", "backend", "model_name",
                       "prompt_version", "prompt_tokens", "completion_tokens", "latency_ms",
                       "cost_usd", "created_at")


@admin.register(DraftEvent)
class DraftEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("draft", "seq", "kind", "actor", "version", "created_at")
    list_filter = ("kind",)
    search_fields = ("draft__topic", "comment", "actor__username")
    list_select_related = ("draft", "actor")
