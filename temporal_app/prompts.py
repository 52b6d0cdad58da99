"""Versioned prompt templates. Bump a version when its wording changes: it is stored with
every draft version, so an editor can tell which prompt wrote what.

Single call: `draft_prompt` (first version) and `revise_prompt` (with the editor's feedback
and the previous version). Targeted revision: one `passage_prompt` per commented passage.
Long pieces: `outline_prompt`, then one `section_prompt` per section, written in parallel;
their version is SECTIONS_VERSION.
"""

from __future__ import annotations

import re

from temporal_app.llm import Prompt
from temporal_app.types import DraftBrief

DRAFT_VERSION = "draft-v1"
REVISE_VERSION = "revise-v1"
SECTIONS_VERSION = "sections-v1"  # outline-v1 + section-v1 (revisions included)
PASSAGE_VERSION = "passage-v1"  # the targeted revision: one passage per call

SYSTEM = (
    "You are a careful staff writer. Write in Markdown: one '# ' title, short sections with "
    "'## ' headings, no HTML. Do not invent quotations or statistics."
)

SECTION_SYSTEM = (
    "You are a careful staff writer working on one section of a longer piece. Write in "
    "Markdown: start with the section's '## ' heading, use '### ' for any sub-headings, no "
    "'# ' title, no HTML. Do not invent quotations or statistics."
)


def _brief_lines(brief: DraftBrief) -> str:
    lines = [f"Topic: {brief.topic}"]
    if brief.brief:
        lines.append(f"Brief: {brief.brief}")
    if brief.audience:
        lines.append(f"Audience: {brief.audience}")
    if brief.tone:
        lines.append(f"Tone: {brief.tone}")
    lines.append(f"Target length: about {brief.target_words} words")
    return "\n".join(lines)


def draft_prompt(brief: DraftBrief) -> Prompt:
    return Prompt(DRAFT_VERSION, SYSTEM,
                  f"Write a first draft.\n\n{_brief_lines(brief)}")


def revise_prompt(brief: DraftBrief, previous_text: str, feedback: str) -> Prompt:
    return Prompt(
        REVISE_VERSION,
        SYSTEM,
        f"Revise the draft below following the editor's feedback. Return the whole revised "
        f"draft.\n\n{_brief_lines(brief)}\n\nEditor's feedback:\n{feedback}\n\n"
        f"Previous version:\n{previous_text}",
    )


def outline_prompt(brief: DraftBrief, sections: int, previous_text: str = "",
                   feedback: str = "") -> Prompt:
    user = (
        f"Plan a piece of writing in {sections} sections. Answer with the outline only, in "
        "this exact Markdown format:\n\n"
        "# Title of the piece\n\n"
        "One or two introductory paragraphs.\n\n"
        "## Heading of section 1\n"
        "One line on what the section covers.\n\n"
        f"(and so on, one '## ' heading per section)\n\n{_brief_lines(brief)}"
    )
    if feedback:
        user += (f"\n\nThis is a revision. Editor's feedback:\n{feedback}\n\n"
                 f"Keep the previous structure unless the feedback asks otherwise. "
                 f"Previous version:\n{previous_text}")
    return Prompt(SECTIONS_VERSION, SYSTEM, user)


def section_prompt(brief: DraftBrief, *, title: str, headings: list[str], index: int,
                   notes: str, words: int, feedback: str = "", previous_section: str = ""
                   ) -> Prompt:
    plan = "\n".join(f"{i + 1}. {h}" for i, h in enumerate(headings))
    user = (
        f"The piece is titled \"{title}\". Its sections:\n{plan}\n\n"
        f"Write section {index + 1} only, \"{headings[index]}\", in about {words} words. "
        f"Start with the line '## {headings[index]}'.\n"
        f"What it covers: {notes or headings[index]}\n\n{_brief_lines(brief)}"
    )
    if feedback:
        user += f"\n\nThis is a revision. Editor's feedback on the whole piece:\n{feedback}"
        if previous_section:
            user += f"\n\nPrevious version of this section:\n{previous_section}"
    return Prompt(SECTIONS_VERSION, SECTION_SYSTEM, user)


PASSAGE_SYSTEM = (
    "You are a careful staff writer revising one passage of a piece, as an editor asked. "
    "Answer with the rewritten passage only: same Markdown, no quotes around it, nothing "
    "from the text around it. Do not invent quotations or statistics."
)


def passage_prompt(brief: DraftBrief, *, passage: str, before: str, after: str,
                   thread: str, feedback: str = "") -> Prompt:
    """One commented passage (the targeted revision): the passage, the editor's comments on
    it, the brief's essentials and a little text either side. No whole draft: a passage
    call costs a fraction of a whole-draft revision's input."""
    lines = [f"Topic: {brief.topic}"]
    if brief.audience:
        lines.append(f"Audience: {brief.audience}")
    if brief.tone:
        lines.append(f"Tone: {brief.tone}")
    user = "\n".join(lines) + f"\n\nComments on the passage:\n{thread}\n"
    if feedback:
        user += f"Editor's remark on the whole piece:\n{feedback}\n"
    user += (f"\nText before (unchanged): …{before}\n\nPassage to rewrite:\n{passage}\n\n"
             f"Text after (unchanged): {after}…")
    return Prompt(PASSAGE_VERSION, PASSAGE_SYSTEM, user)


JUDGE_VERSION = "judge-v1"
JUDGE_SYSTEM = (
    "You review a draft against an editor's rubric before a person reads it. For every place "
    "that breaks a criterion, give the criterion, the exact words of the draft it is about "
    "(copied character for character, a sentence at most; \"\" if it is about the whole "
    "draft) and a short reason. Report nothing that meets the rubric. Answer in JSON only."
)


def judge_prompt(rubric: str, text: str) -> Prompt:
    """The LLM judge (rulebook.checks): a channel's rubric and the version to judge."""
    return Prompt(JUDGE_VERSION, JUDGE_SYSTEM,
                  f"Rubric:\n{rubric.strip()}\n\nDraft:\n{text}")


_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def parse_outline(text: str, fallback_title: str, limit: int = 10
                  ) -> tuple[str, str, list[tuple[str, str]]]:
    """(title, intro Markdown, [(heading, notes)]) from an outline in the asked-for format."""
    title = fallback_title
    intro: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in text.strip().splitlines():
        stripped = line.strip()
        match = _HEADING.match(stripped)
        if match:
            sections.append((match.group(1).strip().strip("*").strip(), []))
        elif stripped.startswith("# ") and not sections and title == fallback_title:
            title = stripped[2:].strip() or fallback_title
        elif sections:
            if stripped:
                sections[-1][1].append(stripped)
        else:
            intro.append(line.rstrip())
    parsed = [(h, " ".join(notes)) for h, notes in sections if h][:limit]
    return title, "\n".join(intro).strip(), parsed


def split_sections(text: str) -> dict[str, str]:
    """The previous version's `## ` sections by heading, to revise each in its own call."""
    found: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        match = _HEADING.match(line.strip())
        if match:
            if current is not None:
                found[current] = "\n".join(lines).strip()
            current = match.group(1).strip()
            lines = [line]
        elif current is not None:
            lines.append(line)
    if current is not None:
        found[current] = "\n".join(lines).strip()
    return found
