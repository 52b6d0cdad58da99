"""Request shapes (strict: unknown keys and wrong JSON types are refused) and response shapes.

Limits, required comments and every sentence about content are the rulebook's
(rulebook/): a request serializer checks only the JSON's shape and asks the
rulebook for the rest, as the web forms do; the services ask again."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.exceptions import BadRequest, Conflict
from drafts import selectors
from drafts.models import (
    COMMENT_STATE_CHOICES,
    STATE_CHOICES,
    CheckFinding,
    Comment,
    Draft,
    DraftEvent,
    DraftVersion,
    PassageChange,
)
from publishing.models import DELIVERY_CHOICES, Delivery, DeliveryAttempt
from publishing.selectors import publishing_of
from rulebook import (
    checks,
    comments,
    decisions,
    delivery,
    inputs,
    passages,
    states,
    suggestions,
    urgency,
)
from rulebook.snapshot import Request
from rulebook.states import DecisionKind
from temporal_app.types import passage_fields

# ------------------------------------------------------------------ request fields


# What str.strip() (so DRF's trim_whitespace) takes off both ends, as a regex class.
TRIMMED = ("\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
            "\\u202f\\u205f\\u3000")
_CONTROL_STUCK = "\\x00-\\x08\\x0e-\\x1b\\x7f"  # controls no trimming removes
_CONTROL_SPACE = "\\x0b\\x0c\\x1c-\\x1f"  # controls that are also whitespace
_LINE_BREAK = "\\n\\r\\x85\\u2028\\u2029"  # rulebook.inputs._LINE_BREAK
_TAG = f"<[{TRIMMED}]*/?[{TRIMMED}]*[a-zA-Z!][^>]*>"  # rulebook.inputs._TAG


def refused_pattern(*, line: bool = False, html: bool = False) -> str:
    """A regex (for the schema's `not`) matching the text rulebook.inputs.text_problem (and
    brief_problems' HTML check, with `html`) refuses, as DRF hands it over: trimmed. A NUL or
    a control character anywhere; one that is also whitespace (or, in one line, a line break)
    only between two other characters, since trimming takes it off the ends."""
    inner = _CONTROL_SPACE + (_LINE_BREAK if line else "")
    parts = [f"[{_CONTROL_STUCK}]", f"[^{TRIMMED}][\\s\\S]*[{inner}][\\s\\S]*[^{TRIMMED}]"]
    if html:
        parts.append(_TAG)
    return "|".join(parts)


NOT_BLANK = f"[^{TRIMMED}]"  # a text that is not blank once trimmed
# delivery._CHANNEL and CHANNEL_MAX, once trimmed: exact, so a channel's field shows no
# maxLength (which would count the spaces trimming takes off).
CHANNEL_PATTERN = (f"^[{TRIMMED}]*(?:[a-z0-9][a-z0-9_-]{{0,{delivery.CHANNEL_MAX - 1}}})?"
                   f"[{TRIMMED}]*$")


class Text(serializers.CharField):
    """A JSON string (a number is not taken for text). `limit` is the rulebook's, shown in
    the schema; the rulebook checks it and the characters (NUL included) with its own
    sentences, so this field adds no length or NUL check of its own. The schema also says
    which characters the rulebook refuses (`line`: one line; `html`: plain text, no tags),
    `pattern` what it must match (e.g. NOT_BLANK), as api.schema.TextField shows them."""

    def __init__(self, *, limit: int, line: bool = False, html: bool = False,
                 pattern: str = "", limit_in_pattern: bool = False, **kwargs) -> None:
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        self.limit, self.pattern = limit, pattern
        self.limit_in_pattern = limit_in_pattern  # the schema shows no maxLength
        self.refused = refused_pattern(line=line, html=html)
        self.validators = [v for v in self.validators
                           if not isinstance(v, ProhibitNullCharactersValidator)]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictInteger(serializers.IntegerField):
    """A JSON integer: not a string of digits, not 1.0, not true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoice(serializers.ChoiceField):
    """One of the choices, given as the JSON type the choices have."""

    def to_internal_value(self, data):
        kinds = {type(key) for key in self.choices}
        if isinstance(data, bool) or type(data) not in kinds:
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictBoolean(serializers.BooleanField):
    """A JSON true or false: not "true", not 1."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know (a typo would otherwise be dropped in silence)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                takes = (f"This request takes: {', '.join(sorted(known))}." if known else
                         "This request takes no fields: send {} or no body.")
                raise BadRequest(
                    f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                    f"{takes}", "UnknownField", {key: "Unknown field." for key in unknown})
        return super().to_internal_value(data)


def _brief_field(name: str, **kwargs) -> Text:
    what, limit, one_line = inputs.BRIEF_FIELDS[name]
    line = " One line." if one_line else ""
    return Text(limit=limit, line=one_line, html=True,
                help_text=f"{what}: plain text (no HTML, no control characters), at most "
                          f"{limit:,} characters.{line}", **kwargs)


class SubmitSerializer(StrictSerializer):
    """A topic to write a draft about: the web form's fields and limits (the rulebook's)."""

    topic = _brief_field("topic", pattern=NOT_BLANK)
    brief = _brief_field("brief", required=False, default="")
    audience = _brief_field("audience", required=False, default="")
    tone = _brief_field("tone", required=False, default="")
    target_words = StrictChoice(choices=[words for words, _ in inputs.LENGTHS],
                                required=False, default=inputs.DEFAULT_LENGTH,
                                help_text="Target length in words: "
                                + ", ".join(label for _, label in inputs.LENGTHS) + ".")
    priority = StrictChoice(choices=[p.name.lower() for p in urgency.Priority],
                            required=False, default=urgency.Priority.NORMAL.name.lower(),
                            help_text="high: to the top of the editors' queue.")
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="When it must be decided by (ISO 8601 with a time zone, at least an hour "
                  "ahead, within a year); no review deadline goes past it.")
    def validate_priority(self, value: str) -> int:
        return urgency.Priority[value.upper()].value

    channel = Text(limit=delivery.CHANNEL_MAX, line=True, pattern=CHANNEL_PATTERN,
                   limit_in_pattern=True,
                   required=False, default="",
                   help_text="Which publishing destinations get the approved text (lower-case "
                             "letters, digits, '-', '_'); blank: only those for every channel.")


# What each decision needs besides `decision` and `version` (rulebook.decisions.input_refusal),
# for the schema's oneOf (api.schema.DecisionBody).
DECISION_NEEDS = {DecisionKind.APPROVE.value: (), DecisionKind.APPROVE_WITH_EDITS.value: ("text",),
                  # feedback, unless the version has open passage comments: the view then
                  # answers 409 NeedsFeedback (it depends on the draft, not the body)
                  DecisionKind.REQUEST_CHANGES.value: (),
                  DecisionKind.REJECT.value: ("comment",)}
assert set(DECISION_NEEDS) == {kind.value for kind in states.EDITOR_DECISIONS}


class DecisionSerializer(StrictSerializer):
    """An editor's decision on the version they reviewed."""

    decision = StrictChoice(choices=[kind.value for kind in states.EDITOR_DECISIONS])
    version = StrictInteger(help_text="The version you reviewed (the draft's current_version "
                                      "when you read it).")
    comment = Text(limit=inputs.COMMENT_MAX, required=False, default="",
                   help_text="Optional for approve; the reason for reject; the feedback for "
                             "request_changes (optional when the version has open passage "
                             "comments: then only those passages are rewritten, and this "
                             "remark goes with each).")
    text = Text(limit=inputs.TEXT_MAX, required=False, default="", trim_whitespace=False,
                help_text="approve_with_edits only: the edited Markdown.")
    step = StrictInteger(required=False, allow_null=True, default=None, min_value=0,
                         help_text="Under a multi-step policy: the step you reviewed at (the "
                                   "draft's `step`, from 0). A decision for a step the draft "
                                   "has left is refused (409 StepMoved). Omitted: not checked.")

    def validate(self, data):
        """The rulebook's checks on the request alone (as review.forms.DecisionForm); the
        view gives the commented passages a request for changes would rewrite."""
        kind = DecisionKind(data["decision"])
        passages = self.context.get("passages", ()) if kind == DecisionKind.REQUEST_CHANGES \
            else ()
        refusal = decisions.input_refusal(Request(
            kind, actor_id=0, version=data["version"], comment=data["comment"],
            text=data["text"], **passage_fields(passages)))
        if refusal is not None and kind == DecisionKind.REQUEST_CHANGES \
                and refusal.field == "comment" and not data["comment"].strip():
            raise Conflict(refusal.sentence, "NeedsFeedback")
        if refusal is not None:
            raise serializers.ValidationError({refusal.field or "non_field_errors":
                                               [refusal.sentence]})
        return data


class StopWritingSerializer(StrictSerializer):
    """Stop the LLM writing a version: keep the words so far as the version, or discard
    them (a first draft is then withdrawn; a revision goes back to the previous version)."""

    keep = StrictBoolean(help_text="true: the text so far becomes the version (\"stopped "
                                   "after N words\"), reviewed as usual; false: discard it.")


class WithdrawSerializer(StrictSerializer):
    """The author withdraws the draft (its review stops)."""

    comment = Text(limit=inputs.COMMENT_MAX, required=False, default="",
                   help_text="Optional: why.")


class RetryDeliverySerializer(StrictSerializer):
    """An admin delivers an approved draft again to the destinations that did not get it: no
    fields."""


class CommentCreateSerializer(StrictSerializer):
    """A comment on the version you read: on a passage (`quote`, exactly as in the version's
    Markdown, with `prefix`/`suffix`/`start` to tell places apart; or `start` and `end`,
    offsets into the Markdown), or, with neither, on the draft as a whole."""

    version = StrictInteger(min_value=1, help_text="The version you read (the draft's "
                                                   "current_version).")
    body = Text(limit=comments.BODY_MAX, pattern=NOT_BLANK,
                help_text=f"The comment: at most {comments.BODY_MAX:,} characters, no control "
                          "characters.")
    quote = Text(limit=passages.MAX_QUOTE, required=False, default="", trim_whitespace=False,
                 help_text="The passage, exactly as in the version's Markdown.")
    prefix = Text(limit=passages.CONTEXT, required=False, default="", trim_whitespace=False,
                  help_text="The text just before the quote (to tell places apart).")
    suffix = Text(limit=passages.CONTEXT, required=False, default="", trim_whitespace=False,
                  help_text="The text just after the quote.")
    start = StrictInteger(required=False, allow_null=True, default=None, min_value=0,
                          help_text="Offset of the passage's first character in the Markdown.")
    end = StrictInteger(required=False, allow_null=True, default=None, min_value=1,
                        help_text="Offset just past the passage's last character.")

    def validate(self, data):
        """The quote and its context are text as well: the rulebook's character rules."""
        problems = {name: problem for name, what, limit in (
            ("quote", "The quote", passages.MAX_QUOTE), ("prefix", "The prefix", passages.CONTEXT),
            ("suffix", "The suffix", passages.CONTEXT))
            if (problem := inputs.text_problem(data[name], what, limit))}
        if problems:
            raise serializers.ValidationError({k: [v] for k, v in problems.items()})
        return data


class ReplySerializer(StrictSerializer):
    body = Text(limit=comments.BODY_MAX, pattern=NOT_BLANK,
                help_text=f"The reply: at most {comments.BODY_MAX:,} characters.")


# ------------------------------------------------------------------ responses


def _url(context: dict, name: str, *args) -> str:
    path = reverse(name, args=args)
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class EventSerializer(serializers.ModelSerializer):
    label = serializers.CharField()
    actor = serializers.CharField(source="actor_name", allow_null=True,
                                  help_text="The user's name, or an outside approver's email.")

    class Meta:
        model = DraftEvent
        fields = ("seq", "kind", "label", "actor", "version", "comment", "created_at")


class VersionSummarySerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.get_username", default=None,
                                       allow_null=True)
    url = serializers.SerializerMethodField()
    diff_url = serializers.SerializerMethodField()

    class Meta:
        model = DraftVersion
        fields = ("number", "kind", "created_by", "created_at", "url", "diff_url")

    def get_url(self, version) -> str:
        return _url(self.context, "api:version", version.draft_id, version.number)

    def get_diff_url(self, version) -> str | None:
        if version.number <= 1:
            return None
        return _url(self.context, "api:version_diff", version.draft_id, version.number)


class VersionSerializer(VersionSummarySerializer):
    text = serializers.CharField(help_text="The version's Markdown.")

    class Meta(VersionSummarySerializer.Meta):
        fields = (*VersionSummarySerializer.Meta.fields, "text")


class DraftSummarySerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(source="status", choices=STATE_CHOICES)
    priority = serializers.ChoiceField(source="priority_name",
                                       choices=[p.name.lower() for p in urgency.Priority])
    state_label = serializers.CharField(source="state.label")
    is_final = serializers.BooleanField()
    author = serializers.CharField(source="author.get_username")
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Draft
        fields = ("id", "topic", "channel", "state", "state_label", "is_final",
                  "current_version", "revisions", "deadline", "priority", "due_at", "author",
                  "created_at", "updated_at", "url", "web_url")

    def get_url(self, draft) -> str:
        return _url(self.context, "api:draft", draft.pk)

    def get_web_url(self, draft) -> str:
        return _url(self.context, "drafts:detail", draft.pk)


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    status_code = serializers.IntegerField(allow_null=True, help_text="The destination's "
                                           "HTTP status; null when it did not answer.")
    error = serializers.CharField(help_text="Why this attempt failed; \"\" when accepted.")

    class Meta:
        model = DeliveryAttempt
        fields = ("number", "status_code", "error", "duration_ms", "at")


class DeliverySerializer(serializers.ModelSerializer):
    """One destination's delivery of the approved draft (publishing.models.Delivery)."""

    destination = serializers.CharField(source="destination.name")
    status = serializers.ChoiceField(choices=DELIVERY_CHOICES)
    status_label = serializers.CharField(source="label")
    message_id = serializers.CharField(help_text="The webhook-id header of every attempt.")
    last_error = serializers.CharField(help_text="The last attempt's error; \"\" if none.")
    failure = serializers.CharField(help_text="Why it was given up; \"\" unless failed.")
    log = DeliveryAttemptSerializer(many=True, help_text="Every HTTP request, in order.")

    class Meta:
        model = Delivery
        fields = ("destination", "status", "status_label", "version", "message_id",
                  "attempts", "last_error", "failure", "first_attempt_at", "last_attempt_at",
                  "delivered_at", "log")


class PolicyStepSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="From 1.")
    name = serializers.CharField(source="rule.name")
    group = serializers.CharField(source="rule.group", help_text="Its members decide.")
    required = serializers.IntegerField(source="rule.required",
                                        help_text="Distinct approvals of the same version.")
    status = serializers.ChoiceField(choices=["done", "current", "waiting"])
    approved_by = serializers.ListField(source="names", child=serializers.CharField())
    summary = serializers.CharField(help_text='e.g. "1 of 2 approvals: legal1".')


class FindingSerializer(serializers.ModelSerializer):
    """What a check found on a version before a human read it (rulebook.checks): its
    passage as quote + prefix/suffix + offsets into that version's text (none: about the
    whole draft)."""

    check = serializers.CharField(source="check_name", help_text="The check that raised it.")
    severity = serializers.ChoiceField(choices=[s.value for s in checks.Severity],
                                       help_text="block: sent back to the LLM on its own "
                                                 "(approving over it needs a reason); warn.")
    state = serializers.ChoiceField(choices=[s.value for s in checks.FindingState])
    dismissed_by = serializers.CharField(source="dismissed_by.get_username", allow_null=True,
                                         default=None)

    class Meta:
        model = CheckFinding
        fields = ("id", "version", "check", "kind", "severity", "quote", "prefix", "suffix",
                  "start", "end", "message", "suggestion", "state", "dismissed_by",
                  "dismiss_reason")


class ChecksSummarySerializer(serializers.Serializer):
    """The current version's open findings, counted."""

    blocking = serializers.IntegerField()
    warnings = serializers.IntegerField()
    summary = serializers.CharField(help_text='e.g. "1 blocking, 2 warnings"; "" for none.')


class DraftSerializer(DraftSummarySerializer):
    decided_by = serializers.CharField(source="decided_by_name", default=None,
                                       allow_null=True)
    policy = serializers.CharField(source="policy.name",
                                   help_text="The review policy it was submitted under.")
    steps = serializers.SerializerMethodField(
        help_text="Under a multi-step policy: each step's progress (empty otherwise). `step` "
                  "is the current one, from 0.")
    versions = VersionSummarySerializer(many=True)
    events = EventSerializer(many=True)
    deliveries = serializers.SerializerMethodField(
        help_text="Once approved: each destination's delivery, with its log.")
    checks = serializers.SerializerMethodField(
        help_text="The current version's open findings of the channel's checks.")

    class Meta(DraftSummarySerializer.Meta):
        fields = (*DraftSummarySerializer.Meta.fields, "brief", "audience", "tone",
                  "target_words", "status_message", "progress_chars", "remind_at",
                  "decided_by", "decided_at", "decision_comment", "workflow_id", "versions",
                  "events", "deliveries", "policy", "step", "steps", "checks")

    @extend_schema_field(ChecksSummarySerializer)
    def get_checks(self, draft) -> dict:
        found = [f.as_rule() for f in selectors.version_findings(draft, draft.current_version)
                 if f.is_open]
        blocking = len(checks.blocking(found))
        return {"blocking": blocking, "warnings": len(found) - blocking,
                "summary": checks.summary(found)}

    @extend_schema_field(PolicyStepSerializer(many=True))
    def get_steps(self, draft) -> list[dict]:
        return PolicyStepSerializer(selectors.policy_progress(draft), many=True).data

    @extend_schema_field(DeliverySerializer(many=True))
    def get_deliveries(self, draft) -> list[dict]:
        # Two queries (deliveries with their destinations, then their logs), for one draft.
        return DeliverySerializer(publishing_of(draft).deliveries, many=True,
                                  context=self.context).data


DIFF_LINE_KINDS = ["same", "added", "removed", "skipped"]  # drafts.diff.DiffLine.kind


class CommentReplyOut(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username")

    class Meta:
        model = Comment
        fields = ("id", "author", "body", "created_at")


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username")
    state = serializers.ChoiceField(choices=COMMENT_STATE_CHOICES,
                                    help_text="open, resolved, or outdated (its passage is gone "
                                              "from the newest version; `quote` keeps it).")
    replies = CommentReplyOut(many=True, read_only=True)
    at_version = serializers.IntegerField(
        allow_null=True, help_text="The newest version its passage was found in; `at_start` "
                                   "and `at_end` are offsets into that version's Markdown.")

    class Meta:
        model = Comment
        fields = ("id", "version", "quote", "prefix", "suffix", "start", "end", "body",
                  "author", "state", "replies", "created_at", "at_version", "at_start",
                  "at_end")


# A change's decision ("" until chosen) and the choices an editor sends (the schema's
# ChangeChoiceEnum: config.settings SPECTACULAR_SETTINGS).
CHANGE_CHOICES = list(suggestions.CHOICES)


class ChangeSerializer(serializers.ModelSerializer):
    """A change of a version: a passage its targeted revision rewrote, or a rewrite suggested
    for one comment (`suggested`), to accept or reject."""

    comments = serializers.PrimaryKeyRelatedField(many=True, read_only=True,
                                                  help_text="The comment threads it answers.")
    requested_by = serializers.CharField(source="requested_by.get_username", allow_null=True,
                                         default=None, help_text="Who asked for a suggestion.")
    decision = serializers.ChoiceField(
        choices=CHANGE_CHOICES, allow_blank=True,
        help_text="accept or reject once an editor chose (in version `decided_in`); \"\" not yet.")
    choosable = serializers.BooleanField(help_text="Can still be accepted or rejected.")

    class Meta:
        model = PassageChange
        fields = ("id", "version", "suggested", "old_start", "old_end", "old_text", "start",
                  "end", "text", "error", "comments", "requested_by", "decision",
                  "decided_in", "choosable")
        extra_kwargs = {
            "old_text": {"help_text": "What the passage read: in the previous version for a "
                                      "revision's change, in `version` for a suggestion."},
            "text": {"help_text": "The rewrite: in `version`'s text for a revision's change; "
                                  "for a suggestion, what accepting puts in."},
        }


class ChoiceItemSerializer(StrictSerializer):
    change = StrictInteger(min_value=1, help_text="A change's id (GET …/changes/).")
    choice = StrictChoice(choices=CHANGE_CHOICES)


class ChoicesSerializer(StrictSerializer):
    """The editor's choices among the changes of the version they reviewed: a new version
    "edited by <editor> from suggestions" (the review goes on). Changes not named stay as
    they are: a revision's rewrite stays in, a suggestion stays out."""

    version = StrictInteger(min_value=1, help_text="The version you reviewed.")
    choices = serializers.ListField(child=ChoiceItemSerializer(), min_length=1,
                                    error_messages={"min_length": suggestions.NO_CHOICE},
                                    help_text="At least one; each change once.")
    step = StrictInteger(required=False, allow_null=True, default=None, min_value=0,
                         help_text="Under a multi-step policy: the step you reviewed at.")



class SuggestSerializer(StrictSerializer):
    """Ask the LLM to rewrite one comment thread's passage, outside a review round."""

    version = StrictInteger(min_value=1, help_text="The version you read (the current one).")
    step = StrictInteger(required=False, allow_null=True, default=None, min_value=0,
                         help_text="Under a multi-step policy: the step you reviewed at.")


class DiffLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DIFF_LINE_KINDS)
    text = serializers.CharField()
    old_no = serializers.IntegerField(allow_null=True)
    new_no = serializers.IntegerField(allow_null=True)
    skipped = serializers.IntegerField(help_text="For a skipped row: how many unchanged "
                                                 "lines are folded.")


class DiffSerializer(serializers.Serializer):
    old_number = serializers.IntegerField()
    new_number = serializers.IntegerField()
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    lines = DiffLineSerializer(many=True)


class DecisionResultSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=STATE_CHOICES,
                                    help_text="The draft's state after the decision.")
    version = serializers.IntegerField()
    message = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A sentence for people: what happens now.")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs (docs/api.md lists them).")
    detail = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(child=serializers.CharField(), required=False,
                                   help_text="The input at fault: field → sentence.")


class PendingRowSerializer(serializers.Serializer):
    draft_id = serializers.IntegerField(allow_null=True)
    workflow_id = serializers.CharField()
    run_id = serializers.CharField()
    state = serializers.ChoiceField(choices=STATE_CHOICES)
    revision = serializers.IntegerField()
    deadline = serializers.DateTimeField(allow_null=True)
    started = serializers.DateTimeField(allow_null=True)
    age_seconds = serializers.IntegerField(allow_null=True)
    task_queue = serializers.CharField()
    ui_url = serializers.CharField()


class PendingPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="The next page, or null.")
    total = serializers.IntegerField(help_text="Running reviews matching the filter.")
    counts = serializers.DictField(child=serializers.IntegerField(),
                                   help_text="Per state, under the filter without its state.")
    results = PendingRowSerializer(many=True)
