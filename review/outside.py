"""Outside approvers: people without an account who decide at a policy step through a signed,
expiring, single-use link mailed to them.

The URL carries only a signed nonce (django.core.signing, salted, timestamped); the
OutsideLink row says which draft, version, step and email it is for. A link is refused when
its signature does not verify (tampered), after OUTSIDE_LINK_TTL, once used, and as soon as
the draft has moved on (another version, another step, or the review ended). Its decision goes
to the review workflow like any other, as an Update whose rulebook check names the email; it
is marked used only once the workflow recorded it, so an engine that did not answer leaves it
usable, and the history shows the email.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from drafts.models import Draft
from review.models import OutsideLink
from rulebook import decisions, policies, snapshot
from rulebook.states import DecisionKind
from temporal_app import errors, gateway
from temporal_app.types import DecisionInput, DecisionResult

SALT = "redline.outside-approver"
DECISIONS = (DecisionKind.APPROVE, DecisionKind.REQUEST_CHANGES, DecisionKind.REJECT)
INVALID = "This link is not valid. Use the link from your latest email, whole."
EXPIRED = "This link has expired. Ask the person who sent it for a new one."
MOVED_ON = ("This draft has moved on since this link was sent (a newer version, the next step, "
            "or the review ended), so the link is no longer needed.")


def used_sentence(link: OutsideLink) -> str:
    return (f"This link was already used on {link.used_at:%Y-%m-%d %H:%M} UTC "
            f"({DecisionKind(link.decision).label.lower()}); each link works once.")


def link_for(draft: Draft, email: str) -> str:
    """The URL for `email` at the draft's current version and step (the same URL again for
    a mail sent twice)."""
    link, _ = OutsideLink.objects.get_or_create(
        draft=draft, version=draft.current_version, step=draft.step, email=email.strip().lower(),
        defaults={"nonce": uuid.uuid4()})
    token = signing.dumps({"n": str(link.nonce)}, salt=SALT)
    return f"{settings.SITE_URL}{reverse('outside', args=[token])}"


@dataclass(frozen=True)
class Opened:
    link: OutsideLink
    draft: Draft
    text: str  # the version to decide on


def _resolve(token: str, *, lock: bool = False) -> OutsideLink:
    try:
        nonce = signing.loads(token, salt=SALT, max_age=settings.OUTSIDE_LINK_TTL)["n"]
    except signing.SignatureExpired:
        raise errors.Refused(EXPIRED, "LinkExpired") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise errors.Refused(INVALID, "LinkInvalid") from None
    links = OutsideLink.objects.select_related("draft")
    if lock:
        links = links.select_for_update(of=("self",))
    link = links.filter(nonce=nonce).first()
    if link is None:
        raise errors.Refused(INVALID, "LinkInvalid")
    if link.used_at is not None:
        raise errors.Refused(used_sentence(link), "LinkUsed")
    draft = link.draft
    if (not draft.awaiting_review or draft.current_version != link.version
            or draft.step != link.step):
        raise errors.Refused(MOVED_ON, "LinkMovedOn")
    return link


def open_link(token: str) -> Opened:
    """What the link's page shows; Refused with the sentence when the link cannot be used."""
    link = _resolve(token)
    return Opened(link, link.draft, link.draft.versions.get(number=link.version).text)


def decide(token: str, decision: str, comment: str = "") -> DecisionResult:
    """The outside approver's decision, as the workflow's answer. Raises Refused (the link,
    or the rulebook), or EngineUnavailable (nothing recorded; the link still works)."""
    kind = DecisionKind(decision)
    if kind not in DECISIONS:
        raise errors.DecisionRefused("Choose approve, request changes or reject.", "Invalid")
    refusal = decisions.input_refusal(snapshot.Request(kind, 0, 1, comment=comment))
    if refusal is not None:
        raise errors.DecisionRefused(refusal.sentence, refusal.code)
    with transaction.atomic():
        link = _resolve(token, lock=True)  # held until recorded: one use wins
        result = gateway.decide(link.draft_id, kind, DecisionInput(
            actor_id=policies.outside_actor_id(link.email), actor=link.email,
            version=link.version, comment=comment, step=link.step, outside_email=link.email))
        link.used_at, link.decision = timezone.now(), kind.value
        link.save(update_fields=["used_at", "decision"])
    return result
