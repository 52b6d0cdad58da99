"""Exports of insight (issue 24): the dashboard's figures as CSV, and the audit history of a
period (every event, with its actor, version, step, comment and time) as CSV or JSON Lines,
streamed: rows are read through a server-side cursor in chunks and written out chunk by
chunk, so the web process holds one chunk whatever the period's size (bench/insights.py
measures rows/s and the process's RSS).

The audit history is the events that happened in the period (their own time), of the drafts
of the channel and group asked for, by the reviewer asked for; the figures are the period's
drafts (those submitted in it)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import fields

from django.db import transaction
from django.db.models import Q

from drafts.models import DraftEvent
from review.insights import EVERY, Cut, Figures, bounds
from rulebook.insights import Period
from rulebook.policies import EDITORS_GROUP

AUDIT_COLUMNS = ("id", "at", "draft_id", "seq", "kind", "actor", "version", "step", "comment")
CHUNK = 2000  # rows per read and per write


# What a row is read from (audit_row turns it into AUDIT_COLUMNS).
AUDIT_FIELDS = ("pk", "created_at", "draft_id", "seq", "kind", "actor__username",
                "actor_email", "version", "step", "comment")


def audit_events(period: Period, cut: Cut = EVERY):
    """The period's events, oldest first (created_at, then id: the index's order): of the
    cut's drafts (a channel; a policy with a step for a group), by its reviewer if one."""
    start, end = bounds(period)
    events = DraftEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    if cut.channel:
        events = events.filter(draft__channel=cut.channel)
    if cut.group:
        at_step = Q(draft__review_policy__steps__contains=[{"group": cut.group}])
        if cut.group == EDITORS_GROUP:  # the default policy (no steps) is the Editors'
            at_step |= ~Q(draft__review_policy__has_key="steps")
        events = events.filter(at_step)
    if cut.reviewer_id:
        events = events.filter(actor_id=cut.reviewer_id)
    return events.order_by("created_at", "pk")


def audit_row(values) -> tuple:
    """One event's AUDIT_FIELDS as AUDIT_COLUMNS: the time in ISO 8601, the actor a username,
    an outside approver's email, or None (the system)."""
    pk, at, draft, seq, kind, user, email, version, step, comment = values
    return pk, at.isoformat(), draft, seq, kind, user or email or None, version, step, comment


def _rows(period: Period, cut: Cut) -> Iterator[list[tuple]]:
    """The audit rows in chunks, in one transaction (the cursor lives as long as it: no copy of
    the whole result on the server, as a cursor held past its transaction would make)."""
    with transaction.atomic():
        chunk = []
        for values in audit_events(period, cut).values_list(*AUDIT_FIELDS).iterator(
                chunk_size=CHUNK):
            chunk.append(audit_row(values))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def audit_csv(period: Period, cut: Cut = EVERY) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_COLUMNS)
    yield _drain(buffer)
    for chunk in _rows(period, cut):
        writer.writerows(chunk)
        yield _drain(buffer)


def audit_jsonl(period: Period, cut: Cut = EVERY) -> Iterator[str]:
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for chunk in _rows(period, cut):
        yield "".join(encode(dict(zip(AUDIT_COLUMNS, row, strict=True))) + "\n"
                      for row in chunk)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


FIGURE_COLUMNS = ("figure", "item", "value")


def figures_csv(f: Figures) -> str:
    """The dashboard's figures in long form, one value per row (a spreadsheet pivots it):
    `figure,item,value`, e.g. `submitted,,12`, `first_decision_seconds,p90,7200.0`,
    `weeks.approved,2026-11-30,3`, `deadline_breaches,step 2 (legal),1`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIGURE_COLUMNS)
    writer.writerow(("from", "", f.period.start.isoformat()))
    writer.writerow(("to", "", f.period.end.isoformat()))
    writer.writerow(("channel", "", f.channel))
    writer.writerow(("group", "", f.group))
    writer.writerow(("reviewer", "", f.reviewer))
    numbers = [x.name for x in fields(f) if x.type in ("int", "float | None")]
    for name in numbers:  # submitted, approved, …, cost_per_approved_usd
        writer.writerow((name, "", _value(getattr(f, name))))
    for name in ("first_decision_seconds", "final_decision_seconds"):
        for key, value in getattr(f, name).items():
            writer.writerow((name, key, _value(value)))
    for table, key in (("weeks", "week"), ("channels", "channel"), ("waiting", "bucket")):
        for row in getattr(f, table):
            for column, value in row.items():
                if column != key:
                    writer.writerow((f"{table}.{column}", row[key], value))
    for b in f.deadline_breaches:
        writer.writerow(("deadline_breaches", f"step {b['step']} ({b['group']})", b["count"]))
    for c in f.findings_by_check:
        writer.writerow(("findings_by_check", f"{c['check']} ({c['severity']})", c["count"]))
    return buffer.getvalue()


def _value(value) -> str:
    return "" if value is None else str(value)
