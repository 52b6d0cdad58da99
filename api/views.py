"""The JSON API's views. Thin: a serializer, one service or selector call, a response.

Who may see and do what is asked exactly as the web asks it (drafts.roles, and the web's own
object checks: drafts.selectors.visible_draft / own_draft / draft_or_404); every error is
raised and turned into JSON by api.exceptions.handler.
"""

from __future__ import annotations

import string
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api import pagination
from api.exceptions import ApiError, BadRequest, Conflict, Forbidden
from api.permissions import IsAdmin, IsAdminToRetry, IsAuthor, IsEditor
from api.schema import RedlineSchema
from api.serializers import (
    CHANNEL_PATTERN,
    TRIMMED,
    ChangeSerializer,
    ChoicesSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    DecisionResultSerializer,
    DecisionSerializer,
    DetailSerializer,
    DiffSerializer,
    DraftSerializer,
    DraftSummarySerializer,
    ErrorSerializer,
    FindingSerializer,
    PendingPageSerializer,
    ReplySerializer,
    RetryDeliverySerializer,
    StopWritingSerializer,
    SubmitSerializer,
    SuggestSerializer,
    Text,
    VersionSerializer,
    WithdrawSerializer,
)
from drafts import comments, roles, selectors, services
from drafts.diff import diff_lines
from drafts.models import STATE_CHOICES
from publishing import services as publishing_services
from review import services as review_services
from rulebook import decisions, delivery, policies, suggestions
from temporal_app import errors, visibility

# The Idempotency-Key header becomes the submit service's submission_key: a UUID derived from
# (user, key), so one user's key never collides with another's.
IDEMPOTENCY_NAMESPACE = uuid.UUID("5d0f3a52-6f2c-4b1e-9a47-2f6c1e0b7d31")
IDEMPOTENCY_KEY_MAX = 255
_KEY_CHARS = frozenset(string.ascii_letters + string.digits + string.punctuation)
# The fields of a submit compared when a key comes back: the same key with another body is
# a mistake to report, not a replay.
SUBMIT_FIELDS = ("topic", "brief", "audience", "tone", "target_words", "channel", "priority",
                 "due_at")

ACCEPTED = OpenApiResponse(ErrorSerializer, description="Accepted by the workflow and still "
                                                        "being recorded (code Accepted)")
REFUSED = "Refused by the rulebook: its code (StaleVersion, AlreadyDecided, Closed, NotAwaiting, " \
          "Expired, TooManyRevisions, Late, NotAuthor, StepMoved, …) and sentence"
ENGINE = "The review engine (Temporal) or the database is unavailable: nothing was recorded " \
         "(Unavailable, DatabaseUnavailable, WorkflowError); Retry-After: 5"


def error_responses(**words: str) -> dict[int, OpenApiResponse]:
    """An operation's own error responses (`e409="…"`), each the JSON error body; the rest
    (400, 401, 403, 404, … from what the view is) are api.schema.RedlineSchema's."""
    return {int(key[1:]): OpenApiResponse(ErrorSerializer, description=text)
            for key, text in words.items()}


class ApiView(APIView):
    # Every API view: the schema documents its refusals (api.schema.RedlineSchema). A comment,
    # not a docstring: drf-spectacular would show it as each operation's description.
    schema = RedlineSchema()


def idempotency_submission_key(request) -> uuid.UUID | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 0 < len(key) <= IDEMPOTENCY_KEY_MAX or not set(key) <= _KEY_CHARS:
        raise BadRequest("The Idempotency-Key header must be 1 to 255 visible ASCII characters "
                         "(a UUID is a good choice).", "InvalidIdempotencyKey")
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{request.user.pk}\n{key}")


# ------------------------------------------------------------------ authors


class Query(serializers.Serializer):
    """A view's query parameters. A blank one (`?state=`) is refused like any value not
    offered, not taken for its absence: the schema says what each takes, and "" is not one
    (except where a field allows it, e.g. `channel`, whose blank means every channel)."""

    def to_internal_value(self, data):
        blank = sorted(name for name, field in self.fields.items()
                       if data.get(name) == "" and not getattr(field, "allow_blank", False))
        if blank:
            raise serializers.ValidationError(
                {name: ["This parameter is blank: give a value, or leave it out."]
                 for name in blank})
        return super().to_internal_value(data)


class StateQuery(Query):
    state = serializers.ChoiceField(choices=STATE_CHOICES, required=False,
                                    help_text="Only drafts in this state.")


class DraftsView(ApiView):
    permission_classes = [IsAuthor]
    pagination_class = pagination.MyDrafts

    @extend_schema(operation_id="drafts_list", tags=["drafts"], parameters=[StateQuery],
                   summary="My drafts, newest first",
                   responses={200: DraftSummarySerializer(many=True)})
    def get(self, request):
        query = StateQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        drafts = selectors.drafts_for_author(request.user, query.validated_data.get("state", ""))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(drafts.select_related("author"), request, view=self)
        return paginator.get_paginated_response(
            DraftSummarySerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="drafts_submit", tags=["drafts"], summary="Submit a topic",
        request=SubmitSerializer,
        parameters=[OpenApiParameter(
            "Idempotency-Key", {"type": "string", "pattern": f"^[!-~]{{1,{IDEMPOTENCY_KEY_MAX}}}$"},
            OpenApiParameter.HEADER, required=False,
            description="1 to 255 visible ASCII characters (a UUID is a good choice). Sending "
                        "the same key again returns the draft it created (200) instead of a new "
                        "one; with a different body, 409.")],
        responses={201: DraftSerializer, 200: DraftSerializer, **error_responses(
            e400="Invalid input: MalformedJSON, UnknownField, Invalid (a wrong type, a missing "
                 "topic, a value not offered), InvalidBrief (the rulebook refuses a field: "
                 "`fields` has each one's sentence; e.g. due_at less than an hour ahead or "
                 "more than a year), InvalidIdempotencyKey",
            e409="TooManyInFlight (MAX_DRAFTS_IN_FLIGHT drafts not yet decided), "
                 "IdempotencyKeyReused (the key was sent with another body)")})
    def post(self, request):
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = idempotency_submission_key(request)
        draft, created = services.submit_draft(author=request.user, submission_key=key,
                                               **data.validated_data)
        if not created and any(getattr(draft, f) != data.validated_data[f]
                               for f in SUBMIT_FIELDS):
            raise Conflict(f"This Idempotency-Key was already used for draft #{draft.pk} with "
                           "a different body; use a new key for a new topic.",
                           "IdempotencyKeyReused")
        body = DraftSerializer(selectors.draft_with_history(draft.pk),
                               context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                        headers={"Location": body["url"]})


class DraftView(ApiView):
    @extend_schema(operation_id="drafts_get", tags=["drafts"],
                   summary="A draft: state, versions, events, deadline",
                   responses={200: DraftSerializer})
    def get(self, request, draft_id: int):
        draft = selectors.visible_draft(request.user, draft_id)
        return Response(DraftSerializer(draft, context={"request": request}).data)


def _versions(request, draft_id: int, number: int) -> dict:
    """The versions of a draft this user may see, by number; 404 without version `number`."""
    draft = selectors.visible_draft(request.user, draft_id)
    versions = {v.number: v for v in draft.versions.all()}
    if number not in versions:
        raise NotFound(f"Draft #{draft_id} has no version {number}.")
    return versions


class VersionView(ApiView):
    @extend_schema(operation_id="versions_get", tags=["drafts"],
                   summary="One version: its Markdown text",
                   responses={200: VersionSerializer})
    def get(self, request, draft_id: int, number: int):
        version = _versions(request, draft_id, number)[number]
        return Response(VersionSerializer(version, context={"request": request}).data)


class VersionChecksView(ApiView):
    @extend_schema(operation_id="versions_checks", tags=["drafts"],
                   summary="What the channel's checks found on a version",
                   responses={200: FindingSerializer(many=True)})
    def get(self, request, draft_id: int, number: int):
        version = _versions(request, draft_id, number)[number]
        return Response(FindingSerializer(
            selectors.version_findings(version.draft, number), many=True).data)


class VersionDiffView(ApiView):
    @extend_schema(operation_id="versions_diff", tags=["drafts"],
                   summary="A version's line diff to the previous version",
                   responses={200: DiffSerializer, **error_responses(
                       e404="No such draft or version, or one you may not see (NotFound); "
                            "version 1, which has no earlier version (NoPreviousVersion)")})
    def get(self, request, draft_id: int, number: int):
        versions = _versions(request, draft_id, number)
        previous, new = versions.get(number - 1), versions[number]
        if previous is None:
            raise ApiError(f"Version {number} is the first; there is no earlier version to "
                           "compare it with.", "NoPreviousVersion", status.HTTP_404_NOT_FOUND)
        return Response(DiffSerializer(diff_lines(previous.text, new.text,
                                                  old_number=previous.number,
                                                  new_number=new.number)).data)


class WithdrawView(ApiView):
    permission_classes = [IsAuthor]

    @extend_schema(operation_id="drafts_withdraw", tags=["drafts"], summary="Withdraw my draft",
                   request=WithdrawSerializer,
                   responses={200: DecisionResultSerializer, 202: ACCEPTED,
                              **error_responses(
                                  e403="Not allowed: only the draft's author (Forbidden); "
                                       "CsrfFailed", e409=REFUSED, e503=ENGINE)})
    def post(self, request, draft_id: int):
        draft = selectors.own_draft(request.user, draft_id, "withdraw")
        data = WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.withdraw_draft(draft=draft, user=request.user, **data.validated_data)
        return Response(DecisionResultSerializer(result).data)


class StopWritingView(ApiView):
    @extend_schema(operation_id="drafts_stop", tags=["drafts"],
                   summary="Stop the LLM writing a version: keep or discard the text so far",
                   request=StopWritingSerializer,
                   responses={200: DecisionResultSerializer, 202: ACCEPTED, **error_responses(
                       e403="Not allowed: only the draft's author and the editors at its "
                            "step (NotEligible); CsrfFailed",
                       e409="NotWriting (nothing is being written), AlreadyStopping, Late",
                       e503=ENGINE)})
    def post(self, request, draft_id: int):
        draft = selectors.visible_draft(request.user, draft_id)
        data = StopWritingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.stop_writing(draft=draft, user=request.user,
                                           keep=data.validated_data["keep"])
        except errors.Refused as err:
            if err.code == "NotEligible":
                raise Forbidden(str(err), err.code) from None
            raise
        return Response(DecisionResultSerializer(result).data)


# ------------------------------------------------------------------ comments

_COMMENT_STATUS = {comments.INVALID: status.HTTP_400_BAD_REQUEST,
                   comments.FORBIDDEN: status.HTTP_403_FORBIDDEN,
                   comments.CONFLICT: status.HTTP_409_CONFLICT,
                   comments.MISSING: status.HTTP_404_NOT_FOUND}
COMMENT_ERRORS = error_responses(
    e400="Invalid input: MalformedJSON, UnknownField, Invalid (a wrong type or a missing "
         "field), InvalidComment (empty, too long, control characters), PassageNotFound (the "
         "quote is not in that version), AmbiguousPassage (it is there more than once: give "
         "prefix, suffix or start), InvalidSelection, NotAThread (a reply to a reply, or "
         "resolving a reply)",
    e403="Not allowed: only the draft's author and its reviewers (Forbidden); CsrfFailed",
    e404="No such draft, or one you may not see (NotFound); no such comment on it "
         "(NoSuchComment)",
    e409="StaleVersion (not the draft's current version), Closed (its review has ended), "
         "AlreadyDone (resolved or open already)")


def _commented(call):
    """Run a comment service call; its refusal becomes the API's error (nothing written)."""
    try:
        return call()
    except comments.CommentRefused as err:
        raise ApiError(str(err), err.code, _COMMENT_STATUS[err.kind]) from None


def _thread(draft, comment_id: int):
    thread = selectors.comment_threads(draft).filter(pk=comment_id).first()
    if thread is None:
        raise ApiError(f"Draft #{draft.pk} has no comment thread {comment_id}.",
                       "NoSuchComment", status.HTTP_404_NOT_FOUND)
    return thread


class CommentsView(ApiView):
    @extend_schema(operation_id="comments_list", tags=["comments"],
                   summary="A draft's comment threads, with their replies",
                   responses={200: CommentSerializer(many=True)})
    def get(self, request, draft_id: int):
        draft = selectors.visible_draft(request.user, draft_id)
        return Response(CommentSerializer(selectors.comment_threads(draft), many=True).data)

    @extend_schema(operation_id="comments_create", tags=["comments"],
                   summary="Comment on a passage of the current version, or on the draft",
                   request=CommentCreateSerializer,
                   responses={201: CommentSerializer, **COMMENT_ERRORS})
    def post(self, request, draft_id: int):
        draft = selectors.visible_draft(request.user, draft_id)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = _commented(lambda: comments.add(draft=draft, user=request.user,
                                                  **data.validated_data))
        return Response(CommentSerializer(_thread(draft, created.pk)).data,
                        status=status.HTTP_201_CREATED)


class ReplyView(ApiView):
    @extend_schema(operation_id="comments_reply", tags=["comments"],
                   summary="Reply to a comment thread", request=ReplySerializer,
                   responses={201: CommentSerializer, **COMMENT_ERRORS})
    def post(self, request, draft_id: int, comment_id: int):
        draft = selectors.visible_draft(request.user, draft_id)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _commented(lambda: comments.reply(draft=draft, user=request.user, parent_id=comment_id,
                                          body=data.validated_data["body"]))
        return Response(CommentSerializer(_thread(draft, comment_id)).data,
                        status=status.HTTP_201_CREATED)


class ResolveView(ApiView):
    resolve = True

    @extend_schema(operation_id="comments_resolve", tags=["comments"],
                   summary="Resolve a comment thread (reopen: …/reopen/)", request=None,
                   responses={200: CommentSerializer, **COMMENT_ERRORS})
    def post(self, request, draft_id: int, comment_id: int):
        draft = selectors.visible_draft(request.user, draft_id)
        _commented(lambda: comments.set_resolved(draft=draft, user=request.user,
                                                 comment_id=comment_id, resolve=self.resolve))
        return Response(CommentSerializer(_thread(draft, comment_id)).data)


class ReopenView(ResolveView):
    resolve = False

    @extend_schema(operation_id="comments_reopen", tags=["comments"],
                   summary="Reopen a resolved comment thread", request=None,
                   responses={200: CommentSerializer, **COMMENT_ERRORS})
    def post(self, request, draft_id: int, comment_id: int):
        return super().post(request, draft_id, comment_id)


# ------------------------------------------------------------------ editors


class QueueQuery(Query):
    author = serializers.IntegerField(required=False,
                                      help_text="Only this author's drafts (a user id).")
    age = serializers.ChoiceField(choices=list(selectors.QUEUE_AGES), required=False,
                                  help_text="Only drafts submitted longer ago than this.")
    reminder_due = serializers.BooleanField(required=False, default=False,
                                            help_text="Only drafts past the reminder time.")
    channel = Text(limit=delivery.CHANNEL_MAX, line=True, pattern=CHANNEL_PATTERN,
                   limit_in_pattern=True,
                   required=False, help_text="Only drafts submitted to this channel (its slug: "
                                             "lower-case letters, digits, '-', '_').")
    step = serializers.IntegerField(required=False, min_value=0,
                                    max_value=policies.MAX_STEPS - 1,
                                    help_text="Only drafts at this policy step (from 0).")
    claimed_by_me = serializers.BooleanField(required=False, default=False,
                                             help_text="Only drafts you are reviewing "
                                                       "(your claim).")
    every_step = serializers.BooleanField(
        required=False, default=False,
        help_text="Drafts at every policy step; by default only those at steps your groups "
                  "decide.")

    def validate_channel(self, value: str) -> str:
        if problem := delivery.channel_problem(value):
            raise serializers.ValidationError(problem)
        return value


class QueueView(ApiView):
    permission_classes = [IsEditor]
    pagination_class = pagination.Queue

    @extend_schema(operation_id="queue_list", tags=["review"], parameters=[QueueQuery],
                   summary="The review queue: drafts awaiting review at your steps, most urgent "
                           "first",
                   responses={200: DraftSummarySerializer(many=True)})
    def get(self, request):
        query = QueueQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        drafts = selectors.review_queue(
            author_id=params.get("author"), age=params.get("age", ""),
            reminder_due=params["reminder_due"], channel=params.get("channel", ""),
            step=params.get("step"),
            claimed_by=request.user.pk if params["claimed_by_me"] else None,
            groups=None if params["every_step"] else roles.reviewer_groups(request.user),
            escalation=roles.escalation_groups(request.user))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(drafts, request, view=self)
        return paginator.get_paginated_response(
            DraftSummarySerializer(page, many=True, context={"request": request}).data)


class DecisionsView(ApiView):
    permission_classes = [IsEditor]

    @extend_schema(operation_id="drafts_decide", tags=["review"],
                   summary="Decide on the version you reviewed", request=DecisionSerializer,
                   responses={200: DecisionResultSerializer, 202: ACCEPTED, **error_responses(
                       e400="Invalid input: MalformedJSON, UnknownField, Invalid (a wrong type, "
                            "a missing field, a value not offered, or the rulebook's input "
                            "checks: a reason for reject, feedback for request_changes, the "
                            "text for approve_with_edits, a version from 1; `fields` says which)",
                       e403="Not allowed: only editors (Forbidden); a draft you submitted "
                            "(OwnDraft); CsrfFailed",
                       e409=REFUSED, e503=ENGINE)})
    def post(self, request, draft_id: int):
        draft = selectors.draft_or_404(draft_id)
        own = decisions.own_draft_refusal(draft.author_id, request.user.pk)
        if own is not None:  # asked first, as the web does (403 before reading the body)
            raise Forbidden(own.sentence, own.code)
        passages = selectors.revision_passages(draft)
        data = DecisionSerializer(data=request.data, context={"passages": passages})
        data.is_valid(raise_exception=True)
        result = review_services.decide(editor=request.user, draft=draft, passages=passages,
                                        **data.validated_data)
        return Response(DecisionResultSerializer(result).data)


WORKBENCH_ERRORS = error_responses(
    e400="Invalid input: MalformedJSON, UnknownField, Invalid (`fields` says which)",
    e403="Not allowed: only editors (Forbidden); a draft you submitted (OwnDraft); CsrfFailed",
    e409=REFUSED + "; for choices: Invalid (they change nothing, or accept two rewrites of the "
                   "same words), StaleVersion (not the current version's changes); for a "
                   "suggestion: NotOnPassage, NoSuchComment, TooManySuggestions, "
                   "SuggestionFailed (the LLM gave no usable rewrite: nothing recorded)",
    e503=ENGINE)


class ChangesView(ApiView):
    @extend_schema(operation_id="changes_list", tags=["review"],
                   summary="The current version's changes: revised passages and suggestions",
                   responses={200: ChangeSerializer(many=True)})
    def get(self, request, draft_id: int):
        draft = selectors.visible_draft(request.user, draft_id)
        return Response(ChangeSerializer(
            selectors.version_changes(draft, draft.current_version), many=True).data)

    @extend_schema(operation_id="changes_choose", tags=["review"],
                   summary="Accept or reject changes: a new version edited from suggestions",
                   request=ChoicesSerializer,
                   responses={200: DecisionResultSerializer, 202: ACCEPTED, **WORKBENCH_ERRORS})
    def post(self, request, draft_id: int):
        draft = _decidable(request, draft_id)
        data = ChoicesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["choices"]
        choices = {item["change"]: item["choice"] for item in items}
        if len(choices) != len(items):  # the schema cannot say "unique by change"
            raise errors.DecisionRefused(suggestions.NAMED_TWICE, "Invalid")
        result = review_services.choose(editor=request.user, draft=draft,
                                        version=data.validated_data["version"],
                                        choices=choices, step=data.validated_data["step"])
        return Response(DecisionResultSerializer(result).data)


class SuggestView(ApiView):
    @extend_schema(operation_id="comments_suggest", tags=["review"],
                   summary="Suggest a rewrite of one comment thread's passage",
                   request=SuggestSerializer,
                   responses={200: DecisionResultSerializer, 202: ACCEPTED, **WORKBENCH_ERRORS})
    def post(self, request, draft_id: int, comment_id: int):
        draft = _decidable(request, draft_id)
        data = SuggestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = review_services.suggest(editor=request.user, draft=draft,
                                         comment_id=comment_id, **data.validated_data)
        return Response(DecisionResultSerializer(result).data)


def _decidable(request, draft_id: int):
    """The draft an editor takes a decision on: 403 for a non-editor or its own author."""
    if not roles.is_editor(request.user):
        raise Forbidden("Only editors choose among changes and ask for suggestions.",
                        "Forbidden")
    draft = selectors.draft_or_404(draft_id)
    own = decisions.own_draft_refusal(draft.author_id, request.user.pk)
    if own is not None:
        raise Forbidden(own.sentence, own.code)
    return draft


# ------------------------------------------------------------------ admins


# visibility.parse_hours's syntax (hours, or a number and a unit, any case, spaces around);
# its range (more than 0, at most MAX_HOURS) no pattern can say.
_WS = f"[{TRIMMED}]*"
HOURS_PATTERN = f"^{_WS}[0-9]+(?:\\.[0-9]+)?(?:{_WS}(?:[mM][sS]|[sSmMhHdD]))?{_WS}$"


class PendingQuery(Query):
    state = serializers.ChoiceField(choices=STATE_CHOICES, required=False,
                                    help_text="Only reviews in this state.")
    older_than = serializers.RegexField(
        HOURS_PATTERN, required=False,
        help_text=f"Hours (12, 1.5) or a duration (30m, 12h, 2d): started longer ago. More "
                  f"than 0, at most {visibility.MAX_HOURS} hours.")
    deadline_within = serializers.RegexField(
        HOURS_PATTERN, required=False,
        help_text=f"Hours or a duration: review deadline at most this far ahead. More than 0, "
                  f"at most {visibility.MAX_HOURS} hours.")
    cursor = serializers.CharField(required=False, help_text="The next page, from `next`.")


class PendingView(ApiView):
    permission_classes = [IsAdmin]

    @extend_schema(operation_id="pending_list", tags=["admin"], parameters=[PendingQuery],
                   summary="Running reviews, read from Temporal visibility",
                   responses={200: PendingPageSerializer, **error_responses(
                       e400="A filter that is not valid (InvalidFilter), or a page token "
                            "Temporal did not issue for this query (InvalidCursor)",
                       e503=ENGINE.replace(": nothing was recorded", ""))})
    def get(self, request):
        query = PendingQuery(data=request.query_params)
        flt = visibility.PendingFilter.from_params(request.query_params)  # its own sentences
        if not query.is_valid():  # what the filter let through (a blank value): same code
            fields = {name: " ".join(map(str, problems)) for name, problems in
                      query.errors.items()}
            raise BadRequest("; ".join(f"{name}: {text}" for name, text in fields.items()),
                             "InvalidFilter", fields)
        page = visibility.pending_page(
            flt, page_size=settings.PENDING_PAGE_SIZE,
            page_token=visibility.decode_token(request.query_params.get("cursor")))
        next_url = None
        if page.next_token:
            query = request.query_params.copy()
            query["cursor"] = page.next_token_text
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response(PendingPageSerializer({
            "next": next_url, "total": page.total, "counts": page.counts,
            "results": [row.as_json() for row in page.rows]}).data)


class RetryDeliveryView(ApiView):
    permission_classes = [IsAdminToRetry]

    @extend_schema(
        operation_id="deliveries_retry", tags=["admin"], request=RetryDeliverySerializer,
        summary="Deliver an approved draft again to the destinations that did not get it",
        description="A new delivery run with the same webhook-ids (receivers drop repeats). "
                    "Answers at once; follow the draft's `deliveries` and `state` (published "
                    "once every destination accepted it). 409: NotApproved, Delivering (a run "
                    "is still trying), NothingFailed.",
        responses={202: OpenApiResponse(DetailSerializer, description="Started: the sentence "
                                        "says how many destinations are tried again"),
                   **error_responses(e409="NotApproved, Delivering (a run is still trying), "
                                          "NothingFailed", e503=ENGINE)})
    def post(self, request, draft_id: int):
        draft = selectors.draft_or_404(draft_id)
        RetryDeliverySerializer(data=request.data).is_valid(raise_exception=True)
        sentence = publishing_services.retry_delivery(draft_id=draft.pk, user=request.user)
        return Response(DetailSerializer({"detail": sentence}).data,
                        status=status.HTTP_202_ACCEPTED)


# ------------------------------------------------------------------ anything else under /api/v1/


@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    """No such endpoint: JSON like every other answer under /api/v1/ (and the slash hint)."""
    detail = f"There is no API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "not_found":
            detail += f" Did you mean {request.path}/ (with the slash)?"
    return JsonResponse({"code": "NotFound", "detail": detail}, status=404)
