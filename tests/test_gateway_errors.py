"""The gateway's one translation of engine errors into sentences (temporal_app/gateway.py):
a refusal stays a refusal; a workflow's own failure in an Update's validator or handler is
not dressed up as one (it once came back to an editor as "module 'rulebook.checks' has no
attribute 'run'", read as the rulebook's answer)."""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from temporal_app import errors, gateway


def test_a_refusal_is_a_refusal_and_an_internal_failure_says_nothing_was_recorded():
    refused = gateway._translate(WorkflowUpdateFailedError(ApplicationError(
        "Version 1 is no longer current.", type="StaleVersion", non_retryable=True)),
        doing="decide")
    assert isinstance(refused, errors.DecisionRefused)
    assert (refused.sentence, refused.code) == ("Version 1 is no longer current.",
                                                "StaleVersion")
    broken = gateway._translate(WorkflowUpdateFailedError(ApplicationError(
        "module 'rulebook.checks' has no attribute 'run'", type="AttributeError")),
        doing="decide")
    assert isinstance(broken, errors.EngineUnavailable) and broken.code == "WorkflowError"
    assert "Nothing was recorded" in broken.sentence and "AttributeError" in broken.sentence
    assert "has no attribute" not in broken.sentence  # the code's words are not for editors
