"""The projection: the one writer of a draft's workflow-driven state (models.WORKFLOW_FIELDS).

`apply()` writes review events (and the version they bring) and the draft row after them in
one transaction, with the draft row locked:

- an event row is keyed on (draft, seq): a retried write inserts nothing twice;
- the draft row moves only for events newer than `draft.last_seq`, so a retried, late or
  reordered write never moves a draft backwards;
- the mail the rulebook names for an event (rulebook.states.NOTIFY) is queued in the same
  transaction (OutboxMail), so it goes out exactly when the event is recorded;
- a new version re-anchors the draft's passage comments on its text (`reanchor`), in the
  same transaction: no comment ever points into a version it was not looked for on; a
  targeted revision's version stores its changes (PassageChange) and moves the comments they
  answer onto their rewritten passages.

Callers: the workflow's local activity (temporal_app/activities/records.py), the v1 runs'
activities, the author's submit (`create`) and Retry, a failed start, and reconcile --fix.
Nothing else writes those fields (`tests/test_projection.py` checks the code for other writers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest

from drafts.models import (
    WORKFLOW_FIELDS,
    CheckFinding,
    Comment,
    Draft,
    DraftEvent,
    DraftVersion,
    OutboxMail,
    PassageChange,
    StreamedText,
)
from rulebook import checks, insights, passages, states, suggestions
from rulebook import comments as comment_rules
from rulebook.comments import CommentState
from rulebook.states import (
    CLOSING_DECISION_EVENTS,
    NEW_VERSION_EVENTS,
    WRITING_STATES,
    EventKind,
    ReviewState,
)
from temporal_app.types import ChangeRecord, EventRecord, ReviewStatus, VersionRecord


class DraftMissing(LookupError):
    """The draft row is gone (deleted while its workflow ran): no retry can help."""


def apply(draft_id: int, events: Sequence[EventRecord], version: VersionRecord | None = None,
          *, draft: Draft | None = None, suggestion: ChangeRecord | None = None,
          findings: Sequence | None = None) -> int:
    """Write `version` and `events`; returns how many events moved the row (0 on a retry).
    `draft`: the row, already locked by the caller's transaction. `suggestion`: the rewrite
    a `suggested` event brings (stored once, with the event). `findings`: a `rechecked`
    event's, replacing its version's."""
    with transaction.atomic():
        if draft is None:
            draft = _locked(draft_id)
        # An event newer than the row cannot exist yet (every event is inserted by a call
        # like this one, which moves last_seq past it), and neither can the version written
        # with it: those are plain inserts. Older ones are a retry or a late write.
        new = [e for e in events if e.seq > draft.last_seq]
        late = [e for e in events if e.seq <= draft.last_seq]
        stored = version is not None and _store_version(draft, version, surely_new=bool(new))
        for record_ in late:
            DraftEvent.objects.get_or_create(draft=draft, seq=record_.seq,
                                             defaults=_event_fields(record_))
        if not new:
            if stored:  # a v1 run's version, stored without its event: what it cost
                draft.save(update_fields=["spent_tokens", "spent_usd", "updated_at"])
            return 0
        was_writing = draft.status in WRITING_STATES
        rows = DraftEvent.objects.bulk_create(
            [DraftEvent(draft=draft, seq=e.seq, **_event_fields(e)) for e in new])
        OutboxMail.objects.bulk_create([
            OutboxMail(key=f"{draft.pk}:{e.seq}", draft=draft, kind=e.kind, version=e.version,
                       comment=e.comment)
            for e in new if e.notify and EventKind(e.kind) in states.NOTIFY])
        for record_, row in zip(new, rows, strict=True):
            _fold(draft, record_, row)
        if was_writing and draft.status not in WRITING_STATES:
            # Written, failed or stopped: the partial text goes with the writing.
            StreamedText.objects.filter(draft=draft).delete()
        if suggestion is not None:
            _store_suggestion(draft, new[-1], suggestion)
        if findings is not None:
            _replace_findings(draft, new[-1].version, findings)
        draft.save(update_fields=[*WORKFLOW_FIELDS, "updated_at"])
    return len(new)


def create(*, author, **fields) -> Draft:
    """A new draft and its `submitted` event (call inside the caller's transaction)."""
    draft = Draft.objects.create(author=author, status=ReviewState.GENERATING.value,
                                 last_seq=1, **fields)
    DraftEvent.objects.create(draft=draft, seq=1, kind=EventKind.SUBMITTED.value,
                              actor=author)
    return draft


def load_history(drafts: Sequence[dict], events: Sequence[dict],
                 versions: Sequence[dict]) -> None:
    """Closed reviews from the past, written as one bulk load (PostgreSQL COPY): each draft
    final (`last_seq` its last event's), its events and versions as the workflow would have
    left them; ids are taken from each table's sequence here. For history fixtures
    (review/history.py): no workflow will ever drive these drafts, so none is started."""
    with transaction.atomic():
        ids = _take_ids(Draft, len(drafts))
        for pk, row in zip(ids, drafts, strict=True):
            row["id"] = pk
        for row in (*events, *versions):
            row["draft_id"] = drafts[row.pop("draft")]["id"]
        for model, rows in ((Draft, drafts), (DraftEvent, events), (DraftVersion, versions)):
            if model is not Draft:
                for pk, row in zip(_take_ids(model, len(rows)), rows, strict=True):
                    row["id"] = pk
            _copy(model, rows)
        refresh_facts([row["id"] for row in drafts])


# What apply() keeps on a draft row for Insights, computed again from its events and versions
# (the same rules: rulebook.insights.FIRST_DECISION_EVENTS, states.CLOSING_DECISION_EVENTS);
# migration 0022 ran it once over the drafts written before the row kept them.
_FACTS = f"""
UPDATE {Draft._meta.db_table} d SET
  first_decided_at = ev.first_at, decided_at = coalesce(ev.closed_at, d.decided_at),
  was_edited = ev.edited, spent_tokens = coalesce(sp.tokens, 0),
  spent_usd = coalesce(sp.usd, 0)
FROM (SELECT draft_id,
        MIN(created_at) FILTER (WHERE kind = ANY(%(first)s)) AS first_at,
        MAX(created_at) FILTER (WHERE kind = ANY(%(closing)s)) AS closed_at,
        bool_or(kind = %(edited)s) AS edited
      FROM {DraftEvent._meta.db_table} WHERE draft_id = ANY(%(ids)s) GROUP BY draft_id) ev
LEFT JOIN (SELECT draft_id,
             SUM(prompt_tokens + completion_tokens + checks_tokens) AS tokens,
             SUM(cost_usd + checks_cost_usd) AS usd
           FROM {DraftVersion._meta.db_table} WHERE draft_id = ANY(%(ids)s)
           GROUP BY draft_id) sp ON sp.draft_id = ev.draft_id
WHERE d.id = ev.draft_id"""


def refresh_facts(draft_ids: Sequence[int]) -> None:
    """Compute the Insights facts of these drafts from their events and versions (a bulk
    load, a fixture): what apply() keeps up to date one event at a time."""
    with connection.cursor() as cursor:
        cursor.execute(_FACTS, {
            "ids": list(draft_ids), "edited": EventKind.EDITED.value,
            "first": sorted(k.value for k in insights.FIRST_DECISION_EVENTS),
            "closing": sorted(k.value for k in CLOSING_DECISION_EVENTS)})


def _take_ids(model, count: int) -> list[int]:
    """`count` ids from the table's own sequence, in one call."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM "
                       "generate_series(1, %s)", [model._meta.db_table, count])
        return [pk for (pk,) in cursor.fetchall()]


def _copy(model, rows: Sequence[dict]) -> None:
    """Rows as COPY FROM STDIN: every stored column, from the row or the field's default."""
    columns = [f for f in model._meta.concrete_fields if not f.generated]
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    defaults = {f.attname: f.get_default() for f in columns}
    json_columns = {f.attname for f in columns if f.get_internal_type() == "JSONField"}
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
                f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) "
                f"FROM STDIN") as copy:
            for row in rows:
                values = {**defaults, **row}
                for name in json_columns:
                    values[name] = json.dumps(values[name])
                copy.write_row([values[f.attname] for f in columns])


def next_seq(draft: Draft) -> int:
    """The sequence number an event written outside a workflow takes (row locked): after the
    newest event, also one a hand-made or pre-projection row has beyond `last_seq`."""
    last = DraftEvent.objects.filter(draft=draft).order_by("-seq").values_list(
        "seq", flat=True).first() or 0
    return max(last, draft.last_seq) + 1


def record(draft: Draft, kind: EventKind, *, state: ReviewState | None = None,
           actor_id: int | None = None, comment: str = "", notify: bool = False) -> EventRecord:
    """An event written from outside a workflow (Retry, a failed start, reconcile): the next
    sequence number, the state after it from the rulebook unless given. Call inside a
    transaction with `draft` locked (select_for_update); the instance is updated."""
    event = EventRecord(
        seq=next_seq(draft), kind=kind.value,
        state=(state or states.STATE_AFTER[kind] or draft.state).value,
        version=draft.current_version, actor_id=actor_id, comment=comment,
        revisions=draft.revisions, notify=notify)
    apply(draft.pk, [event], draft=draft)
    return event


def apply_status(draft_id: int, status: ReviewStatus) -> bool:
    """reconcile --fix on a running workflow: set the row from the workflow's `status` query,
    unless the row already holds a newer event than the query saw. No event is added: the
    running workflow numbers its events."""
    with transaction.atomic():
        draft = _locked(draft_id)
        if status.seq and status.seq < draft.last_seq:
            return False
        awaiting = status.state == ReviewState.AWAITING_REVIEW
        draft.status = status.state
        if status.version:
            draft.current_version = status.version
        draft.revisions = status.revisions
        draft.step = status.step
        draft.deadline = status.deadline if awaiting else None
        draft.remind_at = status.remind_at if awaiting else None
        draft.last_seq = max(draft.last_seq, status.seq)
        draft.save()
    return True


def apply_state(draft_id: int, state: ReviewState) -> bool:
    """reconcile --fix on a running workflow that no worker answers: its search attribute is
    all there is, so only the state (and no deadline outside awaiting review) is set."""
    with transaction.atomic():
        draft = _locked(draft_id)
        draft.status = state.value
        if state != ReviewState.AWAITING_REVIEW:
            draft.deadline = draft.remind_at = None
        draft.save()
    return True


def add_progress(draft_id: int, delta: int) -> None:
    """Characters streamed by the LLM (cosmetic): only while the draft is being written."""
    if delta:
        Draft.objects.filter(pk=draft_id, status__in=[s.value for s in WRITING_STATES]).update(
            progress_chars=Greatest(F("progress_chars") + delta, 0))


_STREAM_SQL = f"""
INSERT INTO {StreamedText._meta.db_table} (draft_id, version, part, heading, attempt, text,
                                            backend, model_name, prompt_tokens, updated_at)
SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, now()
WHERE EXISTS (SELECT 1 FROM {Draft._meta.db_table} WHERE id = %s AND status = ANY(%s))
ON CONFLICT (draft_id, version, part) DO UPDATE
SET heading = EXCLUDED.heading, attempt = EXCLUDED.attempt, text = EXCLUDED.text,
    backend = EXCLUDED.backend, model_name = EXCLUDED.model_name,
    prompt_tokens = EXCLUDED.prompt_tokens, updated_at = EXCLUDED.updated_at
WHERE {StreamedText._meta.db_table}.attempt <= EXCLUDED.attempt
"""


def stream(draft_id: int, *, version: int, part: int, attempt: int, text: str,
           heading: str = "", delta: int = 0, call: StreamCall | None = None) -> None:
    """The text of a version so far, as the LLM activity has it (and its characters, as
    add_progress; and the `call` writing it): one upsert, only while the draft is being
    written, and never over the text of a newer attempt (a retried attempt starts the text
    again; an older one that is still running writes nothing), so the page never shows a mix
    of two attempts."""
    call = call or StreamCall()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_STREAM_SQL, [draft_id, version, part, heading[:300], attempt, text,
                                         call.backend, call.model[:100], call.prompt_tokens,
                                         draft_id, [s.value for s in WRITING_STATES]])
        add_progress(draft_id, delta)


_PLACES_SQL = f"""
INSERT INTO {StreamedText._meta.db_table} (draft_id, version, part, heading, attempt, text,
                                            backend, model_name, prompt_tokens, updated_at)
SELECT %s, %s, place.part, place.heading, 0, '', '', '', 0, now()
FROM unnest(%s::int[], %s::text[]) AS place(part, heading)
WHERE EXISTS (SELECT 1 FROM {Draft._meta.db_table} WHERE id = %s AND status = ANY(%s))
ON CONFLICT (draft_id, version, part) DO NOTHING
"""


def places(draft_id: int, *, version: int, headings: list[str]) -> None:
    """A long piece's sections, each in its place under the outline before its call starts
    (parts 1..n, attempt 0, no text): one insert that leaves the parts already there alone,
    only while the draft is being written."""
    with connection.cursor() as cursor:
        cursor.execute(_PLACES_SQL, [draft_id, version, list(range(1, len(headings) + 1)),
                                     [h[:300] for h in headings], draft_id,
                                     [s.value for s in WRITING_STATES]])


@dataclass(frozen=True)
class StreamCall:
    """The LLM call writing a part: its backend and model, its prompt's tokens (estimated)."""

    backend: str = ""
    model: str = ""
    prompt_tokens: int = 0


@dataclass(frozen=True)
class Streamed:
    """A version's text so far and the calls that wrote it (`call`: the first part's backend
    and model, the prompt tokens of every part that has text; `parts`: each part's text as
    it streamed, for a token estimate)."""

    text: str
    call: StreamCall = StreamCall()
    parts: tuple[str, ...] = ()


def streamed(draft_id: int, version: int) -> Streamed:
    """The text written so far of `version` (its parts in order; a section under its heading
    when it has not written one yet), and who wrote it: what a stop keeps."""
    parts, written, call = [], [], StreamCall()
    prompt_tokens = 0
    for row in StreamedText.objects.filter(draft_id=draft_id, version=version).order_by("part"):
        text = row.text.strip()
        if not text:
            continue  # a section not started yet, or with no words so far
        written.append(row.text)
        prompt_tokens += row.prompt_tokens
        if row.backend and not call.backend:
            call = StreamCall(row.backend, row.model_name)
        if row.heading and not text.startswith("## "):
            text = f"## {row.heading}\n\n{text}".strip()
        parts.append(text)
    return Streamed(text="\n\n".join(parts) + "\n" if parts else "",
                    call=StreamCall(call.backend, call.model, prompt_tokens),
                    parts=tuple(written))


def has_version(draft_id: int, number: int) -> bool:
    """Is version `number` of the draft stored? (A v1 run's store_version answers with it.)"""
    return DraftVersion.objects.filter(draft_id=draft_id, number=number).exists()


# ------------------------------------------------------------------ internals


def _locked(draft_id: int) -> Draft:
    try:
        return Draft.objects.select_for_update().get(pk=draft_id)
    except Draft.DoesNotExist:
        raise DraftMissing(f"draft {draft_id} does not exist") from None


def _event_fields(record_: EventRecord) -> dict:
    step = record_.step if record_.event_step is None else record_.event_step
    return {"kind": record_.kind, "actor_id": record_.actor_id, "version": record_.version,
            "comment": record_.comment, "step": step, "actor_email": record_.actor_email}


def _store_version(draft: Draft, version: VersionRecord, *, surely_new: bool) -> bool:
    """Store `version` unless it is there (a retry); True when it was new. Its cost is added
    to the draft's spend (the caller saves the row)."""
    gen = version.generation
    fields = {
        "kind": version.kind,
        "text": version.text,
        "created_by_id": version.actor_id,
        "backend": gen.backend if gen else "",
        "model_name": gen.model if gen else "",
        "prompt_version": gen.prompt_version if gen else "",
        "prompt_tokens": gen.prompt_tokens if gen else 0,
        "completion_tokens": gen.completion_tokens if gen else 0,
        "latency_ms": gen.latency_ms if gen else 0,
        "cost_usd": Decimal(str(round(gen.cost_usd, 6))) if gen else Decimal(0),
        "from_suggestions": bool(version.choices),
        "stopped": version.stopped,
        "checks_tokens": version.checks_usage.tokens if version.checks_usage else 0,
        "checks_cost_usd": Decimal(str(version.checks_usage.usd)) if version.checks_usage
        else Decimal(0),
    }
    if surely_new:
        DraftVersion.objects.create(draft=draft, number=version.number, **fields)
        created = True
    else:  # a retry, or a v1 run's store_version (no event with it)
        _, created = DraftVersion.objects.get_or_create(draft=draft, number=version.number,
                                                        defaults=fields)
    if created:  # its comments' passages, found again on it (or outdated) in this transaction
        draft.spent_tokens += (fields["prompt_tokens"] + fields["completion_tokens"]
                               + fields["checks_tokens"])
        draft.spent_usd += fields["cost_usd"] + fields["checks_cost_usd"]
        reanchor(draft.pk, version.number, version.text)
        if version.changes:
            _store_changes(draft, version)
        if version.choices:
            _store_choices(draft, version)
        if version.findings:
            _store_findings(draft, version)
    return created


def _replace_findings(draft: Draft, number: int, findings: Sequence) -> None:
    """The checks run again on version `number`: its findings are these; a warning dismissed
    before that is found again stays dismissed, with its reason."""
    kept = {(f.check_name, f.quote, f.start, f.message): f
            for f in CheckFinding.objects.filter(draft=draft, version=number,
                                                 state=checks.FindingState.DISMISSED)}
    again = [f for f in findings if (f.check[:100], f.quote, f.start, f.message) not in kept]
    found = {(f.check[:100], f.quote, f.start, f.message) for f in findings}
    CheckFinding.objects.filter(draft=draft, version=number).exclude(
        pk__in=[row.pk for key, row in kept.items() if key in found]).delete()
    _store_findings(draft, VersionRecord(number=number, kind="", text="", findings=again))


def _store_findings(draft: Draft, version: VersionRecord) -> None:
    """What the checks found on the version (rulebook.checks), with it."""
    CheckFinding.objects.bulk_create([
        CheckFinding(draft=draft, version=version.number, check_name=f.check[:100],
                     kind=f.kind[:20], severity=f.severity, message=f.message,
                     quote=f.quote, prefix=f.prefix[:100], suffix=f.suffix[:100],
                     start=f.start, end=f.end, suggestion=f.suggestion)
        for f in version.findings])


def _store_changes(draft: Draft, version: VersionRecord) -> None:
    """A targeted revision's passages, and the threads they answer anchored on the rewrites
    (found REVISED: a rewritten passage is not looked for, it is where the rewrite went)."""
    rows = PassageChange.objects.bulk_create([
        PassageChange(draft=draft, version=version.number, old_start=c.old_start,
                      old_end=c.old_end, old_text=c.old_text, start=c.start, end=c.end,
                      text=c.text, error=c.error)
        for c in version.changes])
    wanted = {cid for c in version.changes for cid in c.comment_ids}
    threads = {c.pk: c for c in Comment.objects.filter(draft=draft, parent__isnull=True,
                                                       pk__in=wanted)}  # not deleted since
    PassageChange.comments.through.objects.bulk_create([
        PassageChange.comments.through(passagechange_id=row.pk, comment_id=cid)
        for row, change in zip(rows, version.changes, strict=True)
        for cid in change.comment_ids if cid in threads])
    for change in version.changes:
        for cid in change.comment_ids:
            if (c := threads.get(cid)) is not None:
                c.at_version, c.at_start, c.at_end = version.number, change.start, change.end
                c.found = passages.EXACT if change.error else passages.REVISED
                c.state = comment_rules.state_after_reanchor(CommentState(c.state), True)
    Comment.objects.bulk_update(threads.values(), ["at_version", "at_start", "at_end", "found",
                                                   "state"])


def _store_choices(draft: Draft, version: VersionRecord) -> None:
    """An edit from suggestions: each chosen change marked with the choice and the version
    it made, and the threads it answers anchored where the chosen passage now is (found
    REVISED on a rewrite taken, EXACT on a passage kept or restored)."""
    chosen = {c.change_id: c for c in version.choices}
    changes = list(PassageChange.objects.filter(draft=draft, pk__in=chosen, decision="")
                   .prefetch_related("comments"))
    threads = []
    for change in changes:
        choice = chosen[change.pk]
        change.decision = suggestions.ACCEPT if choice.accepted else suggestions.REJECT
        change.decided_in = version.number
        for c in change.comments.all():
            if c.parent_id is None and c.state != CommentState.RESOLVED:
                c.at_version, c.at_start, c.at_end = version.number, choice.start, choice.end
                c.found = passages.REVISED if choice.accepted else passages.EXACT
                c.state = comment_rules.state_after_reanchor(CommentState(c.state), True)
                threads.append(c)
    PassageChange.objects.bulk_update(changes, ["decision", "decided_in"])
    Comment.objects.bulk_update(threads, ["at_version", "at_start", "at_end", "found", "state"])


def _store_suggestion(draft: Draft, event: EventRecord, s: ChangeRecord) -> None:
    """A rewrite suggested for one passage of the event's version (not in its text)."""
    gen = s.generation
    row = PassageChange.objects.create(
        draft=draft, version=event.version, old_start=s.old_start, old_end=s.old_end,
        old_text=s.old_text, start=s.start, end=s.end, text=s.text, error=s.error,
        suggested=True, requested_by_id=event.actor_id,
        **({"backend": gen.backend, "prompt_tokens": gen.prompt_tokens,
            "completion_tokens": gen.completion_tokens,
            "cost_usd": Decimal(str(round(gen.cost_usd, 6)))} if gen else {}))
    row.comments.set(Comment.objects.filter(draft=draft, parent__isnull=True,
                                            pk__in=s.comment_ids))


def _fold(draft: Draft, record: EventRecord, event: DraftEvent) -> None:
    """The draft row after `record`."""
    kind = EventKind(record.kind)
    draft.last_seq = record.seq
    draft.status = record.state
    if record.version:
        draft.current_version = record.version
    awaiting = record.state == ReviewState.AWAITING_REVIEW
    draft.deadline = record.deadline if awaiting else None
    draft.remind_at = record.remind_at if awaiting else None
    draft.escalate_at = record.escalate_at if awaiting else None
    if record.escalated_to is not None:
        draft.escalated_to = record.escalated_to
    if record.step is not None:
        draft.step = record.step
    if record.revisions is not None:
        draft.revisions = record.revisions
    elif kind == EventKind.CHANGES_REQUESTED:  # v1 runs do not say
        draft.revisions += 1
    if kind in NEW_VERSION_EVENTS or kind == EventKind.RETRIED:
        draft.status_message = ""
        draft.progress_chars = 0
    elif kind == EventKind.FAILED:
        draft.status_message = record.comment
    if kind in CLOSING_DECISION_EVENTS:
        draft.decided_by_id = record.actor_id
        draft.decided_at = event.created_at
        draft.decision_comment = record.comment
    if kind in insights.FIRST_DECISION_EVENTS and draft.first_decided_at is None:
        draft.first_decided_at = event.created_at
    if kind == EventKind.EDITED:
        draft.was_edited = True


def reanchor(draft_id: int, number: int, text: str) -> int:
    """Look for every passage thread of the draft on version `number` (its `text`), from the
    version each was last found on; returns how many moved or changed state. Call inside the
    transaction that stores the version."""
    threads = list(Comment.objects.filter(draft_id=draft_id, parent__isnull=True)
                   .exclude(quote="").filter(Q(at_version__lt=number) | Q(at_version__isnull=True)))
    if not threads:
        return 0
    wanted = {c.at_version for c in threads if c.at_version is not None}
    texts = dict(DraftVersion.objects.filter(draft_id=draft_id, number__in=wanted)
                 .values_list("number", "text"))
    changed = []
    for c in threads:
        source = _last_found(c, texts.get(c.at_version))
        found = passages.locate(source, text)
        state = comment_rules.state_after_reanchor(CommentState(c.state), found is not None)
        if found is not None:
            c.at_version, c.at_start, c.at_end, c.found = number, found.start, found.end, \
                found.how
        c.state = state
        changed.append(c)
    Comment.objects.bulk_update(changed, ["at_version", "at_start", "at_end", "found",
                                          "state"])
    return len(changed)


def _last_found(c: Comment, text: str | None) -> passages.Anchor:
    """The anchor to look from: where the thread was last found (its text then), or the one
    it was made with."""
    if text is not None and c.at_start is not None and c.at_end is not None:
        try:
            return passages.anchor_at(text, c.at_start, c.at_end)
        except passages.PassageError:  # offsets that no longer fit that text
            pass
    return c.anchor()
