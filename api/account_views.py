"""The account page for API tokens: create one (shown once), see them, revoke one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import tokens as token_service
from api.models import ApiToken
from temporal_app import errors


class TokenForm(forms.Form):
    # Its limits and sentences are token_service.create_token's.
    name = forms.CharField(label="Name", strip=True, required=False,
                           help_text="What will use it, e.g. “CMS import”.",
                           widget=forms.TextInput(attrs={"maxlength": token_service.NAME_MAX}))


@never_cache  # the page that shows a new token is never kept by a browser or a proxy
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    created = secret = None
    status = 200
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = token_service.create_token(user=request.user,
                                                         name=form.cleaned_data["name"])
            form, status = TokenForm(), 201
        except errors.Refused as err:
            form.add_error("name", str(err))
            status = 400
    elif request.method == "POST":
        status = 400
    context = {"form": form, "created": created, "secret": secret,
               "tokens": token_service.tokens_for(request.user),
               "api_root": request.build_absolute_uri(reverse("api:drafts")),
               "docs_url": reverse("api:docs"), "limit": token_service.ACTIVE_TOKENS_MAX}
    return render(request, "account/tokens.html", context, status=status)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = token_service.revoke_token(user=request.user, pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None
    messages.success(request, f"The token “{token.name}” ({token.prefix}…) is revoked: requests "
                              "with it are refused from now on.")
    return redirect("api:tokens")
