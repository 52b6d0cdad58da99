"""Stop writing on the real stack (issue 25 item 3): while the offline LLM streams slowly,
the author stops it and keeps the words so far (version 1, "stopped after N words", reviewed
and approved as usual) or discards them (withdrawn); a revision stopped and discarded goes
back to the previous version; a stop when nothing is written is refused with a sentence."""

from __future__ import annotations

import threading

import pytest
from django.urls import reverse

from drafts import selectors, services
from drafts.models import Draft, DraftEvent, StreamedText
from review import services as review
from temporal_app import errors
from tests.conftest import save_history, wait_for, wait_for_status, workflow_result
from tests.fake_openai import FakeOpenAI, Reply
from tests.test_api import Api, create_token, error
from tests.test_web_common import client_for

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


def test_a_kept_version_records_its_usage_as_an_estimate(settings, live_worker, author,
                                                          editor):
    """The provider reports usage only at the end of a call, which the stop cancels: the kept
    version's tokens and cost are estimated from the prompt and the text so far (about four
    characters a token), counted in the draft's spend, and labelled an estimate."""
    held = threading.Event()
    server = FakeOpenAI().start()
    server.default = Reply(text="# Tides\n\n" + "The moon pulls the sea twice a day. " * 20,
                           chunk_size=8, hold_after=12, hold=held)
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.url, "test-key"
    settings.LLM_PRICE_INPUT_PER_MTOK, settings.LLM_PRICE_OUTPUT_PER_MTOK = 1.0, 4.0
    settings.LLM_STREAM_INTERVAL = 0.05
    try:
        draft, _ = services.submit_draft(author=author, topic="Tides")
        wait_for(lambda: len(words_written(draft).text) >= 96, timeout=15, what="12 chunks")
        services.stop_writing(draft=Draft.objects.get(pk=draft.pk), user=author, keep=True)
        draft = wait_for_status(draft, "awaiting_review")
    finally:
        held.set()
        server.stop()
    version = draft.versions.get()
    assert version.stopped and version.backend == "openai"
    assert version.model_name == settings.OPENAI_MODEL
    prompt = server.requests[0].body["messages"]
    prompt_chars = sum(len(m["content"]) for m in prompt)
    assert version.prompt_tokens == -(-prompt_chars // 4)  # the estimate, not the fake's 12
    assert abs(version.completion_tokens - len(version.text) / 4) <= 2  # the words so far
    expected = (version.prompt_tokens * 1.0 + version.completion_tokens * 4.0) / 1e6
    assert float(version.cost_usd) == pytest.approx(expected, abs=1e-6)
    assert version.usage_estimated
    spent, _ = selectors.spend(draft)
    assert spent.tokens == version.prompt_tokens + version.completion_tokens
    page = client_for(editor).get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    assert f"about {version.prompt_tokens:,} in" in page and "estimated from the text" in page
