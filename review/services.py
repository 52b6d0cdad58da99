"""Editors' writes: a decision goes to the workflow as an Update; the workflow records it."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django import db
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from drafts import roles, selectors
from drafts.models import CheckFinding, Draft, DraftVersion
from drafts.services import checks_for
from review.models import Claim
from rulebook import bulk, check_file, claims, decisions, states, steps, suggestions
from rulebook import checks as check_rules
from rulebook.snapshot import Decided, Refusal, Request, Snapshot
from rulebook.states import EDITOR_DECISIONS, PASSAGE_DECISIONS, DecisionKind
from temporal_app import errors, gateway
from temporal_app.types import (
    ChoiceInput,
    DecisionInput,
    DecisionResult,
    ExtendDeadlineInput,
    PassageInput,
    RecheckInput,
    RemindInput,
    ReviewStatus,
    StopInput,
    passage_fields,
)


def snapshot(draft: Draft, *, text: str = "") -> Snapshot:
    """The rulebook's view of a draft row. The row lags the workflow by a moment, so it only
    serves to refuse early: the workflow checks everything again and has the last word."""
    decided = None
    kind = decisions.DECISION_FOR_CLOSED_STATE.get(draft.state)
    if kind is not None:
        who = draft.decided_by_name or "another editor"
        decided = Decided(kind, who, draft.decided_at)
    return Snapshot(state=draft.state, version=draft.current_version,
                    author_id=draft.author_id, revisions=draft.revisions,
                    deadline=draft.deadline, decided=decided, text=text)


def early_refusal(draft: Draft, editor, kind: DecisionKind, version: int, comment: str = "",
                  text: str = "", passages: Sequence[PassageInput] = ()
                  ) -> Refusal | None:
    """What the database already proves is refused (own draft, closed, stale, bad input),
    answered at once and without a worker. Only refusals the row cannot have wrong: the
    revision cap, the deadline and a pending decision are the workflow's to judge."""
    snap = snapshot(draft)
    request = Request(kind, editor.pk, version, comment, text, **passage_fields(passages))
    refusal = decisions.refusal(snap, request, timezone.now())
    if refusal is not None and refusal.code in EARLY_CODES:
        return refusal
    return None


# Refusals the row proves: anything else (e.g. not awaiting review while the row lags a
# revision that just finished) is left to the workflow.
EARLY_CODES = frozenset({"Invalid", "OwnDraft", "AlreadyDecided", "Closed", "StaleVersion"})


def claim(*, user, draft_id: int) -> Claim:
    """Claim a draft for CLAIM_DURATION (or renew one's own claim). Raises Refused when
    someone else holds it or it is not awaiting review; nothing is written then."""
    now = timezone.now()
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft_id)
        held = Claim.objects.filter(draft=draft).select_related("user").first()
        refusal = claims.claim_refusal(
            draft.state, held.user.get_username() if held else "", held.user_id if held else None,
            held.until if held else None, user.pk, now)
        if refusal is None or refusal.code == "Claimed":
            refusal = eligibility_refusal(user, draft) or refusal
        if refusal is not None:
            raise errors.Refused(refusal.sentence, refusal.code)
        until = now + timedelta(seconds=settings.CLAIM_DURATION)
        held, _ = Claim.objects.update_or_create(draft=draft,
                                                 defaults={"user": user, "until": until})
    return held


def release(*, user, draft_id: int) -> bool:
    """The holder lets go of a claim; True if there was one to let go."""
    return Claim.objects.filter(draft_id=draft_id, user=user).delete()[0] > 0


def active_claim(draft: Draft) -> Claim | None:
    held = _claim_of(draft)
    return held if held is not None and held.active(timezone.now()) else None


def _claim_of(draft: Draft) -> Claim | None:
    """The draft's claim row (joined already when the draft was read with it)."""
    if Draft.claim.is_cached(draft):
        try:
            return draft.claim
        except Claim.DoesNotExist:
            return None
    return Claim.objects.filter(draft=draft).select_related("user").first()


def eligibility_refusal(user, draft: Draft) -> Refusal | None:
    """Why `user` may not decide at the step the draft is at (as far as the row knows)."""
    return (decisions.own_draft_refusal(draft.author_id, user.pk)
            or steps.eligibility_refusal(draft.policy, draft.current_index,
                                         roles.reviewer_groups(user), draft.escalated))


def decide(*, editor, decision: str, version: int, comment: str = "", text: str = "",
           step: int | None = None, confirm_claim: bool = False, draft: Draft | None = None,
           draft_id: int | None = None, passages: list[PassageInput] | None = None,
           choices: list[ChoiceInput] | None = None) -> DecisionResult:
    """Send the decision and return the workflow's answer. Raises DecisionRefused (with the
    sentence to show), EngineUnavailable (nothing was recorded) or DecisionAccepted.
    A request for changes rewrites only the version's open commented passages, when it has
    any (`passages`: selectors.revision_passages, read here when not given)."""
    kind = DecisionKind(decision)
    if draft is None:
        draft = Draft.objects.select_related("decided_by", "claim__user").get(pk=draft_id)
    if kind not in PASSAGE_DECISIONS:
        passages = []
    elif passages is None:
        passages = selectors.revision_passages(draft)
    refusal = early_refusal(draft, editor, kind, version, comment, text, passages)
    held = _claim_of(draft)
    if refusal is None and held is not None:
        refusal = claims.claim_override_refusal(
            held.user.get_username(), held.user_id, held.until, editor.pk, timezone.now(),
            confirm_claim)
    if refusal is not None:
        raise errors.DecisionRefused(refusal.sentence, refusal.code)
    result = gateway.decide(draft.pk, kind, DecisionInput(
        actor_id=editor.pk, actor=editor.get_username(), version=version, comment=comment,
        text=text, actor_groups=sorted(roles.reviewer_groups(editor)), step=step,
        passages=passages, choices=choices or []))
    # A decision releases the decider's claim; one that closed the review, anyone's (the
    # workbench's edits and suggestions keep it: the review goes on).
    if held is not None and kind in EDITOR_DECISIONS and (
            held.user_id == editor.pk or states.ReviewState(result.state).is_final):
        Claim.objects.filter(pk=held.pk).delete()
    return result


def choose(*, editor, draft: Draft, version: int, choices: dict[int, str],
           step: int | None = None, confirm_claim: bool = False) -> DecisionResult:
    """The editor's choices among the changes of `version` (the current one): the text they
    make (rulebook.suggestions.edit) goes to the workflow as an `edit` Update, a new version
    "edited by <editor> from suggestions"; the review goes on. Raises DecisionRefused when
    the choices do not fit (nothing is sent), or what `decide` raises."""
    text = DraftVersion.objects.filter(draft=draft, number=version) \
        .values_list("text", flat=True).first()
    if text is None or version != draft.current_version:
        raise errors.DecisionRefused(suggestions.STALE, "StaleVersion")
    offers = [c.offer() for c in selectors.version_changes(draft, version) if c.choosable]
    try:
        edited = suggestions.edit(text, offers, choices)
    except suggestions.ChoiceError as err:
        raise errors.DecisionRefused(str(err), err.code) from None
    return decide(
        editor=editor, decision=DecisionKind.EDIT.value, version=version, draft=draft,
        comment=suggestions.edit_comment(len(edited.accepted), len(edited.rejected)),
        text=edited.text, step=step, confirm_claim=confirm_claim,
        choices=[ChoiceInput(change_id=cid, accepted=cid in edited.accepted,
                             start=start, end=end)
                 for cid, (start, end) in edited.placed.items()])


def suggest(*, editor, draft: Draft, comment_id: int, version: int, step: int | None = None,
            confirm_claim: bool = False) -> DecisionResult:
    """"Suggest a rewrite" of one thread's passage: one LLM call (the workflow's `suggest`
    Update), its answer stored as a change of the current version to accept or reject."""
    thread = selectors.comment_threads(draft).filter(pk=comment_id).first()
    if thread is None:
        raise errors.DecisionRefused("That comment is gone (deleted).", "NoSuchComment")
    passages = selectors.revision_passages(draft, threads=[thread])
    if not passages:
        raise errors.DecisionRefused(suggestions.NOTHING_TO_SUGGEST, "NotOnPassage")
    return decide(editor=editor, decision=DecisionKind.SUGGEST.value, version=version,
                  draft=draft, step=step, confirm_claim=confirm_claim, passages=passages)



def recheck(*, editor, draft: Draft) -> DecisionResult:
    """Run the checks again on the version awaiting review, with the draft's channel's checks
    as they are now (an admin may have changed them since it was submitted). Raises
    Refused, DecisionRefused (the workflow's) or EngineUnavailable (nothing recorded)."""
    if own := decisions.own_draft_refusal(draft.author_id, editor.pk):
        raise errors.Refused(own.sentence, own.code)
    if why := check_rules.recheck_refusal(draft.awaiting_review, draft.state.label):
        raise errors.Refused(why, "NotAwaiting")
    try:
        stored = checks_for(draft.channel) or []
    except check_file.ChecksError as err:
        raise errors.Refused(f"The channel's checks cannot be read ({err.problems[0]}); ask "
                             "an admin to fix them.", "Invalid") from None
    return gateway.recheck(draft.pk, RecheckInput(actor_id=editor.pk,
                                                  actor=editor.get_username(), checks=stored))


def dismiss_finding(*, editor, draft: Draft, finding_id: int, reason: str) -> CheckFinding:
    """An editor dismisses a warning of the current version's checks, saying why (kept on the
    finding and shown with it). Raises Refused: a blocking finding, one dismissed already,
    one of another version, no reason, or not an editor who may review the draft."""
    if own := decisions.own_draft_refusal(draft.author_id, editor.pk):
        raise errors.Refused(own.sentence, own.code)
    with transaction.atomic():
        finding = CheckFinding.objects.select_for_update().filter(
            pk=finding_id, draft=draft).first()
        if finding is None:
            raise errors.Refused("That finding is not one of this draft's.", "NotFound")
        if finding.version != draft.current_version or not draft.awaiting_review:
            raise errors.Refused(f"That finding is on version {finding.version}; only the "
                                 "current version's, while it awaits review, can be "
                                 "dismissed.", "StaleVersion")
        refusal = check_rules.dismiss_refusal(finding.as_rule(), finding.state, reason)
        if refusal:
            raise errors.Refused(refusal, "Invalid")
        finding.state = check_rules.FindingState.DISMISSED.value
        finding.dismissed_by, finding.dismiss_reason = editor, reason.strip()
        finding.dismissed_at = timezone.now()
        finding.save(update_fields=["state", "dismissed_by", "dismiss_reason", "dismissed_at"])
    return finding


@dataclass(frozen=True)
class BulkOutcome:
    """One draft's answer in a bulk decision."""

    draft_id: int
    decided: bool  # the workflow recorded it (or accepted it: `sentence` says which)
    recorded: bool  # False with decided False: the engine did not answer, NOT recorded
    sentence: str


def bulk_decide(*, editor, items: list[tuple[int, int]], decision: str, comment: str = ""
                ) -> list[BulkOutcome]:
    """Approve or reject several drafts, each (draft id, the version the editor saw) as its
    own Update through `decide`, a few at a time; one outcome per draft, in the given order.
    Raises DecisionRefused when the batch itself is refused (too many, reject without a
    reason); nothing is sent then."""
    kind = DecisionKind(decision)
    refusal = bulk.bulk_refusal(len(items), kind, comment)
    if refusal is not None:
        raise errors.DecisionRefused(refusal.sentence, refusal.code)

    def one(item: tuple[int, int]) -> BulkOutcome:
        draft_id, version = item
        try:
            result = decide(editor=editor, draft_id=draft_id, decision=decision,
                            version=version, comment=comment)
            return BulkOutcome(draft_id, True, True, result.message)
        except Draft.DoesNotExist:
            return BulkOutcome(draft_id, False, True, f"There is no draft #{draft_id}.")
        except errors.DecisionAccepted as err:
            return BulkOutcome(draft_id, True, True, str(err))
        except errors.EngineUnavailable as err:
            return BulkOutcome(draft_id, False, False, str(err))
        except errors.Refused as err:
            return BulkOutcome(draft_id, False, True, str(err))
        finally:
            db.connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(max_workers=BULK_CONCURRENCY) as pool:
        return list(pool.map(one, items))


BULK_CONCURRENCY = 8


# ------------------------------------------------------------------ admins' actions on a run


def extend_deadline(*, admin, draft_id: int, hours: float) -> str:
    """An Update: the workflow moves its deadline and records `deadline_extended`."""
    result = gateway.extend_deadline(draft_id, ExtendDeadlineInput(
        seconds=hours * 3600, actor_id=admin.pk, actor=admin.get_username()))
    return f"{result.message} New deadline: {result.deadline:%Y-%m-%d %H:%M} UTC."


def cancel_review(*, admin, draft_id: int, reason: str) -> str:
    return gateway.decide(draft_id, DecisionKind.CANCEL, StopInput(
        comment=reason, actor_id=admin.pk, actor=admin.get_username())).message


def resend_reminder(*, admin, draft_id: int) -> str:
    return gateway.resend_reminder(draft_id, RemindInput(
        actor_id=admin.pk, actor=admin.get_username())).message


def review_status(draft_id: int) -> ReviewStatus:
    """The running workflow's own answer (its `status` query) for the admins' details."""
    return gateway.query_status(draft_id)
