"""The chaos suite's checks (scripts/chaos.py): after a fault, what the database, Temporal and
the mail actually sent say about that fault's drafts. Needs Django set up on the stack.

- lost: a draft not in its expected final state after a bounded wait, or a mail its outbox
  row says was sent (or should be) that nobody received;
- duplicated decisions: more than one closing decision event on a draft;
- duplicated events / versions / mails: an event that happens once per review recorded twice
  (or more revisions written than requested), two versions with one number or more versions
  than events that bring one, the same mail (recipient + the row's subject and body) received
  in two different messages, digests included (the same message delivered again, with the
  same Message-ID, is noted: mail systems show it once);
- stuck: a final draft whose workflow still runs, a pending draft with no running workflow,
  Temporal's outcome differing from the row, mail still queued after the bound, or
  `manage.py reconcile` disagreeing once the fault healed, while the drafts wait (it also
  reports activities that keep failing).
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import close_old_connections, connections
from django.db.models import Count

from drafts.models import Draft, DraftEvent, DraftVersion, OutboxMail
from drafts.outbox import body_of, recipients
from rulebook.states import (
    CLOSING_DECISION_EVENTS,
    FINAL_STATES,
    NEW_VERSION_EVENTS,
    NOTIFY,
    EventKind,
    ReviewState,
)
from temporal_app import errors, gateway

# Events a review records at most once (without revisions, which add their own pairs).
ONCE = (EventKind.SUBMITTED, EventKind.GENERATED, EventKind.EDITED, EventKind.EXPIRED,
        EventKind.FAILED)
MAIL_SEPARATOR = "\n" + "-" * 79 + "\n"
MAIL_DONE = (OutboxMail.Status.SENT, OutboxMail.Status.SKIPPED)


@dataclass
class Row:
    """One fault's line in the table, and what went wrong in words."""

    fault: str
    in_flight: int = 0
    final_states: Counter = field(default_factory=Counter)
    lost: int = 0
    dup_decisions: int = 0
    dup_events: int = 0
    dup_versions: int = 0
    dup_mails: int = 0
    stuck: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each makes the run fail
    defects: list[str] = field(default_factory=list)  # app misbehaviour (a 500, …): fails too
    details: list[str] = field(default_factory=list)  # listed under the table

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.dup_decisions or self.dup_events or self.dup_versions
                    or self.dup_mails or self.stuck or self.problems or self.defects)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def problem(self, text: str) -> None:
        self.problems.append(text)


def fresh_db() -> None:
    """Forget connections a PostgreSQL restart may have broken."""
    close_old_connections()
    for conn in connections.all():
        conn.close()


def states(ids) -> dict[int, tuple[ReviewState, int]]:
    """{draft id: (state, current version)} from the database, retried while it is down."""
    deadline = time.monotonic() + 60
    while True:
        try:
            fresh_db()
            return {pk: (ReviewState(status), version) for pk, status, version in
                    Draft.objects.filter(pk__in=list(ids))
                    .values_list("pk", "status", "current_version")}
        except Exception:  # noqa: BLE001 - the database may be restarting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def wait_states(ids, wanted, timeout: float) -> dict[int, tuple[ReviewState, int]]:
    """Poll until every draft's state is in `wanted` (a set) or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        now = states(ids)
        if len(now) == len(ids) and all(s in wanted for s, _ in now.values()):
            return now
        if time.monotonic() > deadline:
            return now
        time.sleep(0.3)


def row_counts() -> dict[str, int]:
    """Rows of every table a request could write, for "wrote nothing" checks."""
    from django.contrib.auth.models import User

    fresh_db()
    return {"drafts": Draft.objects.count(), "events": DraftEvent.objects.count(),
            "versions": DraftVersion.objects.count(), "mails": OutboxMail.objects.count(),
            "users": User.objects.count()}


# ------------------------------------------------------------------ mail files


def read_mails(mail_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """{recipient: [(Message-ID, body)]} from the filebased backend's files (digests too). A
    message without a Message-ID gets a unique one: it cannot be the same message again."""
    bodies: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path in sorted(mail_dir.glob("*.log")):
        chunks = path.read_bytes().decode("utf-8", "replace").split(MAIL_SEPARATOR)
        for number, chunk in enumerate(chunks):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk, policy=email.policy.default)
            part = message.get_body(("plain",)) or message
            content = part.get_content() if hasattr(part, "get_content") else str(part)
            message_id = str(message.get("Message-ID") or f"{path.name}#{number}")
            for address in str(message.get("To", "")).split(","):
                if address.strip():
                    bodies[address.strip()].append((message_id, _norm(content)))
    return bodies


def header_lines(mail_dir: Path) -> list[tuple[str, str]]:
    """Every header (name, value) of every message: a CR/LF topic must not add any."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().decode("utf-8", "replace").split(MAIL_SEPARATOR):
            if chunk.strip():
                message = email.message_from_string(chunk, policy=email.policy.compat32)
                found += [(k, str(v)) for k, v in message.items()]
    return found


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


# ------------------------------------------------------------------ the audit


def audit(row: Row, ids: list[int], expected: dict[int, set[ReviewState]], mail_dir: Path,
          *, timeout: float = 90.0, mail_timeout: float = 180.0,
          temporal_timeout: float = 30.0) -> None:
    """Fill `row` from the database, Temporal and the mail files for these drafts."""
    row.in_flight = len(ids)
    final = wait_states(ids, FINAL_STATES, timeout)
    row.final_states = Counter(state.value for state, _ in final.values())
    lost = [pk for pk in ids if pk not in final or final[pk][0] not in expected[pk]]
    row.lost += len(lost)
    for pk in lost[:5]:
        state = final[pk][0].value if pk in final else "missing"
        row.note(f"draft #{pk} ended {state}, expected "
                 f"{'/'.join(sorted(s.value for s in expected[pk]))}")
    _events_and_versions(row, ids)
    _mail(row, ids, mail_dir, mail_timeout)
    _temporal(row, ids, temporal_timeout)


def _events_and_versions(row: Row, ids: list[int]) -> None:
    fresh_db()
    kinds: dict[int, Counter] = defaultdict(Counter)
    for pk, kind in DraftEvent.objects.filter(draft_id__in=ids).values_list("draft_id", "kind"):
        kinds[pk][EventKind(kind)] += 1
    for pk in ids:
        seen = kinds[pk]
        closing = sum(seen[k] for k in CLOSING_DECISION_EVENTS)
        if closing > 1:
            row.dup_decisions += closing - 1
            row.note(f"draft #{pk}: {closing} closing decisions")
        extra = sum(max(0, seen[k] - 1) for k in ONCE)
        extra += max(0, seen[EventKind.REVISED] - seen[EventKind.CHANGES_REQUESTED])
        if extra:
            row.dup_events += extra
            row.note(f"draft #{pk}: events {dict(seen)}")
    numbers = (DraftVersion.objects.filter(draft_id__in=ids).values("draft_id", "number")
               .annotate(n=Count("id")).filter(n__gt=1))
    row.dup_versions += sum(r["n"] - 1 for r in numbers)
    versions = Counter(DraftVersion.objects.filter(draft_id__in=ids)
                       .values_list("draft_id", flat=True))
    for pk in ids:
        bringing = sum(kinds[pk][k] for k in (*NEW_VERSION_EVENTS, EventKind.EDITED))
        if versions[pk] > bringing:
            row.dup_versions += versions[pk] - bringing
            row.note(f"draft #{pk}: {versions[pk]} versions for {bringing} version events")


def _mail(row: Row, ids: list[int], mail_dir: Path, timeout: float) -> None:
    """Every event the rulebook mails about has its outbox row, sent once to each
    recipient."""
    deadline = time.monotonic() + timeout
    while True:
        fresh_db()
        pending = OutboxMail.objects.filter(draft_id__in=ids).exclude(status__in=MAIL_DONE)
        if not pending.exists() or time.monotonic() > deadline:
            break
        time.sleep(1)
    rows = list(OutboxMail.objects.filter(draft_id__in=ids).select_related("draft"))
    not_sent = [r for r in rows if r.status not in MAIL_DONE]
    if not_sent:
        row.stuck += len(not_sent)
        row.note(f"{len(not_sent)} mails still queued or given up after {timeout:g} s: "
                 + ", ".join(f"{r.key} {r.status} ({r.last_error[:60]})" for r in not_sent[:3]))
    queued = {(r.draft_id, r.key.rsplit(":", 1)[-1]) for r in rows}
    events = DraftEvent.objects.filter(draft_id__in=ids, kind__in=[k.value for k in NOTIFY])
    missing_rows = [e for e in events if (e.draft_id, str(e.seq)) not in queued]
    if missing_rows:
        row.lost += len(missing_rows)
        row.note(f"{len(missing_rows)} events with no mail queued")
    received = read_mails(mail_dir)
    lost = dup = checked = redelivered = 0
    repeated: list[str] = []
    for mail in rows:
        if mail.status != OutboxMail.Status.SENT:
            continue
        needle = _norm(body_of(mail))
        audience = NOTIFY[EventKind(mail.kind)][0]
        for address in recipients(mail.draft, audience):
            copies = [mid for mid, body in received.get(address, []) for _ in
                      range(body.count(needle))]
            count, distinct = len(copies), len(set(copies))
            checked += 1
            redelivered += count - distinct
            if count == 0:
                lost += 1
            elif distinct > 1:
                dup += distinct - 1
                repeated.append(f"{mail.kind} of #{mail.draft_id} in {distinct} different "
                                f"messages to {address}")
    row.lost += lost
    row.dup_mails += dup
    if repeated:
        row.note(f"{len(repeated)} mails received more than once, e.g. "
                 + ", ".join(repeated[:2]))
    if lost:
        row.note(f"{lost} mails marked sent but never received")
    if redelivered:
        row.note(f"{redelivered} mails delivered again as the same message (same Message-ID, "
                 "which mail systems show once): not counted as duplicates")
    row.note(f"{checked} mails checked")


def _temporal(row: Row, ids: list[int], timeout: float) -> None:
    """A final draft's workflow has completed with that outcome; a pending one runs."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            truths = gateway.review_truths(ids)
        except errors.RedlineError as err:
            if time.monotonic() > deadline:
                row.problem(f"Temporal could not be read: {err}")
                return
            time.sleep(1)
            continue
        final = states(ids)
        stuck = []
        for pk in ids:
            truth, (state, _) = truths[pk], final[pk]
            if state in FINAL_STATES and (truth.running or not truth.exists):
                stuck.append(f"#{pk} {state.value} but workflow {truth.status_name}")
            elif state in FINAL_STATES and truth.final_state != state:
                stuck.append(f"#{pk} {state.value} but workflow ended {truth.final_state.value}")
            elif state not in FINAL_STATES and not truth.running:
                stuck.append(f"#{pk} {state.value} with workflow {truth.status_name}")
        if not stuck or time.monotonic() > deadline:
            break
        time.sleep(1)
    row.stuck += len(stuck)
    if stuck:
        row.note("stuck: " + "; ".join(stuck[:5]))


def reconcile(row: Row, env: dict) -> None:
    """`manage.py reconcile --json` on the stack: every pending draft agrees with Temporal."""
    from chaos_stack import PY, ROOT

    done = subprocess.run([PY, str(ROOT / "manage.py"), "reconcile", "--json", "--settle", "1"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        row.problem(f"reconcile exited {done.returncode}: {done.stderr.strip()[-200:]}")
        return
    if done.returncode != 0 or report["mismatches"]:
        row.stuck += len(report["mismatches"])
        row.note("reconcile: " + "; ".join(m["detail"] for m in report["mismatches"][:3]))
    else:
        row.note(f"reconcile agrees on {report['checked']} pending drafts")
