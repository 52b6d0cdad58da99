"""Live writing in Chromium (issue 25, first part): the author's draft page shows the words of
version 1 while the LLM still writes it (the fake server holds its stream open until the page
has shown them), rendered as the stored version will be; then the stored version replaces
them. Axe and the CSP watch the page meanwhile."""

from __future__ import annotations

import threading

import pytest

from drafts import services
from drafts.models import Draft, DraftVersion, StreamedText
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.conftest import wait_for
from tests.fake_openai import FakeOpenAI, Reply

TEXT = ("# Tides and the moon\n\nThe moon pulls the sea toward it, and the water rises.\n\n"
        "- Twice a day, high water.\n- Twice a day, low water.\n\n" +
        "Fishermen plan their days around it. " * 20 + "\n")


@pytest.fixture
def held(settings):
    server = FakeOpenAI().start()
    release = threading.Event()
    server.default = Reply(text=TEXT, chunk_size=16, hold_after=8, hold=release)
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.url, "test-key"
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.LLM_STREAM_INTERVAL = 0.05
    settings.STREAM_POLL_SECONDS = 0.3
    yield release
    release.set()
    server.stop()


def test_the_author_sees_the_words_before_the_version_is_stored(open_as, author, held):
    page = open_as(author)
    draft, _ = services.submit_draft(author=author, topic="Tides and the moon")
    page.goto(f"/drafts/{draft.pk}/")
    streamed = page.locator("#streamed")
    streamed.get_by_text("The moon pulls the sea").wait_for()
    assert streamed.locator("h2").filter(has_text="Tides and the moon").count() == 1
    assert not DraftVersion.objects.filter(draft=draft).exists()  # not stored yet
    assert StreamedText.objects.get(draft=draft).text == TEXT[:16 * 8]
    assert_accessible(page, "the draft page while the version is written")
    screenshot(page, "streaming")

    held.set()  # the rest of the answer
    wait_for(lambda: Draft.objects.filter(pk=draft.pk, status="awaiting_review").exists(),
             what="version 1 stored")
    page.locator("#streamed").wait_for(state="detached")
    page.get_by_text("Fishermen plan their days around it.").first.wait_for()
    assert not StreamedText.objects.filter(draft=draft).exists()


def test_the_author_stops_halfway_keeps_the_text_and_an_editor_reviews_it(
        open_as, author, editor, settings):
    settings.OFFLINE_LLM_LATENCY, settings.LLM_STREAM_INTERVAL = 20, 0.05
    settings.STREAM_POLL_SECONDS = 0.3
    page = open_as(author)
    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping")
    page.goto(f"/drafts/{draft.pk}/")
    page.locator("#streamed .streamed-part").wait_for()
    page.get_by_role("button", name="Stop and keep the text").click()
    page.get_by_text("keeps the").first.wait_for()
    page.get_by_text("stopped after").first.wait_for()
    assert_accessible(page, "the draft page after a stop")
    version = DraftVersion.objects.get(draft=draft)
    assert version.stopped

    reviewer = open_as(editor)
    reviewer.goto(f"/review/{draft.pk}/")
    reviewer.locator("#version-h").filter(has_text="stopped after").wait_for()
    reviewer.locator("form.decision").filter(
        has=reviewer.locator("input[value=approve]")).get_by_role("button").click()
    reviewer.get_by_role("status").filter(has_text="Approved by").wait_for()
