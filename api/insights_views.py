"""The JSON API's insight (issue 24): `GET /api/v1/insights/` (the dashboard's figures) and
`GET /api/v1/events/` (the audit history of a period, in cursor pages, admins only). Thin,
as api/views.py: a query serializer, one call to review.insights / review.exports, a
response."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api import pagination
from api.exceptions import BadRequest
from api.insights_serializers import AuditEventSerializer, InsightsSerializer
from api.permissions import IsAdmin, IsEditor
from api.serializers import CHANNEL_PATTERN, Text
from api.views import ApiView, Query, error_responses
from review import exports, insights
from rulebook import delivery
from rulebook import insights as insight_rules

PERIOD_ERRORS = "Invalid (a parameter's type or shape), FromAfterTo, PeriodTooLong, " \
                "UnknownChannel, UnknownGroup, UnknownReviewer, InvalidFilter"


class InsightsQuery(Query):
    channel = Text(limit=delivery.CHANNEL_MAX, line=True, pattern=CHANNEL_PATTERN,
                   limit_in_pattern=True, required=False,
                   help_text="Only drafts submitted to this channel (its slug).")
    group = Text(limit=150, line=True, required=False,
                 help_text="Only drafts whose policy has a step this group decides at (the "
                           "default policy's: Editors).")
    reviewer = Text(limit=150, line=True, required=False,
                    help_text="Only drafts this user (a username) decided on or edited; for "
                              "events, only theirs.")

    def get_fields(self):
        fields = super().get_fields()  # `from` and `to` are Python keywords
        fields["from"] = serializers.DateField(
            required=False, help_text="The first day (YYYY-MM-DD, included; default: 29 days "
                                      "before `to`).")
        fields["to"] = serializers.DateField(
            required=False, help_text="The last day (included; default: today).")
        return fields


class InsightsView(ApiView):
    permission_classes = [IsEditor]

    @extend_schema(operation_id="insights", tags=["insights"], parameters=[InsightsQuery],
                   summary="The figures of the drafts submitted in a period (admins: every "
                           "draft; editors: their channels' and their own)",
                   responses={200: InsightsSerializer, **error_responses(e400=PERIOD_ERRORS)})
    def get(self, request):
        query = InsightsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            found = insights.for_viewer(request.user, **_asked(query.validated_data))
        except insight_rules.PeriodError as err:
            raise _refused(err) from None
        return Response(InsightsSerializer(found.as_json()).data)


def _iso(day) -> str:
    return day.isoformat() if day else ""


def _asked(params) -> dict[str, str]:
    return {"start": _iso(params.get("from")), "end": _iso(params.get("to")),
            "channel": params.get("channel", ""), "group": params.get("group", ""),
            "reviewer": params.get("reviewer", "")}


def _refused(err: insight_rules.PeriodError) -> BadRequest:
    return BadRequest(err.sentence, err.code, {err.field: err.sentence} if err.field else None)


class EventsView(ApiView):
    permission_classes = [IsAdmin]
    pagination_class = pagination.Events

    @extend_schema(operation_id="events_list", tags=["insights"], parameters=[InsightsQuery],
                   summary="The audit history: every event of a period (optionally of one "
                           "channel's drafts), oldest first, in cursor pages (admins only)",
                   responses={200: AuditEventSerializer(many=True),
                              **error_responses(e400=PERIOD_ERRORS)})
    def get(self, request):
        query = InsightsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            period, cut = insights.asked(**_asked(query.validated_data))
        except insight_rules.PeriodError as err:
            raise _refused(err) from None
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            exports.audit_events(period, cut).values(*exports.AUDIT_FIELDS), request,
            view=self)
        rows = [dict(zip(exports.AUDIT_COLUMNS, exports.audit_row(tuple(v.values())),
                         strict=True)) for v in page]
        return paginator.get_paginated_response(AuditEventSerializer(rows, many=True).data)
