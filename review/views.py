"""Editors' pages: the review queue, a draft's review page, and decisions."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from drafts import roles, selectors
from drafts.models import Draft
from review import services
from review.forms import DecisionForm
from temporal_app import client as temporal

PAGE_SIZE = 50


@require_GET
@roles.editor_required
def queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.review_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/queue.html", {"page": page})


def _draft(pk: int) -> Draft:
    try:
        return selectors.draft_with_history(pk)
    except Draft.DoesNotExist:
        raise Http404("No such draft.") from None


def _panel_context(request: HttpRequest, draft: Draft, form: DecisionForm | None = None,
                   outcome: str = "", refusal: str = "") -> dict:
    current = next((v for v in draft.versions.all() if v.number == draft.current_version), None)
    return {
        "draft": draft,
        "current": current,
        "form": form or DecisionForm(initial={"version": draft.current_version,
                                              "text": current.text if current else ""}),
        "is_own": draft.author_id == request.user.pk,
        "outcome": outcome,
        "refusal": refusal,
        "temporal_url": temporal.workflow_ui_url(draft.pk),
    }


@require_GET
@roles.editor_required
def review_draft(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    return render(request, "review/review.html", _panel_context(request, draft))


@require_POST
@roles.editor_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    form = DecisionForm(request.POST)
    outcome = refusal = ""
    status = 200
    if draft.author_id == request.user.pk:
        refusal, status = "You wrote this draft's topic; another editor must review it.", 403
    elif not form.is_valid():
        status = 422
    else:
        try:
            result = services.decide(draft_id=draft.pk, editor=request.user,
                                     decision=form.cleaned_data["decision"],
                                     version=form.cleaned_data["version"],
                                     comment=form.cleaned_data["comment"],
                                     text=form.cleaned_data["text"])
            outcome = result.message
        except temporal.DecisionRefused as err:
            refusal, status = str(err), 409
        except temporal.EngineUnavailable as err:
            refusal, status = str(err), 503
        draft = _draft(pk)  # the workflow's activities have written the new state
    context = _panel_context(request, draft, form if status == 422 else None, outcome, refusal)
    if request.htmx:
        return render(request, "review/review.html#panel", context, status=status)
    if status == 200:
        return redirect("review:draft", pk=pk)
    return render(request, "review/review.html", context, status=status)
