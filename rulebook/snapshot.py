"""What a decision is asked of and by: `Snapshot` (what the rule knows of a review),
`Request` (the decision someone asks for), `Decided` (one in flight or the one that closed
it) and `Refusal` (why not, for people and programs). Plain values: the workflow builds a
snapshot from its own fields, the web from the draft row. The rules on them live in
`steps` (the policy's step rules) and `decisions` (the decision rule itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rulebook import budgets
from rulebook import checks as checks_rules
from rulebook.policies import DEFAULT_POLICY, Approval, ReviewPolicy
from rulebook.states import DecisionKind, ReviewState


@dataclass(frozen=True)
class Decided:
    """A decision in flight or the one that closed the review."""

    kind: DecisionKind
    actor: str
    at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """What the rule needs to know about a review. `text` is the current version's text when
    known ("" = unknown: the unchanged-edit rule is then left to the workflow)."""

    state: ReviewState
    version: int
    author_id: int
    revisions: int = 0
    max_revisions: int = 3
    deadline: datetime | None = None
    decided: Decided | None = None
    text: str = ""
    extensions: int = 0
    reminder_pending: bool = False
    policy: ReviewPolicy = DEFAULT_POLICY
    due_at: datetime | None = None  # the author's due date: no deadline goes past it
    step: int = 0  # the current step (index into policy.steps)
    escalated: bool = False  # the current step's escalation happened (rulebook.policies)
    approvals: tuple[Approval, ...] = ()  # this round's, accepted so far (recorded or not)
    suggestions: int = 0  # rewrites suggested on the current version (rulebook.suggestions)
    # What the draft may spend and has spent on the LLM, and what the current version cost
    # to write (rulebook.budgets: a revision is estimated from it). None: not checked.
    budget: budgets.Budget | None = None
    spent: budgets.Spent = budgets.Spent()
    last_version: budgets.Spent = budgets.Spent()
    # Checks before a human reads (rulebook.checks): the draft's checks, its brief's length,
    # and the current version's open blocking findings (approving over them needs a reason).
    checks: tuple[checks_rules.Check, ...] = ()
    target_words: int = 0
    open_blockers: int = 0


@dataclass(frozen=True)
class Request:
    """A decision someone asks for. `version` is the version they read (None for withdraw and
    cancel, which apply to whatever is current); `expires_at` is when the caller stops waiting
    for the answer: after it the decision is refused, so "not recorded" stays true."""

    kind: DecisionKind
    actor_id: int
    version: int | None = None
    comment: str = ""
    text: str = ""
    expires_at: datetime | None = None
    # The reviewer's groups (admins: also EDITORS_GROUP), for step eligibility; None = not
    # said (signals from the CLI, callers from before policies): not checked.
    actor_groups: frozenset[str] | None = None
    step: int | None = None  # the step the reviewer saw (None: not said, not checked)
    outside_email: str = ""  # an outside approver's, deciding through their link
    # request_changes: the commented passages to rewrite, (start, end, text) on `version`
    # (rulebook.revisions); suggest: the one passage. Their threads' lines, checked like any
    # text. edit: `text` is the version the editor's choices make (rulebook.suggestions).
    passages: tuple[tuple[int, int, str], ...] = ()
    threads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    code: str  # stable, for programs: AlreadyDecided, StaleVersion, …
    sentence: str  # for people, shown as is
    field: str = ""  # the input at fault, for forms: "comment", "text", "version"

    def __str__(self) -> str:
        return self.sentence


def invalid(sentence: str, field: str = "") -> Refusal:
    return Refusal("Invalid", sentence, field)
