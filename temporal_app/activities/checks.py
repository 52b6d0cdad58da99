"""The checks before a human reads (rulebook.checks): the deterministic ones, run as a local
activity on each new version (milliseconds, no database; the findings are stored with the
version by the projection); the links that must answer, and a channel's LLM judge, as
regular activities beside them. Readability's score is textstat's Flesch reading ease."""

from __future__ import annotations

import time

from temporalio import activity
from temporalio.exceptions import ApplicationError

from rulebook import check_file, check_run, checks, judge
from temporal_app import llm, prompts
from temporal_app.types import (
    CHECK_LINKS,
    JUDGE_DRAFT,
    RUN_CHECKS,
    ChecksInput,
    ChecksResult,
    GenerateResult,
    JudgeInput,
    JudgeResult,
)

MAX_LINKS = 20  # links asked per version; more are not asked (a finding says so)


def flesch(text: str) -> float:
    import textstat

    return float(textstat.flesch_reading_ease(text))


def _loaded(stored: list[dict]) -> list[checks.Check]:
    try:
        return check_file.load(stored)
    except check_file.ChecksError as err:  # stored checks that no longer read: never retried
        raise ApplicationError(f"The draft's checks cannot be used: {err}", type="BadChecks",
                               non_retryable=True) from None


@activity.defn(name=RUN_CHECKS)
def run_checks(inp: ChecksInput) -> ChecksResult:
    return ChecksResult(findings=check_run.run(_loaded(inp.checks), inp.text,
                                            target_words=inp.target_words, readability=flesch))


@activity.defn(name=CHECK_LINKS)
def check_links(inp: ChecksInput) -> ChecksResult:
    """Each well-formed link of the version, for the links checks with check_reachable: a HEAD
    request (redirects followed), bounded by the check's timeout; anything but a 2xx answer
    is a finding. One attempt: what a link answered is the finding either way."""
    import httpx

    found = []
    for check in _loaded(inp.checks):
        if check.kind != checks.Kind.LINKS or not check.options.get("check_reachable"):
            continue
        timeout = float(check.options.get("timeout", 3))
        targets = [(s, e, url) for s, e, url in check_run.links(inp.text)
                   if check_run.link_host(url)]
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=3,
                          headers={"User-Agent": "Redline link check"}) as client:
            for start, end, url in targets[:MAX_LINKS]:
                address = url if "://" in url else "https://" + url
                started = time.monotonic()
                try:
                    answer = client.head(address)
                    why = "" if answer.is_success else f"HTTP {answer.status_code}"
                except httpx.TimeoutException:
                    why = f"no answer within {timeout:g} s"
                except httpx.HTTPError as err:
                    why = type(err).__name__
                activity.heartbeat(url)
                if why:
                    found.append(check_run.unreachable(check, inp.text, start, end, url, why))
                activity.logger.debug("link %s: %s in %.2f s", url, why or "ok",
                                      time.monotonic() - started)
        if len(targets) > MAX_LINKS:
            found.append(checks.Finding(check.name, check.kind.value, check.severity.value,
                                        f"{len(targets) - MAX_LINKS} more links were not "
                                        f"asked (at most {MAX_LINKS} a version)."))
    return ChecksResult(findings=found)


@activity.defn(name=JUDGE_DRAFT)
def judge_draft(inp: JudgeInput) -> JudgeResult:
    """A channel's rubric, judged by the LLM with a structured answer: an answer that does
    not fit the schema is retried (Temporal asks again); the workflow records "judge
    unavailable" once the attempts are spent, never a pass."""
    prompt = prompts.judge_prompt(inp.rubric, inp.text)
    try:
        completion = llm.get_backend().judge(prompt, judge.JUDGE_SCHEMA)
        findings = judge.judge_findings(completion.text, inp.text, inp.severity)
    except llm.LLMError as err:
        raise llm.to_application_error(err) from None
    except judge.JudgeAnswerError as err:
        raise ApplicationError(str(err), type="JudgeMalformed") from None
    usage = GenerateResult(text="", backend=completion.backend, model=completion.model,
                           prompt_version=prompt.version,
                           prompt_tokens=completion.prompt_tokens,
                           completion_tokens=completion.completion_tokens,
                           latency_ms=completion.latency_ms, cost_usd=completion.cost_usd)
    return JudgeResult(findings=findings, usage=usage)
