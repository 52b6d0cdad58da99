"""Diffs, Markdown sanitising and the forms: no database, no Temporal."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from drafts.diff import diff_lines, versions_with_diffs
from drafts.forms import DraftForm
from drafts.markdown import render_markdown
from review.forms import DecisionForm
from tests.test_web_common import V1, V2


def test_diff_marks_added_and_removed_lines():
    diff = diff_lines(V1, V2, old_number=1, new_number=2)
    assert (diff.added, diff.removed) == (1, 1)
    kinds = [(line.kind, line.text) for line in diff.lines if line.kind != "same"]
    assert kinds == [("removed", "Twice a day the water rises."),
                     ("added", "Twice a day the water rises and falls.")]
    removed = next(line for line in diff.lines if line.kind == "removed")
    added = next(line for line in diff.lines if line.kind == "added")
    assert (removed.old_no, removed.new_no, added.old_no, added.new_no) == (4, None, None, 4)


def test_diff_folds_long_unchanged_runs():
    old = "\n".join(f"line {i}" for i in range(1, 41))
    new = old.replace("line 20", "line twenty")
    diff = diff_lines(old, new, context=3)
    skipped = [line for line in diff.lines if line.kind == "skipped"]
    assert [s.skipped for s in skipped] == [16, 17]
    assert sum(1 for line in diff.lines if line.kind == "same") == 6


def test_identical_versions_have_no_changes():
    assert diff_lines(V1, V1).unchanged


def test_versions_with_diffs_is_newest_first():
    class V:
        def __init__(self, number, text):
            self.number, self.text = number, text

    pairs = versions_with_diffs([V(2, V2), V(1, V1)])
    assert [v.number for v, _ in pairs] == [2, 1]
    assert pairs[0][1].old_number == 1 and pairs[1][1] is None


def test_diff_template_escapes_html_and_uses_ins_del():
    diff = diff_lines("safe\n", "<script>alert(1)</script>\n", old_number=1, new_number=2)
    html = render_to_string("drafts/_diff.html", {"diff": diff})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<ins><span class=\"sr-only\">Added: </span>&lt;script&gt;" in html
    assert "<del><span class=\"sr-only\">Removed: </span>safe</del>" in html
    assert "<caption>Changes from version 1 to version 2: 1 line added, 1 line removed" in html


def test_markdown_is_sanitised():
    html = render_markdown("# Hi\n\n<script>x()</script>\n\n[a](javascript:alert(1)) "
                           "<img src=x onerror=y>\n\n**bold**")
    assert "<h2>Hi</h2>" in html and "<strong>bold</strong>" in html
    # Raw HTML comes out as text, never as tags; javascript: links are not made.
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"topic": ""}, "topic", "Enter a topic."),
    ({"topic": "   "}, "topic", "Enter a topic."),
    ({"topic": "x" * 201}, "topic", "Keep the topic to 200 characters or fewer (it has 201)."),
    ({"topic": "<b>Tides</b>"}, "topic", "The topic must be plain text, not HTML."),
    ({"topic": "Tides", "brief": "y" * 4001}, "brief",
     "Keep the brief to 4,000 characters or fewer (it has 4001)."),
    ({"topic": "Tides", "brief": "see <a href=x>this</a>"}, "brief",
     "The brief must be plain text, not HTML."),
    ({"topic": "Tides", "target_words": "5"}, "target_words", None),
])
def test_draft_form_refuses_bad_input(data, field, message):
    form = DraftForm({"target_words": "600", **data})
    assert not form.is_valid()
    assert field in form.errors
    if message:
        assert form.errors[field] == [message]


def test_draft_form_accepts_a_topic_and_gives_a_submission_key():
    form = DraftForm({"topic": "  Tides  ", "target_words": "300"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["topic"] == "Tides"
    assert form.cleaned_data["submission_key"] is not None


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"decision": "reject"}, "comment", "A rejection needs a reason."),
    ({"decision": "request_changes"}, "comment",
     "Requesting changes needs feedback for the writer."),
    ({"decision": "approve_with_edits", "text": "  "}, "text", "The edited text is empty."),
    ({"decision": "delete_everything"}, "decision", "Choose a decision."),
])
def test_decision_form_needs_the_right_fields(data, field, message):
    form = DecisionForm({"version": "1", **data})
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_decision_form_approve_needs_no_comment():
    assert DecisionForm({"version": "1", "decision": "approve"}).is_valid()
