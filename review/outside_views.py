"""The outside approver's page: no account, a signed single-use link (review/outside.py)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from review import outside
from rulebook import inputs
from temporal_app import errors

LINK_STATUS = {"LinkInvalid": 400, "LinkExpired": 410, "LinkUsed": 410, "LinkMovedOn": 410}


class OutsideDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(k.value, k.label) for k in outside.DECISIONS],
                                 error_messages={"required": "Choose a decision.",
                                                 "invalid_choice": "Choose a decision."})
    comment = forms.CharField(required=False, strip=True, max_length=inputs.COMMENT_MAX,
                              widget=forms.Textarea(attrs={"rows": 4}))


@never_cache
@require_http_methods(["GET", "POST"])
def outside_link(request: HttpRequest, token: str) -> HttpResponse:
    form = OutsideDecisionForm(request.POST or None)
    context: dict = {"form": form, "choices": outside.DECISIONS}
    if request.method == "POST" and form.is_valid():
        try:
            result = outside.decide(token, form.cleaned_data["decision"],
                                    form.cleaned_data["comment"])
            return render(request, "review/outside.html", {"done": result.message})
        except errors.EngineUnavailable as err:
            context["error"], status = str(err), 503
        except errors.Refused as err:
            if err.code in LINK_STATUS:
                return render(request, "review/outside.html", {"dead": str(err)},
                              status=LINK_STATUS[err.code])
            context["error"], status = str(err), 409
    else:
        status = 422 if request.method == "POST" else 200
    try:
        context["opened"] = outside.open_link(token)
    except errors.Refused as err:
        return render(request, "review/outside.html", {"dead": str(err)},
                      status=LINK_STATUS.get(err.code, 409))
    return render(request, "review/outside.html", context, status=status)
