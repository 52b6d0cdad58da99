"""A history of closed reviews, for Insights to show and its benchmark to read (issue 24):
`manage.py seed_history` (any size: the benchmark's 100,000 drafts and about 600,000 events)
and `manage.py seed_demo --history` (a few months for `make dev`).

Each draft is submitted at a time spread over the last `days` days, written by the LLM, then
decided the way reviews here go: most approved (some after one or two rounds of changes, some
with an editor's edits, then published), some rejected, some expired after a reminder, some
withdrawn; how long each waited is drawn from a long-tailed distribution (most within hours,
a few over days), so every chart has a shape. The same seed gives the same history. Written
through the projection's bulk load (drafts.projection.load_history): no workflow will drive
these drafts, so none is started.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from drafts import projection
from rulebook.states import EventKind, ReviewState, VersionKind

TOPIC = "From the history: a closed review"  # every seeded draft's (seed_demo finds them)
BATCH = 5000  # drafts a bulk load writes at once (bounded memory whatever the size)
PRICE_IN, PRICE_OUT = Decimal("0.00000015"), Decimal("0.0000006")  # USD a token
REASONS = ("Off brief: the piece argues the opposite of the brief.",
           "Not for this channel.", "Duplicates last week's piece.")
FEEDBACK = ("Tighten the introduction.", "Add a source for the second claim.",
            "Shorter, and a clearer headline.")


def seed(*, drafts: int, days: int, authors: list[int], editors: list[int],
         channels: list[str], now: datetime | None = None, seed_value: int = 24,
         progress=None) -> tuple[int, int]:
    """Write `drafts` closed reviews over the last `days` days; (drafts, events) written."""
    rng = random.Random(seed_value)
    now = now or timezone.now()
    span = days * 86400
    # submitted times in order, so ids follow time as they do in a real table
    # at least 5 days ago: a review's last event (three rounds of changes at most, each wait
    # under a day) lies in the past
    starts = sorted(now - timedelta(seconds=rng.uniform(5 * 86400, span))
                    for _ in range(drafts))
    written = events = 0
    for first in range(0, drafts, BATCH):
        rows, event_rows, version_rows = [], [], []
        for submitted in starts[first:first + BATCH]:
            d, e, v = _review(rng, len(rows), submitted, authors, editors, channels)
            rows.append(d)
            event_rows += e
            version_rows += v
        projection.load_history(rows, event_rows, version_rows)
        written, events = written + len(rows), events + len(event_rows)
        if progress:
            progress(written, events)
    return written, events


def _wait(rng: random.Random, median_hours: float) -> timedelta:
    """A long tail: half within `median_hours`, one in ten over about 4× that; under a day
    (the review's deadline)."""
    return min(timedelta(hours=rng.lognormvariate(math.log(median_hours), 1.1)),
               timedelta(hours=23, minutes=50))


def _review(rng, index: int, submitted: datetime, authors, editors, channels):
    author, editor = rng.choice(authors), rng.choice(editors)
    events: list[dict] = []
    versions: list[dict] = []
    t = submitted
    number = 0

    def event(kind: EventKind, at: datetime, actor=None, comment: str = "") -> None:
        events.append({"draft": index, "seq": len(events) + 1, "kind": kind.value,
                       "actor_id": actor, "version": number, "comment": comment,
                       "created_at": at})

    def version(kind: VersionKind, at: datetime, llm: bool = True) -> None:
        tokens_in, tokens_out = (rng.randint(350, 700), rng.randint(700, 1600)) if llm \
            else (0, 0)
        versions.append({
            "draft": index, "number": number, "kind": kind.value, "created_at": at,
            "text": f"# {TOPIC}\n\nVersion {number} of a review closed long ago.",
            "backend": "offline" if llm else "", "created_by_id": None if llm else editor,
            "prompt_tokens": tokens_in, "completion_tokens": tokens_out,
            "cost_usd": (tokens_in * PRICE_IN + tokens_out * PRICE_OUT).quantize(
                Decimal("0.000001"))})

    event(EventKind.SUBMITTED, t, author)
    t += timedelta(seconds=rng.randint(20, 90))
    number = 1
    version(VersionKind.GENERATED, t)
    event(EventKind.GENERATED, t)
    roll = rng.random()
    outcome = (ReviewState.APPROVED if roll < 0.62 else ReviewState.REJECTED if roll < 0.78
               else ReviewState.EXPIRED if roll < 0.88 else ReviewState.WITHDRAWN)
    rounds = rng.choice((0, 1, 1, 2, 2, 3)) if outcome == ReviewState.APPROVED else 0
    decided_by, comment = None, ""
    for _ in range(rounds):
        t += _wait(rng, 3)
        event(EventKind.CHANGES_REQUESTED, t, editor, rng.choice(FEEDBACK))
        t += timedelta(seconds=rng.randint(30, 120))
        number += 1
        version(VersionKind.REVISED, t)
        event(EventKind.REVISED, t)
    wait = _wait(rng, 3)
    if outcome == ReviewState.EXPIRED or wait > timedelta(hours=6):
        event(EventKind.REMINDED, t + timedelta(hours=6))
    if outcome == ReviewState.EXPIRED:
        t += timedelta(hours=24)
        event(EventKind.EXPIRED, t)
    elif outcome == ReviewState.WITHDRAWN:
        t += min(wait, timedelta(hours=23))
        event(EventKind.WITHDRAWN, t, author, "No longer needed.")
    else:
        t += wait
        decided_by = editor
        if outcome == ReviewState.REJECTED:
            comment = rng.choice(REASONS)
            event(EventKind.REJECTED, t, editor, comment)
        else:
            if rng.random() < 0.25:
                number += 1
                version(VersionKind.EDITED, t, llm=False)
                event(EventKind.EDITED, t, editor)
            event(EventKind.APPROVED, t, editor)
            if rng.random() < 0.95:
                event(EventKind.PUBLISHED, t + timedelta(seconds=rng.randint(1, 30)))
                outcome = ReviewState.PUBLISHED
    draft = {"author_id": author, "topic": TOPIC,
             "channel": rng.choice(channels), "status": outcome.value,
             "current_version": number, "revisions": rounds, "decided_by_id": decided_by,
             "decided_at": t if decided_by else None, "decision_comment": comment,
             "last_seq": len(events), "created_at": submitted, "updated_at": t}
    return draft, events, versions
