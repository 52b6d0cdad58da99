"""Editors' writes: a decision goes to the workflow as an Update; the workflow records it."""

from __future__ import annotations

from temporal_app import client as temporal
from temporal_app.types import DecisionInput, DecisionKind, DecisionResult


def decide(*, draft_id: int, editor, decision: str, version: int, comment: str = "",
           text: str = "") -> DecisionResult:
    kind = DecisionKind(decision)
    return temporal.send_update(
        draft_id, kind.value,
        DecisionInput(actor_id=editor.pk, actor=editor.get_username(), version=version,
                      comment=comment, text=text),
        DecisionResult,
    )
