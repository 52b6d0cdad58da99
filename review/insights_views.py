"""The insights page (issue 24): `/insights/`, for editors (their channels' drafts and their
own) and admins (everything). A GET form (works without JavaScript): a period, optionally a
channel; one call to review.insights.for_viewer; the figures, and charts with their numbers
in a table beside each. Its exports take the same query: `/insights/figures.csv` (the
viewer's figures), `/insights/events.csv` and `/insights/events.jsonl` (the period's audit
history, admins only, streamed)."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from drafts import roles
from drafts.views import htmx_login
from review import charts, exports, insights
from review.insights import APPROVED
from review.models import Channel
from rulebook import insights as rules


@htmx_login
@roles.editor_required
def dashboard(request):
    asked = _asked(request)
    error, figures = None, None
    try:
        figures = insights.for_viewer(request.user, **asked)
    except rules.PeriodError as err:
        error = err
    context = {"asked": asked, "error": error, "figures": figures,
               "query": request.GET.urlencode(),
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


def _asked(request) -> dict[str, str]:
    q = request.GET
    return {"days": q.get("days", ""), "start": q.get("from", ""), "end": q.get("to", ""),
            "channel": q.get("channel", "")}


def _refused(err: rules.PeriodError) -> HttpResponse:
    return HttpResponse(f"{err}\n", status=400, content_type="text/plain; charset=utf-8")


def _filename(period, channel: str, what: str, ext: str) -> str:
    return (f"redline-{what}-{period.start}-to-{period.end}"
            f"{'-' + channel if channel else ''}.{ext}")


@htmx_login
@roles.editor_required
def figures_csv(request):
    """The figures the page shows, as CSV (review.exports.figures_csv)."""
    try:
        figures = insights.for_viewer(request.user, **_asked(request))
    except rules.PeriodError as err:
        return _refused(err)
    name = _filename(figures.period, figures.channel, "figures", "csv")
    return HttpResponse(exports.figures_csv(figures), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _audit(request, stream, ext: str, content_type: str):
    try:
        period, channel = insights.asked(**_asked(request))
    except rules.PeriodError as err:
        return _refused(err)
    name = _filename(period, channel, "events", ext)
    return StreamingHttpResponse(
        stream(period, channel), content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@htmx_login
@roles.admin_required
def events_csv(request):
    """The period's audit history as CSV, streamed (admins only)."""
    return _audit(request, exports.audit_csv, "csv", "text/csv; charset=utf-8")


@htmx_login
@roles.admin_required
def events_jsonl(request):
    """The period's audit history as JSON Lines, streamed (admins only)."""
    return _audit(request, exports.audit_jsonl, "jsonl", "application/jsonl; charset=utf-8")
