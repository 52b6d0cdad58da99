"""Comments on a draft: who may write them, their limits, their states, and the sentences.

A comment is a thread's first entry, on a passage of a version (rulebook.passages) or on the
draft as a whole (a general remark); replies follow it. A thread is open, resolved (someone
said it is dealt with) or outdated (its passage is gone from the newest version: shown with
its old quote, never dropped). Resolving and reopening apply to threads, not replies.

Who: the draft's author on their own draft, reviewers (editors and admins) on any draft they
may see; nobody on a final draft (approved, rejected, ...), whose text no longer changes.
"""

from __future__ import annotations

from enum import StrEnum

from rulebook.inputs import text_problem

BODY_MAX = 5_000  # characters of one comment or reply


class CommentState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    OUTDATED = "outdated"

    @property
    def label(self) -> str:
        return {"open": "Open", "resolved": "Resolved", "outdated": "Outdated"}[self.value]


def body_problem(body: str) -> str:
    """The sentence for a comment's text that cannot be stored, or ""."""
    if not body.strip():
        return "Write the comment first: it is empty."
    return text_problem(body, "The comment", BODY_MAX)


def comment_refusal(*, final: bool, is_author: bool, is_reviewer: bool) -> str:
    """Why this person may not comment on this draft now, or ""."""
    if not (is_author or is_reviewer):
        return "Only the draft's author and its reviewers can comment on it."
    if final:
        return "This draft's review has ended: its comments are closed."
    return ""


def resolve_refusal(state: CommentState, *, resolve: bool, is_reply: bool) -> str:
    """Why a thread cannot be resolved (resolve) or reopened (not resolve) now, or ""."""
    if is_reply:
        return "Resolve or reopen the thread, not one of its replies."
    if resolve and state == CommentState.RESOLVED:
        return "This comment is resolved already."
    if not resolve and state == CommentState.OPEN:
        return "This comment is open already."
    return ""


def reply_refusal(*, parent_exists: bool, parent_is_reply: bool) -> str:
    if not parent_exists:
        return "That comment is gone (deleted); your reply was not saved."
    if parent_is_reply:
        return "Reply to the thread's first comment."
    return ""


def state_after_reanchor(state: CommentState, found: bool) -> CommentState:
    """A thread's state once its passage was looked for on a new version: an open or
    outdated one whose passage is there again is open, one whose passage is gone outdated;
    a resolved one stays resolved."""
    if state == CommentState.RESOLVED:
        return state
    return CommentState.OPEN if found else CommentState.OUTDATED
