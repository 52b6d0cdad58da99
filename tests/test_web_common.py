"""Helpers shared by the web tests (no tests here): drafts built directly with the ORM, in
any state, without a workflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from drafts.models import Draft, DraftEvent, DraftVersion

HTMX = {"HTTP_HX_REQUEST": "true"}

V1 = "# Tides\n\nThe moon pulls the sea.\nTwice a day the water rises.\n\nThe end.\n"
V2 = "# Tides\n\nThe moon pulls the sea.\nTwice a day the water rises and falls.\n\nThe end.\n"


def make_draft(author, *, status="awaiting_review", texts=(V1,), topic="Tides and the moon",
               decided_by=None, comment="", **fields) -> Draft:
    """A draft with versions (one per text) and a plausible event history."""
    now = timezone.now()
    defaults = {"current_version": len(texts)}
    if status == "awaiting_review":
        defaults |= {"deadline": now + timedelta(hours=24), "remind_at": now + timedelta(hours=20)}
    if decided_by is not None:
        defaults |= {"decided_by": decided_by, "decided_at": now, "decision_comment": comment}
    draft = Draft.objects.create(author=author, topic=topic, status=status,
                                 **(defaults | fields))
    seq = 1
    DraftEvent.objects.create(draft=draft, seq=seq, kind="submitted", actor=author)
    for number, text in enumerate(texts, start=1):
        DraftVersion.objects.create(draft=draft, number=number, text=text, backend="offline",
                                    model_name="offline-template",
                                    kind="generated" if number == 1 else "revised")
        seq += 1
        DraftEvent.objects.create(draft=draft, seq=seq, version=number,
                                  kind="generated" if number == 1 else "revised")
    if decided_by is not None and status in ("approved", "rejected"):
        seq += 1
        DraftEvent.objects.create(draft=draft, seq=seq, kind=status, actor=decided_by,
                                  version=len(texts), comment=comment)
    return draft


def client_for(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def snapshot(draft: Draft) -> tuple:
    """Everything a decision could write, to prove nothing was."""
    draft = Draft.objects.get(pk=draft.pk)
    return (draft.status, draft.current_version, draft.decided_by_id, draft.decision_comment,
            draft.deadline, list(draft.events.values_list("seq", "kind")),
            list(draft.versions.values_list("number", "text")))


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The user fixtures hash a password each; the default hasher makes that ~0.3 s a user.
    (Imported by each web test module; autouse fixtures run before the user fixtures.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
