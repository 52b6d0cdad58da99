"""Changes accepted one by one: what an editor may choose on a version's changes, the text
their choices make, and the suggestions asked for one comment at a time.

A version offers changes: the passages its targeted revision rewrote (in its text: accepted
unless the editor rejects them, and a rejected one gets its old text back) and the rewrites
suggested for a single comment ("Suggest a rewrite": not in its text; taken only when the
editor accepts them). The editor's choices make a new version, "edited by <editor> from
suggestions", bound to the reviewed version like an edit and approval, but the review goes
on: the editor then approves it or asks for more changes. Every character outside the chosen
passages stays the reviewed version's (passages.splice).

Pure functions of plain values: the web offers and applies (`edit`), the workflow's validator
checks the version and the text (rulebook.decisions), the projection records the choices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from rulebook import passages

MAX_SUGGESTIONS = 20  # suggestions asked on one version (each is an LLM call in the history)
ACCEPT, REJECT = "accept", "reject"
CHOICES = (ACCEPT, REJECT)

NOTHING_TO_APPLY = ("Your choices leave the text as it is (every change you kept is in it "
                    "already): approve this version, or request changes.")
NO_CHOICE = "Choose accept or reject for at least one change."
NAMED_TWICE = "Name each change once, with one choice."
STALE = ("These changes belong to an older version (the text changed meanwhile): reload the "
         "draft and choose again.")
OVERLAP = ("Two of the changes you accepted rewrite the same words; accept only one of "
           "them.")
TOO_MANY = (f"This version has had {MAX_SUGGESTIONS} suggestions, the most one version takes; "
            "request changes for a new version instead.")
ONE_PASSAGE = "A suggestion rewrites one commented passage."
NOTHING_TO_SUGGEST = ("A rewrite is suggested for an open comment on a passage of the current "
                      "version; this one is resolved, outdated or on the whole draft.")


@dataclass(frozen=True)
class Offer:
    """A change the editor can take or leave on a version's text: text[start:end] reads
    `current` now; taking the other side puts `other` there. `in_text`: a revision's change
    (accepting keeps it, rejecting restores `other`, the old passage); else a suggestion
    (accepting puts `other`, the rewrite, in)."""

    id: int
    start: int
    end: int
    current: str
    other: str
    in_text: bool

    def replacement(self, choice: str) -> str:
        """What the passage reads after `choice`."""
        keep = (choice == ACCEPT) == self.in_text
        return self.current if keep else self.other


@dataclass(frozen=True)
class Edited:
    """The text the choices make, and where each chosen change's passage is in it."""

    text: str
    accepted: tuple[int, ...]
    rejected: tuple[int, ...]
    placed: dict[int, tuple[int, int]]


class ChoiceError(ValueError):
    """str(): the sentence; nothing is applied. `code`: StaleVersion when the choices name
    changes this text does not have, else Invalid."""

    def __init__(self, sentence: str, code: str = "Invalid") -> None:
        super().__init__(sentence)
        self.code = code


def edit(text: str, offers: Sequence[Offer], choices: Mapping[int, str]) -> Edited:
    """The version `text` with each chosen offer's passage as chosen (unchosen ones stay as
    they are). Raises ChoiceError: no choice, a choice that is not accept/reject or names no
    offer, offers that do not fit the text, or two accepted suggestions on the same words."""
    by_id = {o.id: o for o in offers}
    if not choices:
        raise ChoiceError(NO_CHOICE)
    for change_id, choice in choices.items():
        if change_id not in by_id:
            raise ChoiceError(STALE, "StaleVersion")
        if choice not in CHOICES:
            raise ChoiceError(f"A change is accepted or rejected, not {choice!r}.")
    chosen = sorted((by_id[i] for i in choices), key=lambda o: (o.start, o.end))
    for offer in chosen:
        if not (0 <= offer.start <= offer.end <= len(text)) \
                or text[offer.start:offer.end] != offer.current:
            raise ChoiceError(STALE, "StaleVersion")
    # Only what changes goes into the splice: overlapping offers are a conflict only when
    # both would rewrite the same words.
    moves = [(o, o.replacement(choices[o.id])) for o in chosen]
    rewrites = [(o.start, o.end, new) for o, new in moves if new != o.current]
    for (_, a_end, _), (b_start, _, _) in pairwise(rewrites):
        if b_start < a_end:
            raise ChoiceError(OVERLAP)
    new_text = passages.splice(text, rewrites)
    if new_text == text:
        raise ChoiceError(NOTHING_TO_APPLY)
    shift, placed = 0, {}
    for offer, new in moves:  # in text order
        placed[offer.id] = (offer.start + shift, offer.start + shift + len(new))
        if new != offer.current:
            shift += len(new) - (offer.end - offer.start)
    return Edited(
        text=new_text,
        accepted=tuple(o.id for o in chosen if choices[o.id] == ACCEPT),
        rejected=tuple(o.id for o in chosen if choices[o.id] == REJECT),
        placed=placed)


def edit_comment(accepted: int, rejected: int) -> str:
    """The edit's event comment: what the editor chose."""
    def count(n: int, what: str) -> str:
        return f"{n} change{'s' if n != 1 else ''} {what}"
    return f"From suggestions: {count(accepted, 'accepted')}, {count(rejected, 'rejected')}."


def label(editor: str) -> str:
    """How a version made from the choices is named."""
    return f"Edited by {editor} from suggestions"


def suggestion_refusal(count: int, passages_given: int) -> str:
    """Why another suggestion cannot be asked on this version, or ""."""
    if passages_given != 1:
        return ONE_PASSAGE
    if count >= MAX_SUGGESTIONS:
        return TOO_MANY
    return ""
