"""The checks before a human reads (rulebook.checks): the deterministic ones, run as a local
activity on each new version (milliseconds, no database; the findings are stored with the
version by the projection). Readability's score is textstat's Flesch reading ease."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from rulebook import checks
from temporal_app.types import RUN_CHECKS, ChecksInput, ChecksResult


def flesch(text: str) -> float:
    import textstat

    return float(textstat.flesch_reading_ease(text))


@activity.defn(name=RUN_CHECKS)
def run_checks(inp: ChecksInput) -> ChecksResult:
    try:
        loaded = checks.load(inp.checks)
    except checks.ChecksError as err:  # stored checks that no longer read: never retried
        raise ApplicationError(f"The draft's checks cannot be used: {err}", type="BadChecks",
                               non_retryable=True) from None
    return ChecksResult(findings=checks.run(loaded, inp.text, target_words=inp.target_words,
                                            readability=flesch))
