"""The writing of a version, as people watch it (issue 25): who may stop the LLM while it
writes, what a stop leads to, and how a version kept from a stop is named.

A stop cancels the LLM call through the workflow. Kept (`keep`), the text written so far is
the version ("stopped after N words"), reviewed as usual; discarded, a first draft is
withdrawn and a revision goes back to awaiting review on the previous version. A stop that
arrives once the version is stored is answered with that, truthfully: nothing was stopped.

Pure functions of plain values (the workflow's validator and the web ask the same rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rulebook.decisions import refusal_if_late
from rulebook.snapshot import Refusal, Snapshot
from rulebook.states import WRITING_STATES, DecisionKind
from rulebook.steps import eligibility_refusal

NOT_WRITING = "This draft is not being written now, so there is nothing to stop."
ALREADY = "Someone already stopped the writing; wait a moment for the result."
NOT_YOURS = ("Only the draft's author and the editors at its review step can stop the "
             "writing.")
TOO_LATE = ("Version {number} was stored before the stop arrived, so nothing was stopped; "
            "review it as usual.")
NOTHING_WRITTEN = "Nothing was written yet, so there was nothing to keep"
# A kept version's prompt_version: its usage is an estimate (the stopped call never got the
# provider's count), and the version page says so.
STOPPED_PROMPT = "stopped"
USAGE_ESTIMATED = "estimated from the text so far: the stop cancelled the call before its usage"


def stop_refusal(snap: Snapshot, actor_id: int, actor_groups: Iterable[str] | None,
                 *, stopping: bool, expires_at: datetime | None, now: datetime
                 ) -> Refusal | None:
    """May `actor_id` stop the version being written? The author may; an editor at the
    draft's step may (`actor_groups` None: not said, not checked)."""
    if late := refusal_if_late(expires_at, now):
        return late
    if snap.state not in WRITING_STATES or (
            snap.decided is not None and snap.decided.kind in
            (DecisionKind.WITHDRAW, DecisionKind.CANCEL)):
        return Refusal("NotWriting", NOT_WRITING)
    if stopping:
        return Refusal("AlreadyStopping", ALREADY)
    if actor_id == snap.author_id or actor_groups is None:
        return None
    if eligibility_refusal(snap.policy, snap.step, actor_groups, snap.escalated) is not None:
        return Refusal("NotEligible", NOT_YOURS)
    return None


def words(text: str) -> int:
    return len(text.split())


def stopped_label(count: int) -> str:
    return f"stopped after {count:,} word{'s' if count != 1 else ''}"


def stop_message(*, keep: bool, first: bool, count: int, number: int, actor: str) -> str:
    """The stop's answer once the workflow carried it out."""
    if keep and count:
        return (f"Stopped by {actor}: version {number} keeps the {count:,} word"
                f"{'s' if count != 1 else ''} written so far and awaits review.")
    why = f"{NOTHING_WRITTEN}; " if keep else ""
    if first:
        return f"Stopped by {actor}: {why}the draft is withdrawn."
    return (f"Stopped by {actor}: {why}the revision is discarded and version {number - 1} "
            "awaits review again.")
