"""What people may type: the input limits (brief, comment, edited text, deadline extensions),
the target lengths, and the sentences that say what is wrong with a piece of text
(`text_problem`, `brief_problems`). Imports nothing of the rulebook.
"""

from __future__ import annotations

import re

TOPIC_MAX = 200
BRIEF_MAX = 4000
AUDIENCE_MAX = 200
TONE_MAX = 100
COMMENT_MAX = 4000
TEXT_MAX = 100_000
MAX_EXTENSIONS = 10
MIN_EXTENSION_SECONDS = 60.0
MAX_EXTENSION_SECONDS = 30 * 24 * 3600.0
# Target lengths the author can pick (words, label).
LENGTHS = ((300, "Short (about 300 words)"), (600, "Medium (about 600 words)"),
           (1200, "Long (about 1,200 words)"))
DEFAULT_LENGTH = 600


# C0 controls and DEL, except tab and line breaks; line breaks (CR, LF and Unicode's) apart.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


def text_problem(value: str, what: str, limit: int, *, line: bool = False) -> str:
    """A sentence saying what is wrong with a piece of user text, or "" if nothing.
    PostgreSQL cannot store U+0000, so a NUL byte is refused at every boundary; other control
    characters too, and line breaks where one line is meant (`line`: a topic, a mail
    subject)."""
    if "\x00" in value:
        return f"{what} contains a NUL character (U+0000), which cannot be stored; remove it."
    if line and _LINE_BREAK.search(value):
        return f"{what} must be one line; remove the line break."
    if control := _CONTROL.search(value):
        return (f"{what} contains a control character (U+{ord(control.group()):04X}); "
                "remove it.")
    if len(value) > limit:
        return (f"{what} is too long: at most {limit:,} characters (it has {len(value):,}).")
    return ""


# The brief's fields: (label, limit, one line?). Plain text: the LLM gets them verbatim.
BRIEF_FIELDS = {
    "topic": ("The topic", TOPIC_MAX, True),
    "brief": ("The brief", BRIEF_MAX, False),
    "audience": ("The audience", AUDIENCE_MAX, True),
    "tone": ("The tone", TONE_MAX, True),
}


def brief_problems(**values: str) -> dict[str, str]:
    """{field: sentence} for each brief field (topic, brief, audience, tone) that is wrong;
    empty when all are fine. The form and the submit service both ask this."""
    problems = {}
    for field, value in values.items():
        what, limit, line = BRIEF_FIELDS[field]
        if field == "topic" and not value.strip():
            problems[field] = "Enter a topic."
        elif problem := text_problem(value, what, limit, line=line):
            problems[field] = problem
        elif _TAG.search(value):
            problems[field] = f"{what} must be plain text, not HTML."
    return problems
