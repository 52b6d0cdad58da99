"""Reads. Each returns querysets shaped for one page, with the joins that page needs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from drafts import roles
from drafts.models import (
    CheckFinding,
    Comment,
    Draft,
    DraftEvent,
    DraftVersion,
    PassageChange,
    StreamedText,
)
from drafts.paging import CappedCount, capped
from rulebook import budgets, checks, policies, revisions, states
from rulebook.comments import CommentState
from rulebook.states import FINAL_STATES, EventKind, ReviewState
from temporal_app.types import PassageInput

# The navigation counts up to this many, then shows "99+".
NAV_COUNT_CAP = 99

# The review queue's "age" filter: key → (label, minimum age since submission).
QUEUE_AGES: dict[str, tuple[str, timedelta]] = {
    "1h": ("Older than 1 hour", timedelta(hours=1)),
    "1d": ("Older than 1 day", timedelta(days=1)),
    "3d": ("Older than 3 days", timedelta(days=3)),
}


def drafts_for_author(user, status: str = "") -> QuerySet[Draft]:
    qs = Draft.objects.filter(author=user).order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return qs


def author_status_counts(user) -> dict[str, int]:
    """{status: how many of this author's drafts have it}, one query."""
    rows = Draft.objects.filter(author=user).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows.order_by()}


def draft_with_history(pk: int) -> Draft:
    return (Draft.objects.select_related("author", "decided_by")
            .prefetch_related("versions__created_by", "events__actor")
            .get(pk=pk))


def policy_progress(draft: Draft) -> list[policies.StepProgress]:
    """The progress line of a draft reviewed under a chain of steps (empty otherwise), from
    its events (prefetched with their actors: draft_with_history): the approvals of the
    current round, since the version that started at step 1."""
    policy = draft.policy
    if not policy.is_chain:
        return []
    events = list(draft.events.all())
    start = max((i for i, e in enumerate(events) if e.kind in NEW_VERSION_KINDS), default=0)
    approvals = [policies.Approval(e.actor_id or policies.outside_actor_id(e.actor_email),
                                    e.actor_name or "", e.step, e.version)
                 for e in events[start:] if e.kind in APPROVAL_KINDS and e.step is not None]
    return policies.step_progress(policy, draft.current_index, approvals, draft.current_version,
                                   final=draft.is_approved)


NEW_VERSION_KINDS = {k.value for k in states.NEW_VERSION_EVENTS}
APPROVAL_KINDS = {states.EventKind.STEP_APPROVED.value, states.EventKind.APPROVED.value}


def awaiting_review() -> QuerySet[Draft]:
    """The editors' queue before filters. Its indexes (Draft.Meta) are partial on this state."""
    return Draft.objects.filter(status=ReviewState.AWAITING_REVIEW)


def overdue(now=None) -> QuerySet[Draft]:
    """Drafts awaiting review past their reminder, or whose step escalated (an `escalated`
    event on the current version), the nearest deadline first: the admins' overdue list."""
    now = now or timezone.now()
    escalated = DraftEvent.objects.filter(draft=OuterRef("pk"), kind=EventKind.ESCALATED,
                                          version=OuterRef("current_version"))
    return (awaiting_review().annotate(has_escalated=Exists(escalated))
            .filter(Q(remind_at__lte=now) | Q(has_escalated=True) | Q(escalate_at__lte=now))
            .select_related("author").order_by("deadline", "pk"))


# The editors' queue order, most urgent first: high priority, then the nearest deadline (which
# never passes the due date), then the oldest. The API's cursor pages use it too.
QUEUE_ORDER = ("-priority", "deadline", "created_at", "pk")


def at_steps_of(qs: QuerySet[Draft], groups: frozenset[str],
                escalation: frozenset[str] = frozenset()) -> QuerySet[Draft]:
    """The drafts whose current policy step these groups decide: rulebook.policies.decides_at, asked
    of the database (Draft.step_group: the step's group in the policy the draft keeps; none
    kept: the default policy's, Editors). Outside approvers' steps have no group, so they are
    in no reviewer's queue. `escalation`: those of the groups a step escalates to
    (drafts.roles.escalation_groups): the drafts whose step escalated to them too."""
    named = sorted(g for g in groups if g)
    escalated = sorted(g for g in escalation if g)
    if not escalated:  # the common case: one range of the step-group index
        return qs.filter(step_group__in=named)
    # A step that escalated may let these groups decide too (Draft.escalated_to).
    return qs.filter(Q(step_group__in=named) | Q(escalated_to__in=escalated))


def review_queue(*, author_id: int | None = None, age: str = "",
                 reminder_due: bool = False, channel: str = "", step: int | None = None,
                 claimed_by: int | None = None, groups: frozenset[str] | None = None,
                 escalation: frozenset[str] = frozenset(), now=None) -> QuerySet[Draft]:
    """Drafts awaiting review, most urgent first (high priority, then the nearest deadline,
    which never passes the due date, then the oldest), with their authors joined.
    `step`: drafts at that policy step (from 0); `groups`: only drafts at a step these
    groups decide (a reviewer's own queue: drafts.roles.reviewer_groups)."""
    now = now or timezone.now()
    qs = awaiting_review()
    if groups is not None:
        qs = at_steps_of(qs, groups, escalation)
    if author_id:
        qs = qs.filter(author_id=author_id)
    if channel:
        qs = qs.filter(channel=channel)
    if step is not None:
        qs = qs.filter(step=step)
    if claimed_by is not None:
        qs = qs.filter(claim__user_id=claimed_by, claim__until__gt=now)
    if age in QUEUE_AGES:
        qs = qs.filter(created_at__lte=now - QUEUE_AGES[age][1])
    if reminder_due:
        qs = qs.filter(remind_at__lte=now)
    return qs.select_related("author", "claim__user").order_by(*QUEUE_ORDER)


def queue_authors() -> QuerySet:
    """The authors who have drafts awaiting review (for the queue's filter), one query: per
    user, one probe of the queue's author index, however long the queue is."""
    return (get_user_model().objects
            .filter(Exists(awaiting_review().filter(author=OuterRef("pk"))))
            .order_by("username"))


def nav_counts(user, *, editor: bool, author: bool) -> dict[str, int]:
    """The navigation's numbers in one query, each capped at NAV_COUNT_CAP ("99+"): drafts
    awaiting this editor's decision (the queue's first page: at steps their groups decide)
    and the author's drafts still in progress."""
    counts = {}
    if editor:
        counts["queue"] = CappedCount(at_steps_of(
            awaiting_review(), roles.reviewer_groups(user), roles.escalation_groups(user)),
            NAV_COUNT_CAP)
    if author:
        counts["mine_pending"] = CappedCount(
            Draft.objects.filter(author=user).exclude(status__in=[s.value for s in FINAL_STATES]),
            NAV_COUNT_CAP)
    if not counts:
        return {}
    # Scalar subqueries need a row to hang on: the user's own.
    row = (get_user_model().objects.filter(pk=user.pk).annotate(**counts)
           .values(*counts).first()) or dict.fromkeys(counts, 0)
    return {name: capped(n, NAV_COUNT_CAP) for name, n in row.items()}


# ------------------------------------------------------------------ object checks (web and API)


def draft_or_404(pk: int) -> Draft:
    try:
        return draft_with_history(pk)
    except Draft.DoesNotExist:
        raise Http404("No such draft.") from None


def draft_with_claim(pk: int) -> Draft:
    """The row and who holds its claim, without its history (the review page's claim poll)."""
    try:
        return Draft.objects.select_related("decided_by", "claim__user").get(pk=pk)
    except Draft.DoesNotExist:
        raise Http404("No such draft.") from None


def visible_draft(user, pk: int) -> Draft:
    """The draft, if this user may see it: its author, editors and admins. Others get 404
    (the same answer as a draft that does not exist, so ids cannot be probed)."""
    draft = draft_or_404(pk)
    if draft.author_id != user.pk and not roles.is_editor(user):
        raise Http404("No such draft.")
    return draft


def own_draft(user, pk: int, action: str) -> Draft:
    """The draft, if this user wrote it (to `action` it); 404 / 403 otherwise."""
    draft = visible_draft(user, pk)
    if draft.author_id != user.pk:
        raise PermissionDenied(f"Only the draft's author can {action} it.")
    return draft


def approved_version(draft: Draft):
    """The version an approved draft was approved at; 404 for a draft not approved."""
    if not draft.is_approved:
        raise Http404("Only an approved draft can be downloaded.")
    return draft.versions.get(number=draft.current_version)


def comment_threads(draft: Draft):
    """The draft's comment threads, oldest first, with their authors, replies and the
    targeted revisions' changes that answered them (4 queries whatever their number)."""
    return (Comment.objects.filter(draft=draft, parent__isnull=True).select_related("author")
            .prefetch_related(Prefetch("replies",
                                       queryset=Comment.objects.select_related("author")),
                              "changes"))


def version_changes(draft: Draft, number: int):
    """Version `number`'s changes: its targeted revision's passages and the rewrites
    suggested on it, in text order, with the threads they answer."""
    return (PassageChange.objects.filter(draft=draft, version=number)
            .select_related("requested_by")
            .prefetch_related(Prefetch("comments",
                                       queryset=Comment.objects.select_related("author"))))


def revision_passages(draft: Draft, *, threads=None, text: str | None = None
                      ) -> list[PassageInput]:
    """What a "Request changes" on the current version rewrites (rulebook.revisions.plan):
    the passages of its open threads found on it, widened to sentences, overlapping ones
    together, each with its threads' lines. Empty: none, the whole draft is revised.
    `threads` (comment_threads, read already) and `text` (the current version's) save the
    queries for them."""
    if threads is None:
        threads = comment_threads(draft).filter(state=CommentState.OPEN,
                                                at_version=draft.current_version)
    threads = {c.pk: c for c in threads if c.on_passage and c.is_open
               and c.at_version == draft.current_version}
    if not threads:
        return []
    if text is None:
        text = DraftVersion.objects.filter(draft=draft, number=draft.current_version) \
            .values_list("text", flat=True).first() or ""
    planned = revisions.plan(text, [(c.pk, c.at_start, c.at_end) for c in threads.values()
                                    if c.at_start is not None and c.at_end is not None])
    return [PassageInput(start=p.start, end=p.end, text=text[p.start:p.end],
                         thread=[line for cid in p.comment_ids
                                 for line in _thread_lines(threads[cid])],
                         comment_ids=list(p.comment_ids))
            for p in planned]


def _thread_lines(thread: Comment) -> list[str]:
    return [f"{c.author.get_username()}: {c.body}"
            for c in (thread, *thread.replies.all())]


# ------------------------------------------------------------------ the text being written


@dataclass(frozen=True)
class LiveText:
    """What the pages show of a version being written: the draft's author, state and the
    version's parts so far (drafts.models.StreamedText, in order)."""

    draft_id: int
    author_id: int
    writing: bool
    version: int
    parts: tuple[StreamedText, ...]

    @property
    def stamp(self) -> str:
        """Changes whenever the text shown changes (the poll answers 204 otherwise)."""
        return ".".join(f"{p.part}:{p.attempt}:{len(p.text)}" for p in self.parts) \
            or ("w" if self.writing else "done")

    @property
    def restarted(self) -> bool:
        return any(p.restarted for p in self.parts)

    @property
    def words(self) -> int:
        return sum(len(p.text.split()) for p in self.parts)


_live: dict[int, tuple[float, LiveText | None]] = {}
_live_locks: dict[int, threading.Lock] = {}
_live_lock = threading.Lock()  # guards the two dicts' keys, held for no query


def live_text(draft_id: int) -> LiveText | None:
    """The draft's text being written, read at most once per half poll interval per web
    process however many pages watch it (one row read and one for its parts); None: no such
    draft."""
    now = time.monotonic()
    ttl = settings.STREAM_POLL_SECONDS / 2
    hit = _live.get(draft_id)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    with _live_lock:
        lock = _live_locks.setdefault(draft_id, threading.Lock())
    with lock:  # one reader per draft; its other pages wait for its answer, no other draft's
        hit = _live.get(draft_id)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
        row = Draft.objects.filter(pk=draft_id).values(
            "author_id", "status", "current_version").first()
        live = None
        if row is not None:
            writing = row["status"] in states.WRITING_STATES
            version = row["current_version"] + 1
            parts = tuple(StreamedText.objects.filter(draft_id=draft_id, version=version)
                          .order_by("part")) if writing else ()
            live = LiveText(draft_id, row["author_id"], writing, version, parts)
        with _live_lock:
            if len(_live) > 1000:  # drafts nobody watches any more
                _live.clear()
                _live_locks.clear()
                _live_locks[draft_id] = lock
            _live[draft_id] = (time.monotonic(), live)
        return live


# ------------------------------------------------------------------ checks (rulebook.checks)


def version_findings(draft: Draft, number: int) -> list[CheckFinding]:
    """What the checks found on version `number`: the whole draft's first, then in the
    text's order; blocking before warnings where they start together."""
    return sorted(CheckFinding.objects.filter(draft=draft, version=number)
                  .select_related("dismissed_by"),
                  key=lambda f: (bool(f.quote), f.start, not f.blocking, f.pk))


def findings_summaries(drafts) -> dict[int, str]:
    """ "1 blocking, 2 warnings" for each draft's current version (open findings), for a
    page of the queue: one query."""
    ids = [d.pk for d in drafts]
    if not ids:
        return {}
    rows = CheckFinding.objects.filter(
        draft_id__in=ids, version=F("draft__current_version"),
        state=checks.FindingState.OPEN).values("draft_id", "severity").annotate(n=Count("id"))
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["draft_id"], {})[row["severity"]] = row["n"]
    return {pk: checks.counted(n.get(checks.Severity.BLOCK, 0), n.get(checks.Severity.WARN, 0))
            for pk, n in counts.items()}


def open_blockers(draft: Draft) -> int:
    """Open blocking findings on the draft's current version (approving needs a reason)."""
    return CheckFinding.objects.filter(draft=draft, version=draft.current_version,
                                       severity=checks.Severity.BLOCK,
                                       state=checks.FindingState.OPEN).count()


# ------------------------------------------------------------------ LLM spend


def spend(draft: Draft, versions=None) -> tuple[budgets.Spent, budgets.Spent]:
    """(what the draft spent on the LLM: its versions and suggestions, what the newest
    LLM-written version cost): rulebook.budgets' inputs, from the rows. `versions`: read
    already (the page's)."""
    versions = list(draft.versions.all()) if versions is None else list(versions)
    total, last = budgets.Spent(), budgets.Spent()
    for v in sorted(versions, key=lambda v: v.number):
        usage = budgets.Spent(v.prompt_tokens + v.completion_tokens, float(v.cost_usd))
        total += usage + budgets.Spent(v.checks_tokens, float(v.checks_cost_usd))  # the judge
        if v.backend:
            last = budgets.newest_cost(last, usage, stopped=v.stopped)
    suggested = PassageChange.objects.filter(draft=draft, suggested=True).aggregate(
        tokens=Sum(F("prompt_tokens") + F("completion_tokens")), usd=Sum("cost_usd"))
    total += budgets.Spent(suggested["tokens"] or 0, float(suggested["usd"] or 0))
    return total, last
