"""rulebook.suggestions: changes accepted one by one, pure rules (milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rulebook import decisions, suggestions
from rulebook.policies import ReviewPolicy, ReviewStep
from rulebook.snapshot import Request, Snapshot
from rulebook.states import DecisionKind, ReviewState
from rulebook.suggestions import ACCEPT, REJECT, ChoiceError, Offer

V1 = "# Tides\n\nThe moon pulls the sea. Twice a day the water rises. Boats wait.\n"
# Version 2: a targeted revision rewrote the first and third sentences.
V2 = "# Tides\n\nThe Moon's gravity tugs at the oceans. Twice a day the water rises. " \
     "Boats wait for the tide to turn.\n"


def revised(pk: int, new: str, old: str) -> Offer:
    start = V2.index(new)
    return Offer(pk, start, start + len(new), new, old, in_text=True)


A = revised(1, "The Moon's gravity tugs at the oceans.", "The moon pulls the sea.")
B = revised(2, "Boats wait for the tide to turn.", "Boats wait.")
MIDDLE = "Twice a day the water rises."
S = Offer(3, V2.index(MIDDLE), V2.index(MIDDLE) + len(MIDDLE), MIDDLE,
          "The water climbs the shore twice daily.", in_text=False)


def test_rejected_revision_gets_its_old_text_back_and_nothing_else_moves():
    edited = suggestions.edit(V2, [A, B], {1: ACCEPT, 2: REJECT})
    assert edited.text == V2.replace("Boats wait for the tide to turn.", "Boats wait.")
    assert edited.accepted == (1,) and edited.rejected == (2,)
    start, end = edited.placed[2]
    assert edited.text[start:end] == "Boats wait."
    start, end = edited.placed[1]
    assert edited.text[start:end] == A.current


def test_accepted_suggestion_goes_in_and_positions_follow_the_shift():
    edited = suggestions.edit(V2, [A, B, S], {1: REJECT, 3: ACCEPT, 2: ACCEPT})
    assert edited.text == ("# Tides\n\nThe moon pulls the sea. The water climbs the shore "
                           "twice daily. Boats wait for the tide to turn.\n")
    for offer, text in ((A, A.other), (S, S.other), (B, B.current)):
        start, end = edited.placed[offer.id]
        assert edited.text[start:end] == text
    # an unchosen change stays as it is: the revision's rewrite in, the suggestion out
    assert suggestions.edit(V2, [A, S], {1: REJECT}).text == V2.replace(A.current, A.other)


def test_choices_that_change_nothing_or_do_not_fit_are_refused():
    with pytest.raises(ChoiceError, match="leave the text as it is"):
        suggestions.edit(V2, [A, B], {1: ACCEPT, 2: ACCEPT})
    with pytest.raises(ChoiceError, match="at least one"):
        suggestions.edit(V2, [A], {})
    with pytest.raises(ChoiceError, match="older version"):
        suggestions.edit(V2, [A], {99: ACCEPT})
    with pytest.raises(ChoiceError, match="older version"):
        suggestions.edit(V1, [A], {1: REJECT})  # the offer does not fit this text
    with pytest.raises(ChoiceError, match="accepted or rejected"):
        suggestions.edit(V2, [A], {1: "maybe"})
    rival = Offer(4, A.start, A.end, A.current, "Gravity.", in_text=False)
    with pytest.raises(ChoiceError, match="same words"):
        suggestions.edit(V2, [A, rival], {1: REJECT, 4: ACCEPT})
    assert suggestions.edit(V2, [A, rival], {1: ACCEPT, 4: ACCEPT}).text == \
        V2.replace(A.current, "Gravity.")  # only one of them rewrites: no conflict


def test_labels_and_counts():
    assert suggestions.label("ana") == "Edited by ana from suggestions"
    assert suggestions.edit_comment(2, 1) == \
        "From suggestions: 2 changes accepted, 1 change rejected."
    assert suggestions.suggestion_refusal(0, 2) == suggestions.ONE_PASSAGE
    assert suggestions.suggestion_refusal(suggestions.MAX_SUGGESTIONS, 1) == \
        suggestions.TOO_MANY
    assert suggestions.suggestion_refusal(0, 1) == ""


NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
SNAP = Snapshot(state=ReviewState.AWAITING_REVIEW, version=2, author_id=1, text=V2)
PASSAGE = ((S.start, S.end, MIDDLE),)


def refusal(snap: Snapshot = SNAP, **fields):
    return decisions.refusal(snap, Request(actor_id=2, **fields), NOW)


def test_edit_and_suggest_are_version_bound_decisions():
    assert refusal(kind=DecisionKind.EDIT, version=2, text=V2 + "x") is None
    assert refusal(kind=DecisionKind.EDIT, version=1, text=V2 + "x").code == "StaleVersion"
    assert refusal(kind=DecisionKind.EDIT, version=2, text=V2).sentence == \
        suggestions.NOTHING_TO_APPLY
    assert refusal(kind=DecisionKind.EDIT, version=2, text=" ").sentence == \
        "The edited text is empty."
    assert refusal(kind=DecisionKind.SUGGEST, version=2, passages=PASSAGE) is None
    assert refusal(kind=DecisionKind.SUGGEST, version=2).sentence == suggestions.ONE_PASSAGE
    assert refusal(kind=DecisionKind.SUGGEST, version=2,
                   passages=((0, 7, "# Moons"),)).code == "StalePassages"
    full = Snapshot(state=ReviewState.AWAITING_REVIEW, version=2, author_id=1, text=V2,
                    suggestions=suggestions.MAX_SUGGESTIONS)
    assert refusal(full, kind=DecisionKind.SUGGEST, version=2,
                   passages=PASSAGE).code == "TooManySuggestions"
    # the author does not edit their own draft; nobody edits a closed one
    assert decisions.refusal(SNAP, Request(DecisionKind.EDIT, 1, 2, text="x"), NOW).code == \
        "OwnDraft"
    closed = Snapshot(state=ReviewState.APPROVED, version=2, author_id=1)
    assert refusal(closed, kind=DecisionKind.SUGGEST, version=2,
                   passages=PASSAGE).code == "Closed"
    # no revision cap: a suggestion is not a review round
    capped = Snapshot(state=ReviewState.AWAITING_REVIEW, version=2, author_id=1, text=V2,
                      revisions=3, max_revisions=3)
    assert refusal(capped, kind=DecisionKind.SUGGEST, version=2, passages=PASSAGE) is None


def test_outside_approvers_neither_edit_nor_suggest():
    policy = ReviewPolicy(steps=[ReviewStep(name="Legal", group="", outside=["l@x.org"])])
    snap = Snapshot(state=ReviewState.AWAITING_REVIEW, version=2, author_id=1, text=V2,
                    policy=policy)
    for kind, extra in ((DecisionKind.EDIT, {"text": V2 + "x"}),
                        (DecisionKind.SUGGEST, {"passages": PASSAGE})):
        assert "do not edit" in refusal(snap, kind=kind, version=2,
                                        outside_email="l@x.org", **extra).sentence
