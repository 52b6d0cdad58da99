"""rulebook.budgets: what a draft may spend on the LLM (milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime

from rulebook import budgets, decisions
from rulebook.budgets import Budget, Spent
from rulebook.snapshot import Request, Snapshot
from rulebook.states import DecisionKind, ReviewState


def test_a_revision_must_fit_what_is_left():
    budget = Budget(tokens=10_000, usd=1.00)
    assert budgets.revision_refusal(budget, Spent(5_000, 0.50), Spent(2_000, 0.20)) == ""
    over_usd = budgets.revision_refusal(budget, Spent(5_000, 0.94), Spent(2_000, 0.12))
    assert over_usd.startswith("This draft has used USD 0.94 of its USD 1.00 budget; a "
                               "revision would cost about USD 0.12.")
    over_tokens = budgets.revision_refusal(budget, Spent(9_000, 0), Spent(2_000, 0))
    assert "9,000 of its 10,000 LLM tokens" in over_tokens
    assert budgets.revision_refusal(budgets.NO_LIMIT, Spent(10**9, 10**6), Spent(1, 1)) == ""


def test_max_tokens_and_the_daily_cap():
    assert budgets.max_tokens(Budget(10_000, 1), Spent(9_500, 0), 2_000) == 500
    assert budgets.max_tokens(Budget(10_000, 1), Spent(100, 0), 2_000) == 2_000
    assert budgets.max_tokens(budgets.NO_LIMIT, Spent(10**9, 0), 2_000) == 2_000
    assert budgets.max_tokens(Budget(10_000, 1), Spent(20_000, 0), 2_000) == 1
    assert budgets.max_tokens(Budget(10_000, 1), Spent(100, 0)) == 9_900  # no ceiling
    assert budgets.max_tokens(budgets.NO_LIMIT, Spent(100, 0)) == 0  # no limit at all


def test_parallel_calls_share_what_is_left():
    assert budgets.share(9_000, 3) == 3_000
    assert budgets.share(2, 3) == 1  # never 0: that would mean no limit
    assert budgets.share(0, 3) == 0
    assert "daily limit of USD 5.00" in budgets.daily_refusal(5.0, 5.0)
    assert budgets.daily_refusal(4.99, 5.0) == "" and budgets.daily_refusal(99, 0) == ""
    assert budgets.shown(Budget(60_000, 1), Spent(3_400, 0.12)) == \
        "USD 0.12 of USD 1.00 · 3,400 of 60,000 tokens"


def test_a_stopped_version_estimates_the_next_revision_only_without_a_whole_one():
    whole, part = Spent(2_000, 0.02), Spent(300, 0.003)
    assert budgets.newest_cost(whole, part, stopped=True) == whole
    assert budgets.newest_cost(Spent(), part, stopped=True) == part  # nothing better known
    assert budgets.newest_cost(whole, part, stopped=False) == part


def test_the_decision_rule_refuses_a_revision_over_budget_with_the_sentence():
    snap = Snapshot(state=ReviewState.AWAITING_REVIEW, version=1, author_id=1,
                    text="x" * 1000, budget=Budget(10_000, 1.0), spent=Spent(9_000, 0.5),
                    last_version=Spent(2_000, 0.1))
    now = datetime(2026, 12, 7, tzinfo=UTC)
    whole = decisions.refusal(snap, Request(DecisionKind.REQUEST_CHANGES, 2, 1, "More."), now)
    assert whole.code == "OverBudget" and "9,000 of its 10,000" in whole.sentence
    # a passage of a tenth of the text is estimated at a tenth of the version: it fits
    assert decisions.refusal(snap, Request(DecisionKind.REQUEST_CHANGES, 2, 1, "",
                                           passages=((0, 100, "x" * 100),)), now) is None
    assert decisions.refusal(snap, Request(DecisionKind.APPROVE, 2, 1), now) is None
