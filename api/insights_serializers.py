"""The JSON API's insight serializers (issue 24): the figures of a period
(review/insights.py) and the audit history's events (review/exports.py)."""

from __future__ import annotations

from rest_framework import serializers

from review.exports import AUDIT_COLUMNS


class PercentilesSerializer(serializers.Serializer):
    p50 = serializers.FloatField(allow_null=True, help_text="Median, in seconds (null: none).")
    p90 = serializers.FloatField(allow_null=True, help_text="90th percentile, in seconds.")


class BreachSerializer(serializers.Serializer):
    step = serializers.IntegerField(help_text="The policy step, from 1.")
    group = serializers.CharField(help_text="The group that decides at it.")
    count = serializers.IntegerField(help_text="Reviews that expired at it.")


class CheckCountSerializer(serializers.Serializer):
    check = serializers.CharField()
    severity = serializers.CharField()
    count = serializers.IntegerField(help_text="Findings.")
    drafts = serializers.IntegerField(help_text="Drafts with at least one.")


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The Monday the week starts on.")
    submitted = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()


class ChannelCountSerializer(serializers.Serializer):
    channel = serializers.CharField(allow_blank=True, help_text="Its slug (\"\": none).")
    submitted = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    expired = serializers.IntegerField()


class WaitingSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    count = serializers.IntegerField()


class InsightsSerializer(serializers.Serializer):
    """The figures of the drafts submitted in a period (review/insights.py): what became of
    them, how long they waited, what they cost. A ratio with nothing to divide is null."""

    channel = serializers.CharField(allow_null=True)
    group = serializers.CharField(allow_null=True, help_text="The group asked for, if any.")
    reviewer = serializers.CharField(allow_null=True, help_text="The reviewer asked for.")
    submitted = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    expired = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    approval_rate = serializers.FloatField(allow_null=True,
                                           help_text="approved / (approved + rejected).")
    first_decision_seconds = PercentilesSerializer(help_text="Submitted → first decision.")
    final_decision_seconds = PercentilesSerializer(help_text="Submitted → approved/rejected.")
    revisions_per_approved = serializers.FloatField(allow_null=True)
    approved_with_edits_share = serializers.FloatField(allow_null=True)
    tokens_per_approved = serializers.FloatField(allow_null=True)
    cost_per_approved_usd = serializers.FloatField(allow_null=True)
    deadline_breaches = BreachSerializer(many=True)
    findings_by_check = CheckCountSerializer(many=True)
    weeks = WeekSerializer(many=True)
    channels = ChannelCountSerializer(many=True)
    waiting = WaitingSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()  # `from` and `to` are Python keywords
        fields["from"] = serializers.DateField(help_text="The period's first day (included).")
        fields["to"] = serializers.DateField(help_text="The period's last day (included).")
        return fields


class AuditEventSerializer(serializers.Serializer):
    """One event of the audit history: what happened to a draft, who did it, when."""

    id = serializers.IntegerField(help_text="The event's id (the order of the pages).")
    at = serializers.DateTimeField(help_text="When it happened.")
    draft_id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="Its number in the draft's history, from 1.")
    kind = serializers.CharField(help_text="What happened (e.g. approved, changes_requested).")
    actor = serializers.CharField(allow_null=True, help_text="Who: a username, an outside "
                                  "approver's email, or null for the system.")
    version = serializers.IntegerField(help_text="The version it concerns (0: none yet).")
    step = serializers.IntegerField(allow_null=True, help_text="The policy step, from 0.")
    comment = serializers.CharField(allow_blank=True)


assert tuple(AuditEventSerializer().fields) == AUDIT_COLUMNS, "the API's events are the exports'"
