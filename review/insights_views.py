"""The insights page (issue 24): `/insights/`, for editors (their channels' drafts and their
own) and admins (everything). A GET form (works without JavaScript): a period, optionally a
channel; one call to review.insights.for_viewer; the figures, and charts with their numbers
in a table beside each. Its exports take the same query: `/insights/figures.csv` (the
viewer's figures), `/insights/events.csv` and `/insights/events.jsonl` (the period's audit
history, admins only, streamed)."""

from __future__ import annotations

import dataclasses

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from drafts import roles
from drafts.views import htmx_login
from review import charts, exports, insights
from review.insights import APPROVED, EXPIRED
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
               "channels": Channel.objects.order_by("name").values_list("slug", "name"),
               **insights.choices()}
    if figures is not None and not figures.empty:
        link = _linker(request)

        def outcome(series: str) -> dict:
            return {} if series == "submitted" else {"outcome": series}

        context["charts"] = {
            "weeks": charts.bars("Drafts submitted and approved, by week", figures.weeks,
                                 "week", ["submitted", APPROVED], horizontal=False,
                                 link=lambda i, row, series: link(week=row["week"],
                                                                  **outcome(series))),
            "channels": charts.bars("Drafts by channel: submitted and approved",
                                    figures.channels, "channel", ["submitted", APPROVED],
                                    link=lambda i, row, series: link(
                                        channel=row["channel"], **outcome(series))
                                    if row["channel"] else ""),
            "waiting": charts.bars("Time to the first decision", figures.waiting, "bucket",
                                   ["count"], link=lambda i, row, series: link(bucket=i)),
        }
        context["links"] = {"submitted": link(), "edited": link(outcome=APPROVED, edited=1),
                            **{key.value: link(outcome=key.value) for key in rules.OUTCOMES}}
        context["breaches"] = [(b, link(outcome=EXPIRED, step=b["step"]))
                               for b in figures.deadline_breaches]
        context["findings"] = [(f, link(check=f["check"], severity=f["severity"]))
                               for f in figures.findings_by_check]
        context["durations"] = {
            name: {k: rules.duration_words(v) for k, v in getattr(figures, name).items()}
            for name in ("first_decision_seconds", "final_decision_seconds")}
    return render(request, "review/insights.html", context, status=400 if error else 200)


# A figure's filter: its query parameters are rulebook.insights.Behind's fields.
FILTERS = tuple(f.name for f in dataclasses.fields(rules.Behind))


def _linker(request):
    """link(**filter): the drafts behind a figure, in the page's period and channel."""
    base = {k: v for k, v in request.GET.items()
            if k in ("days", "from", "to", "channel", "group", "reviewer")}
    url = reverse("insights_drafts")
    return lambda **behind: f"{url}?{urlencode({**base, **behind})}"


def _asked(request) -> dict[str, str]:
    q = request.GET
    return {"days": q.get("days", ""), "start": q.get("from", ""), "end": q.get("to", ""),
            "channel": q.get("channel", ""), "group": q.get("group", ""),
            "reviewer": q.get("reviewer", "")}


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
        period, cut = insights.asked(**_asked(request))
    except rules.PeriodError as err:
        return _refused(err)
    name = _filename(period, cut.channel, "events", ext)
    return StreamingHttpResponse(
        stream(period, cut), content_type=content_type,
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


def _behind(request) -> rules.Behind:
    q = request.GET
    return rules.behind(buckets=len(insights.WAIT_BUCKETS),
                        **{name: q.get(name, "") for name in FILTERS})


def _page(raw: str) -> int:
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 100_000):
        raise rules.PeriodError("InvalidFilter", "page is a whole number from 1.", "page")
    return int(raw)


@htmx_login
@roles.editor_required
def drafts_behind(request):
    """The drafts a figure counts (each figure on the page links here with its filter)."""
    asked = _asked(request)
    context: dict = {"asked": asked}
    try:
        period, cut = insights.asked(**asked)
        behind, page = _behind(request), _page(request.GET.get("page", ""))
    except rules.PeriodError as err:
        return render(request, "review/insights_drafts.html", {**context, "error": err},
                      status=400)
    drafts, total = insights.drafts_behind(period, scope=insights.Scope.of(request.user),
                                           cut=cut, behind=behind, page=page)
    pages = max(1, -(-total // insights.PER_PAGE))
    rest = request.GET.copy()
    rest.pop("page", None)
    context.update(period=period, cut=cut, behind=behind, drafts=drafts, total=total,
                   page=page, pages=pages, rest=rest.urlencode(),
                   what=_described(behind), back=_without_filter(request))
    return render(request, "review/insights_drafts.html", context)


def _without_filter(request) -> str:
    """The page's query without the figure's filter: back to the figures."""
    q = request.GET.copy()
    for name in (*FILTERS, "page"):
        q.pop(name, None)
    return q.urlencode()


def _described(b: rules.Behind) -> str:
    """ "Drafts approved with an editor's edits, submitted in the week of 30 Nov 2026", …"""
    parts = ["Drafts"]
    if b.outcome:
        parts.append(b.outcome + (" with an editor's edits" if b.edited else ""))
    if b.week:
        parts.append(f"submitted in the week of {b.week:%d %b %Y}")
    if b.bucket is not None:
        parts.append(f"first decided {insights.WAIT_BUCKETS[b.bucket][0]} after submission")
    if b.step is not None:
        parts.append(f"that expired at step {b.step}")
    if b.check:
        found = f"found something ({b.severity})" if b.severity else "found something"
        parts.append(f"on which the check “{b.check}” {found}")
    return " ".join(parts)
