"""The LLM activities: write one version of a draft in one call (`generate_draft`), or for
long pieces plan it (`outline_draft`) and write each section (`write_section`, run in
parallel by the workflow), or rewrite one commented passage (`revise_passage`, one per
passage, in parallel: the targeted revision). They return text; storing it is another
activity, so a retry after a successful call never calls the LLM again.

While text streams in they heartbeat (so a hung stream times out and is retried) and add the
characters received to Draft.progress_chars, at most once every LLM_PROGRESS_INTERVAL; an
attempt that fails takes its characters back off, so retries and parallel sections add up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict

from django import db
from django.conf import settings
from django.db import DatabaseError
from temporalio import activity

from drafts import projection
from rulebook import revisions
from temporal_app import llm, prompts
from temporal_app.types import (
    GENERATE_DRAFT,
    OUTLINE_DRAFT,
    REVISE_PASSAGE,
    WRITE_SECTION,
    GenerateInput,
    GenerateResult,
    OutlineInput,
    OutlineResult,
    ReviseInput,
    SectionInput,
)


class Progress:
    """on_progress callback: heartbeats every few seconds and writes progress_chars; for a
    call that writes a version's text (`version`: its number; `part`: 0, or a section's
    number of `parts`), the text so far too (projection.stream), every LLM_STREAM_INTERVAL
    per part: a draft's parallel sections together write no more often than one call. Text
    that arrives just after a write is written one interval later by a timer, so a pause in
    the stream never hides the words before it."""

    def __init__(self, draft_id: int, version: int = 0, part: int = 0, heading: str = "",
                 parts: int = 1, headings: list[str] | None = None) -> None:
        self.draft_id = draft_id
        self.version, self.part, self.heading = version, part, heading
        self.chars = 0
        self.text: Callable[[], str] = str
        self.call = projection.StreamCall()  # set by _run once it knows the backend
        self.stored = 0  # characters of this attempt's text stored (version calls)
        self.counted = 0  # characters this attempt has added to Draft.progress_chars
        info = activity.info()
        self.attempt = info.attempt
        timeout = info.heartbeat_timeout.total_seconds() if info.heartbeat_timeout else 0
        self.heartbeat_every = min(2.0, timeout / 3) if timeout else 2.0
        self.store_every = settings.LLM_STREAM_INTERVAL * max(1, parts) if version \
            else settings.LLM_PROGRESS_INTERVAL
        # The first heartbeat goes out once the call has run for `heartbeat_every`: a quick
        # call costs Temporal no heartbeat round trip at all.
        self.last_heartbeat = self.last_store = self.last_count = time.monotonic()
        self._lock = threading.Lock()  # the call's thread and the flush timer
        self._timer: threading.Timer | None = None
        if version and headings:  # every section's place, before the others start
            self._places(headings)
        if version and self.attempt > 1:  # a retry: the page says the text starts again
            self._store(reset=True)

    def __call__(self, chars: int, text: Callable[[], str] = str) -> None:
        self.chars, self.text = chars, text
        now = time.monotonic()
        if now - self.last_heartbeat >= self.heartbeat_every:
            activity.heartbeat({"chars": chars})
            self.last_heartbeat = now
        if now - self.last_store >= self.store_every:
            with self._lock:
                self._store()
                self.last_store = now
        elif self.version and self._timer is None:
            self._timer = threading.Timer(self.store_every - (now - self.last_store),
                                          self._flush)
            self._timer.daemon = True
            self._timer.start()

    def _flush(self) -> None:
        """The timer: write what arrived since the last write (its own connection, closed)."""
        try:
            with self._lock:
                self._timer = None
                if self.chars != self.stored:
                    self._store()
                    self.last_store = time.monotonic()
        finally:
            db.connection.close()

    def _cancel(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _places(self, headings: list[str]) -> None:
        try:
            projection.places(self.draft_id, version=self.version, headings=headings)
        except DatabaseError as err:  # cosmetic, as _store
            activity.logger.warning("could not store the sections of draft %s: %s",
                                    self.draft_id, err)

    def _store(self, *, reset: bool = False, final: bool = False) -> None:
        if self.chars == self.stored and not reset and not final:
            return
        now = time.monotonic()
        # The count ("N characters so far", the draft's row) at most every
        # LLM_PROGRESS_INTERVAL; a version's text, every store: one write, not two, per batch.
        count = reset or final or not self.version or \
            now - self.last_count >= settings.LLM_PROGRESS_INTERVAL
        delta = self.chars - self.counted if count else 0
        try:
            if self.version:
                projection.stream(self.draft_id, version=self.version, part=self.part,
                                  attempt=self.attempt, heading=self.heading,
                                  text="" if reset else self.text(), delta=delta,
                                  call=self.call)
            else:
                projection.add_progress(self.draft_id, delta)
        except DatabaseError as err:  # progress is cosmetic: never fail the draft over it
            activity.logger.warning("could not store progress of draft %s: %s",
                                    self.draft_id, err)
            return
        self.stored = self.chars
        if count:
            self.counted, self.last_count = self.chars, now

    def done(self, chars: int, text: str, *, store: bool) -> None:
        """The call finished with `text`; `store` it when other calls of the same version are
        still streaming (sections), else the new version replaces the count."""
        self._cancel()
        with self._lock:
            self.chars, self.text = chars, lambda: text
            if store:
                self._store(final=True)

    def undo(self) -> None:
        """A failed attempt: its characters do not count and its text goes (the retry streams
        them again)."""
        self._cancel()
        with self._lock:
            self.chars = 0
            self._store(reset=True)


def _stall_timeout() -> float | None:
    """Give up reading a silent stream a little after Temporal's heartbeat timeout fires."""
    timeout = activity.info().heartbeat_timeout
    return timeout.total_seconds() * 2 if timeout else None


def _run(draft_id: int, prompt: llm.Prompt, meta: dict, *, part: bool = False,
         progress: Progress | None = None) -> llm.Completion:
    """One LLM call with progress; `part`: one of several calls writing a version."""
    progress = progress or Progress(draft_id)
    try:
        backend = llm.get_backend(_stall_timeout())
        progress.call = projection.StreamCall(
            backend.name, backend.model, llm.estimate_tokens(prompt.system + prompt.user))
        completion = backend.complete(prompt, meta, progress)
    except llm.LLMError as err:
        progress.undo()
        activity.logger.warning("LLM call failed (%s, retryable=%s): %s", err.kind,
                                err.retryable, err.message)
        raise llm.to_application_error(err) from err
    except BaseException:
        progress.undo()
        raise
    progress.done(len(completion.text), completion.text, store=part)
    return completion


def _result(completion: llm.Completion, prompt_version: str, text: str | None = None
            ) -> GenerateResult:
    return GenerateResult(
        text=completion.text if text is None else text,
        backend=completion.backend,
        model=completion.model,
        prompt_version=prompt_version,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        latency_ms=completion.latency_ms,
        cost_usd=completion.cost_usd,
    )


@activity.defn(name=GENERATE_DRAFT)
def generate_draft(inp: GenerateInput) -> GenerateResult:
    if inp.feedback:
        prompt = prompts.revise_prompt(inp.brief, inp.previous_text, inp.feedback)
    else:
        prompt = prompts.draft_prompt(inp.brief)
    meta = {**asdict(inp.brief), "kind": "draft", "feedback": inp.feedback,
            "max_tokens": inp.max_tokens}
    return _result(_run(inp.draft_id, prompt, meta,
                        progress=Progress(inp.draft_id, inp.version)), prompt.version)


@activity.defn(name=OUTLINE_DRAFT)
def outline_draft(inp: OutlineInput) -> OutlineResult:
    prompt = prompts.outline_prompt(inp.brief, inp.sections, inp.previous_text, inp.feedback)
    meta = {**asdict(inp.brief), "kind": "outline", "sections": inp.sections,
            "feedback": inp.feedback, "max_tokens": inp.max_tokens}
    completion = _run(inp.draft_id, prompt, meta, part=True)
    title, intro, sections = prompts.parse_outline(completion.text, inp.brief.topic,
                                                   limit=inp.sections + 2)
    if len(sections) < 2:
        raise llm.to_application_error(llm.LLMError(
            "The LLM provider's outline for this long piece had no usable sections.",
            retryable=True, kind="LLMMalformed"))
    return OutlineResult(title=title, intro=intro, headings=[h for h, _ in sections],
                         notes=[n for _, n in sections],
                         usage=_result(completion, prompt.version, text=""))


@activity.defn(name=WRITE_SECTION)
def write_section(inp: SectionInput) -> GenerateResult:
    heading = inp.headings[inp.index]
    previous = prompts.split_sections(inp.previous_text).get(heading, "") if inp.feedback \
        else ""
    prompt = prompts.section_prompt(inp.brief, title=inp.title, headings=inp.headings,
                                    index=inp.index, notes=inp.notes, words=inp.words,
                                    feedback=inp.feedback, previous_section=previous)
    meta = {**asdict(inp.brief), "kind": "section", "heading": heading, "words": inp.words,
            "feedback": inp.feedback, "max_tokens": inp.max_tokens}
    completion = _run(inp.draft_id, prompt, meta, part=True, progress=Progress(
        inp.draft_id, inp.version, part=inp.index + 1, heading=heading,
        parts=len(inp.headings), headings=list(inp.headings)))
    return _result(completion, prompt.version, text=_as_section(completion.text, heading))


@activity.defn(name=REVISE_PASSAGE)
def revise_passage(inp: ReviseInput) -> GenerateResult:
    """The passage rewritten for its comments. An answer that cannot go into the text
    (rulebook.revisions.answer_problem: empty, far longer, repeating the text around it) is
    refused as a retryable error: Temporal asks again, up to the LLM policy's attempts."""
    thread = revisions.thread_text(inp.thread)
    prompt = prompts.passage_prompt(inp.brief, passage=inp.passage, before=inp.before,
                                    after=inp.after, thread=thread, feedback=inp.feedback)
    meta = {**asdict(inp.brief), "kind": "passage", "passage": inp.passage,
            "before": inp.before, "after": inp.after, "thread": thread,
            "feedback": inp.feedback, "index": inp.index, "max_tokens": inp.max_tokens}
    completion = _run(inp.draft_id, prompt, meta, part=True)
    text = revisions.clean_answer(completion.text, inp.passage)
    if problem := revisions.answer_problem(text, inp.passage, inp.before, inp.after):
        activity.logger.warning("passage %s/%s of draft %s refused: %s", inp.index + 1,
                                inp.count, inp.draft_id, problem)
        raise llm.to_application_error(llm.LLMError(problem, retryable=True,
                                                    kind="LLMMalformed"))
    return _result(completion, prompt.version, text=text)


def _as_section(text: str, heading: str) -> str:
    """Exactly one `## heading` on top, no `# ` title: the workflow concatenates sections."""
    lines = text.strip().splitlines()
    while lines and (lines[0].startswith("# ") or not lines[0].strip()):
        lines.pop(0)
    if not lines or not lines[0].startswith("## "):
        lines = [f"## {heading}", ""] + lines
    return "\n".join(lines).strip() + "\n"
