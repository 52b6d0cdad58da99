"""rulebook.inputs: what is wrong with a piece of text people typed (pure)."""

from __future__ import annotations

import pytest

from rulebook import inputs


@pytest.mark.parametrize(("values", "field", "sentence"), [
    ({"topic": "  "}, "topic", "Enter a topic."),
    ({"topic": "Tides\r\nBcc: x@example.com"}, "topic", "The topic must be one line; remove the "
                                                         "line break."),
    ({"topic": "Tides\u2028more"}, "topic", "The topic must be one line; remove the line break."),
    ({"tone": "calm\nbold"}, "tone", "The tone must be one line; remove the line break."),
    ({"audience": "kids\x1b[31m"}, "audience", "The audience contains a control character "
                                               "(U+001B); remove it."),
    ({"brief": "a\x00b"}, "brief", "The brief contains a NUL character (U+0000), which cannot "
                                   "be stored; remove it."),
    ({"brief": "<script>alert(1)</script>"}, "brief", "The brief must be plain text, not HTML."),
    ({"topic": "x" * (inputs.TOPIC_MAX + 1)}, "topic", "The topic is too long: at most 200 "
                                                          "characters (it has 201)."),
])
def test_brief_problems(values, field, sentence):
    assert inputs.brief_problems(**values) == {field: sentence}


def test_a_brief_may_span_lines_and_tabs():
    assert inputs.brief_problems(topic="Tides", brief="Line one\r\n\tLine two") == {}
