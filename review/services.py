"""Editors' writes: a decision goes to the workflow as an Update; the workflow records it."""

from __future__ import annotations

from drafts.models import Draft
from temporal_app import client as temporal
from temporal_app.types import (
    DecisionInput,
    DecisionKind,
    DecisionResult,
    ReviewState,
    refuse_already_decided,
    refuse_own_draft,
    refuse_stale_version,
)

_FINAL_SENTENCES = {
    ReviewState.EXPIRED: "This draft expired; its review deadline has passed.",
    ReviewState.WITHDRAWN: "The author withdrew this draft; it takes no more decisions.",
    ReviewState.CANCELLED: "An admin cancelled this review; it takes no more decisions.",
    ReviewState.FAILED: "Writing this draft failed; it takes no decisions until the author "
                        "retries it.",
}


def local_refusal(draft: Draft, editor, version: int) -> str:
    """What the database already proves is refused ("" if nothing): an own draft, a decided
    or closed review, a stale version. The workflow checks everything again (it is the
    authority); this answers at once, and without a worker, for the plain cases."""
    if draft.author_id == editor.pk:
        return refuse_own_draft()
    if draft.status in (ReviewState.APPROVED, ReviewState.REJECTED):
        who = draft.decided_by.get_username() if draft.decided_by else "another editor"
        return refuse_already_decided(draft.status, who, draft.decided_at)
    if draft.status in _FINAL_SENTENCES:
        return _FINAL_SENTENCES[ReviewState(draft.status)]
    if version < draft.current_version:
        return refuse_stale_version(draft.current_version, version)
    return ""


def decide(*, draft_id: int, editor, decision: str, version: int, comment: str = "",
           text: str = "", draft: Draft | None = None) -> DecisionResult:
    """Send the decision and return the workflow's answer. Raises DecisionRefused (with the
    sentence to show) or EngineUnavailable (nothing was recorded). With `draft`, the refusals
    the database already proves are raised without asking the workflow."""
    kind = DecisionKind(decision)
    if draft is not None:
        refusal = local_refusal(draft, editor, version)
        if refusal:
            raise temporal.DecisionRefused(refusal)
    return temporal.send_update(
        draft_id, kind.value,
        DecisionInput(actor_id=editor.pk, actor=editor.get_username(), version=version,
                      comment=comment, text=text),
        DecisionResult,
    )
