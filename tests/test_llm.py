"""LLM drafting against a local fake OpenAI-compatible server (tests/fake_openai.py): streaming,
usage and cost, error mapping to Temporal retries, heartbeats, progress, parallel sections."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from temporalio.api.enums.v1 import TimeoutType

from drafts import services
from drafts.models import Draft, DraftVersion, StreamedText
from review import services as review
from temporal_app import gateway, llm, prompts
from temporal_app.types import DraftBrief, workflow_id_for
from tests.conftest import wait_for, wait_for_status, workflow_result
from tests.fake_openai import FakeOpenAI, Reply

DRAFT = "# Tides\n\nThe moon pulls the sea. " + " ".join(["More about tides."] * 20) + "\n"


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def openai_settings(_test_settings, settings, fake):
    """The app pointed at the fake server (after conftest's reset of OPENAI_*)."""
    settings.OPENAI_BASE_URL = fake.url
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.LLM_REQUEST_TIMEOUT = 10.0
    settings.LLM_HEARTBEAT_TIMEOUT = 5.0
    settings.LLM_RETRY_INITIAL_INTERVAL = 0.1
    settings.LLM_RETRY_MAX_INTERVAL = 1.0
    settings.LLM_PROGRESS_INTERVAL = 0.1
    settings.LLM_PRICE_INPUT_PER_MTOK = None
    settings.LLM_PRICE_OUTPUT_PER_MTOK = None
    return settings


def _prompt() -> llm.Prompt:
    return prompts.draft_prompt(DraftBrief(topic="Tides"))


# --- the backend alone: error mapping, streaming, cost -----------------------------------------


def complete(**kw) -> llm.Completion:
    return llm.get_backend().complete(_prompt(), {"topic": "Tides"}, **kw)


@pytest.mark.parametrize(
    ("reply", "kind", "retryable", "words"),
    [
        (Reply(status=401, error={"message": "Incorrect API key provided", "code":
                                  "invalid_api_key"}), "LLMAuth", False, "API key"),
        (Reply(status=403, error={"message": "no access"}), "LLMForbidden", False, "refused"),
        (Reply(status=404, error={"message": "The model `nope` does not exist",
                                  "code": "model_not_found"}), "LLMModel", False, "model"),
        (Reply(status=400, error={"message": "Invalid model name: nope"}), "LLMModel", False,
         "OPENAI_MODEL"),
        (Reply(status=400, error={"message": "Your request was rejected",
                                  "code": "content_policy_violation"}),
         "LLMRefused", False, "content policy"),
        (Reply(status=400, error={"message": "max_tokens is too large"}), "LLMRejected",
         False, "max_tokens is too large"),
        (Reply(status=429, error={"message": "You exceeded your current quota",
                                  "code": "insufficient_quota"}), "LLMQuota", False, "quota"),
        (Reply(status=429), "LLMRateLimited", True, "rate-limiting"),
        (Reply(status=500), "LLMUnavailable", True, "HTTP 500"),
        (Reply(status=503), "LLMUnavailable", True, "HTTP 503"),
        (Reply(raw=b"data: {this is not json\n\n"), "LLMMalformed", True, "could not read"),
        (Reply(text=""), "LLMEmpty", True, "empty"),
        (Reply(text="", refusal="I can't help with that."), "LLMRefused", False,
         "can't help"),
        (Reply(finish_reason="content_filter"), "LLMRefused", False, "content policy"),
    ],
)
def test_errors_map_to_retryable_or_not(openai_settings, fake, reply, kind, retryable, words):
    fake.push(reply)
    with pytest.raises(llm.LLMError) as caught:
        complete()
    err = caught.value
    assert (err.kind, err.retryable) == (kind, retryable)
    assert words in err.message
    assert len(fake.requests) == 1
    app_error = llm.to_application_error(err)
    assert app_error.non_retryable is (not retryable)
    assert app_error.message == err.message and app_error.type == kind


def test_retry_after_becomes_next_retry_delay(openai_settings, fake):
    fake.push(Reply(status=429, headers={"Retry-After": "7"}),
              Reply(status=503, headers={"retry-after-ms": "1500"}),
              Reply(status=429, headers={"Retry-After": "86400"}))
    delays = []
    for _ in range(3):
        with pytest.raises(llm.LLMError) as caught:
            complete()
        delays.append(llm.to_application_error(caught.value).next_retry_delay)
    assert delays == [timedelta(seconds=7), timedelta(seconds=1.5),
                      timedelta(seconds=openai_settings.LLM_RETRY_AFTER_MAX)]


def test_connection_refused_is_retryable(openai_settings, fake):
    fake.stop()
    with pytest.raises(llm.LLMError) as caught:
        complete()
    assert caught.value.retryable and caught.value.kind == "LLMConnection"
    assert "Could not reach" in caught.value.message


def test_streaming_request_and_usage(openai_settings, fake):
    fake.push(Reply(text=DRAFT, usage=(1000, 2000), chunk_size=10))
    seen, texts = [], []
    completion = complete(on_progress=lambda chars, text: (seen.append(chars),
                                                           texts.append(text())))
    assert completion.text == DRAFT
    assert completion.backend == "openai" and completion.model == "gpt-4o-mini-2024-07-18"
    assert (completion.prompt_tokens, completion.completion_tokens) == (1000, 2000)
    # gpt-4o-mini: $0.15 in, $0.60 out per million tokens
    assert completion.cost_usd == pytest.approx(0.00135)
    assert seen == sorted(seen) and seen[-1] == len(DRAFT) and len(seen) > 10
    # the text so far, as the pages get it: each a prefix of the answer, the last all of it
    assert all(DRAFT.startswith(t) and len(t) == n for t, n in zip(texts, seen, strict=True))
    body = fake.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["model"] == "gpt-4o-mini" and body["max_tokens"] == 2000
    assert fake.requests[0].headers["authorization"] == "Bearer test-key"
    assert "Topic: Tides" in fake.requests[0].user


def test_missing_usage_is_estimated(openai_settings, fake):
    fake.push(Reply(text="x" * 400, usage=None))
    completion = complete()
    assert completion.completion_tokens == 100 and completion.prompt_tokens > 0
    assert completion.cost_usd > 0


def test_prices(settings):
    settings.LLM_PRICE_INPUT_PER_MTOK = None
    settings.LLM_PRICE_OUTPUT_PER_MTOK = None
    assert llm.price_for("gpt-4o-2024-08-06") == (2.50, 10.00)
    assert llm.price_for("gpt-4o-mini") == (0.15, 0.60)
    assert llm.estimate_cost("llama3.1:8b", 10**6, 10**6) == 0
    settings.LLM_PRICE_INPUT_PER_MTOK = 1.0
    settings.LLM_PRICE_OUTPUT_PER_MTOK = 3.0
    assert llm.estimate_cost("llama3.1:8b", 10**6, 2 * 10**6) == 7.0


def test_offline_backend_reports_progress_with_latency(settings):
    settings.OFFLINE_LLM_LATENCY = 0.3
    seen, texts = [], []
    completion = llm.get_backend().complete(
        _prompt(), {"topic": "Tides"},
        lambda chars, text: (seen.append(chars), texts.append(text())))
    assert completion.backend == "offline" and "Offline draft" in completion.text
    assert len(seen) > 1 and seen[-1] == len(completion.text) and seen == sorted(seen)
    assert all(completion.text.startswith(t) for t in texts) and texts[-1] == completion.text
    assert completion.latency_ms >= 300


def test_usage_include_renders(db, author):
    draft = Draft.objects.create(author=author, topic="Tides", status="approved")
    version = DraftVersion.objects.create(
        draft=draft, number=1, kind="generated", text="x", backend="openai",
        model_name="gpt-4o-mini", prompt_version="draft-v1", prompt_tokens=1240,
        completion_tokens=880, latency_ms=15400, cost_usd=Decimal("0.000714"))
    html = render_to_string("drafts/_usage.html", {"version": version})
    for text in ("gpt-4o-mini", "draft-v1", "1,240", "880", "15 s", "$0.0007"):
        assert text in html
    edited = DraftVersion.objects.create(draft=draft, number=2, kind="edited", text="y")
    assert render_to_string("drafts/_usage.html", {"version": edited}).strip() == ""


# --- through the workflow ------------------------------------------------------------------------

workflow_test = pytest.mark.django_db(transaction=True)


def submit(author, topic="Tides and the moon", **kw) -> Draft:
    draft, created = services.submit_draft(author=author, topic=topic, **kw)
    assert created
    return draft


def history(draft_id: int):
    async def go():
        handle = (await gateway.get_client()).get_workflow_handle(workflow_id_for(draft_id))
        return await handle.fetch_history()

    return gateway.run(go(), timeout=30)


@workflow_test
def test_streamed_draft_shows_progress_and_stores_usage(openai_settings, fake, live_worker,
                                                        author):
    # The default: "Long" (1,200 words) is written in sections, "Medium" in one call.
    assert openai_settings.LLM_SECTIONS_THRESHOLD_WORDS == 1000
    fake.push(Reply(text=DRAFT, usage=(100, 200), chunk_size=8, chunk_delay=0.03))  # ~1.5 s
    draft = submit(author, target_words=600)
    seen = wait_for(lambda: Draft.objects.filter(pk=draft.pk, status="generating",
                                                 progress_chars__gt=0).first(),
                    timeout=15, what="progress while generating")
    assert 0 < seen.progress_chars <= len(DRAFT)
    draft = wait_for_status(draft, "awaiting_review")
    version = draft.versions.get()
    assert version.text == DRAFT
    assert (version.backend, version.model_name) == ("openai", "gpt-4o-mini-2024-07-18")
    assert version.prompt_version == "draft-v1"
    assert (version.prompt_tokens, version.completion_tokens) == (100, 200)
    assert version.cost_usd == Decimal("0.000135")
    assert version.latency_ms >= 0
    assert len(fake.requests) == 1 and "Tides and the moon" in fake.requests[0].user
    assert draft.progress_chars == 0  # reset once the version is stored
    # 600 words is below the sections threshold: one regular activity, the LLM call (the
    # database writes are local activities, markers in the history)
    scheduled = [e.activity_task_scheduled_event_attributes.activity_type.name
                 for e in history(draft.pk).events
                 if e.HasField("activity_task_scheduled_event_attributes")]
    assert scheduled == ["generate_draft"]


@workflow_test
def test_rate_limit_then_success_honours_retry_after(openai_settings, fake, live_worker, author):
    fake.push(Reply(status=429, headers={"Retry-After": "2"}), Reply(text=DRAFT))
    draft = wait_for_status(submit(author), "awaiting_review")
    assert len(fake.requests) == 2
    # the backoff alone would be 0.1 s: the second call waited for Retry-After
    assert fake.requests[1].started - fake.requests[0].started >= 1.8
    assert draft.versions.get().text == DRAFT


@workflow_test
def test_server_error_then_success(openai_settings, fake, live_worker, author):
    fake.push(Reply(status=500), Reply(text=DRAFT))
    draft = wait_for_status(submit(author), "awaiting_review")
    assert len(fake.requests) == 2
    assert draft.versions.get().text == DRAFT and draft.status_message == ""


@workflow_test
def test_malformed_answer_is_retried(openai_settings, fake, live_worker, author):
    fake.push(Reply(raw=b"data: {not json at all\n\n"), Reply(text=DRAFT))
    draft = wait_for_status(submit(author), "awaiting_review")
    assert len(fake.requests) == 2 and draft.versions.get().text == DRAFT


@workflow_test
def test_bad_api_key_fails_the_draft_then_retry_works(openai_settings, fake, live_worker,
                                                      author):
    fake.push(Reply(status=401, error={"message": "Incorrect API key", "code":
                                       "invalid_api_key"}))
    draft = wait_for_status(submit(author), "failed")
    assert len(fake.requests) == 1  # not retried
    assert "rejected the API key" in draft.status_message
    assert draft.versions.count() == 0
    # the key is fixed; the author retries from the draft page
    fake.default = Reply(text=DRAFT)
    services.retry_draft(draft=draft, user=author)
    draft = wait_for_status(draft, "awaiting_review")
    assert len(fake.requests) == 2 and draft.versions.get().text == DRAFT
    assert draft.status_message == ""


@workflow_test
def test_stalled_stream_times_out_and_is_retried(openai_settings, fake, live_worker, author):
    openai_settings.LLM_HEARTBEAT_TIMEOUT = 1.0
    fake.push(Reply(text=DRAFT, stall_after=2, stall=8.0), Reply(text=DRAFT))
    draft = wait_for_status(submit(author), "awaiting_review", timeout=20)
    assert len(fake.requests) == 2 and draft.versions.get().text == DRAFT
    started = [e.activity_task_started_event_attributes for e in history(draft.pk).events
               if e.HasField("activity_task_started_event_attributes")]
    retried = [a for a in started if a.attempt == 2]
    assert len(retried) == 1
    # the first attempt ended by Temporal's heartbeat timeout, not by an error of its own
    assert retried[0].last_failure.timeout_failure_info.timeout_type == \
        TimeoutType.TIMEOUT_TYPE_HEARTBEAT


@workflow_test
def test_stream_stalling_every_time_fails_with_a_clear_message(openai_settings, fake,
                                                                live_worker, author):
    openai_settings.LLM_HEARTBEAT_TIMEOUT = 1.0
    openai_settings.LLM_MAX_ATTEMPTS = 2
    fake.default = Reply(text=DRAFT, stall_after=1, stall=8.0)
    draft = wait_for_status(submit(author), "failed", timeout=20)
    assert len(fake.requests) == 2
    assert draft.status_message.startswith("The LLM provider stopped sending text for over 1 s."
                                           " Redline gave up after 2 attempts")


@workflow_test
def test_revision_prompt_carries_feedback_and_previous_version(openai_settings, fake,
                                                               live_worker, author, editor):
    fake.push(Reply(text=DRAFT), Reply(text="# Tides, revised\n\nShorter.\n", usage=(50, 5)))
    draft = wait_for_status(submit(author, brief="For sailors"), "awaiting_review")
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="Make it shorter")
    draft = wait_for(lambda: Draft.objects.filter(pk=draft.pk, current_version=2,
                                                  status="awaiting_review").first(),
                     what="version 2")
    second = fake.requests[1].user
    assert "Make it shorter" in second and "More about tides." in second
    assert "Brief: For sailors" in second
    version = draft.versions.get(number=2)
    assert version.prompt_version == "revise-v1" and version.completion_tokens == 5


@workflow_test
def test_offline_latency_shows_progress(settings, live_worker, author):
    settings.OFFLINE_LLM_LATENCY = 1.5
    settings.LLM_PROGRESS_INTERVAL = 0.1
    settings.LLM_STREAM_INTERVAL = 0.1
    draft = submit(author)
    wait_for(lambda: Draft.objects.filter(pk=draft.pk, status="generating",
                                          progress_chars__gt=0).exists(),
             timeout=10, what="offline progress")
    # The text so far is there while it is written (version 1, the whole piece: part 0).
    streamed = wait_for(lambda: StreamedText.objects.filter(draft=draft).exclude(text="")
                        .first(), timeout=10, what="streamed text")
    assert (streamed.version, streamed.part, streamed.attempt) == (1, 0, 1)
    draft = wait_for_status(draft, "awaiting_review")
    version = draft.versions.get()
    assert version.backend == "offline" and "Offline draft" in version.text
    assert version.latency_ms >= 1500
    assert version.text.startswith(streamed.text) and streamed.text != version.text
    # and it goes with the writing: the stored version replaces it
    assert not StreamedText.objects.filter(draft=draft).exists()


# --- long pieces: outline, then sections in parallel ----------------------------------------------

OUTLINE = ("# The long tide\n\nAn introduction.\n\n" +
           "".join(f"## Part {i}\nWhat part {i} covers.\n\n" for i in range(1, 5)))


def _section_number(request) -> int | None:
    for i in range(1, 5):
        if f'Write section {i} only, "Part {i}"' in request.user:
            return i
    return None


@workflow_test
def test_long_piece_sections_are_written_in_parallel(openai_settings, fake, live_worker,
                                                     author):
    openai_settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000
    openai_settings.LLM_SECTION_CONCURRENCY = 4

    def respond(request):
        if "Plan a piece" in request.user:
            return Reply(text=OUTLINE, usage=(10, 20))
        n = _section_number(request)
        assert n is not None, request.user
        return Reply(text=f"## Part {n}\n\nThe body of part {n}.\n", usage=(100, 50),
                     delay=1.0)

    fake.responder = respond
    draft = wait_for_status(submit(author, target_words=1400), "awaiting_review", timeout=20)
    outline = [r for r in fake.requests if "Plan a piece" in r.user]
    sections = [r for r in fake.requests if _section_number(r)]
    assert len(outline) == 1 and len(sections) == 4
    assert outline[0].finished <= min(r.started for r in sections)
    wall = max(r.finished for r in sections) - min(r.started for r in sections)
    total = sum(r.finished - r.started for r in sections)
    assert wall < 0.6 * total, (wall, total)

    version = draft.versions.get()
    text = version.text
    assert text.startswith("# The long tide\n\nAn introduction.\n")
    positions = [text.index(f"## Part {i}\n\nThe body of part {i}.") for i in range(1, 5)]
    assert positions == sorted(positions)
    assert version.prompt_version == "sections-v1"
    assert (version.prompt_tokens, version.completion_tokens) == (410, 220)
    assert version.cost_usd == Decimal(str(llm.estimate_cost("gpt-4o-mini", 410, 220)))


@workflow_test
def test_long_piece_sections_share_what_the_budget_leaves(openai_settings, fake, live_worker,
                                                          author):
    """The outline gets what the budget leaves; the sections, which run at once, share what
    the outline left of it (issue 25 item 4: max_tokens for every call)."""
    openai_settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000
    openai_settings.LLM_BUDGET_TOKENS = 1030

    def respond(request):
        if "Plan a piece" in request.user:
            return Reply(text=OUTLINE, usage=(10, 20))
        n = _section_number(request)
        return Reply(text=f"## Part {n}\n\nThe body of part {n}.\n", usage=(10, 20))

    fake.responder = respond
    wait_for_status(submit(author, target_words=1400), "awaiting_review", timeout=20)
    outline = [r for r in fake.requests if "Plan a piece" in r.user]
    sections = [r for r in fake.requests if _section_number(r)]
    assert [r.body["max_tokens"] for r in outline] == [1030]
    assert sorted(r.body["max_tokens"] for r in sections) == [250] * 4  # (1030 - 30) / 4


@workflow_test
def test_a_long_piece_stopped_and_kept_counts_its_outline_and_the_sections_so_far(
        openai_settings, fake, live_worker, author):
    """A stop during the sections: the outline's usage (reported when it finished) plus each
    section's estimate (its prompt and the text it streamed, about 4 characters a token)."""
    import threading

    openai_settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000
    openai_settings.LLM_STREAM_INTERVAL = 0.05
    held = threading.Event()

    def respond(request):
        if "Plan a piece" in request.user:
            return Reply(text=OUTLINE, usage=(10, 20))
        n = _section_number(request)
        return Reply(text=f"## Part {n}\n\nThe body of part {n}, " + "and more. " * 40,
                     chunk_size=16, hold_after=2, hold=held)

    fake.responder = respond
    draft = submit(author, target_words=1400)
    try:
        wait_for(lambda: StreamedText.objects.filter(draft=draft, part__gt=0)
                 .exclude(text="").count() == 4, timeout=20, what="4 sections streaming")
        services.stop_writing(draft=Draft.objects.get(pk=draft.pk), user=author, keep=True)
        draft = wait_for_status(draft, "awaiting_review", timeout=20)
    finally:
        held.set()
    version = draft.versions.get()
    sections = [r for r in fake.requests if _section_number(r)]
    prompts_ = [-(-sum(len(m["content"]) for m in r.body["messages"]) // 4) for r in sections]
    assert version.stopped and version.prompt_tokens == 10 + sum(prompts_)
    assert version.completion_tokens == 20 + 4 * 8  # 2 chunks of 16 characters a section
    assert version.usage_estimated


@workflow_test
def test_a_failed_section_is_retried_alone(openai_settings, fake, live_worker, author):
    openai_settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000
    failed = []

    def respond(request):
        if "Plan a piece" in request.user:
            return Reply(text=OUTLINE)
        n = _section_number(request)
        if n == 2 and not failed:
            failed.append(n)
            return Reply(status=502)
        return Reply(text=f"## Part {n}\n\nBody {n}.\n")

    fake.responder = respond
    draft = wait_for_status(submit(author, target_words=1400), "awaiting_review", timeout=20)
    counts = {i: sum(1 for r in fake.requests if _section_number(r) == i) for i in range(1, 5)}
    assert counts == {1: 1, 2: 2, 3: 1, 4: 1}
    assert sum(1 for r in fake.requests if "Plan a piece" in r.user) == 1
    assert "Body 2." in draft.versions.get().text


@workflow_test
def test_a_section_failing_for_good_fails_the_draft(openai_settings, fake, live_worker, author):
    openai_settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000

    def respond(request):
        if "Plan a piece" in request.user:
            return Reply(text=OUTLINE)
        if _section_number(request) == 3:
            return Reply(status=401)
        return Reply(text="## Part\n\nBody.\n", delay=0.5)

    fake.responder = respond
    draft = wait_for_status(submit(author, target_words=1400), "failed", timeout=20)
    assert "rejected the API key" in draft.status_message
    assert draft.versions.count() == 0


@workflow_test
def test_long_offline_piece_uses_sections(settings, live_worker, author):
    settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000
    draft = wait_for_status(submit(author, target_words=1400), "awaiting_review")
    version = draft.versions.get()
    assert version.backend == "offline" and "Offline draft" in version.text
    assert version.prompt_version == "sections-v1"
    assert version.text.startswith("# Tides and the moon\n")
    assert version.text.count("\n## ") == 4  # round(1400 / 350) sections


@workflow_test
def test_withdrawing_during_sections_cancels_them(settings, live_worker, author):
    settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000
    settings.OFFLINE_LLM_LATENCY = 1.0
    draft = submit(author, target_words=1400)

    def sections_scheduled() -> int:
        return sum(1 for e in history(draft.pk).events
                   if e.HasField("activity_task_scheduled_event_attributes")
                   and e.activity_task_scheduled_event_attributes.activity_type.name
                   == "write_section")

    wait_for(lambda: sections_scheduled() == 4, timeout=10, what="the sections to start")
    result = services.withdraw_draft(draft=draft, user=author, comment="not needed")
    assert result.state == "withdrawn"
    draft = wait_for_status(draft, "withdrawn")
    assert draft.versions.count() == 0
    assert workflow_result(draft.pk).state == "withdrawn"
    cancelled = [e for e in history(draft.pk).events
                 if e.HasField("activity_task_cancel_requested_event_attributes")]
    assert len(cancelled) == 4  # every running section was cancelled
