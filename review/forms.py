from django import forms

from temporal_app.types import DecisionKind

EDITOR_DECISIONS = [
    (DecisionKind.APPROVE.value, "Approve"),
    (DecisionKind.REJECT.value, "Reject"),
    (DecisionKind.REQUEST_CHANGES.value, "Request changes"),
    (DecisionKind.APPROVE_WITH_EDITS.value, "Edit & approve"),
]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=EDITOR_DECISIONS)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    comment = forms.CharField(max_length=4000, required=False, strip=True,
                              widget=forms.Textarea(attrs={"rows": 3}))
    text = forms.CharField(max_length=100_000, required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 16}))

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
