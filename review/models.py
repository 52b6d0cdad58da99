"""Review policies (who approves, in which steps) and the channels that pick them.

Admins define them in Django admin. An author picks a channel when submitting; its policy is
copied into the draft (`Draft.review_policy`) and the review workflow's input, so editing a
policy later changes new drafts only. No channel, or one without a policy: the default policy
(rulebook.policies.DEFAULT_POLICY: one editor decides), as before policies existed. The rules
themselves (quorum, distinct people, steps) are the rulebook's (rulebook/policies.py,
rulebook/decisions.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from rulebook import check_file, checks, delivery, inputs, judge, policies


def validate_channel(value: str) -> None:
    if problem := delivery.channel_problem(value):
        raise ValidationError(problem)


def validate_checks(value: str) -> None:
    """A channel's checks file (rulebook.checks.parse): every problem, with its line."""
    if value.strip():
        try:
            check_file.parse(value)
        except check_file.ChecksError as err:
            raise ValidationError(err.problems) from None


class Policy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    distinct_across_steps = models.BooleanField(
        "different people at each step", default=False,
        help_text="One person's approval counts at one step only (separation of duties).")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name

    def as_rule(self) -> policies.ReviewPolicy:
        """The rulebook's form of this policy, as the workflow gets it."""
        return policies.ReviewPolicy(
            name=self.name, distinct_across_steps=self.distinct_across_steps,
            steps=[s.rule() for s in self.steps.select_related("group").order_by("order", "pk")])


class PolicyStep(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=policies.STEP_NAME_MAX)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+", null=True,
                              blank=True, help_text="Its members review at this step.")
    outside_emails = models.TextField(
        "outside approvers", blank=True,
        help_text="Email addresses, one per line, of people without an account who decide at "
                  "this step through a signed link mailed to them.")
    required = models.PositiveSmallIntegerField(
        "approvals needed", default=1,
        validators=[MinValueValidator(1), MaxValueValidator(policies.MAX_REQUIRED)],
        help_text="Distinct members of the group who approve the same version.")
    review_hours = models.FloatField(
        "deadline (hours)", null=True, blank=True,
        validators=[MinValueValidator(inputs.MIN_EXTENSION_SECONDS / 3600),
                    MaxValueValidator(inputs.MAX_EXTENSION_SECONDS / 3600)],
        help_text="This step's own time to decide; blank: the review's (REVIEW_TIMEOUT).")
    escalation = models.CharField(
        max_length=20, blank=True,
        choices=[(e.value, policies.ESCALATION_LABELS[e]) for e in policies.Escalation],
        help_text="What happens when the step has waited the escalation time without a "
                  "decision (blank: nothing). Ending the review as expired is for policies "
                  "that want it.")
    escalate_after_hours = models.FloatField(
        "escalate after (hours)", null=True, blank=True,
        validators=[MinValueValidator(inputs.MIN_EXTENSION_SECONDS / 3600),
                    MaxValueValidator(inputs.MAX_EXTENSION_SECONDS / 3600)],
        help_text="Time at the step without a decision before it escalates; sooner than the "
                  "step's deadline.")
    escalate_to = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        verbose_name="escalation group",
        help_text="Told (or let decide too) when the step escalates.")

    class Meta:
        ordering = ["policy", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.policy}: {self.order}. {self.name}"

    def rule(self) -> policies.ReviewStep:
        """The rulebook's form of this step (saved or not: the admin checks unsaved ones)."""
        return policies.ReviewStep(
            name=self.name, group=self.group.name if self.group else "", required=self.required,
            review_seconds=(self.review_hours or 0) * 3600.0,
            outside=[line.strip() for line in self.outside_emails.splitlines() if line.strip()],
            escalation=self.escalation,
            escalate_after_seconds=(self.escalate_after_hours or 0) * 3600.0,
            escalate_to=self.escalate_to.name if self.escalate_to else "")


class Channel(models.Model):
    """Where a draft is going (e.g. "blog", "press-release"): picks its review policy and the
    publishing destinations that get it once approved."""

    slug = models.CharField(max_length=delivery.CHANNEL_MAX, unique=True,
                            validators=[validate_channel])
    name = models.CharField(max_length=100)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="channels",
                               help_text="Blank: the default review (one editor decides).")
    is_active = models.BooleanField("active", default=True)
    # What one draft of this channel may spend on the LLM (rulebook.budgets); blank: the
    # site's LLM_BUDGET_TOKENS / LLM_BUDGET_USD. 0: no limit.
    budget_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="LLM tokens one draft may use. Blank: the site's "
                                         "default; 0: no limit.")
    budget_usd = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True,
        help_text="US dollars one draft may spend on the LLM. Blank: the site's default; 0: "
                  "no limit.")
    # Checks before a human reads (rulebook.checks; docs/checks.md): the TOML file an admin
    # keeps in git (`manage.py channel SLUG --set-checks FILE`). Blank: the site's defaults.
    checks_toml = models.TextField(
        "checks", blank=True, validators=[validate_checks],
        help_text="[[checks]] tables in TOML (docs/checks.md). Blank: the site's default "
                  "checks.")
    judge_rubric = models.TextField(
        "LLM judge rubric", blank=True, max_length=judge.MAX_RUBRIC,
        help_text="Plain-language criteria an LLM judges each version by before an editor "
                  "reads it, e.g. \"no claims without a source; tone fits a press release\". "
                  "Blank: no judge.")
    judge_blocks = models.BooleanField(
        "judge findings block", default=False,
        help_text="The judge's findings send the version back to the LLM like a blocking "
                  "check (else they are warnings).")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def review_checks(self) -> list[checks.Check]:
        """The channel's checks (its file), or the site's defaults when it has none."""
        if self.checks_toml.strip():
            return check_file.parse(self.checks_toml)
        return list(checks.DEFAULT_CHECKS)


class Claim(models.Model):
    """ "I'm reviewing this": one reviewer holds a draft awaiting review until `until`, so
    others see it (queue, review page) and confirm before deciding. Advisory, not a review
    fact: the workflow never reads it. Released on the holder's decision, when the review
    closes, by the holder, or by running out (review/services.py)."""

    draft = models.OneToOneField("drafts.Draft", on_delete=models.CASCADE, related_name="claim")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"draft #{self.draft_id} claimed by {self.user} until {self.until:%H:%M}"

    def active(self, now) -> bool:
        return self.until > now


class OutsideLink(models.Model):
    """An outside approver's single-use link for one step of one version of a draft. The URL
    carries a signed `nonce` (review/outside.py); this row says what it is for and whether it
    was used. It dies after use, after OUTSIDE_LINK_TTL, or when the draft moves on."""

    nonce = models.UUIDField(unique=True)
    draft = models.ForeignKey("drafts.Draft", on_delete=models.CASCADE,
                              related_name="outside_links")
    email = models.EmailField()
    version = models.PositiveIntegerField()
    step = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=30, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["draft", "version", "step", "email"],
                                               name="one_link_per_approver_and_step")]

    def __str__(self) -> str:
        return f"{self.email} for draft #{self.draft_id} v{self.version} step {self.step + 1}"
