"""Checks before a human reads (issue 23): what a check and a finding are, the site's
defaults, what a finding's severity does to a draft, and the sentences. The rest of the
concern, by module: `check_file` (a channel's TOML file, refused line by line),
`check_run` (the deterministic checks on a version's text, milliseconds), `judge` (the LLM
judge's answer as findings).

A check has a `kind`, a `severity` (`block`: the version goes back to the LLM on its own, up
to CHECK_MAX_AUTO_REVISIONS rounds; `warn`: the editor sees it) and the kind's own keys. A
finding points at its passage with the one anchor of rulebook.passages (quote, prefix,
suffix, offsets); a finding about the whole draft (a missing title, the length) has none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from rulebook import passages, revisions


class Kind(StrEnum):
    BANNED = "banned"
    REQUIRED = "required"
    LENGTH = "length"
    PERSONAL_DATA = "personal_data"
    READABILITY = "readability"
    BRAND_TERMS = "brand_terms"
    LINKS = "links"


JUDGE = "judge"  # the kind of an LLM judge's findings (a channel's rubric, not a TOML check)


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class FindingState(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"  # a warning an editor dismissed, with a reason


PERSONAL_DATA = ("emails", "phones", "cards", "ibans")
MAX_AUTO_REVISIONS = 2  # the site's default CHECK_MAX_AUTO_REVISIONS
MAX_CHECKS = 50  # checks in one file
MAX_TERMS = 500  # phrases, patterns, terms or domains in one check
MAX_PATTERN = 300  # characters of one regular expression
MAX_FINDINGS = 100  # per version: more are counted in one last finding, not listed
MAX_REASON = 1_000  # characters of a reason (dismissing a warning, approving over a blocker)
LINK_TIMEOUT_MAX = 10.0  # seconds a reachability check may wait for one URL

@dataclass(frozen=True)
class Check:
    kind: Kind
    severity: Severity
    name: str
    options: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """As stored (Channel.checks) and sent to the activity: the file's own keys."""
        return {"kind": self.kind.value, "severity": self.severity.value, "name": self.name,
                **self.options}


@dataclass(frozen=True)
class Finding:
    check: str  # the check's name
    kind: str
    severity: str
    message: str
    quote: str = ""  # the passage (rulebook.passages' anchor); "": the whole draft
    prefix: str = ""
    suffix: str = ""
    start: int = 0
    end: int = 0
    suggestion: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == Severity.BLOCK


# ------------------------------------------------------------------ the site's defaults

DEFAULT_CHECKS: tuple[Check, ...] = (
    Check(Kind.PERSONAL_DATA, Severity.BLOCK, "personal data"),
    Check(Kind.REQUIRED, Severity.WARN, "title", {"title": True}),
    Check(Kind.LENGTH, Severity.WARN, "length", {"tolerance": 0.5}),
)


def finding_at(name: str, kind: str, severity: str, text: str, start: int, end: int,
               message: str, suggestion: str = "") -> Finding:
    """A finding anchored at text[start:end] (rulebook.passages' anchor)."""
    anchor = passages.anchor_at(text, start, end)
    return Finding(name, kind, severity, message, anchor.quote, anchor.prefix, anchor.suffix,
                   anchor.start, anchor.end, suggestion)


# ------------------------------------------------------------------ what findings do


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]


def auto_revision(findings: Iterable[Finding], rounds_done: int, max_rounds: int) -> bool:
    """Does the version go back to the LLM on its own? Only for blocking findings, and at
    most `max_rounds` times a draft; after that the human decides."""
    return bool(blocking(findings)) and rounds_done < max_rounds


def instructions(findings: Iterable[Finding]) -> str:
    """What the LLM is told to fix, for the findings of one passage or the whole draft."""
    lines = []
    for f in findings:
        fix = f" Suggested: {f.suggestion}" if f.suggestion else ""
        lines.append(f"- {f.message}{fix}")
    return ("An automatic check of this channel found these problems. Fix them and change "
            "nothing else:\n" + "\n".join(lines))


def plan(text: str, findings: Iterable[Finding]
         ) -> tuple[list[tuple[int, int, list[Finding]]], str]:
    """What an automatic round rewrites for the blocking findings: their passages, each
    widened to its sentences and merged where they overlap (a targeted revision: (start,
    end, its findings)), when every one has a passage and they are few enough; else ([],
    what the whole draft must fix)."""
    blocked = blocking(findings)
    if not blocked:
        return [], ""
    if any(not f.quote for f in blocked) or len(blocked) > revisions.MAX_PASSAGES:
        return [], instructions(blocked)
    planned = revisions.plan(text, [(i, f.start, f.end) for i, f in enumerate(blocked)])
    if len(planned) > revisions.MAX_PASSAGES:
        return [], instructions(blocked)
    return [(p.start, p.end, [blocked[i] for i in p.comment_ids]) for p in planned], ""


def unavailable(why: str) -> Finding:
    """The checks could not run: shown as a warning, never taken for a pass."""
    return Finding("checks", "checks", Severity.WARN.value,
                   f"The checks could not run on this version: {why}")


def summary(findings: Iterable[Finding]) -> str:
    """ "2 blocking, 1 warning" (open findings), or ""."""
    findings = list(findings)
    blocks = len(blocking(findings))
    return counted(blocks, len(findings) - blocks)


def counted(blocks: int, warns: int) -> str:
    """ "2 blocking, 1 warning", or "" for none."""
    parts = [f"{blocks} blocking"] if blocks else []
    if warns:
        parts.append(f"{warns} warning{'s' if warns != 1 else ''}")
    return ", ".join(parts)


AUTO_REVISED_LABEL = "revised for checks"


def auto_round_comment(findings: Iterable[Finding], round_: int, max_rounds: int) -> str:
    """The history's line for an automatic round."""
    names = sorted({f.check for f in blocking(findings)})
    return (f"Automatic round {round_} of {max_rounds}: sent back to the LLM for "
            f"{', '.join(names)}.")


def recheck_refusal(awaiting: bool, state_label: str) -> str:
    """Why the checks may not be run again now, or "": only on a version awaiting review."""
    if not awaiting:
        return (f"Checks run again only on a draft awaiting review; this one is "
                f"{state_label.lower()}.")
    return ""


def rechecked_message(number: int, findings: Iterable[Finding]) -> str:
    return f"Checks run again on version {number}: {summary(findings) or 'nothing found'}."


def approve_reason_refusal(open_blockers: int, reason: str) -> str:
    """Why an approval of a version with open blocking findings is refused, or ""."""
    if open_blockers and not reason.strip():
        return (f"This version has {open_blockers} open blocking finding"
                f"{'s' if open_blockers != 1 else ''}; say why you approve it anyway.")
    if len(reason) > MAX_REASON:
        return f"A reason can be at most {MAX_REASON:,} characters."
    return ""


def dismiss_refusal(finding: Finding, state: str, reason: str) -> str:
    """Why a finding may not be dismissed, or ""."""
    if finding.blocking:
        return "A blocking finding cannot be dismissed: fix it, or approve with a reason."
    if state == FindingState.DISMISSED:
        return "This warning was dismissed already."
    if not reason.strip():
        return "Say why you dismiss this warning."
    if len(reason) > MAX_REASON:
        return f"A reason can be at most {MAX_REASON:,} characters."
    return ""
