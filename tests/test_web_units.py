"""Diffs, Markdown sanitising and the forms: no database, no Temporal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string

from drafts.diff import diff_lines, versions_with_diffs
from drafts.forms import DraftForm
from drafts.markdown import render_markdown
from drafts.paging import Page, capped
from review.admin_views import MARKER, _row_links
from review.forms import DECISION_CHOICES, EDIT_DECISION, QUICK_DECISIONS, DecisionForm
from rulebook import states
from rulebook.states import DecisionKind, ReviewState
from temporal_app.visibility import PendingPage, PendingRow
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
     "Requesting changes needs feedback for the writer, or comments on the passages to "
     "change."),
    ({"decision": "approve_with_edits", "text": "  "}, "text", "The edited text is empty."),
    ({"decision": "delete_everything"}, "decision", "Choose a decision."),
])
def test_decision_form_needs_the_right_fields(data, field, message):
    form = DecisionForm({"version": "1", **data})
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_decision_form_approve_needs_no_comment():
    assert DecisionForm({"version": "1", "decision": "approve"}).is_valid()


def test_decision_panel_takes_its_choices_from_the_rulebook():
    assert [c.kind for c in DECISION_CHOICES] == list(states.EDITOR_DECISIONS)
    assert {c.kind: c.comment_label for c in DECISION_CHOICES} == {
        DecisionKind.APPROVE: "Comment (optional)",
        DecisionKind.REJECT: "Reason (required)",  # required: the rulebook refuses it bare
        DecisionKind.REQUEST_CHANGES: "Feedback for the writer (required)",
        DecisionKind.APPROVE_WITH_EDITS: "Comment (optional)",
    }
    assert EDIT_DECISION.kind == DecisionKind.APPROVE_WITH_EDITS
    assert EDIT_DECISION not in QUICK_DECISIONS and len(QUICK_DECISIONS) == 3


def test_capped_counts_read_as_at_least():
    assert str(capped(7, 99)) == "7"
    over = capped(100, 99)
    assert over == 99 and str(over) == "99+"
    html = Template("{{ n }} draft{{ n|pluralize }}").render(Context({"n": capped(1001, 1000)}))
    assert html == "1000+ drafts"
    page = Page(object_list=[], number=2, size=50, count=over, has_next=True)
    assert page.num_pages is None and page.has_previous and page.has_other_pages()
    assert (page.previous_page_number(), page.next_page_number()) == (1, 3)
    assert Page(object_list=[], number=1, size=50, count=120, has_next=True).num_pages == 3
    assert not Page(object_list=[], number=1, size=50, count=0, has_next=False).has_other_pages()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_fast_date_filters_print_what_the_date_filter_prints(settings, zone):
    settings.TIME_ZONE = zone
    moment = datetime(2026, 3, 29, 1, 30, 5, 123456, tzinfo=UTC)
    fast = Template("{% load redline %}{{ d|iso }} {{ d|minute }}|{{ none|iso }}")
    slow = Template("{{ d|date:'c' }} {{ d|date:'Y-m-d H:i' }}|")
    context = {"d": moment, "none": None}
    assert fast.render(Context(context)) == slow.render(Context(context))


def test_pending_rows_offer_deadline_actions_only_while_awaiting_review():
    def row(pk, state):
        return PendingRow(draft_id=pk, workflow_id=f"draft-{pk}", run_id="r", state=state.value,
                          revision=0, deadline=None, started=None, task_queue="q", ui_url="#")

    rows = [row(1, ReviewState.AWAITING_REVIEW), row(2, ReviewState.REVISING)]
    assert [r.awaiting_review for r in rows] == [True, False]
    page = PendingPage(rows=rows, next_token=None, counts={}, total=2, query="")
    links = _row_links([1, 2], "/review/pending/?state=x")
    assert links[1]["extend"] == "/review/pending/1/extend/?next=%2Freview%2Fpending%2F%3Fstate%3Dx"
    # The way back is kept as it is, even when it holds the marker id the links start from.
    back = _row_links([3], f"/review/pending/?page={MARKER}")[3]["cancel"]
    assert back == f"/review/pending/3/cancel/?next=%2Freview%2Fpending%2F%3Fpage%3D{MARKER}"
    html = render_to_string("review/pending.html#results", {
        "page": page, "rows": [(r, None, links[r.draft_id]) for r in rows]})
    first, second = html.split('id="wf-2"')
    assert "/review/pending/1/extend/" in first and "/review/pending/1/remind/" in first
    assert "/extend/" not in second and "/review/pending/2/cancel/" in second
