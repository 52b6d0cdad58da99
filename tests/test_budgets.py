"""Budgets on the real stack (issue 25 item 4): a channel's budget fixed at submit, a revision
the budget cannot cover refused by the workflow (and shown on the review page before the
button is pressed), the LLM call's max_tokens from what is left, the author's daily cap at
submit, and the draft page's spend against the budget."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from drafts import comments, services
from drafts.models import Draft, DraftVersion
from review import services as review
from review.models import Channel
from temporal_app import errors
from tests.conftest import wait_for_status
from tests.fake_openai import FakeOpenAI, Reply
from tests.test_targeted_revision import sentences_in_prose
from tests.test_web_common import client_for, make_draft

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_revision_the_budget_cannot_cover_is_refused(live_worker, author, editor):
    Channel.objects.create(slug="tight", name="Tight", budget_tokens=1, budget_usd=0)
    draft, _ = services.submit_draft(author=author, topic="Urban beekeeping", channel="tight")
    assert (draft.budget_tokens, draft.budget_usd) == (1, Decimal("0"))
    draft = wait_for_status(draft, "awaiting_review")
    used = draft.versions.get().prompt_tokens + draft.versions.get().completion_tokens
    Channel.objects.filter(slug="tight").update(budget_tokens=10**6)  # later drafts only
    draft.budget_tokens = used + 100  # what is left cannot cover a revision of the same size
    draft.save(update_fields=["budget_tokens"])
    page = client_for(editor).get(reverse("review:draft", args=[draft.pk])).content.decode()
    assert f"This draft has used {used:,} of its {used + 100:,} LLM tokens" in page
    whole = int(re.search(r"would take about ([\d,]+)", page).group(1).replace(",", ""))
    # With a commented sentence the button rewrites only it: the page estimates its share,
    # as the workflow does (rulebook.decisions.revision_estimate).
    (start, end), = sentences_in_prose(draft.versions.get().text, 1)
    thread = comments.add(draft=draft, user=editor, version=1, body="Shorter.",
                          start=start, end=end)
    page = client_for(editor).get(reverse("review:draft", args=[draft.pk])).content.decode()
    share = int(re.search(r"would take about ([\d,]+)", page).group(1).replace(",", ""))
    assert 0 < share < whole
    thread.delete()
    # The workflow has the last word: it was given the budget at submit (1 token).
    with pytest.raises(errors.Refused, match="LLM tokens; a revision would take about"):
        review.decide(draft_id=draft.pk, editor=editor, decision="request_changes",
                      version=1, comment="Longer, please.")
    draft.refresh_from_db()
    assert (draft.status, draft.revisions) == ("awaiting_review", 0)
    shown = client_for(author).get(draft.get_absolute_url()).content.decode()
    assert f"LLM spend: USD 0.00 · {used:,} of {used + 100:,} tokens" in shown


def test_max_tokens_comes_from_what_the_budget_leaves(settings, live_worker, author):
    server = FakeOpenAI().start()
    server.default = Reply(text="# Tides\n\nThe moon pulls the sea.\n", usage=(10, 20))
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.url, "test-key"
    settings.LLM_BUDGET_TOKENS = 700  # the site's default: 700 tokens a draft
    try:
        draft, _ = services.submit_draft(author=author, topic="Tides")
        wait_for_status(draft, "awaiting_review")
        assert server.requests[0].body["max_tokens"] == 700  # under the 2,000 ceiling
    finally:
        server.stop()


def test_the_daily_cap_refuses_a_submit(settings, author):
    settings.LLM_DAILY_BUDGET_PER_AUTHOR = 0.50
    spent = make_draft(author)
    DraftVersion.objects.filter(draft=spent).update(cost_usd=Decimal("0.50"))
    with pytest.raises(errors.Refused, match="daily limit of USD 0.50"):
        services.submit_draft(author=author, topic="One more")
    assert Draft.objects.filter(author=author).count() == 1


def test_a_retried_run_starts_from_what_the_draft_spent_before(author):
    """A failed draft's Retry starts a new run: its budget counts what the versions of the
    runs before it cost (the rows), not zero."""
    from rulebook.budgets import Spent

    draft = make_draft(author, status="failed")
    DraftVersion.objects.filter(draft=draft).update(prompt_tokens=900, completion_tokens=800,
                                                    cost_usd=Decimal("0.12"))
    assert services.review_input(draft, first_version=2, first_event_seq=3).spent == \
        Spent(1700, 0.12)
    assert services.review_input(draft, first_version=1, first_event_seq=1).spent is None
