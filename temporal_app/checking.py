"""Checks before a human reads, as the review workflow runs them (workflow-side code).

`ChecksRun` holds the steps of DraftReviewWorkflow that check a new version (rulebook.checks):
`_checked` runs a version's checks and sends blocking findings back to the LLM on its own,
bounded by the draft's rounds and budget; `_run_checks` runs the deterministic checks (a local
activity), the links that must answer and the channel's LLM judge (regular activities) in
parallel. It is a mixin: the workflow keeps the run loop, the writing (`_write`), the one
write (`_record`, `_publish`) and the spend (`_spend`) it calls.

Django-free: runs inside the workflow sandbox (worker.SANDBOX_PASSTHROUGH).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

import rulebook.budgets as budgets
import rulebook.checks as checks
import rulebook.judge as judge
import rulebook.states as states
import temporal_app.options as options
import temporal_app.stopping as stopping
import temporal_app.writing as writing
from rulebook.states import EventKind, VersionKind
from temporal_app.types import (
    CHECK_LINKS,
    JUDGE_DRAFT,
    RUN_CHECKS,
    ChecksInput,
    ChecksResult,
    GenerateResult,
    JudgeInput,
    JudgeResult,
    PassageInput,
)


class ChecksRun:
    async def _checked(self, number: int, event: EventKind, written: tuple
                       ) -> tuple[int, EventKind, tuple | stopping.Discarded] | None:
        """Checks before a human reads (rulebook.checks): version `number` is checked; its
        blocking findings send it back to the LLM on its own (only the passages concerned
        when every one has a passage), up to check_max_auto_revisions rounds a draft and
        while the budget covers them; each round's version is "revised for checks". Not a
        stopped version: a person stopped the LLM. Returns what the run loop publishes
        (the version's findings ride on `written`), or None: the run is over."""
        while True:
            findings = await self._run_checks(number, written[0].text)
            written = (*written[:2], len(written) > 2 and written[2], findings)
            stopped = written[2]
            if stopped or not checks.auto_revision(
                    findings, self._auto_rounds, self._inp.check_max_auto_revisions) \
                    or self._check_round_refused(findings, number, written[0]):
                return number, event, written
            self._auto_rounds += 1
            await self._publish(number, EventKind.SENT_BACK, *written,
                                kind=VersionKind(states.VERSION_KIND_FOR_EVENT[event])
                                if event in states.VERSION_KIND_FOR_EVENT
                                else VersionKind.REVISED,
                                comment=checks.auto_round_comment(
                                    findings, self._auto_rounds,
                                    self._inp.check_max_auto_revisions))
            passages, feedback = checks_plan(written[0].text, findings)
            number, event = number + 1, EventKind.REVISED_FOR_CHECKS
            written = await self._write(number, feedback, passages, automatic=True)
            if written is None or written is stopping.DISCARDED:
                return None if written is None else (number, event, stopping.DISCARDED)

    def _check_round_refused(self, findings: list, number: int, written: GenerateResult
                             ) -> bool:
        """Would the draft's budget not cover an automatic round of version `number` (not
        spent yet: published after this)? Then the editor decides."""
        budget = self._inp.budget
        if budget is None:
            return False
        text = written.text
        usage = budgets.Spent(written.prompt_tokens + written.completion_tokens,
                              written.cost_usd)
        passages, _ = checks_plan(text, findings)
        share = sum(p.end - p.start for p in passages) / max(1, len(text)) if passages else 1
        estimate = budgets.Spent(int(usage.tokens * share) or 1, usage.usd * share)
        return bool(budgets.revision_refusal(budget, self._spent + usage, estimate))

    async def _run_checks(self, number: int, text: str) -> list:
        """A version's checks, in parallel: the deterministic ones (a local activity:
        milliseconds), the links that must answer and the channel's LLM judge (regular
        activities), when it has them. Checks that could not run are findings themselves:
        never a pass."""
        self._judge_usage = budgets.Spent()
        inp = ChecksInput(draft_id=self._inp.draft_id, version=number, text=text,
                          checks=list(self._inp.checks or []),
                          target_words=self._inp.brief.target_words)
        jobs = [self._checks_job(workflow.execute_local_activity(
            RUN_CHECKS, inp, result_type=ChecksResult, summary=f"checks of version {number}",
            **options.checks()), checks.unavailable)]
        reachable = [c for c in self._checks
                     if c.kind == checks.Kind.LINKS and c.options.get("check_reachable")]
        if reachable:
            timeout = max(float(c.options.get("timeout", 3)) for c in reachable)
            jobs.append(self._checks_job(workflow.execute_activity(
                CHECK_LINKS, inp, result_type=ChecksResult,
                summary=f"links of version {number}",
                **options.links(timeout, len(reachable) * 21)), checks.unavailable))
        if self._inp.judge_rubric:
            jobs.append(self._judged(number, text))
        return [f for found in await asyncio.gather(*jobs) for f in found]

    async def _checks_job(self, job, unavailable) -> list:
        try:
            return (await job).findings
        except ActivityError as err:
            return [unavailable(writing.failure_message(err, self._inp))]

    async def _judged(self, number: int, text: str) -> list:
        """The channel's LLM judge: its findings, its cost counted in the draft's spend."""
        try:
            judged = await workflow.execute_activity(
                JUDGE_DRAFT, JudgeInput(draft_id=self._inp.draft_id, version=number,
                                        text=text, rubric=self._inp.judge_rubric,
                                        severity=self._inp.judge_severity),
                result_type=JudgeResult, summary=f"judge version {number}",
                **options.judge(self._inp.policy))
        except ActivityError as err:
            return [judge.judge_unavailable(writing.judge_failure(err, self._inp))]
        self._judge_usage = self._judge_usage + self._spend(judged.usage)
        return judged.findings


def checks_plan(text: str, findings: list) -> tuple[list[PassageInput], str]:
    """An automatic round's passages (rulebook.checks.plan), or the whole draft's feedback."""
    planned, feedback = checks.plan(text, findings)
    return [PassageInput(start=start, end=end, text=text[start:end],
                         thread=[f"checks: {checks.instructions([f])}" for f in found])
            for start, end, found in planned], feedback
