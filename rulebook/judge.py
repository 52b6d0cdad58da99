"""The LLM judge of a channel's rubric (issue 23): the JSON schema its answer must fit, and
the answer as findings (anchored where each quote stands; never dropped), or why there are
none ("Judge unavailable: …", never a pass).
"""

from __future__ import annotations

import json

from rulebook.checks import JUDGE, Finding, Severity, finding_at

# ------------------------------------------------------------------ the LLM judge

MAX_RUBRIC = 4_000  # characters of a channel's rubric
MAX_JUDGE_FINDINGS = 20
# The structured answer asked of the judge (the OpenAI SDK's JSON-schema response format).
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"findings": {"type": "array", "maxItems": MAX_JUDGE_FINDINGS, "items": {
        "type": "object",
        "properties": {"criterion": {"type": "string"}, "quote": {"type": "string"},
                       "reason": {"type": "string"}},
        "required": ["criterion", "quote", "reason"], "additionalProperties": False}}},
    "required": ["findings"], "additionalProperties": False,
}


class JudgeAnswerError(ValueError):
    """The judge's answer does not fit JUDGE_SCHEMA (asked again, then "unavailable")."""


def rubric_problem(rubric: str) -> str:
    if len(rubric) > MAX_RUBRIC:
        return f"A rubric can be at most {MAX_RUBRIC:,} characters."
    return ""


def judge_findings(answer: str, text: str, severity: str = Severity.WARN.value
                   ) -> list[Finding]:
    """The judge's JSON answer as findings on `text`: each anchored where its quote is (a
    quote not in the text, or empty, becomes a finding about the whole draft that says what
    it quoted: never dropped). Raises JudgeAnswerError when the answer does not fit."""
    try:
        data = json.loads(answer)
    except ValueError as err:
        raise JudgeAnswerError(f"the judge's answer is not JSON ({err})") from None
    items = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(items, list) or set(data) != {"findings"}:
        raise JudgeAnswerError("the judge's answer has no `findings` list")
    found = []
    for item in items[:MAX_JUDGE_FINDINGS]:
        if not isinstance(item, dict) or set(item) != {"criterion", "quote", "reason"} or \
                not all(isinstance(item[k], str) for k in item):
            raise JudgeAnswerError("a finding of the judge lacks its criterion, quote or reason")
        criterion, quote = item["criterion"].strip()[:200], item["quote"].strip()
        message = f"{criterion}: {item['reason'].strip()[:1000]}"
        at = text.find(quote) if quote else -1  # the first place it stands, if it does
        if at < 0:
            if quote:
                message += f" (it quoted \u201c{quote[:200]}\u201d, which is not in the text)"
            found.append(Finding(JUDGE, JUDGE, severity, message))
        else:
            found.append(finding_at(JUDGE, JUDGE, severity, text, at, at + len(quote), message))
    return found


def judge_unavailable(why: str) -> Finding:
    """The judge did not answer (or not in shape): shown, never taken for a pass."""
    return Finding(JUDGE, JUDGE, Severity.WARN.value, f"Judge unavailable: {why}")


