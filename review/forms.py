from dataclasses import dataclass

from django import forms

from drafts import selectors
from review.models import Channel
from rulebook import decisions, policies, snapshot, states, suggestions
from rulebook.states import DecisionKind
from temporal_app.types import passage_fields

EDITOR_DECISIONS = [(kind.value, kind.label) for kind in states.EDITOR_DECISIONS]


@dataclass(frozen=True)
class DecisionChoice:
    """One of the editor's decisions as the review page's panel shows it, so the template
    names no decision: its kind (the form's value), the button, the comment's label."""

    kind: DecisionKind
    label: str
    comment_label: str
    button_class: str
    edits_text: bool  # Edit & approve: the editor sends corrected text
    # Request changes: with open passage comments it rewrites only those, and then its
    # comment is optional (this label).
    targets_passages: bool = False
    comment_label_with_passages: str = ""
    # Approve: over open blocking findings (rulebook.checks) its comment is the reason.
    approves: bool = False


# Presentation only; whether a comment is required is the rulebook's (needs_comment).
_COMMENT_NOUNS = {DecisionKind.REJECT: "Reason",
                  DecisionKind.REQUEST_CHANGES: "Feedback for the writer"}
_BUTTON_CLASSES = {DecisionKind.REJECT: "danger", DecisionKind.REQUEST_CHANGES: "secondary"}


def needs_comment(kind: DecisionKind) -> bool:
    """Does the rulebook refuse `kind` without a comment? (Asked, not restated.)"""
    refusal = decisions.input_refusal(snapshot.Request(kind, actor_id=0, version=1, text="-"))
    return refusal is not None and refusal.field == "comment"


def _choice(kind: DecisionKind) -> DecisionChoice:
    noun = _COMMENT_NOUNS.get(kind, "Comment")
    targets = kind == DecisionKind.REQUEST_CHANGES
    return DecisionChoice(
        kind=kind, label=kind.label,
        comment_label=f"{noun} ({'required' if needs_comment(kind) else 'optional'})",
        button_class=_BUTTON_CLASSES.get(kind, ""),
        edits_text=kind == DecisionKind.APPROVE_WITH_EDITS,
        targets_passages=targets,
        comment_label_with_passages=f"{noun} on the whole piece (optional)" if targets else "",
        approves=kind == DecisionKind.APPROVE)


# The panel's decisions, in the rulebook's order: the quick ones (a button and a comment) and
# Edit & approve (the corrected text), which the panel shows apart.
DECISION_CHOICES = tuple(_choice(kind) for kind in states.EDITOR_DECISIONS)
QUICK_DECISIONS = tuple(c for c in DECISION_CHOICES if not c.edits_text)
EDIT_DECISION = next(c for c in DECISION_CHOICES if c.edits_text)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=EDITOR_DECISIONS,
                                 error_messages={"required": "Choose a decision.",
                                                 "invalid_choice": "Choose a decision."})
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput,
                                 error_messages={"required": "Reload the page: the form did "
                                                             "not say which version you read."})
    # The policy step the page showed (0-based): an approval for a step that has since moved
    # on is refused (the rulebook's "StepMoved"). Optional: without it, not checked.
    step = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    # Deciding on a draft someone else has claimed needs this ticked (the rulebook's "Claimed").
    confirm_claim = forms.BooleanField(required=False)
    # Limits and required fields are the rulebook's (clean): one sentence per problem.
    comment = forms.CharField(required=False, strip=True,
                              widget=forms.Textarea(attrs={"rows": 3}))
    text = forms.CharField(required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 16}))

    def __init__(self, *args, passages=(), **kwargs) -> None:
        """`passages`: what a request for changes would rewrite (selectors.revision_passages):
        with some, the feedback is optional."""
        super().__init__(*args, **kwargs)
        self.passages = passages

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision is None or data.get("version") is None:
            return data
        kind = DecisionKind(decision)
        refusal = decisions.input_refusal(snapshot.Request(
            kind, actor_id=0, version=data["version"],
            comment=data.get("comment") or "", text=data.get("text") or "",
            **passage_fields(self.passages if kind == DecisionKind.REQUEST_CHANGES else ())))
        if refusal is not None:
            self.add_error(refusal.field if refusal.field in self.fields else None,
                           refusal.sentence)
        return data

    def sentence(self) -> str:
        """All errors as one sentence (for the errors no field shows, e.g. a forged form)."""
        return " ".join(str(e) for errors in self.errors.values() for e in errors)


class ChoicesForm(forms.Form):
    """The editor's choices among a version's changes: accept or reject each (`change-<id>`),
    or all at once (`all`); changes not chosen stay as they are."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput,
                                 error_messages={"required": "Reload the page: the form did "
                                                             "not say which version you read."})
    step = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    confirm_claim = forms.BooleanField(required=False)
    all = forms.ChoiceField(required=False, choices=[("", ""), *(
        (c, c) for c in suggestions.CHOICES)])

    def __init__(self, *args, change_ids=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.change_ids = list(change_ids)
        for cid in self.change_ids:
            self.fields[f"change-{cid}"] = forms.ChoiceField(
                required=False, choices=[("", ""), *((c, c) for c in suggestions.CHOICES)],
                error_messages={"invalid_choice": "A change is accepted or rejected."})

    def choices(self) -> dict[int, str]:
        data = self.cleaned_data
        if data.get("all"):
            return {cid: data["all"] for cid in self.change_ids}
        return {cid: data[f"change-{cid}"] for cid in self.change_ids
                if data.get(f"change-{cid}")}

    def sentence(self) -> str:
        return " ".join(str(e) for errors in self.errors.values() for e in errors)


EVERY_STEP = "all"


class QueueFilterForm(forms.Form):
    author = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                    label="Author")
    age = forms.ChoiceField(required=False, label="Age",
                            choices=[("", "Any age")] + [(key, label) for key, (label, _)
                                                         in selectors.QUEUE_AGES.items()])
    reminder_due = forms.BooleanField(required=False, label="Only past the reminder time")
    channel = forms.ChoiceField(required=False, label="Channel")
    step = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Step",
                                  choices=[("", "Any step")] + [
                                      (i, f"Step {i + 1}") for i in range(policies.MAX_STEPS)])
    claimed_by_me = forms.BooleanField(required=False, label="Only drafts I'm reviewing")
    # Whose drafts: those at steps the reviewer's groups decide (the default), or every step.
    whose = forms.ChoiceField(required=False, label="Show", choices=[
        ("", "Drafts at my steps"), (EVERY_STEP, "Drafts at every step")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author"].choices = [("", "All authors")] + [
            (user.pk, user.get_username()) for user in selectors.queue_authors()]
        self.fields["channel"].choices = [("", "All channels")] + [
            (c.slug, c.name) for c in Channel.objects.filter(is_active=True).order_by("name")]
