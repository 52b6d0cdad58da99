"""Passages: where a remark points in a version's text, and finding it again in the next.

One anchor type for everything that points into a version (comments, check findings,
suggestions): the W3C Web Annotation model's two selectors in one value,

- a TextQuoteSelector: the exact `quote`, with up to CONTEXT characters before (`prefix`) and
  after (`suffix`) it, and
- a TextPositionSelector: `start`/`end`, character offsets into the version's Markdown (a
  hint: the quote is the truth).

`locate` re-anchors a passage on another text, in this order (as the Hypothesis annotation
client does):

1. the quote with its prefix and suffix, exactly ("exact");
2. the quote alone, exactly ("quote");
3. the substring with the fewest edits from the quote (Myers' bit-parallel approximate
   search, the algorithm of the approx-string-match package the Hypothesis client uses),
   accepted when its similarity, 1 − edits ÷ the quote's length, is at least FUZZY_THRESHOLD
   ("fuzzy").

Where a step finds several places, the one nearest the old offsets wins. Nothing found: the
passage is gone from that text, and whoever holds the anchor shows it as outdated with its
old quote (it is never dropped).

Stdlib only, no I/O: the workflow sandbox may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT = 32  # characters of prefix and suffix kept with a quote
FUZZY_THRESHOLD = 0.75  # least similarity of a fuzzy match (1 - edits / len(quote))
MAX_QUOTE = 5_000  # characters: a passage, not the whole piece

EXACT, QUOTE, FUZZY = "exact", "quote", "fuzzy"
REVISED = "revised"  # not looked for: the targeted revision rewrote it there (rulebook.revisions)


class PassageError(ValueError):
    """A selection that cannot be anchored; str() is the sentence to show, `code` says which
    (PassageNotFound, AmbiguousPassage, InvalidSelection)."""

    def __init__(self, sentence: str, code: str = "InvalidSelection") -> None:
        super().__init__(sentence)
        self.code = code


@dataclass(frozen=True)
class Anchor:
    quote: str
    prefix: str = ""
    suffix: str = ""
    start: int = 0  # offsets into the text it was made on (a hint)
    end: int = 0


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    how: str  # EXACT, QUOTE or FUZZY
    similarity: float = 1.0

    def anchor(self, text: str) -> Anchor:
        """The anchor of what was found, on `text` (the new version's)."""
        return anchor_at(text, self.start, self.end)


def anchor_at(text: str, start: int, end: int) -> Anchor:
    """The anchor of text[start:end]. Raises PassageError for an empty or impossible range."""
    if not 0 <= start < end <= len(text):
        raise PassageError("Select some text of the draft first.")
    if end - start > MAX_QUOTE:
        raise PassageError(f"A passage can be at most {MAX_QUOTE:,} characters; select less.")
    if not text[start:end].strip():
        raise PassageError("Select some words, not only spaces.")
    return Anchor(quote=text[start:end], prefix=text[max(0, start - CONTEXT):start],
                  suffix=text[end:end + CONTEXT], start=start, end=end)


def anchor_quote(text: str, quote: str, prefix: str = "", suffix: str = "",
                 start: int | None = None) -> Anchor:
    """The anchor of a quote someone gave (a form, the API), on `text`: found exactly, with
    its prefix/suffix (as far as given) or its offset to tell several places apart. Raises
    PassageError with the sentence when it is not there, or is there more than once and
    nothing says which."""
    if not quote.strip():
        raise PassageError("Quote the passage the comment is about.")
    if len(quote) > MAX_QUOTE:
        raise PassageError(f"A passage can be at most {MAX_QUOTE:,} characters; quote less.")
    places = [i for i in _occurrences(text, quote)
              if text[:i].endswith(prefix) and text[i + len(quote):].startswith(suffix)]
    if not places:
        raise PassageError("That passage is not in this version of the draft (check the "
                           "quote: it must match the text exactly).", "PassageNotFound")
    if len(places) > 1:
        if start is None or start not in places:
            raise PassageError(f"That passage occurs {len(places)} times in this version; "
                               "select more of it, or give the text just before or after it.",
                               "AmbiguousPassage")
        places = [start]
    return anchor_at(text, places[0], places[0] + len(quote))


def anchor_selection(text: str, quote: str, prefix: str = "", suffix: str = "",
                     block: tuple[int, int] | None = None) -> Anchor:
    """The anchor of what someone selected on the rendered page, on the Markdown `text`: the
    selection's words, a little of the rendered text around them, and `block`, the source
    range (start, end) of the paragraph, heading or item it was made in. Found exactly (told
    apart by context, then by the block); failing that (the rendering dropped markup:
    `**bold**` reads "bold"), the closest passage by Myers' search above FUZZY_THRESHOLD,
    in the block first. Raises PassageError when it is not there, or is there more than
    once and nothing says which."""
    if not quote.strip():
        raise PassageError("Select some text of the draft first.")
    if len(quote) > MAX_QUOTE:
        raise PassageError(f"A passage can be at most {MAX_QUOTE:,} characters; select less.")
    lo, hi = block if block and 0 <= block[0] < block[1] <= len(text) else (0, len(text))
    places = list(_occurrences(text, quote))
    if len(places) > 1:
        told = [i for i in places if text[:i].endswith(prefix[-8:])
                and text[i + len(quote):].startswith(suffix[:8])]
        places = told or places
    if len(places) > 1 and block:
        places = [i for i in places if lo <= i < hi] or places
    if len(places) > 1:
        raise PassageError(f"That passage occurs {len(places)} times in this version; "
                           "select more of it.", "AmbiguousPassage")
    if places:
        return anchor_at(text, places[0], places[0] + len(quote))
    found = _fuzzy(quote, text[lo:hi], 0)  # the block first (all of it without one)
    if found is not None:
        found = Found(found.start + lo, found.end + lo, FUZZY, found.similarity)
    elif block:
        found = _fuzzy(quote, text, lo)
    if found is None:
        raise PassageError("That passage is not in this version of the draft: select it "
                           "again on the newest version.", "PassageNotFound")
    return anchor_at(text, found.start, found.end)


def locate(anchor: Anchor, text: str) -> Found | None:
    """Where `anchor`'s passage is in `text`, or None when it is gone (see the module doc)."""
    quote = anchor.quote
    if not quote:
        return None
    hint = anchor.start
    whole = anchor.prefix + quote + anchor.suffix
    exact = [i + len(anchor.prefix) for i in _occurrences(text, whole)]
    if exact:
        i = _nearest(exact, hint)
        return Found(i, i + len(quote), EXACT)
    alone = list(_occurrences(text, quote))
    if alone:
        i = _nearest(alone, hint)
        return Found(i, i + len(quote), QUOTE)
    return _fuzzy(quote, text, hint)


# ------------------------------------------------------------------ revising passages

_SENTENCE_END = ".!?…"
_CLOSERS = "\"')]”’»*_"  # after a sentence's end mark: quotes, brackets, emphasis


def paragraph_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph (text between blank lines) holding text[start:end], or, for a passage
    that spans paragraphs, from the first one's start to the last one's end."""
    lo = text.rfind("\n\n", 0, start)
    lo = 0 if lo == -1 else lo + 2
    hi = text.find("\n\n", end)
    hi = len(text) if hi == -1 else hi
    return lo, hi


def sentences_around(text: str, start: int, end: int) -> tuple[int, int]:
    """text[start:end] widened to whole sentences, never past its paragraph: what a targeted
    revision rewrites (half a sentence cannot be rewritten alone). The leading Markdown of
    the paragraph's first line (a heading's "# ", a list's "- ") stays outside."""
    lo_par, hi_par = paragraph_of(text, start, end)
    lo = start
    while lo > lo_par and not _starts_sentence(text, lo, lo_par):
        lo -= 1
    if lo == lo_par:
        lo = min(start, lo + len(_block_prefix(text[lo_par:hi_par])))
    hi = end
    while hi < hi_par and not _ends_sentence(text, hi):
        hi += 1
    return lo, hi


def _starts_sentence(text: str, i: int, lo: int) -> bool:
    """A sentence starts at i: after a line break, or after an end mark (and any closing
    quotes or brackets) and a space."""
    if text[i - 1] == "\n":
        return True
    if text[i - 1] not in " \t":
        return False
    j = i - 1
    while j > lo and text[j - 1] in " \t":
        j -= 1
    while j > lo and text[j - 1] in _CLOSERS:
        j -= 1
    return j > lo and text[j - 1] in _SENTENCE_END


def _ends_sentence(text: str, i: int) -> bool:
    """text[:i] ends a sentence: an end mark (and any closers) just before i, then a space or
    a line break; or a line ends at i."""
    if text[i] == "\n":
        return True
    j = i
    while j > 0 and text[j - 1] in _CLOSERS:
        j -= 1
    return j > 0 and text[j - 1] in _SENTENCE_END and text[i] in " \t"


def _block_prefix(paragraph: str) -> str:
    """A paragraph's leading block syntax: "# ", "- ", "1. ", "> "."""
    i = 0
    while i < len(paragraph) and paragraph[i] in " \t":
        i += 1
    j = i
    while j < len(paragraph) and paragraph[j] in "#>-*+0123456789.)":
        j += 1
    if j > i and j < len(paragraph) and paragraph[j] == " ":
        return paragraph[:j + 1]
    return paragraph[:i]


def splice(text: str, rewrites: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, new) range replaced by `new`; every character outside
    the ranges is kept as it was. Ranges must not overlap (ValueError)."""
    out, at = [], 0
    for start, end, new in sorted(rewrites):
        if start < at or not 0 <= start <= end <= len(text):
            raise ValueError(f"overlapping or impossible range {start}-{end}")
        out += [text[at:start], new]
        at = end
    out.append(text[at:])
    return "".join(out)


# ------------------------------------------------------------------ matching


def _occurrences(text: str, needle: str):
    i = text.find(needle)
    while i != -1:
        yield i
        i = text.find(needle, i + 1)


def _nearest(places: list[int], hint: int) -> int:
    return min(places, key=lambda i: (abs(i - hint), i))


def _fuzzy(quote: str, text: str, hint: int) -> Found | None:
    m = len(quote)
    if not text or m > MAX_QUOTE:
        return None
    budget = int(m * (1 - FUZZY_THRESHOLD))  # most edits a match may have
    scores = _end_scores(quote, text)
    best = min(scores)
    if best > budget:
        return None
    # Consecutive best ends are one match taking a character more or less (a substitution
    # or a deletion at its end): of the run nearest the old end, the last, so a changed
    # final character stays inside the passage.
    runs: list[list[int]] = []
    for j, score in enumerate(scores):
        if score == best:
            if runs and runs[-1][-1] == j - 1:
                runs[-1].append(j)
            else:
                runs.append([j])
    old_end = hint + m - 1
    run = min(runs, key=lambda r: (min(abs(j - old_end) for j in r), r[0]))
    end = run[-1] + 1
    # Its start: the same search backwards, from that end, over at most m + best characters.
    lo = max(0, end - m - best)
    window = text[lo:end][::-1]
    back = _end_scores(quote[::-1], window)
    length = min(range(len(back)), key=lambda j: (back[j], -j)) + 1
    start = end - length
    similarity = 1 - best / m
    return Found(start, end, FUZZY, round(similarity, 3))


def _end_scores(pattern: str, text: str) -> list[int]:
    """For each position j of `text`, the fewest edits (insertions, deletions, substitutions)
    that turn some substring ending at j into `pattern` (Myers 1999, bit-parallel; Python's
    integers hold a pattern of any length)."""
    m = len(pattern)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    peq: dict[str, int] = {}
    for i, ch in enumerate(pattern):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score = mask, 0, m
    scores = []
    for ch in text:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = (ph << 1) & mask  # the top row stays 0: a match may start anywhere
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
        scores.append(score)
    return scores
