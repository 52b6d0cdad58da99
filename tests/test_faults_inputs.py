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
