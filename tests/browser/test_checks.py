"""Checks before a human reads, in Chromium (issue 23): a channel with the example checks
file, a draft whose first version has a banned phrase and an e-mail address; the editor first
sees the clean version, the automatic round in the history, the remaining warnings beside
their passages, dismisses one with a reason; axe-core and a 390 px window on the page."""

from __future__ import annotations

from drafts import services
from drafts.models import CheckFinding
from review.models import Channel
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.fake_openai import FakeOpenAI
from tests.test_checks_workflow import EXAMPLE, rewrite, waiting


def test_the_editor_sees_the_automatic_round_and_the_warnings(open_as, author, editor,
                                                              settings):
    llm = FakeOpenAI().start()
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = llm.url, "test-key"
    llm.responder = rewrite
    try:
        Channel.objects.create(slug="press", name="Press releases",
                               checks_toml=EXAMPLE.read_text())
        draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
        draft = waiting(draft, 2)
        page = open_as(editor)
        page.goto("/review/")
        page.get_by_text("checks: ").first.wait_for()
        page.goto(f"/review/{draft.pk}/")
        panel = page.locator("#checks")
        panel.get_by_text("on version 2").wait_for()
        warning = CheckFinding.objects.filter(draft=draft, version=2, severity="warn").first()
        assert warning is not None
        item = page.locator(f"#finding-{warning.pk}")
        assert "warning" in item.inner_text() and warning.check_name in item.inner_text()
        assert_accessible(page, "the review page with the checks' findings")
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "checks")
        page.set_viewport_size({"width": 1280, "height": 900})
        item.get_by_label("Why this warning does not apply").fill("A short release on purpose.")
        item.get_by_role("button", name="Dismiss").click()
        page.get_by_text("Warning dismissed").wait_for()
        assert "“A short release on purpose.”" in page.locator(f"#finding-{warning.pk}") \
            .inner_text()

        page.goto(f"/drafts/{draft.pk}/")
        history = page.locator("body").inner_text()
        assert "Sent back to the LLM by the checks" in history
        assert "Automatic round 1 of 2" in history and "Revised for the checks" in history
        assert_accessible(page, "the draft page after an automatic round")
    finally:
        llm.stop()
