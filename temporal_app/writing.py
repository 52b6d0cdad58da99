"""Writing one version of a draft, as the review workflow does it (workflow-side code).

Short pieces: one `generate_draft` activity. Long pieces (target words at or above the
policy's threshold): an `outline_draft` activity, then one `write_section` activity per
section, in parallel (at most `llm_section_concurrency` at once), assembled here; a failed
section is retried alone, one that fails for good cancels the others.

Targeted revision (commented passages, rulebook.revisions): one `revise_passage` activity
per passage, in parallel (the same bound), spliced into the previous text: every character
outside the passages stays as it was. A passage whose rewrite fails for good keeps its old
text and says why; only when every passage fails does the revision fail as a whole one would.

Both review workflow types write through these steps (draft_review.py; draft_review_v1.py
behind its `parallel-sections` patch), so a fix to how a version is written has one home.

Django-free: runs inside the workflow sandbox. Activities are called by name.
"""

from __future__ import annotations

import asyncio
import dataclasses

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, RetryState, TimeoutType
from temporalio.exceptions import TimeoutError as ActivityTimeout

from rulebook import budgets, revisions
from rulebook.deadlines import duration_words
from temporal_app import options
from temporal_app.types import (
    GENERATE_DRAFT,
    OUTLINE_DRAFT,
    REVISE_PASSAGE,
    WRITE_SECTION,
    ChangeRecord,
    GenerateInput,
    GenerateResult,
    OutlineInput,
    OutlineResult,
    PassageInput,
    ReviewInput,
    ReviseInput,
    SectionInput,
)


def uses_sections(inp: ReviewInput) -> bool:
    threshold = inp.policy.llm_sections_threshold_words
    return threshold > 0 and inp.brief.target_words >= threshold


def section_count(target_words: int) -> int:
    """About 350 words a section, between 3 and 8 sections."""
    return max(3, min(8, round(target_words / 350)))


async def write(inp: ReviewInput, version: int, feedback: str, previous_text: str,
                max_tokens: int = 0, finished: list[GenerateResult] | None = None
                ) -> GenerateResult:
    """The text of `version` (a revision when `feedback` is given). Raises ActivityError.
    `max_tokens`: what the draft's budget leaves for it (0: no limit of its own).
    `finished` gets the usage of a long piece's outline once it is written: a stop during
    the sections still knows what the outline cost."""
    if uses_sections(inp):
        return await write_in_sections(inp, version, feedback, previous_text, max_tokens,
                                       finished)
    return await write_in_one_call(inp, version, feedback, previous_text, max_tokens)


async def write_in_one_call(inp: ReviewInput, version: int, feedback: str, previous_text: str,
                            max_tokens: int = 0) -> GenerateResult:
    """One `generate_draft` activity writes the whole version."""
    return await workflow.execute_activity(
        GENERATE_DRAFT,
        GenerateInput(draft_id=inp.draft_id, workflow_id=workflow.info().workflow_id,
                      version=version, brief=inp.brief, feedback=feedback,
                      previous_text=previous_text, max_tokens=max_tokens),
        result_type=GenerateResult,
        summary=f"write version {version}",
        **options.llm(inp.policy),
    )


async def write_in_sections(inp: ReviewInput, version: int, feedback: str,
                            previous_text: str, max_tokens: int = 0,
                            finished: list[GenerateResult] | None = None) -> GenerateResult:
    """An outline, then each section in its own activity, assembled here; the sections share
    what the outline leaves of `max_tokens` (0: no limit of the draft's own)."""
    brief = inp.brief
    started = workflow.now()
    llm_options = options.llm(inp.policy)
    workflow_id = workflow.info().workflow_id
    outline = await workflow.execute_activity(
        OUTLINE_DRAFT,
        OutlineInput(draft_id=inp.draft_id, workflow_id=workflow_id, version=version,
                     brief=brief, sections=section_count(brief.target_words),
                     feedback=feedback, previous_text=previous_text, max_tokens=max_tokens),
        result_type=OutlineResult,
        summary=f"outline version {version}",
        **llm_options,
    )
    if finished is not None:
        finished.append(outline.usage)
    count = len(outline.headings)
    words = max(100, brief.target_words // count)
    used = outline.usage.prompt_tokens + outline.usage.completion_tokens
    each = budgets.share(max(1, max_tokens - used), count) if max_tokens else 0
    limit = asyncio.Semaphore(max(1, inp.policy.llm_section_concurrency))

    async def section(index: int) -> GenerateResult:
        async with limit:
            return await workflow.execute_activity(
                WRITE_SECTION,
                SectionInput(draft_id=inp.draft_id, workflow_id=workflow_id, version=version,
                             brief=brief, title=outline.title, headings=outline.headings,
                             index=index, notes=outline.notes[index], words=words,
                             feedback=feedback, previous_text=previous_text,
                             max_tokens=each),
                result_type=GenerateResult,
                summary=f"version {version} section {index + 1}/{count}",
                **llm_options,
            )

    tasks = [asyncio.ensure_future(section(i)) for i in range(count)]
    try:
        sections = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    parts = [f"# {outline.title}", ""]
    if outline.intro:
        parts += [outline.intro, ""]
    for written in sections:
        parts += [written.text.strip(), ""]
    return _combined("\n".join(parts).rstrip() + "\n", [outline.usage, *sections], started)


def _combined(text: str, usage: list[GenerateResult], started) -> GenerateResult:
    """`text`, written by several calls: their tokens and cost summed (`added`), the first
    one's model and prompt, the time since `started`."""
    return dataclasses.replace(
        added(usage[0], usage[1:]), text=text,
        latency_ms=int((workflow.now() - started).total_seconds() * 1000))


def added(usage: GenerateResult, more: list[GenerateResult]) -> GenerateResult:
    """`usage` with the tokens and cost of the calls `more` added (their model when `usage`
    has none): a stopped version's estimate and the outline finished before it."""
    first = usage if usage.backend or not more else more[0]
    calls = [usage, *more]  # summed in this order: replays add the same floats
    return dataclasses.replace(
        usage, backend=first.backend, model=first.model,
        prompt_tokens=sum(u.prompt_tokens for u in calls),
        completion_tokens=sum(u.completion_tokens for u in calls),
        cost_usd=round(sum(u.cost_usd for u in calls), 6))


async def revise_passages(inp: ReviewInput, version: int, feedback: str, previous_text: str,
                          passages: list[PassageInput], max_tokens: int = 0
                          ) -> tuple[GenerateResult, list[ChangeRecord]]:
    """Each commented passage rewritten in its own activity, spliced into `previous_text`;
    they share `max_tokens` (0: no limit of the draft's own)."""
    started = workflow.now()
    llm_options = options.llm(inp.policy)
    workflow_id = workflow.info().workflow_id
    limit = asyncio.Semaphore(max(1, inp.policy.llm_section_concurrency))
    count = len(passages)
    each = budgets.share(max_tokens, count)

    async def one(index: int, p: PassageInput) -> GenerateResult | ActivityError:
        before, after = revisions.context(previous_text, p.start, p.end)
        async with limit:
            try:
                return await workflow.execute_activity(
                    REVISE_PASSAGE,
                    ReviseInput(draft_id=inp.draft_id, workflow_id=workflow_id,
                                version=version, brief=inp.brief, passage=p.text,
                                before=before, after=after, thread=p.thread,
                                feedback=feedback, index=index, count=count,
                                max_tokens=each),
                    result_type=GenerateResult,
                    summary=f"version {version} passage {index + 1}/{count}",
                    **llm_options,
                )
            except ActivityError as err:  # this passage keeps its text; the others go on
                return err

    results = await asyncio.gather(*(one(i, p) for i, p in enumerate(passages)))
    done = [r for r in results if isinstance(r, GenerateResult)]
    if not done:
        first = results[0]
        assert isinstance(first, ActivityError)
        raise first  # nothing rewritten: the revision failed, as a whole-draft one would
    text, placed = revisions.apply(previous_text, [
        (p.start, p.end, r.text if isinstance(r, GenerateResult) else p.text)
        for p, r in zip(passages, results, strict=True)])
    changes = [
        ChangeRecord(comment_ids=list(p.comment_ids), old_start=p.start, old_end=p.end,
                     old_text=p.text, start=start, end=end, text=text[start:end],
                     error="" if isinstance(r, GenerateResult) else failure_message(r, inp))
        for p, r, (start, end) in zip(passages, results, placed, strict=True)]
    return _combined(text, done, started), changes


def failure_message(err: ActivityError, inp: ReviewInput) -> str:
    """What the author reads on a failed draft: the provider's refusal as is, or for a
    temporary problem that outlasted the retries, that Redline gave up and why."""
    policy = inp.policy
    cause = err.cause
    while cause is not None and not isinstance(cause, (ApplicationError, ActivityTimeout)) \
            and cause.cause:
        cause = cause.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return cause.message
    if err.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED:
        gave_up = f"Redline gave up after {policy.llm_max_attempts} attempts"
    elif err.retry_state == RetryState.TIMEOUT:
        gave_up = (f"Redline gave up after trying for "
                   f"{duration_words(policy.llm_schedule_to_close_seconds)}")
    else:
        return _plain(err)
    if isinstance(cause, ActivityTimeout):
        if cause.type == TimeoutType.HEARTBEAT:
            why = (f"The LLM provider stopped sending text for over "
                   f"{policy.llm_heartbeat_seconds:g} s.")
        else:
            why = "The LLM provider took too long to write the draft."
    elif isinstance(cause, ApplicationError):
        why = cause.message
    else:
        return _plain(err)
    return f"{why} {gave_up}; use Retry when the provider works again."


def judge_failure(err: ActivityError, inp: ReviewInput) -> str:
    """Why a channel's LLM judge gave no verdict (shown as "Judge unavailable: …")."""
    cause = err.cause
    while cause is not None and not isinstance(cause, (ApplicationError, ActivityTimeout)) \
            and cause.cause:
        cause = cause.cause
    if isinstance(cause, ActivityTimeout) or err.retry_state == RetryState.TIMEOUT:
        return (f"it did not answer in time (given up after "
                f"{duration_words(inp.policy.llm_schedule_to_close_seconds)} at most).")
    if isinstance(cause, ApplicationError):
        tries = f" (after {inp.policy.llm_max_attempts} attempts)" \
            if err.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED else ""
        return f"{cause.message.rstrip('.')}{tries}."
    return _plain(err)


def _plain(err: ActivityError) -> str:
    cause = err.cause
    while cause is not None and not isinstance(cause, ApplicationError) and cause.cause:
        cause = cause.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return f"writing the draft failed: {cause or err}"
