"""rulebook.passages: anchoring a passage (quote + context + offsets) and finding it again."""

from __future__ import annotations

import random

import pytest

from rulebook import passages
from rulebook.passages import EXACT, FUZZY, QUOTE, Anchor, PassageError

TEXT = ("# Tides\n\nThe moon pulls the sea. Twice a day the water rises and falls.\n\n"
        "Fishermen know the tides. The moon pulls the sea, and boats wait for it.\n")


def test_an_anchor_keeps_the_quote_its_context_and_offsets():
    start = TEXT.index("Twice a day")
    a = passages.anchor_at(TEXT, start, start + len("Twice a day"))
    assert a.quote == "Twice a day" and (a.start, a.end) == (start, start + 11)
    assert TEXT[:start].endswith(a.prefix) and len(a.prefix) == passages.CONTEXT
    assert TEXT[a.end:].startswith(a.suffix) and len(a.suffix) == passages.CONTEXT


def test_an_anchor_at_the_edges_has_shorter_context():
    a = passages.anchor_at(TEXT, 0, 7)
    assert (a.quote, a.prefix) == ("# Tides", "")
    end = passages.anchor_at(TEXT, len(TEXT) - 5, len(TEXT))
    assert end.suffix == ""


@pytest.mark.parametrize("start,end,says", [
    (5, 5, "Select some text"), (-1, 3, "Select some text"), (3, 10_000, "Select some text"),
    (7, 9, "not only spaces"),
])
def test_an_impossible_selection_is_refused_with_a_sentence(start, end, says):
    with pytest.raises(PassageError, match=says):
        passages.anchor_at(TEXT, start, end)


def test_a_quote_is_anchored_where_it_is_and_refused_where_it_is_not():
    a = passages.anchor_quote(TEXT, "Fishermen know")
    assert TEXT[a.start:a.end] == "Fishermen know"
    with pytest.raises(PassageError, match="not in this version"):
        passages.anchor_quote(TEXT, "Fishermen knew")
    with pytest.raises(PassageError, match="Quote the passage"):
        passages.anchor_quote(TEXT, "   ")
    with pytest.raises(PassageError, match="at most"):
        passages.anchor_quote(TEXT, "x" * (passages.MAX_QUOTE + 1))


def test_a_quote_that_occurs_twice_needs_context_or_an_offset():
    quote = "The moon pulls the sea"
    with pytest.raises(PassageError, match="occurs 2 times"):
        passages.anchor_quote(TEXT, quote)
    second = TEXT.rindex(quote)
    assert passages.anchor_quote(TEXT, quote, prefix="tides. ").start == second
    assert passages.anchor_quote(TEXT, quote, suffix=", and").start == second
    assert passages.anchor_quote(TEXT, quote, start=second).start == second
    with pytest.raises(PassageError, match="occurs 2 times"):
        passages.anchor_quote(TEXT, quote, start=second + 1)  # an offset that is neither


def test_a_passage_is_found_exactly_when_the_text_around_it_moved():
    a = passages.anchor_quote(TEXT, "Fishermen know the tides.")
    moved = "# Tides\n\nA new opening paragraph.\n\n" + TEXT[len("# Tides\n\n"):]
    found = passages.locate(a, moved)
    assert found.how == EXACT and moved[found.start:found.end] == a.quote


def test_with_its_context_changed_the_quote_alone_finds_it():
    a = passages.anchor_quote(TEXT, "Twice a day the water rises")
    changed = TEXT.replace("The moon pulls the sea. Twice", "Gravity acts. Twice")
    found = passages.locate(a, changed)
    assert found.how == QUOTE and changed[found.start:found.end] == a.quote


def test_of_two_places_the_one_nearest_the_old_offset_wins():
    quote = "The moon pulls the sea"
    a = passages.anchor_quote(TEXT, quote, start=TEXT.rindex(quote))
    rewritten = TEXT.replace("Fishermen know the tides. ", "")  # context gone, both remain
    found = passages.locate(Anchor(quote, "x", "y", a.start, a.end), rewritten)
    assert found.how == QUOTE and found.start == rewritten.rindex(quote)


def test_a_lightly_edited_passage_is_found_fuzzily_and_a_rewritten_one_is_gone():
    a = passages.anchor_quote(TEXT, "Twice a day the water rises and falls.")
    edited = TEXT.replace("Twice a day the water rises and falls.",
                          "Twice each day the water rises and falls!")
    found = passages.locate(a, edited)
    assert found.how == FUZZY and found.similarity >= passages.FUZZY_THRESHOLD
    assert edited[found.start:found.end] == "Twice each day the water rises and falls!"
    gone = TEXT.replace("Twice a day the water rises and falls.",
                        "Sailors plan around high water.")
    assert passages.locate(a, gone) is None


def _brute_end_scores(pattern: str, text: str) -> list[int]:
    """Sellers' dynamic programme: fewest edits of a substring ending at each j into pattern."""
    m = len(pattern)
    column = list(range(m + 1))
    out = []
    for ch in text:
        new = [0]
        for i in range(1, m + 1):
            new.append(min(column[i] + 1, new[i - 1] + 1,
                           column[i - 1] + (pattern[i - 1] != ch)))
        column = new
        out.append(column[m])
    return out


def test_the_bit_parallel_search_agrees_with_the_dynamic_programme():
    rng = random.Random(7)
    for _ in range(300):
        pattern = "".join(rng.choice("abc ") for _ in range(rng.randint(1, 70)))
        text = "".join(rng.choice("abcd ") for _ in range(rng.randint(0, 120)))
        assert passages._end_scores(pattern, text) == _brute_end_scores(pattern, text)


def test_a_fuzzy_match_starts_where_its_best_alignment_starts():
    rng = random.Random(11)
    words = ["tide", "moon", "sea", "boat", "wave", "shore", "rope", "gull"]
    for _ in range(50):
        text = " ".join(rng.choice(words) for _ in range(120))
        start = rng.randrange(0, len(text) - 60)
        quote = text[start:start + 50]
        edited = text[:start + 10] + "XY" + text[start + 12:]  # two characters changed
        found = passages.locate(Anchor(quote, "no such prefix", "", start, start + 50),
                                edited.replace(quote, quote))  # the quote itself is gone
        assert found is not None
        assert abs(found.start - start) <= 2 and abs(found.end - (start + 50)) <= 2


def test_a_selection_on_the_rendered_page_is_anchored_on_the_markdown():
    md = "# Tides\n\nThe **moon** pulls the sea.\n\nThe moon pulls the sea, again.\n"
    # Rendered, the first paragraph reads "The moon pulls the sea." (no asterisks).
    first = (9, 9 + len("The **moon** pulls the sea."))
    a = passages.anchor_selection(md, "The moon pulls the sea.", block=first)
    assert a.quote == "The **moon** pulls the sea." and a.start == 9
    # Exact in two places: the block it was selected in tells them apart.
    second = md.rindex("The moon pulls the sea")
    b = passages.anchor_selection(md, "The moon pulls the sea", block=(second, len(md)))
    assert b.start == second
    with pytest.raises(PassageError, match="occurs 2 times"):
        passages.anchor_selection(md, "pulls the sea")
    assert passages.anchor_selection(md, "pulls the sea", block=first).start == \
        md.index("pulls the sea")
    with pytest.raises(PassageError, match="not in this version"):
        passages.anchor_selection(md, "Sailors plan by the clock and the calendar.")
    with pytest.raises(PassageError, match="Select some text"):
        passages.anchor_selection(md, "  ")


PARA = ("# Tides\n\n"
        "The moon pulls the sea. Twice a day the water rises and falls. Boats wait.\n\n"
        "- Fishermen know the tides (\"by heart\"). They sail at dawn.\n")


def widened(quote: str) -> str:
    start = PARA.index(quote)
    lo, hi = passages.sentences_around(PARA, start, start + len(quote))
    return PARA[lo:hi]


def test_a_commented_passage_is_widened_to_whole_sentences_within_its_paragraph():
    assert widened("day the water") == "Twice a day the water rises and falls."
    assert widened("Twice a day the water rises and falls.") == \
        "Twice a day the water rises and falls."
    assert widened("sea. Twice") == "The moon pulls the sea. Twice a day the water rises and falls."
    assert widened("Boats") == "Boats wait."  # the paragraph's last sentence, its line's end
    assert widened("moon") == "The moon pulls the sea."  # the first: from the paragraph
    assert widened("know the") == 'Fishermen know the tides ("by heart").'  # closers kept, "- " out
    assert widened("Tid") == "Tides"  # a heading: "# " stays outside


def test_a_passage_across_paragraphs_stays_within_their_span():
    start, end = PARA.index("Boats"), PARA.index("Fishermen") + 3
    lo, hi = passages.sentences_around(PARA, start, end)
    assert PARA[lo:hi].startswith("Boats wait.") and PARA[lo:hi].endswith('("by heart").')


def test_splicing_keeps_every_character_outside_the_rewritten_ranges():
    a = PARA.index("Twice a day the water rises and falls.")
    b = PARA.index("They sail at dawn.")
    rewrites = [(b, b + len("They sail at dawn."), "They leave at first light."),
                (a, a + len("Twice a day the water rises and falls."), "The tide turns twice.")]
    out = passages.splice(PARA, rewrites)
    assert out == PARA.replace("Twice a day the water rises and falls.",
                               "The tide turns twice.").replace("They sail at dawn.",
                                                                "They leave at first light.")
    assert out[:a] == PARA[:a] and out.endswith(PARA[b + len("They sail at dawn."):])
    with pytest.raises(ValueError):
        passages.splice(PARA, [(0, 10, "x"), (5, 12, "y")])
