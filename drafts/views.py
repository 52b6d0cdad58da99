"""Authors' pages. Thin: a form, one service call, a render."""

from __future__ import annotations

import uuid
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseStopPolling,
    trigger_client_event,
)

from drafts import comments, roles, selectors, services
from drafts.diff import versions_with_diffs
from drafts.forms import CommentForm, DraftForm, ReplyForm, StatusFilterForm
from drafts.models import Draft
from publishing import services as publishing_services
from publishing.selectors import publishing_of
from rulebook import budgets
from rulebook.states import ReviewState
from temporal_app import errors, gateway

PAGE_SIZE = 50


def htmx_login(view):
    """An htmx request from a signed-out user (an expired session) reloads the browser on the
    login page, which returns to the page afterwards, instead of swapping the login form
    into a fragment of the page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            back = urlsplit(request.htmx.current_url or request.get_full_path())
            path = back.path + (f"?{back.query}" if back.query else "")
            return HttpResponseClientRedirect(redirect_to_login(path).url)
        return view(request, *args, **kwargs)

    return wrapped


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if roles.is_editor(request.user) and not roles.is_author(request.user):
        return redirect("review:queue")
    if roles.is_author(request.user):
        return redirect("drafts:list")
    return render(request, "no_role.html")


@htmx_login
@require_GET
@roles.author_required
def draft_list(request: HttpRequest) -> HttpResponse:
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.drafts_for_author(request.user, status),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "filter_form": form, "status": status,
               "status_label": ReviewState(status).label if status else "",
               "counts": selectors.author_status_counts(request.user)}
    template = "drafts/list.html#results" if request.htmx else "drafts/list.html"
    return render(request, template, context)


@htmx_login
@require_http_methods(["GET", "POST"])
@roles.author_required
def draft_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = DraftForm(request.POST)
        draft = None
        if form.is_valid():
            try:
                draft, created = services.submit_draft(author=request.user,
                                                       **form.cleaned_data)
            except errors.InvalidBrief as err:
                for field, problem in err.problems.items():
                    form.add_error(field, problem)
            except errors.Refused as err:  # too many drafts in progress
                form.add_error(None, str(err))
        if draft is not None:
            if created:
                messages.success(request, "Your topic was submitted; the draft is being "
                                          "written.")
            url = draft.get_absolute_url()
            if request.htmx:
                return HttpResponseClientRedirect(url)
            return redirect(url)
        status = 422 if request.htmx else 200
    else:
        form = DraftForm(initial={"submission_key": uuid.uuid4()})
    template = "drafts/new.html#form" if request.htmx else "drafts/new.html"
    return render(request, template, {"form": form}, status=status)


def _detail_context(request: HttpRequest, draft: Draft) -> dict:
    publishing = publishing_of(draft)
    publishing_live = publishing.delivering
    # What the page last saw: the draft's stamp, and its deliveries' once it has some.
    stamp = draft.live_stamp
    if publishing.deliveries:
        stamp += f"|{publishing.stamp}"
    return {
        **comments_context(request, draft),
        "draft": draft,
        "is_own": draft.author_id == request.user.pk,
        "versions": versions_with_diffs(draft.versions.all()),
        "show_usage": roles.is_editor(request.user),
        "temporal_url": gateway.workflow_ui_url(draft.pk),
        "publishing": publishing,
        "publishing_live": publishing_live,
        "progress": selectors.policy_progress(draft),
        # The status region polls while the review runs or its deliveries are under way.
        "live": not draft.is_final or publishing_live,
        **(stream_context(draft.pk, stream_token(draft.pk, request.user.pk))
           if draft.is_working else {}),
        "can_stop": may_stop(request.user, draft),
        "spend_line": _spend_line(draft),
        "live_stamp": stamp,
        "can_retry_delivery": (roles.is_admin(request.user) and bool(publishing.failed)
                               and not publishing_live),
    }


@login_required
@require_GET
def draft_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The approved version as a file: Markdown as stored, or a standalone HTML page of it
    (the same sanitised rendering as the draft page)."""
    if fmt not in ("md", "html"):
        raise Http404("Markdown (.md) or HTML (.html) only.")
    draft = selectors.visible_draft(request.user, pk)
    version = selectors.approved_version(draft)
    name = f"draft-{draft.pk}-v{version.number}.{fmt}"
    if fmt == "md":
        response = HttpResponse(version.text, content_type="text/markdown; charset=utf-8")
    else:
        response = HttpResponse(render_to_string("drafts/approved.html", {
            "draft": draft, "version": version}), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@htmx_login
@require_GET
def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    draft = selectors.visible_draft(request.user, pk)
    context = _detail_context(request, draft)
    if not request.htmx:
        return render(request, "drafts/detail.html", context)
    # Polling: the status region every time; the deliveries, versions and history (out of
    # band) only when they changed since the stamp the page last saw, so open <details> stay
    # open. Once nothing is live (the review ended and no delivery is under way), the answer
    # is the final status region and 286: htmx stops polling.
    changed = request.GET.get("seen") != context["live_stamp"]
    if (context["live"] and not changed
            and request.GET.get("p") == str(draft.progress_chars)):
        return HttpResponse(status=204)  # nothing new: htmx keeps the page as it is
    html = render_to_string("drafts/detail.html#live", context, request=request)
    if changed:
        context["oob"] = True
        html += render_to_string("drafts/detail.html#content", context, request=request)
    if not context["live"]:
        return HttpResponseStopPolling(html)
    return HttpResponse(html)


STREAM_SALT = "drafts.streamed"
STREAM_TOKEN_AGE = 3600  # seconds a page's poll token holds (a reload gets a new one)


def stream_token(pk: int, user_id: int) -> str:
    """What a page that may watch draft `pk` polls with: signed, so the poll needs no
    session, user or permission read (a page that was allowed to see the draft, for an
    hour)."""
    return signing.dumps([pk, user_id], salt=STREAM_SALT, compress=False)


@require_GET
def streamed(request: HttpRequest, pk: int) -> HttpResponse:
    """The text of the version being written, polled by the draft page and the review page
    (drafts/_streamed.html) with the page's token: 204 when nothing changed since the stamp
    the page saw; once the version is stored (or the writing stopped), an empty answer that
    stops the polling and tells the page to fetch the stored version (`version-stored`).
    Touches neither the session nor the user: the only read is the draft's, shared by every
    page watching it in this process (selectors.live_text)."""
    try:
        token_pk, _ = signing.loads(request.GET.get("t", ""), salt=STREAM_SALT,
                                    max_age=STREAM_TOKEN_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        token_pk = None
    if token_pk != pk:
        response = HttpResponseStopPolling(
            '<p class="msg warning" id="streamed">Reload the page to follow the writing.</p>')
        return response
    live = selectors.live_text(pk)
    if live is None:
        raise Http404("No such draft.")
    if not live.writing:
        response = HttpResponseStopPolling("")
        trigger_client_event(response, "version-stored")
        return response
    if request.GET.get("s") == live.stamp:
        return HttpResponse(status=204)
    # Without the request: the context processors would read the session and the user.
    return HttpResponse(render_to_string("drafts/_streamed.html",
                                         stream_context(pk, request.GET["t"], live)))


def stream_context(pk: int, token: str, live: selectors.LiveText | None = None) -> dict:
    """What drafts/_streamed.html needs (the draft page and the review page include it):
    `token` from stream_token for the viewer."""
    return {"stream": live or selectors.live_text(pk), "draft_pk": pk, "stream_token": token,
            "stream_poll": _stream_poll()}


def _stream_poll() -> str:
    return f"{settings.STREAM_POLL_SECONDS:g}"


@htmx_login
@require_POST
@roles.author_required
def draft_retry(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.own_draft(request.user, pk, "retry")
    try:
        services.retry_draft(draft=draft, user=request.user)
        messages.success(request, "The draft is being written again.")
    except errors.RedlineError as err:
        messages.error(request, str(err))
    return redirect("drafts:detail", pk=pk)


@htmx_login
@require_POST
@roles.author_required
def draft_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.own_draft(request.user, pk, "withdraw")
    try:
        result = services.withdraw_draft(draft=draft, user=request.user,
                                         comment=request.POST.get("comment", ""))
        messages.success(request, result.message)
    except errors.RedlineError as err:
        messages.error(request, str(err))
    return redirect("drafts:detail", pk=pk)


@htmx_login
@require_POST
@login_required
def draft_stop(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Stop writing": keep the text so far as the version (`keep=1`) or discard it; back to
    the page the button was on, which says what happened."""
    draft = selectors.visible_draft(request.user, pk)
    try:
        result = services.stop_writing(draft=draft, user=request.user,
                                       keep=request.POST.get("keep") == "1")
        messages.success(request, result.message)
    except errors.RedlineError as err:  # refused, or Temporal did not answer: nothing stopped
        messages.error(request, str(err))
    url = _back(request, draft)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _spend_line(draft: Draft) -> str:
    """ "USD 0.12 of USD 1.00 · 3,400 of 60,000 tokens": the draft's LLM spend against its
    budget (rulebook.budgets.shown); "" for a draft with neither."""
    spent, _ = selectors.spend(draft)
    budget = draft.budget
    if budget is None and not spent.tokens:
        return ""
    return budgets.shown(budget or budgets.NO_LIMIT, spent)


def may_stop(user, draft: Draft) -> bool:
    """Does the page offer "Stop writing"? (The rule's answer on the row.)"""
    return draft.is_working and services.stop_refusal(draft, user) is None


@htmx_login
@require_POST
@roles.retry_delivery_required
def draft_retry_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin delivers an approved draft again to the destinations that did not get it."""
    draft = selectors.visible_draft(request.user, pk)
    try:
        messages.success(request, publishing_services.retry_delivery(draft_id=draft.pk,
                                                                     user=request.user))
    except errors.RedlineError as err:  # refused, or Temporal did not answer: nothing recorded
        messages.error(request, str(err))
    url = draft.get_absolute_url()
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


# ------------------------------------------------------------------ comments (every role)


def comments_context(request: HttpRequest, draft: Draft, *, form: CommentForm | None = None,
                     refusal: str = "", outcome: str = "") -> dict:
    """What drafts/_comments.html shows: the threads, the forms, and the marks (passages of
    the current version to highlight in its text)."""
    threads = list(selectors.comment_threads(draft))
    return {
        "draft": draft, "threads": threads,
        "comment_form": form or CommentForm(initial={"version": draft.current_version}),
        "comment_refusal": refusal, "comment_outcome": outcome,
        "can_comment": not draft.is_final and draft.current_version > 0,
        "back": request.get_full_path() if request.method == "GET" else _back(request, draft),
        "marks": passage_marks(threads, draft.current_version),
    }


def passage_marks(threads, number: int) -> list[tuple[int, int, int]]:
    """(start, end, id) of the threads found in version `number`, to highlight."""
    return [(c.at_start, c.at_end, c.pk) for c in threads
            if c.on_passage and c.at_version == number and not c.is_outdated]


def _back(request: HttpRequest, draft: Draft) -> str:
    """Where a comment form returns to without JavaScript: the page it was posted from."""
    back = request.POST.get("back") or ""
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()},
                                                require_https=request.is_secure()):
        return back
    return draft.get_absolute_url()


def _comment_answer(request: HttpRequest, draft: Draft, call, *, form=None,
                    done: str) -> HttpResponse:
    """Run one comment service call; answer with the comments region (htmx) or back to the
    page (without JavaScript), the refusal's sentence shown and the words kept."""
    refusal, status = "", 200
    try:
        call()
    except comments.CommentRefused as err:
        refusal = str(err)
        status = {comments.FORBIDDEN: 403, comments.CONFLICT: 409,
                  comments.MISSING: 404}.get(err.kind, 422)
    if not request.htmx:
        if not refusal:
            messages.success(request, done)
            return redirect(_back(request, draft))
        context = comments_context(request, draft, form=form, refusal=refusal)
        return render(request, "drafts/comments_page.html", context, status=status)
    draft.refresh_from_db()
    context = comments_context(request, draft, form=form if refusal else None,
                               refusal=refusal, outcome="" if refusal else done)
    return render(request, "drafts/_comments.html", context, status=status)


@htmx_login
@require_POST
@login_required
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.visible_draft(request.user, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():  # a forged form (the hidden version); the words stay
        return _comment_answer(request, draft, lambda: _refuse(
            "This form is out of date: reload the draft and comment again."), form=form,
            done="")
    data = form.cleaned_data
    block = (data["block_start"], data["block_end"]) \
        if data["block_start"] is not None and data["block_end"] is not None else None
    return _comment_answer(
        request, draft, lambda: comments.add(
            draft=draft, user=request.user, version=data["version"], body=data["body"],
            quote=data["quote"].strip(), selected=True, block=block),
        form=form, done="Comment added.")


@htmx_login
@require_POST
@login_required
def comment_reply(request: HttpRequest, pk: int, comment_id: int) -> HttpResponse:
    draft = selectors.visible_draft(request.user, pk)
    form = ReplyForm(request.POST)
    form.is_valid()
    return _comment_answer(request, draft, lambda: comments.reply(
        draft=draft, user=request.user, parent_id=comment_id,
        body=form.cleaned_data.get("body", "")), done="Reply added.")


@htmx_login
@require_POST
@login_required
def comment_resolve(request: HttpRequest, pk: int, comment_id: int, action: str
                    ) -> HttpResponse:
    draft = selectors.visible_draft(request.user, pk)
    resolve = action == "resolve"
    return _comment_answer(request, draft, lambda: comments.set_resolved(
        draft=draft, user=request.user, comment_id=comment_id, resolve=resolve),
        done="Comment resolved." if resolve else "Comment reopened.")


def _refuse(sentence: str):
    raise comments.CommentRefused(sentence, "Invalid")
