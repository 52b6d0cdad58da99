"""The targeted revision: what a "Request changes" with open passage comments sends the LLM,
what each call sees, which answers are refused, and how the rewrites go back into the text.

An open thread anchored on the current version asks for its passage to be rewritten: the
quote widened to whole sentences (`passages.sentences_around`, never past its paragraph).
Threads whose passages overlap share one call. Each call sees its passage, its threads, the
brief, the editor's general remark (the decision's comment, if any) and `CONTEXT` characters
of text either side; the rewrites are spliced back, so every character outside the passages
is the previous version's. A general remark alone still revises the whole draft.

Pure functions of plain values: the web plans the passages (`plan`), the workflow's
validator checks them against its own text (`passages_refusal`), the activity checks each
answer (`answer_problem`), the workflow splices (`apply`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rulebook import passages
from rulebook.comments import BODY_MAX
from rulebook.inputs import text_problem

MAX_PASSAGES = 12  # commented passages one revision rewrites
CONTEXT = 160  # characters of text shown either side of a passage (cut at a word)
THREAD_MAX = 2_000  # characters of a thread (comment and replies) one call is given
GROWTH = 4  # an answer over GROWTH × the passage + SLACK characters is refused
SLACK = 200
ECHO = 24  # an answer repeating this many characters of the context around it is refused


@dataclass(frozen=True)
class Planned:
    """One passage to rewrite: text[start:end] of the current version, and the threads on it."""

    start: int
    end: int
    comment_ids: tuple[int, ...]


def plan(text: str, threads: Iterable[tuple[int, int, int]]) -> list[Planned]:
    """The passages for threads (comment id, start, end) found on `text`: each widened to
    whole sentences; overlapping ones merged into one; in text order."""
    widened = sorted((*passages.sentences_around(text, start, end), cid)
                     for cid, start, end in threads if 0 <= start < end <= len(text))
    merged: list[list] = []
    for start, end, cid in widened:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(cid)
        else:
            merged.append([start, end, [cid]])
    return [Planned(s, e, tuple(sorted(ids))) for s, e, ids in merged]


def too_many(count: int) -> str:
    if count > MAX_PASSAGES:
        return (f"This version has {count} commented passages; one revision rewrites at most "
                f"{MAX_PASSAGES}. Resolve some comments, or leave a general remark instead.")
    return ""


def passages_refusal(text: str, ranges: Sequence[tuple[int, int, str]]) -> str:
    """Why these (start, end, passage) cannot be revised on `text` (the workflow's current
    version), or "". The web planned them from the database; the workflow has the last word."""
    if problem := too_many(len(ranges)):
        return problem
    at = 0
    for start, end, quoted in ranges:
        if not (at <= start < end <= len(text)) or text[start:end] != quoted:
            return ("The commented passages do not match the current version any more (it "
                    "changed meanwhile): reload the draft and request changes again.")
        at = end
    return ""


def thread_problem(lines: Sequence[str]) -> str:
    for line in lines:
        if problem := text_problem(line, "A comment", BODY_MAX + 200):  # "author: body"
            return problem
    return ""


def thread_text(lines: Sequence[str]) -> str:
    """A passage's threads as the call is given them, at most THREAD_MAX characters."""
    out = "\n".join(f"- {line}" for line in lines)
    return out if len(out) <= THREAD_MAX else out[:THREAD_MAX - 1] + "…"


def context(text: str, start: int, end: int) -> tuple[str, str]:
    """Up to CONTEXT characters before and after text[start:end], cut at a word."""
    lo = max(0, start - CONTEXT)
    before = text[lo:start]
    if lo > 0 and " " in before:
        before = before[before.index(" ") + 1:]
    hi = min(len(text), end + CONTEXT)
    after = text[end:hi]
    if hi < len(text) and " " in after:
        after = after[:after.rindex(" ")]
    return before, after


def clean_answer(answer: str, passage: str) -> str:
    """The model's answer as a passage: no surrounding whitespace, quotes or code fence; one
    line where the passage was one line (a passage never spans paragraphs)."""
    out = answer.strip()
    fence = re.fullmatch(r"```[\w-]*\n(.*)\n```", out, re.S)
    if fence:
        out = fence.group(1).strip()
    for left, right in ('""', "“”", "''"):
        if len(out) > 2 and out[0] == left and out[-1] == right and passage[:1] != left:
            out = out[1:-1].strip()
    if "\n" not in passage:
        out = re.sub(r"\s*\n\s*", " ", out)
    return out


def answer_problem(answer: str, passage: str, before: str, after: str) -> str:
    """Why the LLM's (cleaned) rewrite of `passage` cannot go into the text, or "": the
    activity refuses it, and Temporal asks again."""
    if not answer.strip():
        return "The LLM's rewrite of a passage was empty."
    limit = GROWTH * len(passage) + SLACK
    if len(answer) > limit:
        return (f"The LLM's rewrite of a passage was far longer than the passage "
                f"({len(answer)} characters for {len(passage)}; at most {limit}).")
    for side, piece in (("before", before.strip()[-ECHO:]), ("after", after.strip()[:ECHO])):
        if len(piece) == ECHO and piece in answer and piece not in passage:
            return (f"The LLM's rewrite of a passage repeated the text {side} it, which "
                    "stays as it is.")
    return ""


def apply(text: str, rewrites: Sequence[tuple[int, int, str]]
          ) -> tuple[str, list[tuple[int, int]]]:
    """`text` with each (start, end, new) put in (passages.splice: every character outside
    the ranges kept), and where each rewrite is in the new text, in the order given."""
    new_text = passages.splice(text, list(rewrites))
    shift, placed = 0, {}
    for start, end, new in sorted(rewrites):
        placed[(start, end)] = (start + shift, start + shift + len(new))
        shift += len(new) - (end - start)
    return new_text, [placed[(s, e)] for s, e, _ in rewrites]
