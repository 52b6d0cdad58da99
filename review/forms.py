from django import forms

from drafts import selectors
from temporal_app.types import DecisionKind

EDITOR_DECISIONS = [
    (DecisionKind.APPROVE.value, "Approve"),
    (DecisionKind.REJECT.value, "Reject"),
    (DecisionKind.REQUEST_CHANGES.value, "Request changes"),
    (DecisionKind.APPROVE_WITH_EDITS.value, "Edit & approve"),
]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=EDITOR_DECISIONS,
                                 error_messages={"required": "Choose a decision.",
                                                 "invalid_choice": "Choose a decision."})
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput,
                                 error_messages={"required": "Reload the page: the form did "
                                                             "not say which version you read."})
    comment = forms.CharField(max_length=4000, required=False, strip=True,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"max_length": "Keep the comment to 4,000 "
                                                            "characters or fewer."})
    text = forms.CharField(max_length=100_000, required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 16}),
                           error_messages={"max_length": "The edited text is too long (at "
                                                         "most 100,000 characters)."})

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == DecisionKind.REJECT and not data.get("comment"):
            self.add_error("comment", "A rejection needs a reason.")
        if decision == DecisionKind.REQUEST_CHANGES and not data.get("comment"):
            self.add_error("comment", "Requesting changes needs feedback for the writer.")
        if decision == DecisionKind.APPROVE_WITH_EDITS and not (data.get("text") or "").strip():
            self.add_error("text", "The edited text is empty.")
        return data

    def sentence(self) -> str:
        """All errors as one sentence (for the errors no field shows, e.g. a forged form)."""
        return " ".join(str(e) for errors in self.errors.values() for e in errors)


class QueueFilterForm(forms.Form):
    author = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                    label="Author")
    age = forms.ChoiceField(required=False, label="Age",
                            choices=[("", "Any age")] + [(key, label) for key, (label, _)
                                                         in selectors.QUEUE_AGES.items()])
    reminder_due = forms.BooleanField(required=False, label="Only past the reminder time")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author"].choices = [("", "All authors")] + [
            (user.pk, user.get_username()) for user in selectors.queue_authors()]
