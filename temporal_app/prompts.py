"""Versioned prompt templates. Bump a version when its wording changes: it is stored with
every draft version, so an editor can tell which prompt wrote what."""

from __future__ import annotations

from temporal_app.llm import Prompt
from temporal_app.types import DraftBrief

DRAFT_VERSION = "draft-v1"
REVISE_VERSION = "revise-v1"

SYSTEM = (
    "You are a careful staff writer. Write in Markdown: one '# ' title, short sections with "
    "'## ' headings, no HTML. Do not invent quotations or statistics."
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
