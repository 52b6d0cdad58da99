"""Editors' writes: a decision goes to the workflow as an Update; the workflow records it."""

from __future__ import annotations

from django.utils import timezone

from drafts import roles
from drafts.models import Draft
from temporal_app import errors, gateway, lifecycle
from temporal_app.lifecycle import Decided, DecisionKind, Request, Snapshot
from temporal_app.types import DecisionInput, DecisionResult


def snapshot(draft: Draft, *, text: str = "") -> Snapshot:
    """The rulebook's view of a draft row. The row lags the workflow by a moment, so it only
    serves to refuse early: the workflow checks everything again and has the last word."""
    decided = None
    kind = lifecycle.DECISION_FOR_CLOSED_STATE.get(draft.state)
    if kind is not None:
        who = draft.decided_by.get_username() if draft.decided_by else "another editor"
        decided = Decided(kind, who, draft.decided_at)
    return Snapshot(state=draft.state, version=draft.current_version,
                    author_id=draft.author_id, revisions=draft.revisions,
                    deadline=draft.deadline, decided=decided, text=text)


def early_refusal(draft: Draft, editor, kind: DecisionKind, version: int, comment: str = "",
                  text: str = "") -> lifecycle.Refusal | None:
    """What the database already proves is refused (own draft, closed, stale, bad input),
    answered at once and without a worker. Only refusals the row cannot have wrong: the
    revision cap, the deadline and a pending decision are the workflow's to judge."""
    snap = snapshot(draft)
    request = Request(kind, editor.pk, version, comment, text)
    refusal = lifecycle.refusal(snap, request, timezone.now())
    if refusal is not None and refusal.code in EARLY_CODES:
        return refusal
    return None


# Refusals the row proves: anything else (e.g. not awaiting review while the row lags a
# revision that just finished) is left to the workflow.
EARLY_CODES = frozenset({"Invalid", "OwnDraft", "AlreadyDecided", "Closed", "StaleVersion"})


def reviewer_groups(user) -> list[str]:
    """The groups a reviewer decides for at a policy step: theirs, and Editors for admins
    (who may do what editors do)."""
    groups = set(user.groups.values_list("name", flat=True))
    if roles.is_admin(user):
        groups.add(lifecycle.EDITORS_GROUP)
    return sorted(groups)


def decide(*, editor, decision: str, version: int, comment: str = "", text: str = "",
           step: int | None = None, draft: Draft | None = None, draft_id: int | None = None
           ) -> DecisionResult:
    """Send the decision and return the workflow's answer. Raises DecisionRefused (with the
    sentence to show), EngineUnavailable (nothing was recorded) or DecisionAccepted."""
    kind = DecisionKind(decision)
    if draft is None:
        draft = Draft.objects.select_related("decided_by").get(pk=draft_id)
    refusal = early_refusal(draft, editor, kind, version, comment, text)
    if refusal is not None:
        raise errors.DecisionRefused(refusal.sentence, refusal.code)
    return gateway.decide(draft.pk, kind, DecisionInput(
        actor_id=editor.pk, actor=editor.get_username(), version=version, comment=comment,
        text=text, actor_groups=reviewer_groups(editor), step=step))
