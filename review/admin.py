"""Django admin for review policies, channels, claims and outside approvers' links.

A policy is checked as a whole by the rulebook (rulebook.policies.policy_problems) when saved,
so the admin refuses what the workflow could not run, with the rulebook's sentences. Editing a
policy changes only drafts submitted afterwards: each draft keeps a copy of the policy it got.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from drafts.admin import ReadOnly
from review.models import Channel, Claim, OutsideLink, Policy, PolicyStep
from rulebook import policies


class StepFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return  # each field's own error first
        # Each form's instance holds its cleaned values (saved or not): the model builds the
        # rulebook's step, as it does for the workflow.
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        steps = [f.instance.rule()
                 for f in sorted(kept, key=lambda f: f.cleaned_data.get("order") or 0)]
        problems = policies.policy_problems(policies.ReviewPolicy(
            name=self.instance.name or "-", steps=steps))
        if problems:
            raise ValidationError(problems)


class StepInline(admin.TabularInline):
    model = PolicyStep
    formset = StepFormSet
    extra = 1
    fields = ("order", "name", "group", "required", "review_hours", "outside_emails",
              "escalation", "escalate_after_hours", "escalate_to")


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "steps_summary", "distinct_across_steps", "channel_names")
    search_fields = ("name",)
    inlines = [StepInline]

    @admin.display(description="steps")
    def steps_summary(self, policy: Policy) -> str:
        rule = policy.as_rule()
        return " → ".join(
            f"{s.name} ({s.required} of {s.group or 'outside approvers'})" for s in rule.steps)

    @admin.display(description="channels")
    def channel_names(self, policy: Policy) -> str:
        return ", ".join(policy.channels.values_list("name", flat=True)) or "—"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["name"].help_text = (
            "Editing a policy changes only drafts submitted afterwards; each draft keeps the "
            "policy it was submitted under.")
        return form


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "policy_name", "checks_summary", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")

    @admin.display(description="checks")
    def checks_summary(self, channel: Channel) -> str:
        if not channel.checks_toml.strip():
            return "Site defaults"
        try:
            return f"{len(channel.review_checks())} of its own"
        except ValueError:
            return "Unreadable: fix them"

    @admin.display(description="review policy")
    def policy_name(self, channel: Channel) -> str:
        return channel.policy.name if channel.policy else "Default (one editor)"


@admin.register(Claim)
class ClaimAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("draft", "user", "until")


@admin.register(OutsideLink)
class OutsideLinkAdmin(ReadOnly, admin.ModelAdmin):
    """The outside approvers' links: who was asked, for which version and step, and whether
    and how they answered (the audit trail; the tokens themselves are never stored)."""

    list_display = ("draft", "email", "version", "step_number", "created_at", "used_at",
                    "decision")
    list_filter = ("decision",)
    search_fields = ("email",)
    readonly_fields = ("nonce", "draft", "email", "version", "step", "created_at", "used_at",
                       "decision")

    @admin.display(description="step")
    def step_number(self, link: OutsideLink) -> int:
        return link.step + 1
