"""The insights page (issue 24): `/insights/`, for editors (their channels' drafts and their
own) and admins (everything). A GET form (works without JavaScript): a period, optionally a
channel; one call to review.insights.for_viewer; the figures, and charts with their numbers
in a table beside each."""

from __future__ import annotations

from django.shortcuts import render

from drafts import roles
from drafts.views import htmx_login
from review import charts, insights
from review.insights import APPROVED
from review.models import Channel
from rulebook import insights as rules


@htmx_login
@roles.editor_required
def dashboard(request):
    q = request.GET
    asked = {"days": q.get("days", ""), "start": q.get("from", ""), "end": q.get("to", ""),
             "channel": q.get("channel", "")}
    error, figures = None, None
    try:
        figures = insights.for_viewer(request.user, **asked)
    except rules.PeriodError as err:
        error = err
    context = {"asked": asked, "error": error, "figures": figures,
               "presets": rules.PRESETS, "default_days": rules.DEFAULT_PRESET,
               "channels": Channel.objects.order_by("name").values_list("slug", "name")}
    if figures is not None and not figures.empty:
        context["charts"] = {
            "weeks": charts.bars("Drafts submitted and approved, by week", figures.weeks,
                                 "week", ["submitted", APPROVED], horizontal=False),
            "channels": charts.bars("Drafts by channel: submitted and approved",
                                    figures.channels, "channel", ["submitted", APPROVED]),
            "waiting": charts.bars("Time to the first decision", figures.waiting, "bucket",
                                   ["count"]),
        }
        context["durations"] = {
            name: {k: rules.duration_words(v) for k, v in getattr(figures, name).items()}
            for name in ("first_decision_seconds", "final_decision_seconds")}
    return render(request, "review/insights.html", context, status=400 if error else 200)
