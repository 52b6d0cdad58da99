"""Review policies: a policy's steps (`ReviewStep`, `ReviewPolicy`, `DEFAULT_POLICY`), what is
wrong with one an admin defines (`policy_problems`), who decides at a step (`decides_at`), the
approvals counted (`Approval`), the progress line (`step_progress`), the Temporal UI's current
details (`current_details`) and the words for a step and a vote.

The rules of a decision at a step (eligibility, quorum, separation of duties, what an approval
leads to) are decisions.py's: they read a Snapshot.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rulebook.inputs import MAX_EXTENSION_SECONDS, MIN_EXTENSION_SECONDS
from rulebook.states import ReviewState

# The group of people who review under the default policy (Django group of that name; admins
# may do what its members do).
EDITORS_GROUP = "Editors"
STEP_NAME_MAX = 100
MAX_STEPS = 10
MAX_REQUIRED = 20


@dataclass(frozen=True)
class ReviewStep:
    """One step of a review policy: `required` distinct members of `group`, or outside
    approvers named by email (`outside`, people without an account, who decide through a
    signed link), approve the same version. `review_seconds`: the step's own deadline (0:
    the review's)."""

    name: str
    group: str
    required: int = 1
    review_seconds: float = 0.0
    outside: list[str] = dataclasses.field(default_factory=list)
    # Escalation (Escalation): after `escalate_after_seconds` at the step without a decision,
    # tell `escalate_to` (a group), let it decide here too, or end the review as expired.
    escalation: str = ""  # an Escalation value; "": none
    escalate_after_seconds: float = 0.0
    escalate_to: str = ""

    @property
    def escalates(self) -> bool:
        return bool(self.escalation) and self.escalate_after_seconds > 0

    def takes(self, email: str) -> bool:
        return email.strip().lower() in {e.strip().lower() for e in self.outside}


class Escalation(StrEnum):
    """What a step does after its escalation time without a decision (a durable timer in the
    review's workflow, shown on the draft page and in its history)."""

    NOTIFY = "notify"  # mail the escalation group
    ADD_DECIDERS = "add_deciders"  # its members may decide at the step too (and are mailed)
    EXPIRE = "expire"  # end the review as expired, as the deadline would


ESCALATION_LABELS = {
    Escalation.NOTIFY: "notify the escalation group",
    Escalation.ADD_DECIDERS: "let the escalation group decide too",
    Escalation.EXPIRE: "end the review as expired",
}


def escalation_words(step: ReviewStep) -> str:
    """ "notify Managing editors" / "let Managing editors decide too" / "end the review as
    expired" (the draft page, the history's comment)."""
    action = Escalation(step.escalation)
    if action == Escalation.NOTIFY:
        return f"notify {step.escalate_to}"
    if action == Escalation.ADD_DECIDERS:
        return f"let {step.escalate_to} decide too"
    return ESCALATION_LABELS[action]


def outside_actor_id(email: str) -> int:
    """A stable id for an outside approver (no account): negative, so never a user's."""
    return -1 - (zlib.crc32(email.strip().lower().encode()) & 0x7FFFFFFF)


@dataclass(frozen=True)
class ReviewPolicy:
    """Ordered steps; `distinct_across_steps`: one person counts at most once in the whole
    chain (separation of duties). Copied into the review when it starts: editing a policy
    changes new drafts only."""

    name: str = "Default"
    steps: list[ReviewStep] = dataclasses.field(default_factory=lambda: [
        ReviewStep("Review", EDITORS_GROUP, 1)])
    distinct_across_steps: bool = False

    @property
    def is_chain(self) -> bool:
        """More than today's one approval by one editor."""
        return len(self.steps) > 1 or self.steps[0].required > 1


DEFAULT_POLICY = ReviewPolicy()


def policy_from_data(data: dict | None) -> ReviewPolicy:
    """A policy stored as JSON (dataclasses.asdict of one); empty: the default policy."""
    if not data:
        return DEFAULT_POLICY
    return ReviewPolicy(name=data["name"], steps=[ReviewStep(**step) for step in data["steps"]],
                        distinct_across_steps=data.get("distinct_across_steps", False))


def policy_problems(policy: ReviewPolicy) -> list[str]:
    """What is wrong with a policy an admin defines (one sentence each; empty when fine)."""
    problems = []
    if not policy.steps:
        problems.append("A policy needs at least one step.")
    if len(policy.steps) > MAX_STEPS:
        problems.append(f"A policy has at most {MAX_STEPS} steps.")
    for number, step in enumerate(policy.steps, 1):
        if not step.group and not step.outside:
            problems.append(f"Step {number} ({step.name}) needs a group or outside approvers.")
        if any("@" not in e or len(e.split()) != 1 for e in step.outside):
            problems.append(f"Step {number} ({step.name}): outside approvers are email "
                            "addresses, one per line.")
        if not step.group and step.required > len(step.outside):
            problems.append(f"Step {number} ({step.name}) needs {step.required} approvals but "
                            f"names {len(step.outside)} outside approvers and no group.")
        if not 1 <= step.required <= MAX_REQUIRED:
            problems.append(f"Step {number} ({step.name}) must need between 1 and "
                            f"{MAX_REQUIRED} approvals.")
        if step.review_seconds and not (
                MIN_EXTENSION_SECONDS <= step.review_seconds <= MAX_EXTENSION_SECONDS):
            problems.append(f"Step {number} ({step.name}): a deadline is between a minute "
                            "and 30 days.")
        problems += _escalation_problems(number, step)
    return problems


def _escalation_problems(number: int, step: ReviewStep) -> list[str]:
    where = f"Step {number} ({step.name})"
    if not step.escalation:
        if step.escalate_after_seconds or step.escalate_to:
            return [f"{where}: choose what happens at the escalation time, or clear it."]
        return []
    if step.escalation not in {e.value for e in Escalation}:
        return [f"{where}: escalation is one of {', '.join(e.value for e in Escalation)}."]
    problems = []
    if not MIN_EXTENSION_SECONDS <= step.escalate_after_seconds <= MAX_EXTENSION_SECONDS:
        problems.append(f"{where}: escalation comes after between a minute and 30 days.")
    if step.escalation == Escalation.EXPIRE:
        if step.escalate_to:
            problems.append(f"{where}: ending the review as expired tells no group; leave "
                            "the escalation group empty.")
    elif not step.escalate_to:
        problems.append(f"{where}: name the escalation group (to "
                        f"{ESCALATION_LABELS[Escalation(step.escalation)]}).")
    elif step.escalate_to == step.group:
        problems.append(f"{where}: the escalation group is the step's own group; choose "
                        "another one.")
    if step.review_seconds and step.escalate_after_seconds >= step.review_seconds:
        problems.append(f"{where}: escalation comes after the step's deadline, so it would "
                        "never happen; make it sooner.")
    return problems


@dataclass(frozen=True)
class Approval:
    """An approval counted in the current round (since the version that started at step 1)."""

    actor_id: int
    actor: str
    step: int  # index into the policy's steps
    version: int


def step_words(policy: ReviewPolicy, step: int) -> str:
    """ "step 2 of 3, Legal" (or "" for a one-step policy)."""
    if len(policy.steps) == 1:
        return ""
    return f"step {step + 1} of {len(policy.steps)}, {policy.steps[step].name}"


def decides_at(step: ReviewStep, actor_groups: Iterable[str], escalated: bool = False
               ) -> bool:
    """Does a reviewer in these groups decide at this step? (Outside approvers decide by
    their email, through their link: ReviewStep.takes.) Once the step `escalated` and its
    escalation adds deciders, its escalation group does too."""
    groups = set(actor_groups)
    if escalated and step.escalation == Escalation.ADD_DECIDERS and step.escalate_to in groups:
        return True
    return bool(step.group) and step.group in groups


@dataclass(frozen=True)
class StepProgress:
    """One step on the progress line: done, current or waiting, and who approved at it."""

    number: int  # from 1
    rule: ReviewStep
    status: str  # "done", "current", "waiting" (presentation words, not states)
    names: tuple[str, ...]

    @property
    def is_done(self) -> bool:
        return self.status == "done"

    @property
    def is_current(self) -> bool:
        return self.status == "current"

    @property
    def summary(self) -> str:
        """ "1 of 2 approvals: legal1" for the current step; the names for a done one."""
        who = ", ".join(self.names)
        if self.status == "current":
            return (f"{len(self.names)} of {self.rule.required} approval"
                    f"{'s' if self.rule.required != 1 else ''}" + (f": {who}" if who else ""))
        return who


def step_progress(policy: ReviewPolicy, step: int, approvals: list[Approval], version: int,
                  final: bool = False) -> list[StepProgress]:
    """Each step with its status and the names counted at it (a done step's approvals of any
    version of this round; the current step's of the current version only)."""
    rows = []
    for index, rule in enumerate(policy.steps):
        done = index < step or final
        names = tuple(a.actor for a in approvals
                      if a.step == index and (done or a.version == version))
        status = "done" if done else "current" if index == step else "waiting"
        rows.append(StepProgress(index + 1, rule, status, names))
    return rows


def current_details(state: ReviewState, version: int, policy: ReviewPolicy, step: int,
                    approvals: list[Approval]) -> str:
    """What the Temporal UI shows as the review's current details: the state, the version
    and, under a chain, every step with its count. Counts only, never names: no personal data
    leaves the database for the engine's UI."""
    lines = [f"**{state.label}**, version {version}"]
    if policy.is_chain and state == ReviewState.AWAITING_REVIEW:
        for row in step_progress(policy, step, approvals, version):
            mark = {"done": "✓", "current": "→"}.get(row.status, "·")
            count = ("done" if row.is_done else f"{len(row.names)} of {row.rule.required}"
                     if row.is_current else f"{row.rule.required} needed")
            lines.append(f"{mark} step {row.number}, {row.rule.name}: {count}")
    return "\n".join(lines)


def vote_message(policy: ReviewPolicy, actor: str, step_before: int, step_after: int,
                 counted: int) -> str:
    """The answer to an approval that does not close the review."""
    if step_after > step_before:
        return (f"Approved by {actor}: {step_words(policy, step_before)} is complete; the "
                f"draft goes to {step_words(policy, step_after)}.")
    rule = policy.steps[step_before]
    where = step_words(policy, step_before)
    return (f"Approved by {actor}: {counted} of {rule.required} approvals"
            f"{' at ' + where if where else ''}.")
