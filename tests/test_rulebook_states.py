"""rulebook.states: the vocabulary and its tables (pure: no database, no Temporal)."""

from __future__ import annotations

from rulebook import states
from rulebook.states import DecisionKind, EventKind, ReviewState


def test_tables_cover_every_value():
    """Every state, event and decision has its label and place in the tables."""
    assert set(states.STATE_LABELS) == set(ReviewState)
    assert set(states.EVENT_LABELS) == set(EventKind)
    assert set(states.STATE_AFTER) == set(EventKind)
    # The workbench's edit and suggestion lead nowhere: the review goes on.
    workbench = {DecisionKind.EDIT, DecisionKind.SUGGEST}
    assert set(states.OUTCOME) == set(DecisionKind) - workbench
    assert states.STATE_AFTER[EventKind.EDITED] is None
    assert states.STATE_AFTER[EventKind.SUGGESTED] is None
    assert set(states.PAST_TENSE) == set(DecisionKind)
    # A review run ends in every final state but published (its publishing leads there).
    assert set(states.EVENT_FOR_FINAL_STATE) == states.FINAL_STATES - {
        ReviewState.PUBLISHED}
    for decision, (event, state) in states.OUTCOME.items():
        assert states.STATE_AFTER[event] == state, decision
