"""The insight figures (issue 24), read with SQL aggregates over the drafts (the facts the
projection keeps on each row: outcome, decision times, rounds, edits, spend) and the checks'
findings: a constant number of queries whatever the number of drafts, no per-draft Python
loop, no scan of every event. The period's drafts are those submitted in it (its cohort):
what became of them, how long they waited, what they cost.

Who sees what: an admin every draft; an editor the drafts of the channels whose policies
have a step for one of their groups, and the drafts they acted on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from drafts import roles
from drafts.models import CheckFinding, Draft, DraftEvent
from drafts.roles import AUTHORS
from rulebook import insights
from rulebook.insights import Period
from rulebook.policies import EDITORS_GROUP
from rulebook.states import ReviewState

D, E, F = (m._meta.db_table for m in (Draft, DraftEvent, CheckFinding))

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


@dataclass(frozen=True)
class Cut:
    """Which of the period's drafts besides: of a channel, with a policy step its `group`
    decides at (the default policy's: the Editors), acted on by a reviewer (any decision or
    edit of theirs). Empty: any."""

    channel: str = ""
    group: str = ""
    reviewer: str = ""  # the username (the page's and API's), and its id for the query
    reviewer_id: int = 0


EVERY = Cut()  # no cut: every draft of the period (that the viewer may see)


@dataclass
class Figures:
    period: Period
    channel: str
    group: str = ""
    reviewer: str = ""
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
                **figures, "channel": self.channel or None, "group": self.group or None,
                "reviewer": self.reviewer or None}


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as [start, end) instants in the site's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(period.start, time.min, tzinfo=zone)
    return start, datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone)


def _decided_by(groups: str) -> str:
    """SQL: the draft's policy has a step one of `groups` (an SQL text array) decides at; no
    policy kept: the default one's, Editors. The cheap test first: OR's terms are tried in
    this order."""
    return f"""((jsonb_typeof(d.review_policy -> 'steps') IS DISTINCT FROM 'array'
             AND %(editors)s = ANY({groups}))
         OR EXISTS (SELECT 1 FROM jsonb_array_elements(
                      CASE WHEN jsonb_typeof(d.review_policy -> 'steps') = 'array'
                           THEN d.review_policy -> 'steps' ELSE '[]'::jsonb END) s
                    WHERE s ->> 'group' = ANY({groups})))"""


# The period's drafts: submitted in it, of the channel asked for, that the viewer may see;
# each with what the projection keeps on its row for this (drafts.models.Draft: the outcome,
# the first and final decision's times, rounds, edits, spend), so no figure reads events.
_COHORT = f"""
drafts AS (
  SELECT d.id, d.channel, d.created_at, d.revisions AS rounds,
    d.was_edited AS edited, d.spent_tokens AS tokens, d.spent_usd AS usd,
    d.status = ANY(%(approved)s) AS approved, d.status = ANY(%(rejected)s) AS rejected,
    d.status = ANY(%(expired)s) AS expired, d.status = ANY(%(withdrawn)s) AS withdrawn,
    date_part('epoch', d.first_decided_at - d.created_at) AS first_wait,  -- float8: sorts
    CASE WHEN d.status = ANY(%(decided)s)                                 -- fast (extract's
         THEN date_part('epoch', d.decided_at - d.created_at) END AS final_wait,  -- numeric)
    CASE WHEN d.status = ANY(%(expired)s)  -- the step it expired at, and the group there
         THEN json_build_array(d.step, coalesce(jsonb_extract_path_text(
                d.review_policy, 'steps', d.step::text, 'group'), %(editors)s)) END AS breach
  FROM {D} d
  WHERE d.created_at >= %(start)s AND d.created_at < %(end)s
    AND (%(channel)s = '' OR d.channel = %(channel)s)
    AND (%(group)s = '' OR {_decided_by("ARRAY[%(group)s]")})
    AND (%(reviewer)s = 0 OR EXISTS (SELECT 1 FROM {E} r WHERE r.draft_id = d.id
                                     AND r.actor_id = %(reviewer)s))
    AND (%(everything)s OR {_decided_by("%(groups)s")}
         OR EXISTS (SELECT 1 FROM {E} mine WHERE mine.draft_id = d.id
                    AND mine.actor_id = %(user)s))
)"""

# Each bucket's [low, high) in seconds (high None: no bound), for the counts and the lists.
_BUCKET_BOUNDS = list(zip([0] + [b for _, b in WAIT_BUCKETS[:-1]], [b for _, b in WAIT_BUCKETS],
                          strict=True))
_BUCKETS = ",\n  ".join(
    f"COUNT(*) FILTER (WHERE first_wait >= {low}" + (f" AND first_wait < {high})" if high else ")")
    for low, high in _BUCKET_BOUNDS)

# Every figure in one statement: the period's drafts read once (MATERIALIZED: each figure
# then reads that set, not the table again), the totals as a row, each table as JSON.
_FIGURES = f"""WITH {_COHORT.replace("drafts AS (", "drafts AS MATERIALIZED (", 1)}
SELECT COUNT(*), COUNT(*) FILTER (WHERE approved), COUNT(*) FILTER (WHERE rejected),
  COUNT(*) FILTER (WHERE expired), COUNT(*) FILTER (WHERE withdrawn),
  percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_wait),  -- one sort each
  percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY final_wait),
  SUM(rounds) FILTER (WHERE approved), COUNT(*) FILTER (WHERE approved AND edited),
  SUM(tokens) FILTER (WHERE approved), SUM(usd) FILTER (WHERE approved),
  ARRAY[{_BUCKETS}],
  (SELECT coalesce(json_agg(json_build_array(week, n, a, r) ORDER BY week), '[]')
   FROM (SELECT (date_trunc('week', created_at AT TIME ZONE %(zone)s))::date AS week,
           COUNT(*) AS n, COUNT(*) FILTER (WHERE approved) AS a,
           COUNT(*) FILTER (WHERE rejected) AS r
         FROM drafts GROUP BY 1) w),
  (SELECT coalesce(json_agg(json_build_array(channel, n, a, r, x) ORDER BY n DESC, channel),
                   '[]')
   FROM (SELECT channel, COUNT(*) AS n, COUNT(*) FILTER (WHERE approved) AS a,
           COUNT(*) FILTER (WHERE rejected) AS r, COUNT(*) FILTER (WHERE expired) AS x
         FROM drafts GROUP BY channel) c),
  (SELECT coalesce(json_agg(json_build_array(breach ->> 0, breach ->> 1, n)
                            ORDER BY n DESC, breach ->> 0), '[]')
   FROM (SELECT breach::jsonb AS breach, COUNT(*) AS n
         FROM drafts WHERE breach IS NOT NULL GROUP BY 1) b),
  (SELECT coalesce(json_agg(json_build_array(check_name, severity, n, d)
                            ORDER BY n DESC, check_name), '[]')
   FROM (SELECT f.check_name, f.severity, COUNT(*) AS n, COUNT(DISTINCT f.draft_id) AS d
         FROM {F} f JOIN drafts c ON c.id = f.draft_id GROUP BY 1, 2) f)
FROM drafts"""


def figures(period: Period, *, scope: Scope, cut: Cut = EVERY) -> Figures:
    """Every figure of the dashboard for `period`'s drafts: one query."""
    params = _params(period, scope, cut)
    out = Figures(period, cut.channel, cut.group, cut.reviewer)
    with transaction.atomic(), connection.cursor() as cursor:
        # The percentiles sort a period's waits: in memory, not in a temporary file (measured
        # at 100,000 drafts: 110 → 72 ms with the 4 MB default). For this statement only.
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(_FIGURES, params)
        (out.submitted, out.approved, out.rejected, out.expired, out.withdrawn, first, final,
         rounds, edited, tokens, usd, buckets, weeks, channels, breaches,
         findings) = cursor.fetchone()
    out.weeks = [{"week": w, "submitted": n, APPROVED: a, REJECTED: r} for w, n, a, r in weeks]
    out.channels = [{"channel": c, "submitted": n, APPROVED: a, REJECTED: r, EXPIRED: x}
                    for c, n, a, r, x in channels]
    out.deadline_breaches = [{"step": int(s) + 1, "group": g, "count": n}
                             for s, g, n in breaches]
    out.findings_by_check = [{"check": c, "severity": s, "count": n, "drafts": d}
                             for c, s, n, d in findings]
    (f50, f90), (l50, l90) = first or (None, None), final or (None, None)  # none: NULL
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


def _params(period: Period, scope: Scope, cut: Cut) -> dict:
    start, end = bounds(period)
    outcomes = {key.value: [state.value for state in states]
                for key, states in insights.OUTCOMES.items()}
    return {
        "start": start, "end": end, "channel": cut.channel, "group": cut.group,
        "reviewer": cut.reviewer_id, "everything": scope.everything,
        "groups": list(scope.groups), "user": scope.user_id, "editors": EDITORS_GROUP,
        **outcomes, "decided": outcomes[APPROVED] + outcomes[REJECTED],
        "zone": str(timezone.get_current_timezone()),
    }


PER_PAGE = 50


def drafts_behind(period: Period, *, scope: Scope, cut: Cut, behind: insights.Behind,
                  page: int = 1) -> tuple[list[Draft], int]:
    """The drafts a figure counts (`behind`), newest first, a page of PER_PAGE, and how many
    there are: the figures' own cohort and rules, so the list and the number agree."""
    params = _params(period, scope, cut)
    where = ["true"]
    if behind.outcome:
        assert behind.outcome in params, behind.outcome  # checked by the rulebook
        where.append(behind.outcome)  # a column of the cohort, one per outcome key
    if behind.edited:
        where.append("edited")
    if behind.week:
        where.append("(date_trunc('week', created_at AT TIME ZONE %(zone)s))::date = "
                     "(date_trunc('week', %(week)s::date))::date")
        params["week"] = behind.week
    if behind.bucket is not None:
        low, high = _BUCKET_BOUNDS[behind.bucket]
        where.append("first_wait >= %(low)s" + (" AND first_wait < %(high)s" if high else ""))
        params.update(low=low, high=high)
    if behind.step is not None:
        where.append("breach IS NOT NULL AND (breach ->> 0)::int = %(step)s")
        params["step"] = behind.step - 1
    if behind.check:
        where.append(f"EXISTS (SELECT 1 FROM {F} f WHERE f.draft_id = drafts.id "
                     "AND f.check_name = %(check)s AND (%(severity)s = '' "
                     "OR f.severity = %(severity)s))")
        params.update(check=behind.check, severity=behind.severity)
    params.update(limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {_COHORT} SELECT id, COUNT(*) OVER () FROM drafts "
                       f"WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC "
                       "LIMIT %(limit)s OFFSET %(offset)s", params)
        rows = cursor.fetchall()
    if not rows and page > 1:  # past the end: how many there are, for the sentence
        return [], drafts_behind(period, scope=scope, cut=cut, behind=behind)[1]
    found = Draft.objects.select_related("author").in_bulk([pk for pk, _ in rows])
    return [found[pk] for pk, _ in rows], rows[0][1] if rows else 0


def _seconds(value) -> float | None:
    return None if value is None else round(float(value), 1)


def asked(*, days: str = "", start: str = "", end: str = "", channel: str = "",
          group: str = "", reviewer: str = "") -> tuple[Period, Cut]:
    """The period and cut asked for (the page's, the exports' and the API's). Raises
    insights.PeriodError with the sentence: a bad date or preset, from after to, over two
    years, a channel, group or reviewer that does not exist."""
    from django.contrib.auth.models import Group, User

    from review.models import Channel

    period = insights.period(today=timezone.localdate(), days=days, start=start, end=end)
    channel, group, reviewer = (insights.name(value, field) for value, field in (
        (channel, "channel"), (group, "group"), (reviewer, "reviewer")))
    if channel and not Channel.objects.filter(slug=channel).exists():
        raise insights.unknown_channel(channel)
    if group and not Group.objects.filter(name=group).exists():
        raise insights.unknown("UnknownGroup", "group", group)
    reviewer_id = 0
    if reviewer:
        reviewer_id = User.objects.filter(username=reviewer).values_list(
            "pk", flat=True).first() or 0
        if not reviewer_id:
            raise insights.unknown("UnknownReviewer", "reviewer", reviewer)
    return period, Cut(channel, group, reviewer, reviewer_id)


def choices() -> dict[str, list[str]]:
    """What the page offers to cut by: the groups that decide at a step (every group: a
    policy may name any), and the people in them (at most 500, by name)."""
    from django.contrib.auth.models import Group, User

    groups = list(Group.objects.exclude(name=AUTHORS).order_by("name").values_list(
        "name", flat=True))
    reviewers = list(User.objects.filter(Q(groups__name__in=groups) | Q(is_staff=True),
                                         is_active=True).distinct().order_by(
        "username").values_list("username", flat=True)[:500])
    return {"groups": groups, "reviewers": reviewers}


def for_viewer(user, **asked_for: str) -> Figures:
    """The figures `user` asked for (`asked`'s arguments; its PeriodError)."""
    period, cut = asked(**asked_for)
    return figures(period, scope=Scope.of(user), cut=cut)
