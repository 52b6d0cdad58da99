"""What a draft may spend on the LLM (issue 25): its budget in tokens and US dollars (the
site's default, or its channel's, fixed when it is submitted), what it has spent (every LLM
call's usage, as the versions and suggestions record it), whether a revision fits what is
left, the `max_tokens` a call may use, and each author's daily spend.

A revision is estimated at what the last written version cost (a targeted revision at the
share of the text its passages are): "about", never a promise. A budget of 0 is no limit.
Pure functions of plain values: the workflow's validator, the review page and the submit
service ask the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TOKENS = 60_000
DEFAULT_USD = 1.00
MIN_CALL_TOKENS = 256  # a call with less left than this is not worth starting


@dataclass(frozen=True)
class Budget:
    tokens: int = DEFAULT_TOKENS  # 0: no limit
    usd: float = DEFAULT_USD  # 0: no limit


@dataclass(frozen=True)
class Spent:
    tokens: int = 0
    usd: float = 0.0

    def __add__(self, other: Spent) -> Spent:
        return Spent(self.tokens + other.tokens, round(self.usd + other.usd, 6))

    def scaled(self, share: float) -> Spent:
        return Spent(int(self.tokens * share), round(self.usd * share, 6))


NO_LIMIT = Budget(0, 0.0)


def usd(amount: float) -> str:
    return f"USD {amount:,.2f}"


def newest_cost(last: Spent, cost: Spent, *, stopped: bool) -> Spent:
    """What the next revision is estimated from once a version costing `cost` is stored: that
    version's cost, unless it was stopped part-way (it cost less than a whole one would) and
    an earlier version gave a whole figure (`last`)."""
    return last if stopped and last.tokens else cost


def revision_refusal(budget: Budget, spent: Spent, estimate: Spent) -> str:
    """Why a revision that would cost about `estimate` cannot start, or ""."""
    if budget.usd and spent.usd + estimate.usd > budget.usd:
        return (f"This draft has used {usd(spent.usd)} of its {usd(budget.usd)} budget; a "
                f"revision would cost about {usd(estimate.usd)}. Approve or reject it, or ask "
                "an admin for a larger budget on its channel.")
    if budget.tokens and spent.tokens + max(estimate.tokens, MIN_CALL_TOKENS) > budget.tokens:
        return (f"This draft has used {spent.tokens:,} of its {budget.tokens:,} LLM tokens; "
                f"a revision would take about {estimate.tokens:,}. Approve or reject it, or "
                "ask an admin for a larger budget on its channel.")
    return ""


def max_tokens(budget: Budget, spent: Spent, ceiling: int = 0) -> int:
    """The most tokens the next call may write: the site's ceiling, or what is left if less
    (0: neither sets a limit)."""
    if not budget.tokens:
        return ceiling
    left = max(1, budget.tokens - spent.tokens)
    return min(ceiling, left) if ceiling else left


def share(limit: int, calls: int) -> int:
    """The most tokens each of `calls` parallel calls may write when together they have
    `limit` (0: no limit)."""
    return max(1, limit // max(1, calls)) if limit else 0


def daily_refusal(spent_today_usd: float, cap_usd: float) -> str:
    """Why an author may not submit another draft today (UTC), or ""."""
    if cap_usd and spent_today_usd >= cap_usd:
        return (f"You have used {usd(spent_today_usd)} of LLM writing today, your daily "
                f"limit of {usd(cap_usd)}; submit again tomorrow (UTC) or ask an admin.")
    return ""


def shown(budget: Budget, spent: Spent) -> str:
    """The draft page's line: what it spent against what it may."""
    money = f"{usd(spent.usd)} of {usd(budget.usd)}" if budget.usd else usd(spent.usd)
    tokens = f"{spent.tokens:,} of {budget.tokens:,} tokens" if budget.tokens \
        else f"{spent.tokens:,} tokens"
    return f"{money} · {tokens}"
