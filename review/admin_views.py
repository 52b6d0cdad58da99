"""Admins' pages: pending review workflows as Temporal sees them, and operations on them.

The list comes from Temporal visibility (temporal_app.visibility), one page per request with
Temporal's page token in the URL. Details come from the workflow's `status` query, on demand.
Actions (extend the deadline, cancel, resend the reminder) are workflow Updates sent by
review/services.py through temporal_app.gateway; the workflow records each one as a
DraftEvent with the admin as actor. Every action has a confirmation step: GET shows it, POST
performs it. With htmx the details and the confirmation load into the row; without
JavaScript they are plain pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods

from drafts import roles, selectors
from drafts.models import Draft
from review import services
from rulebook import inputs, states
from temporal_app import errors, gateway, visibility

MAX_EXTENSION_HOURS = inputs.MAX_EXTENSION_SECONDS / 3600

# ------------------------------------------------------------------ the list


@require_GET
@roles.admin_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Reviews past their reminder or escalated at their step (a database page, the nearest
    deadline first; at most 200)."""
    drafts = list(selectors.overdue()[:200])
    return render(request, "review/overdue.html", {"drafts": drafts})


@require_GET
@roles.admin_required
def pending(request: HttpRequest) -> HttpResponse:
    """The rows come at once (one visibility list); the counts by state, which read every
    matching run (the dev server's SQLite counts cost ~20-70 ms each at 10,000 waiting),
    follow as their own fragment (htmx loads it, or `?counts=1` without JavaScript)."""
    context: dict = {"states": visibility.STATES, "params": request.GET, "error": ""}
    status = 200
    counts_only = bool(request.htmx) and request.htmx.target == "counts"
    counted = counts_only or request.GET.get("counts") == "1"
    try:
        flt = visibility.PendingFilter.from_params(request.GET)
        filter_params = flt.as_params()
        context.update(filter=flt, task_queue=flt.queue, counted=counted,
                       counts_query=_querystring({**filter_params, "counts": "1"}))
        if counted:
            _count(context, flt, filter_params)
        if counts_only:
            return render(request, "review/pending.html#counts", context)
        token = visibility.decode_token(request.GET.get("page"))
        page = visibility.pending_page(flt, page_size=settings.PENDING_PAGE_SIZE,
                                       page_token=token, with_counts=False)
    except visibility.FilterError as err:
        context["error"], status = str(err), 400
    except errors.EngineUnavailable as err:
        context["error"], status = str(err), 503
    else:
        drafts = Draft.objects.select_related("author").in_bulk(
            [r.draft_id for r in page.rows if r.draft_id])
        links = _row_links([r.draft_id for r in page.rows if r.draft_id],
                           request.get_full_path())
        context.update(
            page=page,
            rows=[(row, drafts.get(row.draft_id), links.get(row.draft_id))
                  for row in page.rows],
            filter_query=_querystring(filter_params),
            next_query=_querystring({**filter_params, "page": page.next_token_text})
            if page.next_token else "",
            is_first_page=token is None,
        )
    template = "review/pending.html#results" if request.htmx else "review/pending.html"
    return render(request, template, context, status=status)


MARKER = 987654321  # a draft id no real row has, replaced in the reversed links


def _row_links(draft_ids: list[int], here: str) -> dict[int, dict[str, str]]:
    """Each row's Details and action links (coming back to `here`), reversed once a page
    with a marker id instead of eight times a row: URL reversal was 40% of the page's render
    at 50 rows (cProfile)."""
    back = "?" + urlencode({"next": here})  # after the id is set: `here` may hold the marker
    paths = {"details": reverse("review:pending_details", args=[MARKER]),
             **{a: reverse("review:pending_action", args=[MARKER, a]) for a in ACTIONS}}
    marker = str(MARKER)
    return {pk: {name: path.replace(marker, str(pk)) + back for name, path in paths.items()}
            for pk in draft_ids}


def _count(context: dict, flt: visibility.PendingFilter, filter_params: dict) -> None:
    """The total and the counts by state, or the sentence saying why there are none."""
    try:
        counts, context["total"] = visibility.pending_counts(flt)
    except errors.EngineUnavailable as err:
        context["counts_error"] = str(err)
        return
    context["state_links"] = [(s, n, _querystring({**filter_params, "state": s}))
                              for s, n in counts.items()]


def _querystring(params: dict[str, str]) -> str:
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in params.items() if v})
    return query.urlencode()


# ------------------------------------------------------------------ details (status query)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("review:pending")


@require_GET
@roles.admin_required
def details(request: HttpRequest, pk: int) -> HttpResponse:
    context = {"pk": pk, "draft": Draft.objects.filter(pk=pk).first(), "status": None,
               "error": "", "ui_url": gateway.workflow_ui_url(pk), "back": _back(request),
               "actions": ACTIONS,
               # ReviewStatus.state is the query's plain string: compared here, not in HTML.
               "is_awaiting": False}
    code = 200
    try:
        status = context["status"] = services.review_status(pk)
        context["is_awaiting"] = status.state == states.ReviewState.AWAITING_REVIEW
    except errors.Refused as err:
        context["error"], code = str(err), 404
    except errors.EngineUnavailable as err:
        context["error"], code = str(err), 503
    template = "review/pending.html#details" if request.htmx else "review/pending_details.html"
    return render(request, template, context, status=code)


# ------------------------------------------------------------------ actions


class ExtendForm(forms.Form):
    hours = forms.FloatField(
        label="Extend the deadline by (hours)", min_value=inputs.MIN_EXTENSION_SECONDS / 3600,
        max_value=MAX_EXTENSION_HOURS,
        initial=24, widget=forms.NumberInput(attrs={"step": "any"}),
        error_messages={"min_value": "Extend by at least a minute (0.02 hours).",
                        "max_value": f"Extend by at most {MAX_EXTENSION_HOURS} hours (30 days).",
                        "required": "Say by how many hours.",
                        "invalid": "Enter a number of hours, e.g. 24 or 1.5."})


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the author sees it)", max_length=inputs.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give a reason for cancelling."})


class RemindForm(forms.Form):
    pass


@dataclass(frozen=True)
class Action:
    slug: str
    label: str
    question: str
    button: str
    form: type[forms.Form]
    danger: bool = False


ACTIONS = {
    "extend": Action("extend", "Extend deadline", "Extend the review deadline of draft #{pk}?",
                     "Extend the deadline", ExtendForm),
    "cancel": Action("cancel", "Cancel", "Cancel the review of draft #{pk}? This ends it for "
                     "good; the author can submit a new draft.", "Cancel the review",
                     CancelForm, danger=True),
    "remind": Action("remind", "Resend reminder", "Send the editors a reminder about draft "
                     "#{pk} now?", "Send the reminder", RemindForm),
}


def _perform(action: str, pk: int, user, data: dict) -> str:
    if action == "extend":
        return services.extend_deadline(admin=user, draft_id=pk, hours=data["hours"])
    if action == "cancel":
        return services.cancel_review(admin=user, draft_id=pk, reason=data["reason"])
    return services.resend_reminder(admin=user, draft_id=pk)


@require_http_methods(["GET", "POST"])
@roles.admin_required
def action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    form = spec.form(request.POST if request.method == "POST" else None)
    context = {"pk": pk, "draft": Draft.objects.filter(pk=pk).first(), "action": spec,
               "question": spec.question.format(pk=pk), "form": form, "error": "",
               "back": _back(request), "ui_url": gateway.workflow_ui_url(pk)}
    code = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                message = _perform(action, pk, request.user, form.cleaned_data)
            except errors.ReviewNotFound as err:
                if context["draft"] is None:  # neither a draft nor a workflow: no such thing
                    raise Http404(f"There is no draft #{pk}.") from err
                context["error"], code = str(err), 409
            except errors.Refused as err:
                context["error"], code = str(err), 409
            except errors.EngineUnavailable as err:
                context["error"], code = str(err), 503
            except errors.DecisionAccepted as err:
                context["error"], code = str(err), 202
            else:
                message = f"Draft #{pk}: {message}"
                if request.htmx:
                    context["done"] = message
                    return render(request, "review/confirm.html#done", context)
                messages.success(request, message)
                return redirect(context["back"])
        else:
            code = 400
    template = "review/confirm.html#panel" if request.htmx else "review/confirm.html"
    return render(request, template, context, status=code)
