"""rulebook.judge (issue 23): the LLM judge's answer as findings. Milliseconds."""

from __future__ import annotations

import pytest

from rulebook import judge


def test_the_judges_answer_becomes_findings_anchored_where_it_quotes():
    text = "# Launch\n\nOur planner is the best. It saves time.\n"
    answer = ('{"findings": [{"criterion": "No claims without a source", "quote": '
              '"Our planner is the best.", "reason": "No source."}, {"criterion": "Tone", '
              '"quote": "not in the text", "reason": "Too casual."}]}')
    first, second = judge.judge_findings(answer, text)
    assert (first.check, first.kind, first.severity, first.quote) == (
        "judge", "judge", "warn", "Our planner is the best.")
    assert text[first.start:first.end] == first.quote
    assert first.message == "No claims without a source: No source."
    assert second.quote == "" and "which is not in the text" in second.message
    blocking = judge.judge_findings('{"findings": []}', text, "block")
    assert blocking == []


@pytest.mark.parametrize("answer", [
    "not json", '{"items": []}', '{"findings": [{"criterion": "x"}]}',
    '{"findings": [{"criterion": 1, "quote": "", "reason": ""}]}', "[]",
])
def test_a_judge_answer_that_does_not_fit_the_schema_is_refused(answer):
    with pytest.raises(judge.JudgeAnswerError):
        judge.judge_findings(answer, "text")
