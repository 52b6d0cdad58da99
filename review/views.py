"""Editors' pages: the review queue, a draft's review page, and decisions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseStopPolling,
    trigger_client_event,
)

from drafts import paging, roles, selectors
from drafts.diff import diff_lines
from drafts.models import Draft
from drafts.views import comments_context, htmx_login, may_stop, stream_context, stream_token
from review import services
from review.forms import (
    EDIT_DECISION,
    EVERY_STEP,
    QUICK_DECISIONS,
    ChoicesForm,
    DecisionForm,
    QueueFilterForm,
)
from rulebook import budgets, decisions, snapshot
from rulebook.states import DecisionKind
from temporal_app import errors, gateway
from temporal_app.types import passage_fields

PAGE_SIZE = 50
# The queue says "1000+ drafts" past this: its page never counts the whole queue.
QUEUE_COUNT_CAP = 1000


@htmx_login
@require_GET
@roles.editor_required
def queue(request: HttpRequest) -> HttpResponse:
    if request.htmx and request.htmx.target == "queue-count":
        return render(request, "base.html#queue_count")  # the navigation's number, refreshed
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    drafts = selectors.review_queue(
        author_id=filters.get("author"), age=filters.get("age", ""),
        reminder_due=filters.get("reminder_due", False), channel=filters.get("channel", ""),
        step=filters.get("step"),
        claimed_by=request.user.pk if filters.get("claimed_by_me") else None,
        groups=None if filters.get("whose") == EVERY_STEP else roles.reviewer_groups(request.user),
        escalation=roles.escalation_groups(request.user))
    page = paging.page_of(drafts, request.GET.get("page"), size=PAGE_SIZE, cap=QUEUE_COUNT_CAP)
    query = request.GET.copy()
    query.pop("page", None)
    narrowing = {k: v for k, v in filters.items() if k != "whose"}
    context = {"page": page, "filter_form": form,
               "findings": selectors.findings_summaries(page.object_list),
               "filtered": any(v not in (None, "", False) for v in narrowing.values()),
               "query": query.urlencode(), "now": timezone.now(),
               "every_step": filters.get("whose") == EVERY_STEP, "every_step_value": EVERY_STEP,
               "bulk_approve": DecisionKind.APPROVE.value, "claim_poll": _poll_seconds(),
               "bulk_reject": DecisionKind.REJECT.value}
    if request.htmx and request.htmx.target == "queue-claims":
        context["oob"] = True
        return render(request, "review/queue.html#claims", context)
    template = "review/queue.html#results" if request.htmx else "review/queue.html"
    return render(request, template, context)


def _review_context(request: HttpRequest, draft: Draft, *, shown: int | None = None,
                    form: DecisionForm | None = None, outcome: str = "",
                    refusal: str = "") -> dict:
    comments = comments_context(request, draft)
    versions = {v.number: v for v in draft.versions.all()}
    current = versions.get(draft.current_version)
    number = shown if shown in versions else draft.current_version
    version = versions.get(number)
    previous = versions.get(number - 1) if version else None
    diff = (diff_lines(previous.text, version.text, old_number=previous.number,
                       new_number=version.number) if previous and version else None)
    changes = list(selectors.version_changes(draft, number)) if version else []
    passages = selectors.revision_passages(draft, threads=comments["threads"],
                                           text=current.text if current else "") \
        if draft.awaiting_review else []
    if form is None:
        form = DecisionForm(initial={"version": draft.current_version,
                                     "text": current.text if current else ""})
    return {
        **comments,
        **(stream_context(draft.pk, stream_token(draft.pk, request.user.pk))
           if draft.is_working else {}),
        "draft": draft,
        "versions": sorted(versions.values(), key=lambda v: v.number),
        "version": version,
        "current": current,
        "diff": diff,
        "changes": changes,
        "findings": selectors.version_findings(draft, number) if version else [],
        "open_blockers": selectors.open_blockers(draft) if draft.awaiting_review else 0,
        "changes_revised": [c for c in changes if not c.suggested],
        "changes_suggested": [c for c in changes if c.suggested],
        "can_choose": draft.awaiting_review and number == draft.current_version
        and draft.author_id != request.user.pk and any(c.choosable for c in changes),
        "can_suggest": draft.awaiting_review and draft.author_id != request.user.pk,
        "can_dismiss": draft.awaiting_review and draft.author_id != request.user.pk,
        "can_recheck": draft.awaiting_review and draft.author_id != request.user.pk
        and number == draft.current_version,
        "can_stop": may_stop(request.user, draft),
        "budget_refusal": _budget_refusal(draft, versions.values(), current, passages),
        "review_url": reverse("review:draft", args=[draft.pk]),
        "commented_passages": len(passages),
        "form": form,
        "quick_decisions": QUICK_DECISIONS,
        "edit_decision": EDIT_DECISION,
        "is_own": draft.author_id == request.user.pk,
        "outcome": outcome,
        "refusal": refusal,
        "temporal_url": gateway.workflow_ui_url(draft.pk),
        "progress": selectors.policy_progress(draft),
        "claim": services.active_claim(draft),
        "claim_poll": _poll_seconds(),
    }


def _budget_refusal(draft: Draft, versions, current, passages) -> str:
    """What the draft's budget says of the revision "Request changes" would ask for (its
    commented `passages`, or the whole draft), as far as the rows know (the workflow checks
    again, with the same estimate): shown beside the button before it is pressed."""
    if draft.budget is None or not draft.awaiting_review or current is None:
        return ""
    spent, last = selectors.spend(draft, versions)
    estimate = decisions.revision_estimate(
        snapshot.Snapshot(state=draft.state, version=current.number,
                           author_id=draft.author_id, text=current.text, last_version=last),
        snapshot.Request(DecisionKind.REQUEST_CHANGES, 0, current.number,
                          **passage_fields(passages)))
    return budgets.revision_refusal(draft.budget, spent, estimate)


def _poll_seconds() -> str:
    return f"{settings.CLAIM_POLL_SECONDS:g}"


def _claim_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The review page's claim line, polled: who holds the claim now, or that the draft has
    moved on from the version the page shows (then polling stops; the editor's typing stays)."""
    draft = selectors.draft_with_claim(pk)
    seen, seen_step = _int(request.GET.get("seen")), _int(request.GET.get("step"))
    moved_on = (not draft.awaiting_review
                or (seen is not None and seen != draft.current_version)
                or (seen_step is not None and seen_step != draft.step))
    context = {"draft": draft, "claim": services.active_claim(draft), "moved_on": moved_on,
               "seen": seen, "seen_step": seen_step, "claim_poll": _poll_seconds()}
    html = render_to_string("review/review.html#claim", context, request=request)
    return HttpResponseStopPolling(html) if moved_on else HttpResponse(html)


def _shown_version(request: HttpRequest) -> int | None:
    return _int(request.GET.get("version"))


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@htmx_login
@require_GET
@roles.editor_required
def review_draft(request: HttpRequest, pk: int) -> HttpResponse:
    if request.htmx and request.htmx.target == "claim":
        return _claim_status(request, pk)
    draft = selectors.draft_or_404(pk)
    context = _review_context(request, draft, shown=_shown_version(request))
    if not request.htmx:
        return render(request, "review/review.html", context)
    # The version selector and the polling while the writer revises get the body only.
    html = render_to_string("review/review.html#body", context, request=request)
    return HttpResponse(html) if draft.is_working else HttpResponseStopPolling(html)


@htmx_login
@require_POST
@roles.editor_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.draft_or_404(pk)
    passages = selectors.revision_passages(draft)
    form = DecisionForm(request.POST, passages=passages)
    outcome = refusal = ""
    status = 200
    if own := decisions.own_draft_refusal(draft.author_id, request.user.pk):
        refusal, status = own.sentence, 403
    elif not form.is_valid():
        status = 422
        if not form.has_error("comment") and not form.has_error("text"):
            refusal = form.sentence()  # a forged or stale form: no field shows these errors
    else:
        outcome, refusal, status = _answer(lambda: services.decide(
            draft_id=draft.pk, editor=request.user, draft=draft, passages=passages,
            **form.cleaned_data))
        draft = selectors.draft_or_404(pk)  # the workflow's activities have written the new state
    if status in (200, 202) and not request.htmx:
        messages.success(request, outcome)
        return redirect("review:draft", pk=pk)
    # On any refusal the editor's words stay in the form, ready to send again.
    context = _review_context(request, draft, form=None if status in (200, 202) else form,
                              outcome=outcome, refusal=refusal)
    context["decision_tried"] = form.data.get("decision", "")
    if request.htmx:
        response = render(request, "review/review.html#panel", context, status=status)
        if outcome:
            trigger_client_event(response, "queue-changed")  # the nav's count refreshes
        return response
    return render(request, "review/review.html", context, status=status)


def _answer(send) -> tuple[str, str, int]:
    """(outcome, refusal, status) of a decision's service call `send()`: recorded 200,
    accepted and still being recorded 202, refused 409, the engine away 503."""
    try:
        return send().message, "", 200
    except errors.Refused as err:
        return "", str(err), 409
    except errors.DecisionAccepted as err:
        return str(err), "", 202
    except errors.EngineUnavailable as err:
        return "", str(err), 503


def _workbench(request: HttpRequest, draft: Draft, send) -> HttpResponse:
    """Send an edit from the chosen changes or a suggestion (`send()`: the service call):
    done, back to the review page with what happened; refused, the page again with why
    (the editor's choices are as they left them: nothing was recorded)."""
    if own := decisions.own_draft_refusal(draft.author_id, request.user.pk):
        outcome, sentence, status = "", own.sentence, 403
    else:
        outcome, sentence, status = _answer(send)
    if status in (200, 202):
        messages.success(request, outcome)
        if request.htmx:
            return HttpResponseClientRedirect(reverse("review:draft", args=[draft.pk]))
        return redirect("review:draft", pk=draft.pk)
    context = _review_context(request, selectors.draft_or_404(draft.pk))
    context["workbench_refusal"] = sentence
    return render(request, "review/review.html", context, status=status)


@htmx_login
@require_POST
@roles.editor_required
def choose(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept or reject the current version's changes, one by one or all at once: a new
    version "edited by <editor> from suggestions" (review.services.choose)."""
    draft = selectors.draft_or_404(pk)
    ids = [c.pk for c in selectors.version_changes(draft, draft.current_version)
           if c.choosable]
    form = ChoicesForm(request.POST, change_ids=ids)

    def send():
        if not form.is_valid():
            raise errors.DecisionRefused(form.sentence(), "Invalid")
        data = form.cleaned_data
        return services.choose(editor=request.user, draft=draft, version=data["version"],
                               choices=form.choices(), step=data.get("step"),
                               confirm_claim=data["confirm_claim"])
    return _workbench(request, draft, send)


@htmx_login
@require_POST
@roles.editor_required
def suggest(request: HttpRequest, pk: int, comment_id: int) -> HttpResponse:
    """"Suggest a rewrite" of one comment's passage (review.services.suggest)."""
    draft = selectors.draft_or_404(pk)
    version, step = _int(request.POST.get("version")), _int(request.POST.get("step"))

    def send():
        if version is None:
            raise errors.DecisionRefused("Reload the page: the form did not say which "
                                         "version you read.", "Invalid")
        return services.suggest(editor=request.user, draft=draft, comment_id=comment_id,
                                version=version, step=step,
                                confirm_claim=bool(request.POST.get("confirm_claim")))
    return _workbench(request, draft, send)


@htmx_login
@require_POST
@roles.editor_required
def recheck(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Run the checks again" on the version awaiting review (review.services.recheck)."""
    draft = selectors.draft_or_404(pk)
    return _checks_action(request, pk, lambda: services.recheck(
        editor=request.user, draft=draft).message)


@htmx_login
@require_POST
@roles.editor_required
def dismiss_finding(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    """Dismiss a warning of the checks with a reason (review.services.dismiss_finding)."""
    draft = selectors.draft_or_404(pk)

    def dismiss() -> str:
        services.dismiss_finding(editor=request.user, draft=draft, finding_id=finding_id,
                                 reason=request.POST.get("reason", ""))
        return "Warning dismissed; your reason is kept with it."
    return _checks_action(request, pk, dismiss)


def _checks_action(request: HttpRequest, pk: int, act) -> HttpResponse:
    """Do `act` (it returns what happened) and go back to the review page's Checks panel,
    which says it, or why not (a refusal, or "not recorded")."""
    try:
        messages.success(request, act())
    except errors.RedlineError as err:
        messages.error(request, str(err))
    url = reverse("review:draft", args=[pk]) + "#checks"
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@htmx_login
@require_POST
@roles.editor_required
def claim(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """ "I'm reviewing this" (claim or renew) and its release: the panel, swapped in place."""
    draft = selectors.draft_or_404(pk)
    outcome = refusal = ""
    status = 200
    if action == "release":
        released = services.release(user=request.user, draft_id=draft.pk)
        outcome = "Released: others see nobody is on it." if released else \
            "You had no claim on this draft."
    else:
        try:
            held = services.claim(user=request.user, draft_id=draft.pk)
            outcome = f"You are reviewing this draft until {held.until:%H:%M} UTC."
        except errors.Refused as err:
            refusal, status = str(err), 409
    if not request.htmx:
        (messages.success if status == 200 else messages.error)(request, outcome or refusal)
        return redirect("review:draft", pk=pk)
    context = _review_context(request, draft, outcome=outcome, refusal=refusal)
    return render(request, "review/review.html#panel", context, status=status)


@htmx_login
@require_POST
@roles.editor_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Approve or reject the selected drafts: each its own Update, each answered."""
    items, bad = [], False
    for value in request.POST.getlist("pick"):
        draft_id, _, version = value.partition(":")
        if not (draft_id.isdigit() and version.isdigit()):
            bad = True
            continue
        items.append((int(draft_id), int(version)))
    context: dict = {}
    status = 200
    if bad:
        context["bulk_error"], status = "Reload the queue: the selection was not understood.", 400
    else:
        try:
            context["bulk_outcomes"] = services.bulk_decide(
                editor=request.user, items=items, decision=request.POST.get("decision", ""),
                comment=request.POST.get("comment", "").strip())
        except (errors.Refused, ValueError) as err:
            context["bulk_error"] = (str(err) if isinstance(err, errors.Refused)
                                     else "Choose approve or reject.")
            status = 422
    if request.htmx:
        response = render(request, "review/_bulk_results.html", context, status=status)
        trigger_client_event(response, "queue-changed")
        return response
    for row in context.get("bulk_outcomes", []):
        (messages.success if row.decided else messages.error)(
            request, f"#{row.draft_id}: {row.sentence}")
    if "bulk_error" in context:
        messages.error(request, context["bulk_error"])
    return redirect("review:queue")
