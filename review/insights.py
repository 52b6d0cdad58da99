"""The insight figures (issue 24), read with SQL aggregates over the drafts, their events and
their versions: a constant number of queries whatever the number of drafts, no per-draft
Python loop. The period's drafts are those submitted in it (its cohort): what became of
them, how long they waited, what they cost.

Who sees what: an admin every draft; an editor the drafts of the channels whose policies
have a step for one of their groups, and the drafts they acted on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from drafts import roles
from drafts.models import CheckFinding, Draft, DraftEvent, DraftVersion
from rulebook import insights
from rulebook.insights import Period
from rulebook.policies import EDITORS_GROUP
from rulebook.states import EventKind, ReviewState

D, E, V, F = (m._meta.db_table for m in (Draft, DraftEvent, DraftVersion, CheckFinding))

# The outcome keys (the states' names, as the API gives them).
APPROVED, REJECTED, EXPIRED, WITHDRAWN = (s.value for s in (
    ReviewState.APPROVED, ReviewState.REJECTED, ReviewState.EXPIRED, ReviewState.WITHDRAWN))

# Waiting for a first decision, in buckets (seconds, upper bound excluded; None: no bound).
WAIT_BUCKETS = (("under 1 h", 3600), ("1–4 h", 4 * 3600), ("4–24 h", 86400),
                ("1–3 days", 3 * 86400), ("over 3 days", None))


@dataclass(frozen=True)
class Scope:
    """Whose drafts: everyone's (`everything`), else the channels of `groups` and `user_id`'s."""

    everything: bool
    user_id: int = 0
    groups: tuple[str, ...] = ()

    @classmethod
    def of(cls, user) -> Scope:
        if roles.is_admin(user):
            return cls(True)
        return cls(False, user.pk, tuple(sorted(roles.reviewer_groups(user))))


@dataclass
class Figures:
    period: Period
    channel: str
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    expired: int = 0
    withdrawn: int = 0
    approval_rate: float | None = None
    first_decision_seconds: dict = field(default_factory=lambda: {"p50": None, "p90": None})
    final_decision_seconds: dict = field(default_factory=lambda: {"p50": None, "p90": None})
    revisions_per_approved: float | None = None
    approved_with_edits_share: float | None = None
    tokens_per_approved: float | None = None
    cost_per_approved_usd: float | None = None
    deadline_breaches: list[dict] = field(default_factory=list)  # step, group, count
    findings_by_check: list[dict] = field(default_factory=list)  # check, severity, count
    weeks: list[dict] = field(default_factory=list)  # week, submitted, approved, rejected
    channels: list[dict] = field(default_factory=list)  # channel, submitted, approved, ...
    waiting: list[dict] = field(default_factory=list)  # bucket, count

    @property
    def empty(self) -> bool:
        return not self.submitted

    def as_json(self) -> dict:
        """The API's answer: every figure, the period as its two dates."""
        figures = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "period"}
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                **figures, "channel": self.channel or None}


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as [start, end) instants in the site's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(period.start, time.min, tzinfo=zone)
    return start, datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone)


# The period's drafts: submitted in it, of the channel asked for, that the viewer may see.
_COHORT = f"""
cohort AS (
  SELECT d.id, d.channel, d.created_at, d.review_policy
  FROM {D} d
  WHERE d.created_at >= %(start)s AND d.created_at < %(end)s
    AND (%(channel)s = '' OR d.channel = %(channel)s)
    AND (%(everything)s
         OR EXISTS (SELECT 1 FROM jsonb_array_elements(
                      CASE WHEN jsonb_typeof(d.review_policy -> 'steps') = 'array'
                           THEN d.review_policy -> 'steps' ELSE '[]'::jsonb END) s
                    WHERE s ->> 'group' = ANY(%(groups)s))
         OR (jsonb_typeof(d.review_policy -> 'steps') IS DISTINCT FROM 'array'
             AND %(editors)s = ANY(%(groups)s))
         OR EXISTS (SELECT 1 FROM {E} mine WHERE mine.draft_id = d.id
                    AND mine.actor_id = %(user)s))
),
ev AS (
  SELECT e.draft_id,
    MIN(e.created_at) FILTER (WHERE e.kind = ANY(%(first)s)) AS first_at,
    MAX(e.created_at) FILTER (WHERE e.kind = ANY(%(final)s)) AS final_at,
    bool_or(e.kind = %(approved)s) AS approved,
    bool_or(e.kind = %(rejected)s) AS rejected,
    bool_or(e.kind = %(expired)s) AS expired,
    bool_or(e.kind = %(withdrawn)s) AS withdrawn,
    COUNT(*) FILTER (WHERE e.kind = %(changes)s) AS rounds,
    bool_or(e.kind = %(edited)s) AS edited
  FROM {E} e JOIN cohort c ON c.id = e.draft_id
  GROUP BY e.draft_id
),
spend AS (
  SELECT v.draft_id,
    SUM(v.prompt_tokens + v.completion_tokens + v.checks_tokens) AS tokens,
    SUM(v.cost_usd + v.checks_cost_usd) AS usd
  FROM {V} v JOIN cohort c ON c.id = v.draft_id
  GROUP BY v.draft_id
),
drafts AS (
  SELECT c.id, c.channel, c.created_at, coalesce(ev.approved, false) AS approved,
    coalesce(ev.rejected, false) AS rejected, coalesce(ev.expired, false) AS expired,
    coalesce(ev.withdrawn, false) AS withdrawn, coalesce(ev.rounds, 0) AS rounds,
    coalesce(ev.edited, false) AS edited,
    extract(epoch FROM ev.first_at - c.created_at) AS first_wait,
    extract(epoch FROM ev.final_at - c.created_at) AS final_wait,
    coalesce(spend.tokens, 0) AS tokens, coalesce(spend.usd, 0) AS usd
  FROM cohort c LEFT JOIN ev ON ev.draft_id = c.id LEFT JOIN spend ON spend.draft_id = c.id
)"""

_BUCKETS = ",\n  ".join(
    f"COUNT(*) FILTER (WHERE first_wait >= {low}" + (f" AND first_wait < {high})" if high else ")")
    for low, high in zip([0] + [b for _, b in WAIT_BUCKETS[:-1]], [b for _, b in WAIT_BUCKETS],
                         strict=True))

_TOTALS = f"""WITH {_COHORT}
SELECT COUNT(*), COUNT(*) FILTER (WHERE approved), COUNT(*) FILTER (WHERE rejected),
  COUNT(*) FILTER (WHERE expired), COUNT(*) FILTER (WHERE withdrawn),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY first_wait),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY first_wait),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY final_wait),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY final_wait),
  SUM(rounds) FILTER (WHERE approved), COUNT(*) FILTER (WHERE approved AND edited),
  SUM(tokens) FILTER (WHERE approved), SUM(usd) FILTER (WHERE approved),
  {_BUCKETS}
FROM drafts"""

_WEEKS = f"""WITH {_COHORT}
SELECT (date_trunc('week', created_at AT TIME ZONE %(zone)s))::date AS week, COUNT(*),
  COUNT(*) FILTER (WHERE approved), COUNT(*) FILTER (WHERE rejected)
FROM drafts GROUP BY 1 ORDER BY 1"""

_CHANNELS = f"""WITH {_COHORT}
SELECT channel, COUNT(*), COUNT(*) FILTER (WHERE approved), COUNT(*) FILTER (WHERE rejected),
  COUNT(*) FILTER (WHERE expired)
FROM drafts GROUP BY channel ORDER BY COUNT(*) DESC, channel"""

_BREACHES = f"""WITH {_COHORT}
SELECT coalesce(e.step, 0),
  coalesce(jsonb_extract_path_text(c.review_policy, 'steps', coalesce(e.step, 0)::text,
                                   'group'), %(editors)s),
  COUNT(*)
FROM {E} e JOIN cohort c ON c.id = e.draft_id
WHERE e.kind = %(expired)s
GROUP BY 1, 2 ORDER BY 3 DESC, 1"""

_FINDINGS = f"""WITH {_COHORT}
SELECT f.check_name, f.severity, COUNT(*), COUNT(DISTINCT f.draft_id)
FROM {F} f JOIN cohort c ON c.id = f.draft_id
GROUP BY 1, 2 ORDER BY 3 DESC, 1"""


def figures(period: Period, *, scope: Scope, channel: str = "") -> Figures:
    """Every figure of the dashboard for `period`'s drafts: five queries."""
    start, end = bounds(period)
    params = {
        "start": start, "end": end, "channel": channel, "everything": scope.everything,
        "groups": list(scope.groups), "user": scope.user_id, "editors": EDITORS_GROUP,
        "first": [k.value for k in insights.FIRST_DECISION_EVENTS],
        "final": [k.value for k in insights.FINAL_DECISION_EVENTS],
        APPROVED: EventKind.APPROVED.value, REJECTED: EventKind.REJECTED.value,
        EXPIRED: EventKind.EXPIRED.value, WITHDRAWN: EventKind.WITHDRAWN.value,
        "changes": EventKind.CHANGES_REQUESTED.value, "edited": EventKind.EDITED.value,
        "zone": str(timezone.get_current_timezone()),
    }
    out = Figures(period, channel)
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS, params)
        row = cursor.fetchone()
        (out.submitted, out.approved, out.rejected, out.expired, out.withdrawn,
         f50, f90, l50, l90, rounds, edited, tokens, usd, *buckets) = row
        cursor.execute(_WEEKS, params)
        out.weeks = [{"week": w.isoformat(), "submitted": s, APPROVED: a, REJECTED: r}
                     for w, s, a, r in cursor.fetchall()]
        cursor.execute(_CHANNELS, params)
        out.channels = [{"channel": c, "submitted": s, APPROVED: a, REJECTED: r,
                         EXPIRED: x} for c, s, a, r, x in cursor.fetchall()]
        cursor.execute(_BREACHES, params)
        out.deadline_breaches = [{"step": s + 1, "group": g, "count": n}
                                 for s, g, n in cursor.fetchall()]
        cursor.execute(_FINDINGS, params)
        out.findings_by_check = [{"check": c, "severity": s, "count": n, "drafts": d}
                                 for c, s, n, d in cursor.fetchall()]
    out.approval_rate = insights.rate(out.approved, out.approved + out.rejected)
    out.first_decision_seconds = {"p50": _seconds(f50), "p90": _seconds(f90)}
    out.final_decision_seconds = {"p50": _seconds(l50), "p90": _seconds(l90)}
    out.revisions_per_approved = insights.per(float(rounds or 0), out.approved)
    out.approved_with_edits_share = insights.rate(edited, out.approved)
    out.tokens_per_approved = insights.per(float(tokens or 0), out.approved, 0)
    out.cost_per_approved_usd = insights.per(float(usd or 0), out.approved, 4)
    out.waiting = [{"bucket": name, "count": n}
                   for (name, _), n in zip(WAIT_BUCKETS, buckets, strict=True)]
    return out


def _seconds(value) -> float | None:
    return None if value is None else round(float(value), 1)


def asked(*, days: str = "", start: str = "", end: str = "", channel: str = ""
          ) -> tuple[Period, str]:
    """The period and channel asked for (the page's, the exports' and the API's). Raises
    insights.PeriodError with the sentence: a bad date or preset, from after to, over two
    years, a channel that does not exist."""
    from review.models import Channel

    period = insights.period(today=timezone.localdate(), days=days, start=start, end=end)
    channel = channel.strip()
    if channel and not Channel.objects.filter(slug=channel).exists():
        raise insights.unknown_channel(channel)
    return period, channel


def for_viewer(user, **asked_for: str) -> Figures:
    """The figures `user` asked for (`asked`'s arguments; its PeriodError)."""
    period, channel = asked(**asked_for)
    return figures(period, scope=Scope.of(user), channel=channel)
