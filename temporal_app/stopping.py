""""Stop writing", as the review workflow carries it out (workflow-side code).

A stop is accepted by the workflow's `stop_writing` Update (rulebook.writing says whether it
may be); the run loop sees it while the LLM writes, cancels the activity and calls
`StopRun._stopped`: keep the text so far as the version (read by a local activity: the
workflow never follows the partial text) or discard it. `_answer_stop` gives the Update its
definite answer, whatever happened instead. A mixin: the workflow keeps the run loop and the
one write (`_record`, `_start_step`) it calls.

Django-free: runs inside the workflow sandbox (worker.SANDBOX_PASSTHROUGH).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from temporalio import workflow

import rulebook.writing as writing_rules
import temporal_app.options as options
import temporal_app.writing as writing
from rulebook.states import EventKind
from temporal_app.types import (
    READ_STREAMED,
    DecisionResult,
    GenerateResult,
    StreamedInput,
    StreamedResult,
)


class Discarded:
    """The writing's answer for a revision stopped and discarded: no new version."""


DISCARDED = Discarded()


@dataclass
class Stop:
    """A stop of the writing the run loop carries out (rulebook.writing); `result` answers it."""

    keep: bool
    actor_id: int
    actor: str
    result: DecisionResult | None = None
    error: str = ""
    kept: str = ""  # kept: the answer, given once the version is stored


class StopRun:
    async def _stopped(self, number: int) -> tuple | Discarded | None:
        """ "Stop writing" cancelled the LLM: keep the text so far as version `number`,
        or discard it: a first draft is withdrawn, a revision goes back to the previous
        version. A write that fails here fails the run, which answers the stop with why."""
        stop = self._stop
        assert stop is not None
        so_far = StreamedResult(text="")
        if stop.keep:
            so_far = await workflow.execute_local_activity(
                READ_STREAMED, StreamedInput(draft_id=self._inp.draft_id, version=number),
                result_type=StreamedResult, summary=f"text so far of version {number}",
                **options.project(self._inp.policy))
        count, first = writing_rules.words(so_far.text), self._version == 0
        message = writing_rules.stop_message(keep=stop.keep, first=first, count=count,
                                             number=number, actor=stop.actor)
        if count:  # published by the run loop as the version, answered once it is stored
            stop.kept = message
            # its usage estimated from the prompt and the words so far (none from runs that
            # stopped before the estimate was read)
            usage = so_far.usage or GenerateResult(text="", backend="", model="",
                                                   prompt_version=writing_rules.STOPPED_PROMPT)
            if self._finished:  # a long piece's outline, written before the sections
                usage = writing.added(usage, self._finished)
            return dataclasses.replace(usage, text=so_far.text), [], True
        if first:
            await self._record(EventKind.WITHDRAWN, actor_id=stop.actor_id,
                               comment="Stopped while the first version was written.")
        else:
            self._start_step()  # the previous version waits again, with a fresh deadline
            await self._record(EventKind.WRITING_STOPPED, actor_id=stop.actor_id,
                               comment=f"Stopped while version {number} was written.")
        self._answer_stop(message)
        return None if first else DISCARDED

    def _answer_stop(self, message: str) -> None:
        """Answer a stop that is waiting (if any): what happened instead, or what it did."""
        stop, self._stop = self._stop, None
        if stop is not None and stop.result is None:
            stop.result = DecisionResult(state=self._state.value, version=self._version,
                                         message=stop.kept or message)
