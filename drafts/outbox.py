"""The mail outbox: mail queued by the projection (one row per event the rulebook mails about)
and sent by `send_due`, one batch per call of the MailOutbox workflow's activity
(temporal_app/activities/outbox.py).

A batch claims due rows (SELECT … FOR UPDATE SKIP LOCKED, so several workers never send the
same row), resolves recipients by the rulebook's audience, sends, and marks each row sent, to
be retried with backoff, or given up after OUTBOX_MAX_ATTEMPTS (logged; visible to admins).
Each address a row was handed over for is recorded right after its send (`delivered_to`), so
a sender killed mid-batch leaves only the rest to the next one; and every mail carries a
Message-ID fixed by its rows and address, so the one copy a kill between "accepted" and that
record can cause is the same message again, shown once by mail systems.
Someone with more than `digest_threshold` mails in one batch gets one digest instead.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from drafts.models import Draft, OutboxMail
from review import outside
from rulebook.deadlines import duration_words
from rulebook.states import NOTIFY, Audience, EventKind

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120  # a claimed row is retried if its sender died before marking it


def outside_approvers(draft: Draft) -> list[str]:
    """The outside approvers (emails) of the step the draft is at, each mailed their link."""
    return [e.strip().lower() for e in draft.current_step.outside]


def recipients(draft: Draft, audience: Audience) -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if audience == Audience.EDITORS:
        users = users.filter(groups__name=draft.current_step.group).exclude(pk=draft.author_id)
        return sorted(set(users.values_list("email", flat=True)) | set(outside_approvers(draft)))
    elif audience == Audience.ESCALATION:
        group = draft.current_step.escalate_to
        if not group:
            return []
        users = users.filter(groups__name=group).exclude(pk=draft.author_id)
    elif audience == Audience.AUTHOR_AND_ADMINS:
        users = users.filter(is_staff=True) | users.filter(pk=draft.author_id)
    elif audience == Audience.ADMINS:
        users = users.filter(is_staff=True)
    else:
        users = users.filter(pk=draft.author_id)
    return sorted(set(users.values_list("email", flat=True)))


def _one_line(text: str) -> str:
    """Header-safe: a topic with CR/LF (a hand-made POST) must not break every mail."""
    return " ".join(text.split())


def subject_of(row: OutboxMail) -> str:
    template = NOTIFY[EventKind(row.kind)][1]
    return template.format(id=row.draft_id, topic=_one_line(row.draft.topic)[:80])


def body_of(row: OutboxMail, address: str = "") -> str:
    body = f"{subject_of(row)}\n\nVersion {row.version}."
    if row.comment:
        body += f"\n\nComment: {row.comment}"
    if address and address in outside_approvers(row.draft) and \
            NOTIFY[EventKind(row.kind)][0] == Audience.EDITORS and row.draft.awaiting_review:
        return body + ("\n\nReview it here (this link is yours alone, works once and expires "
                       f"in {duration_words(settings.OUTSIDE_LINK_TTL)}):\n"
                       f"{outside.link_for(row.draft, address)}\n")
    return body + f"\n\n{settings.SITE_URL}/drafts/{row.draft_id}/\n"


def _claim(batch: int) -> list[OutboxMail]:
    now = timezone.now()
    with transaction.atomic():
        rows = list(OutboxMail.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("draft")
                    .filter(status=OutboxMail.Status.PENDING, next_attempt_at__lte=now)
                    .order_by("next_attempt_at", "pk")[:batch])
        if rows:
            OutboxMail.objects.filter(pk__in=[r.pk for r in rows]).update(
                next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    return rows


def send_due(batch: int = 200, digest_threshold: int = 5) -> tuple[int, int]:
    """Send one batch of due mail; (rows sent, rows given up)."""
    rows = _claim(batch)
    if not rows:
        return 0, 0
    by_address: dict[str, list[OutboxMail]] = defaultdict(list)
    audiences: dict[tuple, list[str]] = {}  # one query per audience and author, not per row
    for row in rows:
        audience = NOTIFY[EventKind(row.kind)][0]
        key = (audience, row.draft.author_id, row.draft.current_step.group)
        if key not in audiences:
            audiences[key] = recipients(row.draft, audience)
        row.to = audiences[key]
        for address in row.to:
            by_address[address].append(row)
    failed_rows: dict[int, str] = {}
    connection = get_connection()
    for address, mine in by_address.items():
        mine = [row for row in mine if address not in row.delivered_to]  # sent before a crash
        if not mine:
            continue
        if len(mine) > digest_threshold:
            messages = [(f"Redline: {len(mine)} updates on drafts",
                         "\n\n".join(body_of(r, address) for r in mine), mine)]
        else:  # one message per recipient: nobody sees the others
            messages = [(subject_of(row), body_of(row, address), [row]) for row in mine]
        try:
            for subject, body, covered in messages:
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address],
                             connection=connection,
                             headers={"Message-ID": message_id(covered, address)}).send()
                _delivered(covered, address)
        except Exception as err:  # noqa: BLE001 - any mail failure is recorded per row
            for row in mine:
                if address not in row.delivered_to:
                    failed_rows[row.pk] = f"{type(err).__name__}: {err}"
    return _settle(rows, failed_rows)


def message_id(rows: list[OutboxMail], address: str) -> str:
    """The same Message-ID every time this mail is sent to this address: should a sender die
    between the mail server's "accepted" and recording it, the copy sent again is the same
    message, which mail systems show once (RFC 5322 3.6.4)."""
    digest = hashlib.sha256("|".join([address, *sorted(r.key for r in rows)]).encode())
    domain = urlsplit(settings.SITE_URL).hostname or "redline.invalid"
    return f"<redline.{digest.hexdigest()[:32]}@{domain}>"


def _delivered(rows: list[OutboxMail], address: str) -> None:
    """Record that `address` was handed these rows' mail: one UPDATE per distinct list."""
    for row in rows:
        row.delivered_to = [*row.delivered_to, address]
    _update_grouped(rows, ["delivered_to"])


def _update_grouped(rows: list[OutboxMail], fields: list[str]) -> None:
    """Write `fields` of `rows` with one UPDATE per distinct set of values: a batch of mail
    that went out alike is one statement (bulk_update's CASE per row and field cost more
    CPU than sending the mail, measured in bench/run.py's profile)."""
    groups: dict[str, tuple[dict, list[int]]] = defaultdict(lambda: ({}, []))
    for row in rows:
        values = {f: getattr(row, f) for f in fields}
        key = repr(sorted(values.items()))
        groups[key][0].update(values)
        groups[key][1].append(row.pk)
    for values, pks in groups.values():
        OutboxMail.objects.filter(pk__in=pks).update(**values)


def _settle(rows: list[OutboxMail], failed_rows: dict[int, str]) -> tuple[int, int]:
    now = timezone.now()
    sent: list[OutboxMail] = []
    gave_up: list[OutboxMail] = []
    retried: list[OutboxMail] = []
    for row in rows:
        error = failed_rows.get(row.pk)
        row.attempts += 1
        if error is None:
            row.status = (OutboxMail.Status.SENT if row.to else OutboxMail.Status.SKIPPED)
            row.recipients, row.sent_at, row.last_error = len(row.to), now, ""
            sent.append(row)
        elif row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            row.status, row.last_error = OutboxMail.Status.FAILED, error
            log.error("mail %s gave up after %d attempts: %s", row.key, row.attempts, error)
            gave_up.append(row)
        else:
            row.last_error = error
            row.next_attempt_at = now + timedelta(seconds=min(600, 2 ** row.attempts))
            log.warning("mail %s failed (attempt %d), retrying: %s", row.key, row.attempts,
                        error)
            retried.append(row)
    _update_grouped(sent, ["status", "attempts", "recipients", "sent_at", "last_error"])
    _update_grouped(gave_up, ["status", "attempts", "last_error"])
    _update_grouped(retried, ["attempts", "last_error", "next_attempt_at"])
    return len(sent), len(gave_up)


def queue_once(key: str, *, draft_id: int, kind: str, version: int, comment: str) -> bool:
    """Queue one mail under `key` unless a mail with that key is queued already, or its draft
    is gone, or the rulebook mails nobody about `kind`; True when this call queued it.
    (The v1 runs' `notify` activity; today's runs queue mail in the projection's transaction.)"""
    if EventKind(kind) not in NOTIFY or not Draft.objects.filter(pk=draft_id).exists():
        return False
    _, created = OutboxMail.objects.get_or_create(
        key=key, defaults={"draft_id": draft_id, "kind": kind, "version": version,
                           "comment": comment})
    return created
