"""The mail outbox (drafts/outbox.py) on real PostgreSQL: recipients
by the rulebook's audience, digests at volume, given-up mail visible to admins, header-safe
subjects, and two senders never sending the same row. The MailOutbox workflow that runs it is
exercised by every live-worker test that waits for mail."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone

from drafts import projection
from drafts.models import Draft, OutboxMail
from drafts.outbox import send_due
from drafts.roles import EDITORS
from rulebook.states import EventKind
from tests import flaky_mail
from tests.conftest import make_user


def queue_mail(draft: Draft, kind: EventKind) -> None:
    projection.record(draft, kind, notify=True)


def new_draft(author, topic="Outbox") -> Draft:
    draft = Draft.objects.create(author=author, topic=topic)
    projection.record(draft, EventKind.SUBMITTED, actor_id=author.pk)
    return draft


@pytest.mark.django_db
def test_each_event_mails_its_audience_once(author, editor, editor2):
    draft = new_draft(author)
    queue_mail(draft, EventKind.GENERATED)
    assert send_due() == (1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["editor1@example.com",
                                                    "editor2@example.com"]
    assert send_due() == (0, 0)  # sent rows are not sent again
    row = OutboxMail.objects.get()
    assert (row.status, row.recipients, row.attempts) == ("sent", 2, 1)


@pytest.mark.django_db
def test_many_mails_to_one_person_become_a_digest(author, editor):
    drafts = [new_draft(author, f"Topic {i}") for i in range(7)]
    for draft in drafts:
        queue_mail(draft, EventKind.GENERATED)
    assert send_due(digest_threshold=5) == (7, 0)
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.subject == "Redline: 7 updates on drafts" and digest.to == [editor.email]
    assert all(f"Topic {i}" in digest.body for i in range(7))


@pytest.mark.django_db
def test_a_mail_that_keeps_failing_is_given_up_and_shown(settings, author, editor):
    settings.EMAIL_BACKEND = "tests.flaky_mail.FlakyBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 2
    flaky_mail.STATE.update(fail_first=100, attempts=0)
    queue_mail(new_draft(author), EventKind.GENERATED)
    assert send_due() == (0, 0)
    row = OutboxMail.objects.get()
    assert row.status == "pending" and "mail server down" in row.last_error
    assert row.next_attempt_at > timezone.now()  # backing off
    OutboxMail.objects.update(next_attempt_at=timezone.now())
    assert send_due() == (0, 1)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "ConnectionRefusedError: mail server down" in row.last_error


@pytest.mark.django_db
def test_a_topic_with_line_breaks_does_not_break_the_mail(author, editor):
    draft = new_draft(author, topic="Evil\r\nBcc: victim@example.com")
    queue_mail(draft, EventKind.GENERATED)
    assert send_due() == (1, 0)
    assert mail.outbox[0].subject == (f"Draft #{draft.pk} awaits your review: Evil Bcc: "
                                      "victim@example.com")
    assert mail.outbox[0].to == [editor.email]


@pytest.mark.django_db(transaction=True)
def test_two_senders_never_send_the_same_row(author):
    for i in range(3):
        make_user(f"ed{i}", EDITORS)
    for i in range(40):
        queue_mail(new_draft(author, f"T{i}"), EventKind.GENERATED)
    results = []

    def sender():
        try:
            results.append(send_due(batch=10, digest_threshold=1000))
        finally:
            connections.close_all()

    while OutboxMail.objects.filter(status="pending").exists():
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(sent for sent, _ in results) == 40
    assert len(mail.outbox) == 40 * 3  # each row once to each of the three editors


class DiesAfterFirstSend(BaseException):  # not a mail error: the process ends
    """A sender killed right after the mail server accepted its first message."""


@pytest.mark.django_db
def test_a_sender_that_dies_mid_batch_leaves_only_the_rest_to_the_next(settings, author,
                                                                       editor, editor2,
                                                                       monkeypatch):
    """Before: every recipient of a row got it again after a crash (the row was marked sent
    only at the end of the batch). Now each hand-over is recorded as it happens."""
    from drafts import outbox

    draft = new_draft(author)
    queue_mail(draft, EventKind.GENERATED)
    real = outbox._delivered

    def record_then_die(rows, address):
        real(rows, address)
        raise DiesAfterFirstSend

    monkeypatch.setattr(outbox, "_delivered", record_then_die)
    with pytest.raises(DiesAfterFirstSend):
        send_due()
    monkeypatch.setattr(outbox, "_delivered", real)
    first = mail.outbox[0].to[0]
    OutboxMail.objects.update(next_attempt_at=timezone.now())  # the claim ran out
    assert send_due() == (1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["editor1@example.com",
                                                    "editor2@example.com"]
    assert OutboxMail.objects.get().delivered_to[0] == first


@pytest.mark.django_db
def test_a_mail_sent_again_is_the_same_message(author, editor):
    """A kill between the server's "accepted" and the record sends it again: with the same
    Message-ID, which mail systems show once."""
    draft = new_draft(author)
    queue_mail(draft, EventKind.GENERATED)
    send_due()
    OutboxMail.objects.update(status="pending", delivered_to=[],
                              next_attempt_at=timezone.now())
    send_due()
    first, again = mail.outbox
    assert first.extra_headers["Message-ID"] == again.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"].startswith("<redline.")
    other = new_draft(author, "Other")
    queue_mail(other, EventKind.GENERATED)
    send_due()
    assert mail.outbox[2].extra_headers["Message-ID"] != first.extra_headers["Message-ID"]



@pytest.mark.django_db
def test_a_batch_with_one_failing_address_settles_each_row_by_its_outcome(
        settings, author, editor, editor2):
    """Rows sent alike are settled together, failed ones apart (retry: its own backoff), and
    the retry sends only to the address that failed; one statement per mail handed over,
    plus a constant few for the batch."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.EMAIL_BACKEND = "tests.flaky_mail.FlakyBackend"
    flaky_mail.STATE.update(fail_first=1, attempts=0)  # the first address's first mail fails
    for i in range(3):
        queue_mail(new_draft(author, f"Batch {i}"), EventKind.GENERATED)
    with CaptureQueriesContext(connection) as first:
        assert send_due(digest_threshold=1000) == (0, 0)
    rows = list(OutboxMail.objects.order_by("pk"))
    failed_address = ({editor.email, editor2.email} - set(rows[0].delivered_to)).pop()
    assert all(r.delivered_to == [({editor.email, editor2.email} - {failed_address}).pop()]
               for r in rows)
    assert {(r.status, r.attempts, r.recipients) for r in rows} == {("pending", 1, 0)}
    assert all("mail server down" in r.last_error and r.next_attempt_at > timezone.now()
               for r in rows)
    assert len(first.captured_queries) <= 3 + 3 + 3  # claim, recipients, settle; 3 handed

    OutboxMail.objects.update(next_attempt_at=timezone.now())
    mail.outbox.clear()
    assert send_due(digest_threshold=1000) == (3, 0)
    assert sorted(m.to[0] for m in mail.outbox) == [failed_address] * 3
    assert {(r.status, r.attempts, r.recipients, r.last_error)
            for r in OutboxMail.objects.all()} == {("sent", 2, 2, "")}
