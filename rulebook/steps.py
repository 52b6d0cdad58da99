"""A review policy's step rules on a snapshot: who may decide at the current step
(`eligibility_refusal`, outside approvers, a step the reviewer no longer sees, a second
approval by the same person, separation of duties) and what an accepted approval leads to
(`after_approval`: the next step, or approved).
"""

from __future__ import annotations

from collections.abc import Iterable

from rulebook.policies import Approval, ReviewPolicy, decides_at, step_words
from rulebook.snapshot import Refusal, Request, Snapshot, invalid
from rulebook.states import WORKBENCH_DECISIONS, DecisionKind, EventKind


def step_approvals(snap: Snapshot) -> list[Approval]:
    """The approvals that count toward the current step: its own, of the current version."""
    return [a for a in snap.approvals if a.step == snap.step and a.version == snap.version]


def eligibility_refusal(policy: ReviewPolicy, step: int, actor_groups: Iterable[str],
                        escalated: bool = False) -> Refusal | None:
    """Refused unless a reviewer in these groups decides at the policy's step (`escalated`:
    its escalation happened, which may let another group decide too)."""
    current = policy.steps[step]
    if decides_at(current, actor_groups, escalated):
        return None
    where = step_words(policy, step)
    if not current.group:
        return Refusal("NotEligible", f"Only the outside approvers named at "
                                      f"{where or 'this step'} decide it.")
    who = f"This draft is at {where}, which members of" if where else "Members of"
    return Refusal("NotEligible", f"{who} {current.group} decide; you are not one of them.")


def step_refusal(snap: Snapshot, request: Request) -> Refusal | None:
    """The policy's rules for an editor's decision at the current step."""
    policy, current = snap.policy, snap.policy.steps[snap.step]
    where = step_words(policy, snap.step)
    if request.step is not None and request.step != snap.step:
        if request.step < snap.step:
            seen = policy.steps[request.step] if request.step < len(policy.steps) else None
            name = f" ({seen.name})" if seen else ""
            return Refusal("StepMoved", f"Step {request.step + 1}{name} already has its "
                                        f"approvals; this draft is now at {where}. Reload "
                                        "the page.")
        return Refusal("StepMoved", f"This draft is at {where or 'its only step'}, not step "
                                    f"{request.step + 1}. Reload the page.")
    if request.outside_email:
        if not current.takes(request.outside_email):
            return Refusal("NotEligible", f"This draft is at {where or 'review'}, which "
                                          f"{request.outside_email} does not decide.")
        if request.kind in WORKBENCH_DECISIONS:
            return invalid("Outside approvers approve, reject or request changes; they do "
                            "not edit.")
    elif request.actor_groups is not None and (
            not_eligible := eligibility_refusal(policy, snap.step, request.actor_groups,
                                                snap.escalated)):
        return not_eligible
    if request.kind not in (DecisionKind.APPROVE, DecisionKind.APPROVE_WITH_EDITS):
        return None
    if request.kind == DecisionKind.APPROVE and any(
            a.actor_id == request.actor_id for a in step_approvals(snap)):
        left = current.required - len(step_approvals(snap))
        return Refusal("AlreadyApproved", f"You already approved version {snap.version}"
                                          f"{' at ' + where if where else ''}; it needs {left} "
                                          f"more approval{'s' if left != 1 else ''} from "
                                          f"{current.group}, by other people.")
    if policy.distinct_across_steps:
        earlier = [a for a in snap.approvals if a.actor_id == request.actor_id
                   and a.step < snap.step]
        if earlier:
            return Refusal("SeparationOfDuties", (
                f"You approved this draft at {step_words(policy, earlier[0].step)}; this "
                "policy needs different people at each step."))
    return None


def after_approval(snap: Snapshot, actor_id: int, edited: bool = False
                   ) -> tuple[EventKind, int]:
    """What an accepted approval leads to: (APPROVED, step) when it completes the last step,
    else (STEP_APPROVED, the step the review is at after it). An edit is a new version, so
    only its author's approval counts toward the step."""
    count = 1 if edited else len(step_approvals(snap)) + 1
    if count < snap.policy.steps[snap.step].required:
        return EventKind.STEP_APPROVED, snap.step
    if snap.step + 1 < len(snap.policy.steps):
        return EventKind.STEP_APPROVED, snap.step + 1
    return EventKind.APPROVED, snap.step
