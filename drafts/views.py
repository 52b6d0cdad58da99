"""Authors' pages. Thin: a form, one service call, a render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from drafts import roles, selectors, services
from drafts.forms import DraftForm, StatusFilterForm
from drafts.models import Draft
from temporal_app import client as temporal


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if roles.is_editor(request.user) and not roles.is_author(request.user):
        return redirect("review:queue")
    if roles.is_author(request.user):
        return redirect("drafts:list")
    return render(request, "no_role.html")


def _visible_draft(request: HttpRequest, pk: int) -> Draft:
    """The draft, if this user may see it: its author, editors and admins. Others get 404."""
    try:
        draft = selectors.draft_with_history(pk)
    except Draft.DoesNotExist:
        raise Http404("No such draft.") from None
    if draft.author_id != request.user.pk and not roles.is_editor(request.user):
        raise Http404("No such draft.")
    return draft


@require_GET
@roles.author_required
def draft_list(request: HttpRequest) -> HttpResponse:
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    drafts = selectors.drafts_for_author(request.user, status)
    return render(request, "drafts/list.html", {"drafts": drafts, "filter_form": form})


@roles.author_required
def draft_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = DraftForm(request.POST)
        if form.is_valid():
            draft, _ = services.submit_draft(author=request.user, **form.cleaned_data)
            url = draft.get_absolute_url()
            if request.htmx:
                return HttpResponseClientRedirect(url)
            return redirect(url)
        status = 422 if request.htmx else 200
    else:
        form = DraftForm(initial={"submission_key": uuid.uuid4()})
        status = 200
    template = "drafts/new.html#form" if request.htmx else "drafts/new.html"
    return render(request, template, {"form": form}, status=status)


@require_GET
def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"/login/?next={request.path}")
    draft = _visible_draft(request, pk)
    context = {"draft": draft, "is_own": draft.author_id == request.user.pk,
               "temporal_url": temporal.workflow_ui_url(draft.pk)}
    if request.htmx:
        html = render_to_string("drafts/detail.html#live", context, request=request)
        if draft.is_final:
            return HttpResponseStopPolling(html)
        return HttpResponse(html)
    return render(request, "drafts/detail.html", context)


@require_POST
@roles.author_required
def draft_retry(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _visible_draft(request, pk)
    if draft.author_id != request.user.pk:
        raise PermissionDenied("Only the draft's author can retry it.")
    try:
        services.retry_draft(draft=draft, user=request.user)
    except temporal.EngineError as err:
        messages.error(request, str(err))
    return redirect("drafts:detail", pk=pk)


@require_POST
@roles.author_required
def draft_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _visible_draft(request, pk)
    if draft.author_id != request.user.pk:
        raise PermissionDenied("Only the draft's author can withdraw it.")
    try:
        result = services.withdraw_draft(draft=draft, user=request.user)
        messages.success(request, result.message)
    except temporal.EngineError as err:
        messages.error(request, str(err))
    return redirect("drafts:detail", pk=pk)
