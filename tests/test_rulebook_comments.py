"""rulebook.comments: who may comment, limits, states after re-anchoring."""

from __future__ import annotations

from rulebook import comments
from rulebook.comments import CommentState


def test_who_may_comment_and_when():
    assert comments.comment_refusal(final=False, is_author=True, is_reviewer=False) == ""
    assert comments.comment_refusal(final=False, is_author=False, is_reviewer=True) == ""
    assert "author and its reviewers" in comments.comment_refusal(
        final=False, is_author=False, is_reviewer=False)
    assert "ended" in comments.comment_refusal(final=True, is_author=True, is_reviewer=True)


def test_a_comment_must_say_something_storable():
    assert comments.body_problem("Fine.") == ""
    assert "empty" in comments.body_problem(" \n ")
    assert "NUL" in comments.body_problem("a\x00")
    assert "too long" in comments.body_problem("x" * (comments.BODY_MAX + 1))


def test_resolving_and_reopening_apply_to_threads_in_the_other_state():
    assert comments.resolve_refusal(CommentState.OPEN, resolve=True, is_reply=False) == ""
    assert comments.resolve_refusal(CommentState.OUTDATED, resolve=True, is_reply=False) == ""
    assert comments.resolve_refusal(CommentState.RESOLVED, resolve=False, is_reply=False) == ""
    assert "already" in comments.resolve_refusal(CommentState.RESOLVED, resolve=True,
                                                 is_reply=False)
    assert "already" in comments.resolve_refusal(CommentState.OPEN, resolve=False,
                                                 is_reply=False)
    assert "replies" in comments.resolve_refusal(CommentState.OPEN, resolve=True,
                                                 is_reply=True)


def test_a_thread_after_its_passage_was_looked_for():
    assert comments.state_after_reanchor(CommentState.OPEN, False) == CommentState.OUTDATED
    assert comments.state_after_reanchor(CommentState.OUTDATED, True) == CommentState.OPEN
    assert comments.state_after_reanchor(CommentState.RESOLVED, False) == \
        CommentState.RESOLVED
