"""The rulebook's rules as one table of pure tests (no database, no Temporal): each row is a
snapshot, a request, and the refusal code and sentence expected (None = allowed). The engine
paths (validators, handlers, races) are tested against a live worker elsewhere; the
sentences are tested here, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rulebook import authors, deadlines, decisions, delivery, inputs, states
from rulebook.decisions import Decided, Request, Snapshot
from rulebook.states import DecisionKind, EventKind, ReviewState

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
AUTHOR, EDITOR = 1, 2
AWAITING = Snapshot(state=ReviewState.AWAITING_REVIEW, version=2, author_id=AUTHOR,
                    revisions=1, max_revisions=3, deadline=NOW + timedelta(hours=1),
                    text="the current text")
A, RJ, RC, AE = (DecisionKind.APPROVE, DecisionKind.REJECT, DecisionKind.REQUEST_CHANGES,
                 DecisionKind.APPROVE_WITH_EDITS)
W, C = DecisionKind.WITHDRAW, DecisionKind.CANCEL


def ask(kind, actor=EDITOR, version=2, comment="", text="", expires_at=None) -> Request:
    return Request(kind, actor, version, comment, text, expires_at)


# (id, snapshot changes, request, expected code, a phrase of the expected sentence)
CASES = [
    ("approve", {}, ask(A), None, None),
    ("reject with reason", {}, ask(RJ, comment="off-topic"), None, None),
    ("reject without reason", {}, ask(RJ, comment="  "), "Invalid",
     "A rejection needs a reason."),
    ("changes with feedback", {}, ask(RC, comment="shorter"), None, None),
    ("changes without feedback", {}, ask(RC), "Invalid",
     "Requesting changes needs feedback for the writer."),
    ("changes past the cap", {"revisions": 3}, ask(RC, comment="again"), "TooManyRevisions",
     "This draft has had 3 revisions, the most allowed; approve or reject it."),
    ("edit", {}, ask(AE, text="new text"), None, None),
    ("edit empty", {}, ask(AE, text="  \n"), "Invalid", "The edited text is empty."),
    ("edit unchanged", {}, ask(AE, text="the current text"), "Invalid",
     "The edited text is unchanged; use Approve instead."),
    ("edit unchanged, text unknown (web)", {"text": ""}, ask(AE, text="x"), None, None),
    ("edit too long, not also empty", {}, ask(AE, text="x" * (inputs.TEXT_MAX + 1)),
     "Invalid", "The edited text is too long: at most 100,000 characters (it has 100,001)."),
    ("comment too long", {}, ask(A, comment="c" * 4001), "Invalid",
     "The comment is too long: at most 4,000 characters (it has 4,001)."),
    ("NUL in a comment", {}, ask(W, actor=AUTHOR, version=None, comment="a\x00b"), "Invalid",
     "The comment contains a NUL character (U+0000), which cannot be stored; remove it."),
    ("NUL in an edit", {}, ask(AE, text="a\x00b"), "Invalid", "contains a NUL character"),
    ("no version", {}, ask(A, version=None), "Invalid", "Say which version you reviewed"),
    ("own draft", {}, ask(A, actor=AUTHOR), "OwnDraft",
     "You wrote this draft's topic; another editor must review it."),
    ("stale version", {}, ask(A, version=1), "StaleVersion",
     "A newer version exists (version 2; you reviewed version 1). Reload to review it."),
    ("future version", {}, ask(A, version=99), "UnknownVersion",
     "There is no version 99 of this draft yet; the current one is version 2."),
    ("past the deadline", {"deadline": NOW}, ask(A), "Expired",
     "This draft expired; its review deadline has passed."),
    ("while revising", {"state": ReviewState.REVISING}, ask(A), "NotAwaiting",
     "This draft is revising, not awaiting review; wait for the new version."),
    ("while generating", {"state": ReviewState.GENERATING}, ask(RJ, comment="no"),
     "NotAwaiting", "This draft is generating, not awaiting review"),
    ("second decision", {"decided": Decided(A, "editor2", NOW.replace(hour=13, minute=2))},
     ask(RJ, comment="no"), "AlreadyDecided",
     "This draft was already approved by editor2 at 13:02 UTC."),
    ("after an edit", {"decided": Decided(AE, "editor2", None)}, ask(A), "AlreadyDecided",
     "This draft was already approved with edits by editor2."),
    ("while changes are being requested", {"decided": Decided(RC, "editor2", NOW)}, ask(A),
     "AlreadyDecided", "editor2 just requested changes (at 14:00 UTC); wait for the new "
                       "version."),
    ("approved row (web)", {"state": ReviewState.APPROVED}, ask(A), "Closed",
     "This draft was already approved; it takes no more decisions."),
    ("expired", {"state": ReviewState.EXPIRED}, ask(A), "Closed",
     "This draft expired; its review deadline has passed."),
    ("withdrawn", {"state": ReviewState.WITHDRAWN}, ask(A), "Closed",
     "The author withdrew this draft; it takes no more decisions."),
    ("cancelled", {"state": ReviewState.CANCELLED}, ask(RJ, comment="x"), "Closed",
     "An admin cancelled this review; it takes no more decisions."),
    ("failed", {"state": ReviewState.FAILED}, ask(A), "Closed",
     "Writing this draft failed; it takes no decisions until the author retries it."),
    ("late (sender gave up)", {}, ask(A, expires_at=NOW - timedelta(seconds=1)), "Late",
     "not recorded; decide again"),
    ("just in time", {}, ask(A, expires_at=NOW), None, None),
    ("withdraw by the author", {}, ask(W, actor=AUTHOR, version=None), None, None),
    ("withdraw while writing", {"state": ReviewState.GENERATING},
     ask(W, actor=AUTHOR, version=None), None, None),
    ("withdraw by someone else", {}, ask(W, version=None), "NotAuthor",
     "Only the draft's author can withdraw it."),
    ("withdraw a closed draft", {"state": ReviewState.REJECTED},
     ask(W, actor=AUTHOR, version=None), "Closed", "already rejected"),
    ("cancel while revising", {"state": ReviewState.REVISING}, ask(C, actor=3, version=None),
     None, None),
    ("cancel after approval", {"decided": Decided(A, "editor2", None)},
     ask(C, actor=3, version=None), "AlreadyDecided", "already approved by editor2"),
]


@pytest.mark.parametrize(("changes", "request_", "code", "phrase"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decision_rule(changes, request_, code, phrase):
    refusal = decisions.refusal(replace(AWAITING, **changes), request_, NOW)
    if code is None:
        assert refusal is None
    else:
        assert refusal is not None, "expected a refusal"
        assert refusal.code == code
        assert phrase in refusal.sentence


EXTENSIONS = [
    ("an hour", {}, 3600, None),
    ("a minute", {}, 60, None),
    ("under a minute", {}, 59, "Invalid"),
    ("over 30 days", {}, 30 * 24 * 3600 + 1, "Invalid"),
    ("the eleventh", {"extensions": 10}, 3600, "TooManyExtensions"),
    ("not awaiting", {"state": ReviewState.REVISING}, 3600, "NotAwaiting"),
    ("decided", {"decided": Decided(A, "e", None)}, 3600, "NotAwaiting"),
    ("after the deadline", {"deadline": NOW}, 3600, "Expired"),
]


@pytest.mark.parametrize(("changes", "seconds", "code"), [c[1:] for c in EXTENSIONS],
                         ids=[c[0] for c in EXTENSIONS])
def test_extension_rule(changes, seconds, code):
    refusal = deadlines.extension_refusal(replace(AWAITING, **changes), seconds, NOW)
    assert (refusal.code if refusal else None) == code


def test_reminder_rule():
    assert deadlines.reminder_refusal(AWAITING) is None
    assert deadlines.reminder_refusal(replace(AWAITING, reminder_pending=True)).code == "Busy"
    assert deadlines.reminder_refusal(
        replace(AWAITING, state=ReviewState.GENERATING)).code == "NotAwaiting"


def test_retry_and_withdraw_rules():
    assert authors.retry_refusal(ReviewState.FAILED) is None
    assert authors.retry_refusal(ReviewState.APPROVED).sentence == \
        "Only a failed draft can be retried."
    assert authors.withdraw_refusal(ReviewState.AWAITING_REVIEW) is None
    assert authors.withdraw_refusal(ReviewState.EXPIRED).sentence == \
        "This draft is already expired; there is nothing to withdraw."


def test_tables_cover_every_value():
    """Every state, event and decision has its label and place in the tables."""
    assert set(states.STATE_LABELS) == set(ReviewState)
    assert set(states.EVENT_LABELS) == set(EventKind)
    assert set(states.STATE_AFTER) == set(EventKind)
    assert set(states.OUTCOME) == set(DecisionKind)
    assert set(states.PAST_TENSE) == set(DecisionKind)
    # A review run ends in every final state but published (its publishing leads there).
    assert set(states.EVENT_FOR_FINAL_STATE) == states.FINAL_STATES - {
        ReviewState.PUBLISHED}
    assert set(delivery.DELIVERY_LABELS) == set(delivery.DeliveryStatus)
    assert set(decisions.CLOSED_SENTENCES) == states.FINAL_STATES
    for decision, (event, state) in states.OUTCOME.items():
        assert states.STATE_AFTER[event] == state, decision


def test_deadlines_and_extension_keep_the_reminder_distance():
    deadline, remind = deadlines.deadlines(NOW, 24 * 3600, 20 * 3600)
    assert (deadline - NOW, remind - NOW) == (timedelta(hours=24), timedelta(hours=20))
    new_deadline, new_remind = deadlines.extended(deadline, 7200, 24 * 3600, 20 * 3600)
    assert new_deadline - deadline == timedelta(hours=2)
    assert new_deadline - new_remind == timedelta(hours=4)
    assert deadlines.duration_words(7200) == "2 h" and deadlines.duration_words(90) == "1.5 min"


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


def test_a_write_failure_names_the_step_and_bounds_the_reason():
    sentence = decisions.write_failed((EventKind.EDITED, EventKind.APPROVED),
                                      "the database refused it (\x1bbad\n  value" + "x" * 400)
    assert sentence.startswith("Could not record this step (edited by an editor and approved): "
                               "the database refused it (bad value")
    assert "\x1b" not in sentence and "\n" not in sentence and len(sentence) < 450


def test_delivery_rules():
    assert [c for c in (200, 204, 301, 408, 429, 500, 503) if delivery.delivery_retryable(c)] \
        == [200, 204, 301, 408, 429, 500, 503]
    assert not any(delivery.delivery_retryable(c) for c in (400, 401, 403, 404, 410, 422))
    assert delivery.delivery_failed(1, 0.5, "HTTP 410 Gone") == (
        "Delivery failed after 1 attempt; last error: HTTP 410 Gone.")
    assert delivery.delivery_failed(7, 24 * 3600, "timed out\r\nafter 10 s") == (
        "Delivery failed after 7 attempts over 24 h; last error: timed out after 10 s.")
    assert delivery.channel_problem("") == ""
    assert delivery.channel_problem("newsletter-en") == ""
    assert "lower-case" in delivery.channel_problem("Blog")
    assert "one line" in delivery.channel_problem("a\nb")
    assert "too long" in delivery.channel_problem("a" * 51)
    refuse = delivery.retry_delivery_refusal
    assert refuse(ReviewState.REJECTED, 1).code == "NotApproved"
    assert refuse(ReviewState.PUBLISHED, 0).code == "NothingFailed"
    assert refuse(ReviewState.APPROVED, 1) is None
