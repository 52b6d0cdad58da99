"""Stop writing on the real stack (issue 25 item 3): while the offline LLM streams slowly,
the author stops it and keeps the words so far (version 1, "stopped after N words", reviewed
and approved as usual) or discards them (withdrawn); a revision stopped and discarded goes
back to the previous version; a stop when nothing is written is refused with a sentence."""

from __future__ import annotations

import pytest
from django.urls import reverse

from drafts import services
from drafts.models import Draft, DraftEvent, StreamedText
from review import services as review
from temporal_app import errors
from tests.conftest import save_history, wait_for, wait_for_status, workflow_result
from tests.test_api import Api, create_token, error

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow(settings):
    settings.OFFLINE_LLM_LATENCY = 20  # 50 steps of 0.4 s: stopped long before the end
    settings.LLM_STREAM_INTERVAL = 0.05


def words_written(draft: Draft) -> StreamedText:
    return wait_for(lambda: StreamedText.objects.filter(draft=draft).exclude(text="")
                    .first(), timeout=15, what="words streamed")


def test_stop_and_keep_the_first_draft_then_review_it(slow, live_worker, author, editor):
    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping")
    seen = words_written(draft).text
    result = services.stop_writing(draft=Draft.objects.get(pk=draft.pk), user=author,
                                   keep=True)
    assert result.version == 1 and "keeps the" in result.message
    draft = wait_for_status(draft, "awaiting_review")  # true when answered: stored already
    version = draft.versions.get()
    assert version.stopped and version.text.strip()
    assert version.described.startswith("generated, stopped after ")
    # the words written up to the stop: at least what the page had seen, and the same start
    assert version.text.startswith(seen.strip()[:40]) and len(version.text) >= len(seen.strip())
    assert not StreamedText.objects.filter(draft=draft).exists()
    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1)
    assert workflow_result(draft.pk).state == "approved"
    save_history(draft.pk, "stop_and_keep")


def test_stop_and_discard_the_first_draft_withdraws_it(slow, live_worker, author):
    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping")
    words_written(draft)
    result = services.stop_writing(draft=Draft.objects.get(pk=draft.pk), user=author,
                                   keep=False)
    assert "withdrawn" in result.message
    assert workflow_result(draft.pk).state == "withdrawn"
    draft.refresh_from_db()
    assert draft.current_version == 0 and not draft.versions.exists()
    assert not StreamedText.objects.filter(draft=draft).exists()


def test_a_revision_stopped_and_discarded_goes_back_to_the_previous_version(
        settings, live_worker, author, editor):
    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping")
    draft = wait_for_status(draft, "awaiting_review")
    settings.OFFLINE_LLM_LATENCY, settings.LLM_STREAM_INTERVAL = 20, 0.05
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="Add a section on hive placement")
    words_written(draft)
    result = services.stop_writing(draft=Draft.objects.get(pk=draft.pk), user=editor,
                                   keep=False)
    assert "version 1 awaits review again" in result.message
    draft.refresh_from_db()
    assert (draft.status, draft.current_version) == ("awaiting_review", 1)
    assert draft.deadline is not None
    event = DraftEvent.objects.get(draft=draft, kind="writing_stopped")
    assert event.actor_id == editor.pk
    # The review goes on with version 1.
    settings.OFFLINE_LLM_LATENCY = 0
    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1)
    assert workflow_result(draft.pk).state == "approved"
    save_history(draft.pk, "stop_revision_discard")


def test_a_stop_when_nothing_is_written_is_refused(live_worker, author, editor):
    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping")
    draft = wait_for_status(draft, "awaiting_review")
    with pytest.raises(errors.Refused, match="not being written"):
        services.stop_writing(draft=draft, user=author, keep=True)
    api = Api(create_token(author))
    url = reverse("api:stop", args=[draft.pk])
    error(api.post(url, {"keep": True}), 409, "NotWriting")
    error(api.post(url, {"keep": "yes"}), 400, "Invalid")
    error(api.post(url, {}), 400, "Invalid")
    assert draft.versions.count() == 1
