"""Comments on drafts: the one writer of drafts.models.Comment (rules: rulebook.comments;
anchors: rulebook.passages).

Every write is one statement on its own row (an insert, or a conditional update), so several
people commenting, replying and resolving at once lose nothing: no write reads a thread and
saves it back. Bad input raises CommentRefused with the sentence; nothing is written then.

Re-anchoring on a new version is the projection's (drafts/projection.py `reanchor`), in the
transaction that stores the version.
"""

from __future__ import annotations

from django.utils import timezone

from drafts import roles
from drafts.models import Comment, Draft, DraftVersion
from rulebook import comments as rules
from rulebook import passages
from rulebook.comments import CommentState

INVALID, FORBIDDEN, CONFLICT, MISSING = "invalid", "forbidden", "conflict", "missing"


class CommentRefused(Exception):
    """str(): the sentence to show; nothing was written. `code`: stable, for programs;
    `kind`: INVALID (the input), FORBIDDEN (this person), CONFLICT (the draft's or the
    comment's state now), MISSING (no such comment)."""

    def __init__(self, sentence: str, code: str, kind: str = INVALID) -> None:
        super().__init__(sentence)
        self.code, self.kind = code, kind


def _may_comment(draft: Draft, user) -> None:
    is_author, is_reviewer = draft.author_id == user.pk, roles.is_editor(user)
    refusal = rules.comment_refusal(final=draft.is_final, is_author=is_author,
                                    is_reviewer=is_reviewer)
    if refusal:
        if is_author or is_reviewer:
            raise CommentRefused(refusal, "Closed", CONFLICT)
        raise CommentRefused(refusal, "Forbidden", FORBIDDEN)


def _body(body: str) -> str:
    if problem := rules.body_problem(body):
        raise CommentRefused(problem, "InvalidComment")
    return body


def add(*, draft: Draft, user, version: int, body: str, start: int | None = None,
        end: int | None = None, quote: str = "", prefix: str = "", suffix: str = "",
        selected: bool = False, block: tuple[int, int] | None = None) -> Comment:
    """A new thread on `version` (the draft's current one): on the passage text[start:end]
    (offsets into the Markdown; `quote`, when given too, must be what they select), on a
    quoted passage (`quote`, exactly, with optional prefix/suffix/start to tell places apart:
    the API), on what someone `selected` on the rendered page or pasted from it (rendered
    text: found exactly or closely, in its `block` first), or, with none, on the draft as a
    whole."""
    _may_comment(draft, user)
    _body(body)
    if version != draft.current_version:
        raise CommentRefused(
            f"Version {version} is not the draft's current version (version "
            f"{draft.current_version} is): reload the draft and comment on what it says now.",
            "StaleVersion", CONFLICT)
    fields: dict = {}
    if start is not None or end is not None or quote:
        text = DraftVersion.objects.filter(draft=draft, number=version) \
            .values_list("text", flat=True).first()
        if text is None:
            raise CommentRefused(f"Version {version} of this draft does not exist.",
                                 "StaleVersion", CONFLICT)
        try:
            if start is not None and end is not None:
                anchor = passages.anchor_at(text, start, end)
                if quote and anchor.quote != quote:
                    raise passages.PassageError(
                        "The selection does not match this version's text (was it made on "
                        "another version?): select the passage again.")
            elif start is not None and not quote:
                raise passages.PassageError("Select some text of the draft first.")
            elif selected:
                anchor = passages.anchor_selection(text, quote, prefix, suffix, block)
            else:
                anchor = passages.anchor_quote(text, quote, prefix, suffix, start)
        except passages.PassageError as err:
            raise CommentRefused(str(err), err.code) from None
        fields = {"quote": anchor.quote, "prefix": anchor.prefix, "suffix": anchor.suffix,
                  "start": anchor.start, "end": anchor.end, "at_version": version,
                  "at_start": anchor.start, "at_end": anchor.end, "found": passages.EXACT}
    return Comment.objects.create(draft=draft, author=user, version=version, body=body,
                                  **fields)


def reply(*, draft: Draft, user, parent_id: int, body: str) -> Comment:
    _may_comment(draft, user)
    _body(body)
    parent = Comment.objects.filter(pk=parent_id, draft=draft).only("pk", "parent_id").first()
    refusal = rules.reply_refusal(parent_exists=parent is not None,
                                  parent_is_reply=bool(parent and parent.parent_id))
    if refusal:
        raise CommentRefused(refusal, "NoSuchComment" if parent is None else "NotAThread",
                             MISSING if parent is None else INVALID)
    return Comment.objects.create(draft=draft, author=user, parent=parent,
                                  version=draft.current_version, body=body)


def set_resolved(*, draft: Draft, user, comment_id: int, resolve: bool) -> Comment:
    """Resolve (or reopen) a thread. One conditional UPDATE: of two people resolving at once,
    one does it and the other is told it is resolved already."""
    _may_comment(draft, user)
    comment = Comment.objects.filter(pk=comment_id, draft=draft).first()
    if comment is None:
        raise CommentRefused("That comment is gone (deleted).", "NoSuchComment", MISSING)
    refusal = rules.resolve_refusal(CommentState(comment.state), resolve=resolve,
                                    is_reply=comment.parent_id is not None)
    if refusal:
        raise CommentRefused(refusal, "NotAThread" if comment.parent_id else "AlreadyDone",
                             INVALID if comment.parent_id else CONFLICT)
    now = timezone.now()
    if resolve:
        moved = Comment.objects.filter(pk=comment.pk).exclude(
            state=CommentState.RESOLVED).update(state=CommentState.RESOLVED, resolved_by=user,
                                                resolved_at=now, updated_at=now)
    else:
        # Reopened: open where its passage was last found, else outdated.
        state = CommentState.OUTDATED if comment.on_passage and \
            comment.at_version != draft.current_version else CommentState.OPEN
        moved = Comment.objects.filter(pk=comment.pk, state=CommentState.RESOLVED).update(
            state=state, resolved_by=None, resolved_at=None, updated_at=now)
    if not moved:
        comment.refresh_from_db()
        raise CommentRefused(rules.resolve_refusal(CommentState(comment.state),
                                                   resolve=resolve, is_reply=False)
                             or "Someone changed this comment meanwhile; reload the draft.",
                             "AlreadyDone", CONFLICT)
    comment.refresh_from_db()
    return comment
