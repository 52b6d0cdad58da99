from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone

from drafts.models import STATE_CHOICES
from review.models import Channel
from rulebook import inputs, urgency


class DraftForm(forms.Form):
    topic = forms.CharField(max_length=inputs.TOPIC_MAX, strip=True,
                            help_text="What the piece is about (at most 200 characters).",
                            error_messages={"required": "Enter a topic.",
                                            "max_length": "Keep the topic to 200 characters "
                                                          "or fewer (it has %(show_value)d)."})
    brief = forms.CharField(max_length=inputs.BRIEF_MAX, required=False, strip=True,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="Optional: angle, points to cover, sources to use.",
                            error_messages={"max_length": "Keep the brief to 4,000 characters "
                                                          "or fewer (it has %(show_value)d)."})
    audience = forms.CharField(max_length=inputs.AUDIENCE_MAX, required=False, strip=True,
                               help_text="Optional: who will read it, e.g. “new customers”.",
                               error_messages={"max_length": "Keep the audience to 200 "
                                                             "characters or fewer."})
    tone = forms.CharField(max_length=inputs.TONE_MAX, required=False, strip=True,
                           help_text="Optional: e.g. “friendly”, “formal”.",
                           error_messages={"max_length": "Keep the tone to 100 characters "
                                                         "or fewer."})
    target_words = forms.TypedChoiceField(choices=inputs.LENGTHS, coerce=int,
                                          initial=inputs.DEFAULT_LENGTH,
                                          label="Target length")
    channel = forms.ChoiceField(required=False, choices=lambda: [("", "Default")] + [
                                    (c.slug, c.name) for c in Channel.objects.filter(
                                        is_active=True).order_by("name")],
                                help_text="Where it is going: picks who reviews it and where "
                                          "the approved text is delivered.",
                                error_messages={"invalid_choice": "There is no channel "
                                                "'%(value)s'; choose one from the list."})
    priority = forms.TypedChoiceField(
        choices=[(p.value, p.label) for p in urgency.Priority], coerce=int,
        initial=urgency.Priority.NORMAL.value, required=False,
        empty_value=urgency.Priority.NORMAL.value,
        help_text="High goes to the top of the editors' queue.")
    due_at = forms.DateTimeField(
        label="Due date (UTC)", required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional: when it must be decided by; no review deadline goes past it.")
    # The form's one-time token (double-submit safety). A request without one (a hand-made
    # POST) still works: it just gets a fresh token.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def clean_submission_key(self) -> uuid.UUID:
        return self.cleaned_data.get("submission_key") or uuid.uuid4()

    def clean(self) -> dict:
        """The rulebook's checks (rulebook.inputs.brief_problems) on the fields that passed their
        own: one line where one is meant, no control characters, plain text."""
        data = super().clean()
        values = {f: data[f] for f in inputs.BRIEF_FIELDS if f in data}
        for field, problem in inputs.brief_problems(**values).items():
            self.add_error(field, problem)
        if problem := urgency.due_problem(data.get("due_at"), timezone.now()):
            self.add_error("due_at", problem)
        return data


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "All statuses")] + STATE_CHOICES,
                               required=False)


class CommentForm(forms.Form):
    """A comment on the version shown: on a passage (pasted or selected from the text), or on
    the whole draft with the passage left empty. The rulebook checks the words
    (drafts/comments.py asks it); the form only carries them."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    quote = forms.CharField(required=False, strip=False, label="Passage",
                            widget=forms.Textarea(attrs={"rows": 2}),
                            help_text="Select words in the text, or paste them here; leave "
                                      "empty to comment on the whole draft.")
    body = forms.CharField(required=False, strip=False, label="Comment",
                           widget=forms.Textarea(attrs={"rows": 3}))
    block_start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    block_end = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    body = forms.CharField(required=False, strip=False, label="Reply",
                           widget=forms.Textarea(attrs={"rows": 2}))
