"""Defects found live (issue 11) that the core redesign fixes, each over the real path:
a NUL byte in a withdrawal no longer jams a review, a web process that cannot reach Temporal
answers 503 with a sentence, two identical submits at once give one draft and no error, and
an over-long edit gets one sentence. (The fault suite itself is issue 11's.)"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connections
from django.urls import reverse

from drafts import services
from drafts.models import Draft
from temporal_app import devserver, gateway, lifecycle
from temporal_app.lifecycle import ReviewState
from tests.conftest import wait_for_status
from tests.test_web_common import (
    HTMX,
    client_for,
    fast_password_hasher,  # noqa: F401 (autouse)
    make_draft,
    snapshot,
)


@pytest.mark.django_db(transaction=True)
def test_a_nul_byte_in_a_withdrawal_is_refused_and_the_review_goes_on(live_worker, author,
                                                                       editor):
    draft, _ = services.submit_draft(author=author, topic="NUL")
    draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW)
    client = client_for(author)
    response = client.post(reverse("drafts:withdraw", args=[draft.pk]),
                           {"comment": "bye\x00now"}, follow=True)
    assert "contains a NUL character (U+0000), which cannot be stored" in \
        response.content.decode()
    assert Draft.objects.get(pk=draft.pk).status == ReviewState.AWAITING_REVIEW
    assert gateway.query_status(draft.pk).decisions == []  # nothing reached the workflow
    # The review is not jammed: a proper withdrawal goes through at once.
    client.post(reverse("drafts:withdraw", args=[draft.pk]), {"comment": "bye now"})
    assert Draft.objects.get(pk=draft.pk).status == ReviewState.WITHDRAWN


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_temporal_unreachable_on_first_connect_is_a_503_sentence(settings, author, editor,
                                                                htmx):
    draft = make_draft(author)
    before = snapshot(draft)
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"  # nothing listens
    gateway.reset_client()
    try:
        response = client_for(editor).post(
            reverse("review:decide", args=[draft.pk]), {"decision": "approve", "version": 1},
            **(HTMX if htmx else {}))
    finally:
        gateway.reset_client()
    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
    assert "Nothing was recorded" in response.content.decode()
    assert snapshot(draft) == before


@pytest.mark.django_db(transaction=True)
def test_two_identical_submits_at_once_give_one_draft(settings, author):
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"  # the start may fail
    gateway.reset_client()
    key = uuid.uuid4()
    results, errors_ = [], []
    barrier = threading.Barrier(2)

    def submit():
        try:
            barrier.wait()
            results.append(services.submit_draft(author=author, topic="Twice",
                                                 submission_key=key))
        except Exception as err:  # noqa: BLE001 - the test reports any
            errors_.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gateway.reset_client()
    assert errors_ == []
    assert {draft.pk for draft, _ in results} == {Draft.objects.get(submission_key=key).pk}
    assert sorted(created for _, created in results) == [False, True]


def test_an_over_long_edit_gets_one_sentence():
    from review.forms import DecisionForm

    form = DecisionForm({"decision": "approve_with_edits", "version": 1,
                         "text": "x" * (lifecycle.TEXT_MAX + 5)})
    assert not form.is_valid()
    assert form.errors["text"] == [
        "The edited text is too long: at most 100,000 characters (it has 100,005)."]


@pytest.mark.django_db
def test_a_request_too_large_gets_a_sentence_not_bare_bad_request(settings, author, editor):
    settings.DEBUG = False
    draft = make_draft(author)
    response = client_for(editor).post(
        reverse("review:decide", args=[draft.pk]),
        {"decision": "approve_with_edits", "version": 1, "text": "x" * 3_600_000})
    assert response.status_code == 400
    body = response.content.decode()
    assert "could not be read" in body and "at most 2.5 MB" in body
    assert "nothing was saved" in body


@pytest.mark.django_db(transaction=True)
def test_admin_cancel_of_a_draft_that_does_not_exist_is_404(live_worker, admin_user):
    response = client_for(admin_user).post(reverse("review:pending_action",
                                                   args=[987654, "cancel"]),
                                           {"reason": "typo in the id"})
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_admin_details_without_a_worker_say_temporal_is_up(task_queue, author, admin_user):
    """A review whose worker is gone: the page says no worker answered, not that Temporal
    could not be reached."""
    draft = Draft.objects.create(author=author, topic="Orphan")
    gateway.start_review(services.review_input(draft, first_version=1, first_event_seq=2))
    response = client_for(admin_user).get(reverse("review:pending_details", args=[draft.pk]))
    assert response.status_code == 503
    body = response.content.decode()
    assert "Temporal is up, but no review worker answered" in body
    assert "could not be reached" not in body


@pytest.mark.django_db
def test_the_filebased_mail_backend_writes_where_email_file_path_says(settings, tmp_path,
                                                                      author, editor):
    from drafts import projection
    from temporal_app.activities.outbox import send_due
    from temporal_app.lifecycle import EventKind

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    draft = Draft.objects.create(author=author, topic="Filed")
    projection.record(draft, EventKind.SUBMITTED)
    projection.record(draft, EventKind.GENERATED, notify=True)
    assert send_due() == (1, 0)
    written = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "awaits your review: Filed" in written
