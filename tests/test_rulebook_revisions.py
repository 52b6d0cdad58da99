"""rulebook.revisions: the targeted revision's pure rules (milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime

from rulebook import decisions, revisions
from rulebook.snapshot import Request, Snapshot
from rulebook.states import DecisionKind, ReviewState

TEXT = ("# Tides\n\nThe moon pulls the sea. Twice a day the water rises and falls.\n\n"
        "- Boats wait for high water. Fishermen know.\n")


def span(quote: str) -> tuple[int, int]:
    start = TEXT.index(quote)
    return start, start + len(quote)


def test_plan_widens_to_sentences_merges_overlaps_and_keeps_text_order():
    a, b, c = span("Twice a day"), span("rises and"), span("moon")
    planned = revisions.plan(TEXT, [(7, *a), (3, *b), (9, *c)])
    assert [TEXT[p.start:p.end] for p in planned] == [
        "The moon pulls the sea.", "Twice a day the water rises and falls."]
    assert [p.comment_ids for p in planned] == [(9,), (3, 7)]
    item = revisions.plan(TEXT, [(1, *span("Boats"))])[0]
    assert TEXT[item.start:item.end] == "Boats wait for high water."  # "- " stays outside
    assert revisions.plan(TEXT, [(1, 5, 5), (2, 0, len(TEXT) + 3)]) == []  # impossible ranges


def test_passages_refusal_checks_count_order_and_text():
    ok = [(*span("The moon pulls the sea."), "The moon pulls the sea.")]
    assert revisions.passages_refusal(TEXT, ok) == ""
    assert "do not match" in revisions.passages_refusal(TEXT, [(0, 5, "Tides")])
    assert "do not match" in revisions.passages_refusal(TEXT, ok + ok)  # overlap
    assert "at most 12" in revisions.passages_refusal(TEXT, ok * 13)


def test_answers_that_cannot_go_into_the_text_are_refused():
    passage, before, after = "The moon pulls the sea.", "# Tides\n\n", " Twice a day the " \
        "water rises and falls."
    assert revisions.answer_problem("The moon draws the sea.", passage, before, after) == ""
    assert "empty" in revisions.answer_problem("  ", passage, before, after)
    assert "far longer" in revisions.answer_problem("x" * 293, passage, before, after)
    assert revisions.answer_problem("x" * 292, passage, before, after) == ""
    echo = "The moon draws the sea. Twice a day the water rises and falls."
    assert "repeated the text after" in revisions.answer_problem(echo, passage, before, after)


def test_clean_answer_strips_quotes_fences_and_line_breaks():
    assert revisions.clean_answer('  "The moon draws\nthe sea."\n', "One line.") == \
        "The moon draws the sea."
    assert revisions.clean_answer("```markdown\nNew text.\n```", "Old.") == "New text."


def test_apply_keeps_every_character_outside_the_rewrites():
    a, b = span("The moon pulls the sea."), span("Fishermen know.")
    new, placed = revisions.apply(TEXT, [(*b, "Fishers know it."), (*a, "The moon.")])
    assert new == TEXT.replace("The moon pulls the sea.", "The moon.").replace(
        "Fishermen know.", "Fishers know it.")
    assert [new[s:e] for s, e in placed] == ["Fishers know it.", "The moon."]


NOW = datetime(2026, 12, 7, tzinfo=UTC)
SNAP = Snapshot(state=ReviewState.AWAITING_REVIEW, version=1, author_id=1, text=TEXT)


def test_a_request_for_changes_on_passages_needs_no_feedback_and_is_checked_on_the_text():
    rc = DecisionKind.REQUEST_CHANGES
    passage = (*span("The moon pulls the sea."), "The moon pulls the sea.")
    assert decisions.refusal(SNAP, Request(rc, 2, 1, passages=(passage,)), NOW) is None
    assert decisions.refusal(SNAP, Request(rc, 2, 1), NOW).field == "comment"
    stale = decisions.refusal(SNAP, Request(rc, 2, 1, passages=((0, 5, "Other"),)), NOW)
    assert stale.code == "StalePassages"
    bad_thread = decisions.refusal(SNAP, Request(rc, 2, 1, passages=(passage,),
                                                 threads=("ed: a\x00b",)), NOW)
    assert bad_thread.code == "Invalid" and "NUL" in bad_thread.sentence
    approve = decisions.refusal(SNAP, Request(DecisionKind.APPROVE, 2, 1,
                                              passages=(passage,)), NOW)
    assert approve.code == "Invalid"
