"""Notifications through Django's email framework. A failure raises, and Temporal retries it
in the background of the workflow: mail never blocks or fails a review."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from temporalio import activity

from drafts.models import Draft
from temporal_app.types import NOTIFY, EventKind, NotifyInput, NotifyResult

EDITORS_GROUP = "Editors"

_SUBJECTS = {
    EventKind.GENERATED: "Draft #{id} awaits your review: {topic}",
    EventKind.REVISED: "Revised draft #{id} awaits your review: {topic}",
    EventKind.REMINDED: "Reminder: draft #{id} is waiting for review: {topic}",
    EventKind.APPROVED: "Your draft #{id} was approved: {topic}",
    EventKind.REJECTED: "Your draft #{id} was rejected: {topic}",
    EventKind.CHANGES_REQUESTED: "Changes requested on your draft #{id}: {topic}",
    EventKind.EXPIRED: "Draft #{id} expired without a review: {topic}",
    EventKind.CANCELLED: "The review of your draft #{id} was cancelled: {topic}",
}


def recipients(draft: Draft, kind: EventKind) -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if kind in (EventKind.GENERATED, EventKind.REVISED, EventKind.REMINDED):
        users = users.filter(groups__name=EDITORS_GROUP).exclude(pk=draft.author_id)
    elif kind == EventKind.EXPIRED:
        users = users.filter(is_staff=True) | users.filter(pk=draft.author_id)
    elif kind in (EventKind.APPROVED, EventKind.REJECTED, EventKind.CHANGES_REQUESTED,
                  EventKind.CANCELLED):
        users = users.filter(pk=draft.author_id)
    else:
        return []
    return sorted(set(users.values_list("email", flat=True)))


@activity.defn(name=NOTIFY)
def notify(inp: NotifyInput) -> NotifyResult:
    kind = EventKind(inp.kind)
    draft = Draft.objects.filter(pk=inp.draft_id).first()
    if draft is None or kind not in _SUBJECTS:
        return NotifyResult(sent=0)
    to = recipients(draft, kind)
    if not to:
        return NotifyResult(sent=0)
    subject = _SUBJECTS[kind].format(id=draft.pk, topic=draft.topic[:80])
    body = f"{subject}\n\nVersion {inp.version}."
    if inp.comment:
        body += f"\n\nComment: {inp.comment}"
    body += f"\n\n{settings.SITE_URL}/drafts/{draft.pk}/\n"
    # One message per recipient, so no one sees the others' addresses.
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in to]
    return NotifyResult(sent=send_mass_mail(messages, fail_silently=False))
