"""The LLM activity: writes one version of a draft. Returns the text; storing it is another
activity, so a retry after a successful call never calls the LLM again."""

from __future__ import annotations

from dataclasses import asdict

from temporalio import activity
from temporalio.exceptions import ApplicationError

from temporal_app import llm, prompts
from temporal_app.types import GENERATE_DRAFT, GenerateInput, GenerateResult


@activity.defn(name=GENERATE_DRAFT)
def generate_draft(inp: GenerateInput) -> GenerateResult:
    if inp.feedback:
        prompt = prompts.revise_prompt(inp.brief, inp.previous_text, inp.feedback)
    else:
        prompt = prompts.draft_prompt(inp.brief)
    meta = {**asdict(inp.brief), "feedback": inp.feedback}
    try:
        completion = llm.get_backend().complete(prompt, meta)
    except llm.LLMError as err:
        raise ApplicationError(err.message, type=err.kind, non_retryable=not err.retryable) \
            from err
    return GenerateResult(
        text=completion.text,
        backend=completion.backend,
        model=completion.model,
        prompt_version=prompt.version,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        latency_ms=completion.latency_ms,
    )
