"""Errors people read. Each carries a full sentence (`str(err)`) and a stable `code`.

Raised by the gateway (temporal_app/gateway.py, the one place that turns engine errors into
these) and by the services; caught by views and commands, which show the sentence.
"""

from __future__ import annotations


class RedlineError(Exception):
    code = "Error"

    def __init__(self, sentence: str, code: str | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        if code:
            self.code = code


class Refused(RedlineError):
    """The request was understood and answered no; nothing was recorded."""

    code = "Refused"


class DecisionRefused(Refused):
    """The rulebook refused a decision (validator, handler or the web's early check)."""


class InvalidBrief(Refused):
    """A brief the rulebook refuses (rulebook.inputs.brief_problems); `problems` maps field to
    sentence."""

    code = "InvalidBrief"

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


class RetryRefused(Refused):
    """Only a failed draft can be retried."""

    code = "NotFailed"


class ReviewAlreadyRunning(Refused):
    code = "AlreadyRunning"


class ReviewNotFound(Refused):
    """Temporal has no (running) workflow for the draft."""

    code = "NotFound"


class EngineUnavailable(RedlineError):
    """Temporal or the worker did not answer; nothing was recorded and nothing will be."""

    code = "Unavailable"


class DecisionAccepted(RedlineError):
    """The workflow accepted the decision but did not finish recording it in time: it will
    be recorded (this is not a failure; the sentence says so)."""

    code = "Accepted"
