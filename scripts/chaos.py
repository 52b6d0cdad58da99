"""`make chaos`: a fault-injection suite that starts its own stack and proves that faults lose
nothing, duplicate nothing and leave nothing stuck.

    .venv/bin/python scripts/chaos.py [--drafts N] [--only fault,fault] [--results PATH]
                                      [--pg-down SECONDS] [--data DIR] [--keep]

The stack (scripts/chaos_stack.py): its own PostgreSQL 16 (the pgserver wheel's binaries,
driven directly so it can be killed and restarted), its own Temporal dev server on a file
store, one worker and one web server (`runserver`), all on free ports, with short timeouts
(chaos_stack.FAST_SETTINGS) and mail to files. Everything goes through HTTP as a browser
sends it (scripts/chaos_web.py): authors submit, editors decide. Each fault submits its own N
drafts, runs, heals the stack and then checks those drafts (scripts/chaos_checks.py) from the
database, Temporal and the mail files:

- worker_kill: kill -9 the worker while the drafts are being written; start a new one.
- mail_kill: kill -9 the worker while the mail outbox sends (a message written, its row not
  yet marked sent); a new worker must neither lose nor repeat a mail.
- temporal_kill: kill -9 the dev server while the drafts wait (decisions and a submit made
  while it is down must say so); start it again on the same store and port.
- postgres_restart: kill -9 PostgreSQL (postmaster and backends) with drafts half written,
  half waiting; pages must answer 503 while it is down; start it again on the same data.
- races: two editors post approve and reject on the same draft at the same moment.
- no_worker_decision: decisions while no worker runs are told "NOT recorded"; a new worker
  must not apply them later.
- hostile: NUL, CR/LF, huge bodies, HTML, forged ids, wrong roles, stale and future
  versions, missing CSRF — 4xx or a form error, never a 500, and nothing written.

Then every draft is decided and checked. A table goes to bench/results/chaos.md. Exit 0 when
everything holds, 1 on any loss, duplicate, stuck review or app defect (a 500, a wrong
answer), 2 if the stack could not start.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chaos_stack import FAST_SETTINGS, PASSWORD, ROOT, Stack, say  # noqa: E402
from chaos_web import Browser, Response  # noqa: E402

from config.env import parse_duration  # noqa: E402
from rulebook.states import DecisionKind, EventKind, ReviewState, VersionKind  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "chaos.md"
FAULTS = ("worker_kill", "mail_kill", "temporal_kill", "postgres_restart", "races",
          "no_worker_decision", "hostile")
APPROVED = {ReviewState.APPROVED}
AWAITING = {ReviewState.AWAITING_REVIEW}
RECORDED = (200, 202)  # the decision was recorded / accepted and being recorded
NOT_RECORDED = "NOT recorded"


class Suite:
    """The stack, one browser per user, and the helpers every fault uses."""

    def __init__(self, stack: Stack, drafts: int, pg_down: float) -> None:
        self.stack = stack
        self.n = drafts
        self.pg_down = pg_down
        self.mail_dir = stack.mail_dir
        base = stack.base_url
        self.author = Browser(base, "author")
        self.editor = Browser(base, "editor")
        self.editor2 = Browser(base, "editor2")
        self.admin = Browser(base, "admin")
        for user in (self.author, self.editor, self.editor2, self.admin):
            user.login(PASSWORD)
        self.update_wait = (parse_duration(FAST_SETTINGS["TEMPORAL_UPDATE_TIMEOUT"])
                            + parse_duration(FAST_SETTINGS["TEMPORAL_WORKFLOW_TASK_TIMEOUT"]))

    # ---------------------------------------------------------------- authors

    def submit_many(self, row, count: int, label: str) -> list[int]:
        """The author submits `count` topics through the form, four at a time."""

        def one(i: int) -> int | None:
            response, pk = self.author.submit(f"Chaos {label} {i}: {uuid.uuid4().hex[:6]}")
            if pk is None:
                self.unexpected(row, f"submit {label} {i}", response)
            return pk

        with ThreadPoolExecutor(4) as pool:
            ids = [pk for pk in pool.map(one, range(count)) if pk is not None]
        say(f"  {label}: submitted {len(ids)} drafts (#{min(ids)}–#{max(ids)})")
        return ids

    def wait_awaiting(self, row, ids: list[int], timeout: float = 120.0) -> dict:
        from chaos_checks import wait_states

        found = wait_states(ids, AWAITING, timeout)
        late = [pk for pk, (state, _) in found.items() if state not in AWAITING]
        if late:
            row.problem(f"{len(late)} drafts not awaiting review after {timeout:g} s: "
                        + ", ".join(f"#{pk} {found[pk][0].value}" for pk in late[:5]))
        return found

    def writing_started(self, ids: list[int]) -> Counter:
        """How many drafts are being written (the LLM has streamed something) or wait."""
        from chaos_checks import fresh_db

        from drafts.models import Draft

        fresh_db()
        tally: Counter = Counter()
        for status, chars in Draft.objects.filter(pk__in=ids).values_list("status",
                                                                          "progress_chars"):
            state = ReviewState(status)
            if state == ReviewState.GENERATING:
                tally["writing" if chars else "queued"] += 1
            else:
                tally[state.value] += 1
        return tally

    def wait_writing(self, ids: list[int], timeout: float = 20.0) -> Counter:
        """Until at least one draft streams text (or the time is up)."""
        deadline = time.monotonic() + timeout
        while True:
            tally = self.writing_started(ids)
            if tally["writing"] or time.monotonic() > deadline:
                return tally
            time.sleep(0.1)

    def wait_mail_sent(self, row, ids: list[int], timeout: float = 60.0) -> None:
        """Until the outbox has sent every mail these drafts queued, so that a kill that
        follows lands on a quiet sender (mail_kill is the fault that kills it mid-send)."""
        from chaos_checks import fresh_db

        from drafts.models import OutboxMail

        deadline = time.monotonic() + timeout
        while True:
            fresh_db()
            if not OutboxMail.objects.filter(draft_id__in=ids,
                                             status=OutboxMail.Status.PENDING).exists():
                return
            if time.monotonic() > deadline:
                row.problem(f"mail of drafts #{min(ids)}–#{max(ids)} not sent after "
                            f"{timeout:g} s")
                return
            time.sleep(0.2)

    # ---------------------------------------------------------------- editors

    def approve_all(self, row, ids: list[int], editor: Browser | None = None,
                    timeout: float = 90.0) -> None:
        """Approve each draft over HTTP; a 503 ("NOT recorded", engine not back yet) is tried
        again, anything else unexpected is reported."""
        from chaos_checks import states

        editor = editor or self.editor
        versions = {pk: v for pk, (_, v) in states(ids).items()}
        seen: Counter = Counter()
        lock = threading.Lock()

        def one(pk: int) -> None:
            deadline = time.monotonic() + timeout
            while True:
                response = editor.decide(pk, DecisionKind.APPROVE, versions[pk])
                with lock:
                    seen[response.status] += 1
                if response.status in RECORDED:
                    return
                if response.status == 503 and time.monotonic() < deadline:
                    time.sleep(1)
                    continue
                self.unexpected(row, f"approve #{pk}", response)
                return

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, ids))
        if set(seen) - {200}:
            row.note(f"approvals answered {dict(sorted(seen.items()))}")

    def unexpected(self, row, what: str, response: Response) -> None:
        sentence = refusal_text(response.text)
        if response.status >= 500 and response.status != 503:
            row.defects.append(f"{what}: HTTP {response.status} {sentence}")
        else:
            row.problem(f"{what}: HTTP {response.status} {sentence}")

    # ---------------------------------------------------------------- the worker

    def wait_worker_polling(self, timeout: float = 60.0) -> None:
        """Until the current worker process polls the review task queue."""
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        from temporal_app import gateway

        identity = f"{self.stack.worker.pid}@"

        async def pollers() -> list[str]:
            client = await gateway.get_client()
            response = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace, task_queue=TaskQueue(name=self.stack.task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
                timeout=timedelta(seconds=3))
            return [p.identity for p in response.pollers]

        deadline = time.monotonic() + timeout
        while True:
            try:
                if any(p.startswith(identity) for p in gateway.run(pollers(), timeout=10)):
                    return
            except Exception:  # noqa: BLE001 - Temporal may be coming back
                pass
            if self.stack.worker.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.stack.worker.returncode}); see "
                                   f"{self.stack.data / 'logs' / 'worker.log'}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the worker does not poll after {timeout:g} s")
            time.sleep(0.3)

    def restart_worker(self) -> None:
        self.stack.start_worker()
        self.wait_worker_polling()

    def heal(self, row) -> None:
        """Between faults: anything that exited by itself is a finding, then restarted."""
        for name in self.stack.exited():
            row.defects.append(f"{name} exited by itself")
            if name.startswith("worker"):
                self.restart_worker()
            else:
                raise RuntimeError(f"{name} exited by itself; the stack cannot heal")

    def audit(self, row, ids: list[int], expected: dict) -> None:
        from chaos_checks import audit

        say(f"  checking {len(ids)} drafts (states, events, versions, mail, Temporal)")
        audit(row, ids, expected, self.mail_dir)

    def reconcile(self, row) -> None:
        """After the fault healed, with the drafts waiting: database and Temporal agree."""
        from chaos_checks import reconcile

        reconcile(row, self.stack.env)


def refusal_text(html: str) -> str:
    """The sentence a page shows (its first error or message), for the report."""
    for pattern in (r'class="(?:msg )?error"[^>]*>(.*?)</p>', r"<h1>(.*?)</h1>",
                    r"<title>(.*?)</title>"):
        match = re.search(pattern, html, re.S)
        if match:
            text = re.sub(r"<[^>]+>", "", match.group(1))
            return " ".join(text.split())[:160]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())[:160]


# ==================================================================== the faults


def worker_kill(suite: Suite, row) -> None:
    """kill -9 the worker while the drafts are being written; a new worker finishes them."""
    ids = suite.submit_many(row, suite.n, "worker_kill")
    at_kill = suite.wait_writing(ids)
    suite.stack.kill_worker()
    say(f"  kill -9 worker with drafts {dict(at_kill)}")
    row.note(f"killed with {at_kill['writing']} writing, {at_kill['queued']} queued, "
             f"{at_kill[ReviewState.AWAITING_REVIEW.value]} awaiting")
    time.sleep(1)
    suite.restart_worker()
    say("  new worker polling; waiting for every draft to reach awaiting review")
    suite.wait_awaiting(row, ids)
    suite.reconcile(row)
    suite.approve_all(row, ids)
    suite.audit(row, ids, {pk: APPROVED for pk in ids})


def mail_kill(suite: Suite, row) -> None:
    """kill -9 the worker while the mail outbox is sending (the approvals' mail, slowed to
    0.5 s a message so the kill lands between a message written and its row marked sent);
    a new worker must neither lose nor repeat a mail."""
    from chaos_checks import fresh_db

    from drafts.models import OutboxMail

    ids = suite.submit_many(row, suite.n, "mail_kill")
    suite.wait_awaiting(row, ids)
    suite.wait_mail_sent(row, ids)
    suite.reconcile(row)
    suite.stack.mail_slow.write_text("0.5")
    try:
        size = mail_bytes(suite.mail_dir)
        suite.approve_all(row, ids)
        deadline, caught = time.monotonic() + 60, False
        while time.monotonic() < deadline:
            fresh_db()
            claimed = OutboxMail.objects.filter(
                draft_id__in=ids, status=OutboxMail.Status.PENDING,
                next_attempt_at__gt=datetime.now(UTC) + timedelta(seconds=30)).count()
            if claimed and mail_bytes(suite.mail_dir) > size:
                suite.stack.kill_worker()
                caught = True
                break
            time.sleep(0.02)
    finally:
        suite.stack.mail_slow.unlink(missing_ok=True)
    if caught:
        say(f"  kill -9 worker while it sent: {claimed} mails claimed, a message written")
        row.note(f"killed mid-send: {claimed} mail rows claimed, not yet marked sent")
    else:
        row.problem("the kill did not land inside a send (no claimed mail seen in 60 s)")
        suite.stack.kill_worker()
    suite.restart_worker()
    say("  new worker polling; waiting for the outbox to send what was claimed "
        "(CLAIM_SECONDS)")
    suite.audit(row, ids, {pk: APPROVED for pk in ids})


def mail_bytes(mail_dir: Path) -> int:
    return sum(path.stat().st_size for path in mail_dir.glob("*.log"))


def temporal_kill(suite: Suite, row) -> None:
    """kill -9 the dev server while the drafts wait; what is asked while it is down says so;
    it comes back on the same store and port and everything goes on."""
    from chaos_checks import states

    ids = suite.submit_many(row, suite.n, "temporal_kill")
    suite.wait_awaiting(row, ids)
    suite.stack.kill_temporal()
    say("  kill -9 Temporal dev server; deciding and submitting while it is down")
    early = ids[:min(3, len(ids))]
    answers = Counter()
    took: list[float] = []

    def approve(pk: int) -> None:
        started = time.monotonic()
        response = suite.editor.decide(pk, DecisionKind.APPROVE, 1)
        took.append(time.monotonic() - started)
        answers[response.status] += 1
        if response.status != 503 or not any(
                words in response.text for words in ("Nothing was recorded", NOT_RECORDED)):
            suite.unexpected(row, f"approve #{pk} with Temporal down", response)

    with ThreadPoolExecutor(len(early) + 1) as pool:
        submitted = pool.submit(suite.author.submit, "Chaos temporal_kill: submitted while down")
        list(pool.map(approve, early))
        response, failed_pk = submitted.result()
    if failed_pk is None:
        suite.unexpected(row, "submit with Temporal down", response)
    row.note(f"while down: decisions {dict(answers)} within {max(took):.1f} s, submit "
             f"{response.status}")
    time.sleep(2)
    suite.stack.start_temporal()
    suite.wait_worker_polling()
    say("  Temporal back on the same store; worker polling again")
    applied = [pk for pk, (state, _) in states(early).items() if state not in AWAITING]
    if applied:
        row.problem(f"decisions refused while Temporal was down were applied: {applied}")
    if failed_pk is not None:
        from chaos_checks import wait_states

        state = wait_states([failed_pk], {ReviewState.FAILED}, 30)[failed_pk][0]
        if state != ReviewState.FAILED:
            row.problem(f"draft #{failed_pk} submitted while Temporal was down is {state.value}, "
                        "not failed with a reason")
        retry = suite.author.post(f"/drafts/{failed_pk}/retry/")
        if retry.status != 302:
            suite.unexpected(row, f"retry #{failed_pk}", retry)
        row.note(f"submitted while down: {state.value}, retried")
        ids.append(failed_pk)
        suite.wait_awaiting(row, [failed_pk])
    suite.reconcile(row)
    suite.approve_all(row, ids)
    suite.audit(row, ids, {pk: APPROVED for pk in ids})


def postgres_restart(suite: Suite, row) -> None:
    """kill -9 PostgreSQL with half the drafts waiting and half being written; keep it down
    while users keep clicking (503, nothing saved); start it again on the same data."""
    from chaos_checks import fresh_db, states

    from drafts.models import Draft

    half = max(1, suite.n // 2)
    waiting = suite.submit_many(row, half, "postgres_restart")
    suite.wait_awaiting(row, waiting)
    suite.wait_mail_sent(row, waiting)
    writing = suite.submit_many(row, suite.n - half, "postgres_restart") if suite.n > half \
        else []
    at_kill = suite.wait_writing(writing, timeout=10) if writing else Counter()
    ids = waiting + writing
    suite.stack.pg.kill9()
    say(f"  kill -9 PostgreSQL ({half} awaiting, {dict(at_kill)} of the rest); down for "
        f"{suite.pg_down:g} s while users click")
    seen: dict[str, Counter] = {}
    saved_words: set[str] = set()
    key = str(uuid.uuid4())
    probes: list[tuple[str, Callable[[], Response]]] = [
        ("author's list", lambda: suite.author.get("/drafts/")),
        ("editor's queue", lambda: suite.editor.get("/review/")),
        ("review page", lambda: suite.editor.get(f"/review/{waiting[0]}/")),
        ("draft page poll (htmx)", lambda: suite.author.get(f"/drafts/{ids[-1]}/", htmx=True)),
    ]
    down_until = time.monotonic() + suite.pg_down
    first = True
    while time.monotonic() < down_until:
        batch = list(probes)
        if first:  # one decision and one submit while down: nothing may be saved
            batch += [("approve (htmx)", lambda: suite.editor.decide(
                          waiting[0], DecisionKind.APPROVE, 1)),
                      ("submit", lambda: suite.author.submit("Chaos postgres_restart: while "
                                                             "down", key=key)[0])]
            first = False
        for name, probe in batch:
            response = probe()
            seen.setdefault(name, Counter())[response.status] += 1
            if response.status == 503:
                saved_words.add(refusal_text(response.text))
            elif response.status >= 500:
                row.defects.append(f"{name} while PostgreSQL was down: HTTP "
                                   f"{response.status} {refusal_text(response.text)}")
        time.sleep(1)
    suite.stack.pg.start()
    say("  PostgreSQL back on the same data")
    row.note("while PostgreSQL was down: " + "; ".join(
        f"{name} {'/'.join(f'{n}×{s}' for s, n in sorted(c.items()))}"
        for name, c in seen.items()))
    not_503 = {name: c for name, c in seen.items() if set(c) - {503}}
    if not_503:
        row.problem(f"pages that did not answer 503 while PostgreSQL was down: {not_503}")
    if states([waiting[0]])[waiting[0]][0] not in AWAITING:
        row.problem(f"the approval posted while PostgreSQL was down was applied "
                    f"(draft #{waiting[0]})")
    fresh_db()
    if Draft.objects.filter(submission_key=key).exists():
        row.problem("the draft submitted while PostgreSQL was down was created, though the "
                    "page said " + "; ".join(sorted(saved_words)))
    suite.wait_awaiting(row, ids)
    suite.reconcile(row)
    suite.approve_all(row, ids)
    suite.audit(row, ids, {pk: APPROVED for pk in ids})


def races(suite: Suite, row) -> None:
    """Two editors post approve and reject on the same draft at the same instant: exactly
    one is recorded, the other is refused."""
    ids = suite.submit_many(row, suite.n, "races")
    suite.wait_awaiting(row, ids)
    suite.reconcile(row)
    say(f"  {len(ids)} races: editor and editor2 decide each draft at the same moment")
    expected: dict[int, set[ReviewState]] = {}
    outcomes: Counter = Counter()
    late_approve: list[int] = []

    def race(i_pk: tuple[int, int]) -> None:
        i, pk = i_pk
        first, second = (suite.editor, suite.editor2) if i % 2 else (suite.editor2, suite.editor)
        kinds = {first: DecisionKind.APPROVE, second: DecisionKind.REJECT}
        barrier = threading.Barrier(2)
        answers: dict[Browser, Response] = {}

        def post(who: Browser) -> None:
            barrier.wait()
            answers[who] = who.decide(pk, kinds[who], 1, comment="chaos race")

        threads = [threading.Thread(target=post, args=(who,)) for who in kinds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        won = [who for who, r in answers.items() if r.status in RECORDED]
        outcomes["/".join(sorted(str(r.status) for r in answers.values()))] += 1
        for who, response in answers.items():
            if who not in won and response.status != 409:
                suite.unexpected(row, f"race #{pk} loser ({who.username})", response)
        if len(won) == 1:
            expected[pk] = ({ReviewState.APPROVED} if kinds[won[0]] == DecisionKind.APPROVE
                            else {ReviewState.REJECTED})
        elif len(won) > 1:
            row.problem(f"race #{pk}: both editors were told their decision was recorded")
            expected[pk] = {ReviewState.APPROVED, ReviewState.REJECTED}
        else:
            late_approve.append(pk)
            expected[pk] = APPROVED

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(race, enumerate(ids)))
    row.note(f"answers per race {dict(outcomes)}")
    if late_approve:
        row.note(f"{len(late_approve)} races with no winner, approved afterwards")
        suite.approve_all(row, late_approve)
    suite.audit(row, ids, expected)


def no_worker_decision(suite: Suite, row) -> None:
    """Decisions while no worker runs: the editor reads NOT recorded, and the worker that
    comes back must not apply them."""
    from chaos_checks import fresh_db, states

    from drafts.models import DraftEvent
    from rulebook.states import DECISION_EVENTS
    from temporal_app import gateway

    ids = suite.submit_many(row, suite.n, "no_worker_decision")
    suite.wait_awaiting(row, ids)
    suite.wait_mail_sent(row, ids)
    suite.stack.kill_worker()
    say(f"  kill -9 worker; {len(ids)} approvals with no worker")
    answers: Counter = Counter()
    waited: list[float] = []

    def approve(pk: int) -> None:
        started = time.monotonic()
        response = suite.editor.decide(pk, DecisionKind.APPROVE, 1)
        waited.append(time.monotonic() - started)
        answers[response.status] += 1
        if response.status != 503 or NOT_RECORDED not in response.text:
            suite.unexpected(row, f"approve #{pk} with no worker", response)

    with ThreadPoolExecutor(min(16, len(ids))) as pool:
        list(pool.map(approve, ids))
    row.note(f"with no worker: {dict(answers)}, answered within {max(waited):.1f} s")
    suite.restart_worker()
    settle = suite.update_wait + 5
    say(f"  new worker polling; waiting {settle:g} s for anything it might still apply")
    time.sleep(settle)
    fresh_db()
    applied = [pk for pk, (state, _) in states(ids).items() if state not in AWAITING]
    applied += list(DraftEvent.objects.filter(draft_id__in=ids, kind__in=[
        k.value for k in DECISION_EVENTS]).values_list("draft_id", flat=True))
    for pk in ids:
        try:
            if gateway.query_status(pk).decisions:
                applied.append(pk)
        except Exception as err:  # noqa: BLE001
            row.problem(f"status query of #{pk} failed: {err}")
    applied = sorted(set(applied))
    if applied:
        row.dup_decisions += len(applied)
        row.problem(f"decisions answered NOT recorded were applied later: {applied}")
    else:
        row.note("none applied later (database, workflow status)")
    suite.reconcile(row)
    suite.approve_all(row, ids)
    suite.audit(row, ids, {pk: APPROVED for pk in ids})


def hostile(suite: Suite, row) -> None:
    """Hostile requests from real users over HTTP: each gets a 4xx or a form error, never a
    500, and writes nothing; then the drafts involved are decided as usual."""
    from chaos_checks import header_lines, row_counts

    ids = suite.submit_many(row, suite.n, "hostile")
    own_response, admins = suite.admin.submit("Chaos hostile: the admin's own draft")
    if admins is None:
        suite.unexpected(row, "admin's submit", own_response)
        return
    everything = ids + [admins]
    suite.wait_awaiting(row, everything)
    stale = ids[0]  # gets a version 2, so version 1 is stale
    response = suite.editor.decide(stale, DecisionKind.REQUEST_CHANGES, 1,
                                   comment="Chaos: make a version 2")
    if response.status not in RECORDED:
        suite.unexpected(row, "request changes", response)
    suite.wait_awaiting(row, [stale])
    target = ids[-1]
    anonymous = Browser(suite.stack.base_url)
    anonymous.get("/login/")
    a, e = suite.author, suite.editor
    big = "x" * 5_000_000
    script = '<script>alert("chaos")</script>'
    key = a.new_form_key
    approve = DecisionKind.APPROVE.value

    def new(**fields) -> dict:
        base = {"topic": "Chaos hostile", "brief": "", "audience": "", "tone": "",
                "target_words": "300", "submission_key": key()}
        return base | fields

    def decision(kind=approve, version="1", **fields) -> dict:
        return {"decision": kind, "version": version, "comment": ""} | fields

    form_error = "Nothing was submitted"
    # (case, who, method, path, data, answers allowed, a 200 must show, options)
    cases: list[tuple] = [
        ("NUL in topic", a, "POST", "/drafts/new/", new(topic="a\x00b"), {200}, form_error, {}),
        ("NUL in brief", a, "POST", "/drafts/new/", new(brief="a\x00b"), {200}, form_error, {}),
        ("CR/LF in topic (a mail header)", a, "POST", "/drafts/new/",
         new(topic="Chaos\r\nBcc: victim@example.com"), {200}, form_error, {}),
        ("U+2028 in topic", a, "POST", "/drafts/new/", new(topic="Chaos\u2028two"), {200},
         form_error, {}),
        ("NUL in topic (htmx)", a, "POST", "/drafts/new/", new(topic="\x00"), {422}, "",
         {"htmx": True}),
        ("NUL in decision comment", e, "POST", f"/review/{target}/decide/",
         decision(DecisionKind.REJECT.value, comment="no\x00"), {422}, "", {"htmx": True}),
        ("NUL in edited text", e, "POST", f"/review/{target}/decide/",
         decision(DecisionKind.APPROVE_WITH_EDITS.value, text="a\x00b"), {422}, "",
         {"htmx": True}),
        ("NUL in withdrawal comment", a, "POST", f"/drafts/{target}/withdraw/",
         {"comment": "bye\x00"}, {302}, "", {}),
        ("NUL in login", anonymous, "POST", "/login/",
         {"username": "author\x00", "password": "x"}, {200}, "didn", {}),
        ("huge topic (5 MB)", a, "POST", "/drafts/new/", new(topic=big), {400}, "", {}),
        ("huge brief (5 MB)", a, "POST", "/drafts/new/", new(brief=big), {400}, "", {}),
        ("huge decision comment (5 MB)", e, "POST", f"/review/{target}/decide/",
         decision(comment=big), {400}, "", {"htmx": True}),
        ("edited text over the limit (200 k)", e, "POST", f"/review/{target}/decide/",
         decision(DecisionKind.APPROVE_WITH_EDITS.value, text="y" * 200_000), {422}, "",
         {"htmx": True}),
        ("5,000 form fields", a, "POST", "/drafts/new/",
         [(f"f{i}", "1") for i in range(5000)] + list(new().items()), {400}, "", {}),
        ("topic over 200 characters", a, "POST", "/drafts/new/", new(topic="t" * 201), {200},
         form_error, {}),
        ("HTML in topic", a, "POST", "/drafts/new/", new(topic=script), {200}, form_error,
         {"raw": script}),
        ("HTML in brief", a, "POST", "/drafts/new/",
         new(brief='<img src=x onerror="alert(1)">'), {200}, form_error,
         {"raw": '<img src=x onerror="alert(1)">'}),
        ("HTML in a filter", a, "GET", f"/drafts/?status={quote(script)}", None, {200}, "",
         {"raw": script}),
        ("nonexistent draft: decide", e, "POST", "/review/999999999/decide/", decision(),
         {404}, "", {"htmx": True}),
        ("nonexistent draft: review page", e, "GET", "/review/999999999/", None, {404}, "", {}),
        ("nonexistent draft: author page", a, "GET", "/drafts/999999999/", None, {404}, "", {}),
        ("id past bigint: decide", e, "POST", f"/review/{10**30}/decide/", decision(), {404},
         "", {"htmx": True}),
        ("another author's draft: page", a, "GET", f"/drafts/{admins}/", None, {404}, "", {}),
        ("another author's draft: withdraw", a, "POST", f"/drafts/{admins}/withdraw/", {},
         {404}, "", {}),
        ("another author's draft: retry", a, "POST", f"/drafts/{admins}/retry/", {}, {404}, "",
         {}),
        ("author decides", a, "POST", f"/review/{target}/decide/", decision(), {403}, "",
         {"htmx": True}),
        ("editor decides own draft", suite.admin, "POST", f"/review/{admins}/decide/",
         decision(), {403}, "", {"htmx": True}),
        ("editor submits", e, "POST", "/drafts/new/", new(), {403}, "", {}),
        ("editor withdraws", e, "POST", f"/drafts/{target}/withdraw/", {}, {403}, "", {}),
        ("editor cancels (admins only)", e, "POST", f"/review/pending/{target}/cancel/",
         {"comment": "x"}, {403}, "", {}),
        ("signed out decides", anonymous, "POST", f"/review/{target}/decide/", decision(),
         {302}, "", {}),
        ("stale version", e, "POST", f"/review/{stale}/decide/", decision(version="1"), {409},
         "", {"htmx": True}),
        ("future version", e, "POST", f"/review/{target}/decide/", decision(version="99"),
         {409}, "", {"htmx": True}),
        ("version past int64", e, "POST", f"/review/{target}/decide/",
         decision(version=str(2**64)), {409, 422}, "", {"htmx": True}),
        ("version 0", e, "POST", f"/review/{target}/decide/", decision(version="0"), {422}, "",
         {"htmx": True}),
        ("version not a number", e, "POST", f"/review/{target}/decide/",
         decision(version="1; DROP TABLE"), {422}, "", {"htmx": True}),
        ("unknown decision", e, "POST", f"/review/{target}/decide/", decision(kind="publish"),
         {422}, "", {"htmx": True}),
        ("GET on decide", e, "GET", f"/review/{target}/decide/", None, {405}, "", {}),
        ("submit without CSRF token", a, "POST", "/drafts/new/", new(), {403}, "",
         {"csrf": False}),
        ("decide without CSRF token", e, "POST", f"/review/{target}/decide/", decision(),
         {403}, "", {"csrf": False, "htmx": True}),
        ("decide with a forged CSRF token", e, "POST", f"/review/{target}/decide/", decision(),
         {403}, "", {"csrf": False, "htmx": True, "headers": {"X-CSRFToken": "A" * 32}}),
    ]
    say(f"  {len(cases)} hostile requests")
    answered: Counter = Counter()
    for name, who, method, path, data, allowed, must_show, options in cases:
        options = dict(options)
        raw = options.pop("raw", "")
        before = row_counts()
        try:
            response = who.request(method, path, data, **options)
        except (ConnectionResetError, BrokenPipeError) as err:
            row.problem(f"{name}: the connection was dropped ({err})")
            continue
        answered[response.status] += 1
        row.details.append(f"{name} → {response.status}")
        after = row_counts()
        if response.status >= 500:
            row.defects.append(f"{name}: HTTP {response.status} {refusal_text(response.text)}")
        elif response.status not in allowed:
            row.problem(f"{name}: HTTP {response.status} (expected "
                        f"{'/'.join(map(str, sorted(allowed)))}) {refusal_text(response.text)}")
        elif response.status == 200 and must_show and must_show not in response.text:
            row.problem(f"{name}: 200 without the form's error")
        if raw and raw in response.text:
            row.defects.append(f"{name}: the page shows the HTML unescaped")
        if after != before:
            row.problem(f"{name} wrote rows: {before} → {after}")
    wrote = any("wrote rows" in p for p in row.problems)
    row.note(f"{len(cases)} hostile requests answered {dict(sorted(answered.items()))}"
             + ("" if wrote else ", nothing written"))
    suite.reconcile(row)

    # Accepted, but harmless: HTML and CR/LF in a comment, HTML in edited text: shown
    # escaped, and no mail grows a header.
    shown = ids[1] if len(ids) > 1 else target
    response = e.decide(shown, DecisionKind.APPROVE, 1,
                        comment=f"{script}\r\nBcc: victim@example.com")
    if response.status not in RECORDED:
        suite.unexpected(row, "approve with HTML in the comment", response)
    edited = ids[2] if len(ids) > 2 else None
    if edited is not None:
        text = f"# Edited\n\n{script}\n\n<img src=x onerror=alert(1)>\n"
        response = e.decide(edited, DecisionKind.APPROVE_WITH_EDITS, 1, text=text)
        if response.status not in RECORDED:
            suite.unexpected(row, "edit & approve with HTML in the text", response)
    rest = [pk for pk in everything if pk not in (shown, edited, admins)]
    suite.approve_all(row, [admins], suite.editor2)  # the admin's draft: another editor
    suite.approve_all(row, rest)
    for pk in [shown, edited]:
        if pk is None:
            continue
        page = a.get(f"/drafts/{pk}/")
        if script in page.text or "<img src=x onerror" in page.text:
            row.defects.append(f"draft #{pk}'s page shows HTML from a comment or edit unescaped")
    suite.audit(row, everything, {pk: APPROVED for pk in everything})
    injected = [v for k, v in header_lines(suite.mail_dir) if k.lower() == "bcc"]
    if injected:
        row.defects.append(f"a CR/LF injected mail headers: Bcc {injected[:2]}")
    else:
        row.note("HTML and CR/LF in a comment, HTML in an edit: shown escaped, no mail header "
                 "added")


# ==================================================================== the checks' control


PLANTED = {"lost": 1, "dup_decisions": 1, "dup_events": 1, "dup_versions": 1, "dup_mails": 1,
           "stuck": 1}


def control(suite: Suite) -> tuple[bool, str]:
    """Plant one of each failure behind the app's back (in this stack's own database and
    mail files) and check that the audit counts exactly those: the zeros above mean
    something."""
    from chaos_checks import MAIL_SEPARATOR, Row, audit

    from drafts.models import Draft, DraftEvent, DraftVersion, OutboxMail
    from drafts.outbox import body_of

    row = Row("control")
    left, doubled, closed = suite.submit_many(row, 3, "control")
    suite.wait_awaiting(row, [left, doubled, closed])
    suite.approve_all(row, [doubled])
    # lost: `left` is expected approved and never decided. Duplicates on `doubled`: a second
    # closing decision, a second `submitted` event, a version no event brought, and its
    # approval mail received twice. Stuck: `closed` is final in the database while its
    # workflow still waits.
    DraftEvent.objects.create(draft_id=doubled, seq=900, kind=EventKind.WITHDRAWN.value)
    DraftEvent.objects.create(draft_id=doubled, seq=901, kind=EventKind.SUBMITTED.value)
    DraftVersion.objects.create(draft_id=doubled, number=99, kind=VersionKind.EDITED.value,
                                text="-")
    Draft.objects.filter(pk=closed).update(status=ReviewState.REJECTED.value)
    mail = OutboxMail.objects.select_related("draft").get(draft_id=doubled,
                                                          kind=EventKind.APPROVED.value)
    deadline = time.monotonic() + 60
    while mail.status == OutboxMail.Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.5)
        mail.refresh_from_db()
    (suite.mail_dir / "planted.log").write_text(
        f"To: author@example.com\nSubject: planted\n\n{body_of(mail)}{MAIL_SEPARATOR}")
    expected = {left: APPROVED, doubled: APPROVED, closed: {ReviewState.REJECTED}}
    audit(row, [left, doubled, closed], expected, suite.mail_dir, timeout=3, mail_timeout=10,
          temporal_timeout=3)
    found = {name: getattr(row, name) for name in PLANTED}
    ok = found == PLANTED and not row.problems
    words = ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in found.items())
    return ok, (f"Control: one of each failure planted behind the app's back; the checks found "
                f"{words} ({'as planted' if ok else 'NOT as planted: the checks are broken'}).")


# ==================================================================== the run


def write_table(rows: list, path: Path, args, started: datetime, total: float,
                stack_info: str, control_line: str) -> str:
    head = ("| fault | drafts in flight | final states | lost | duplicated decisions | "
            "duplicated events / versions / mails | stuck reviews | time | notes |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        states_ = ", ".join(f"{s} {n}" for s, n in sorted(r.final_states.items())) or "—"
        notes = "; ".join(r.notes + [f"PROBLEM: {p}" for p in r.problems]
                          + [f"DEFECT: {d}" for d in r.defects])
        lines.append(f"| {r.fault} | {r.in_flight} | {states_} | {r.lost} | {r.dup_decisions} | "
                     f"{r.dup_events} / {r.dup_versions} / {r.dup_mails} | {r.stuck} | "
                     f"{r.seconds:.0f} s | {notes.replace('|', '/')} |")
    failed = [r.fault for r in rows if r.failed]
    verdict = ("**All faults held**: nothing lost, duplicated or stuck, no app defect."
               if not failed else f"**FAILED**: {', '.join(failed)} (see notes).")
    text = (f"# make chaos\n\n"
            f"Run {started:%Y-%m-%d %H:%M} UTC, {total:.0f} s in all, {args.drafts} drafts per "
            f"fault. Machine: {platform.platform()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}. {stack_info}\n\n"
            "Settings: " + ", ".join(f"{k}={v}" for k, v in FAST_SETTINGS.items())
            + f", MAX_DRAFTS_IN_FLIGHT={max(20, args.drafts + 5)}.\n\n"
            f"Command: `{' '.join(['.venv/bin/python scripts/chaos.py', *sys.argv[1:]])}`\n\n"
            + head + "\n".join(lines) + f"\n\n{verdict}\n\n{control_line}\n"
            + "".join(f"\n{r.fault}: " + "; ".join(r.details) + ".\n" for r in rows if r.details))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def setup_django(stack: Stack) -> None:
    os.environ.update(stack.env)
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drafts", type=int, default=30, help="drafts per fault (default 30)")
    parser.add_argument("--only", default="", help=f"comma-separated faults: {', '.join(FAULTS)}")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="where the markdown table goes (default bench/results/chaos.md)")
    parser.add_argument("--pg-down", type=float, default=15.0,
                        help="seconds PostgreSQL stays down (default 15)")
    parser.add_argument("--data", type=Path, help="data directory (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    chosen = [f for f in (args.only.split(",") if args.only else FAULTS) if f]
    unknown = set(chosen) - set(FAULTS)
    if unknown or args.drafts < 1:
        parser.error(f"unknown faults {sorted(unknown)}" if unknown else "--drafts must be ≥ 1")

    def terminate(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    started, clock = datetime.now(UTC), time.monotonic()
    if args.data:
        args.data.mkdir(parents=True, exist_ok=True)
        data = Path(tempfile.mkdtemp(prefix="chaos-", dir=args.data))
    else:
        data = Path(tempfile.mkdtemp(prefix="redline-chaos-"))
    stack = Stack(data, args.drafts)
    rows = []
    try:
        try:
            stack.start()
            setup_django(stack)
            suite = Suite(stack, args.drafts, args.pg_down)
            suite.wait_worker_polling()
        except Exception:  # noqa: BLE001
            traceback.print_exc()
            say(f"the stack could not start; logs in {data / 'logs'}")
            args.keep = True
            return 2
        from chaos_checks import Row

        for name in chosen:
            row = Row(name)
            t0 = time.monotonic()
            say(f"fault {name}: {args.drafts} drafts")
            try:
                globals()[name](suite, row)
                suite.heal(row)
            except Exception as err:  # noqa: BLE001 - a fault that crashed is a failed fault
                traceback.print_exc()
                row.problem(f"the fault crashed: {type(err).__name__}: {err}")
                try:
                    suite.heal(row)
                except Exception as heal_err:  # noqa: BLE001
                    row.problem(f"could not heal: {heal_err}")
                    rows.append(row)
                    break
            row.seconds = time.monotonic() - t0
            rows.append(row)
            say(f"fault {name}: {'FAILED' if row.failed else 'ok'} in {row.seconds:.0f} s — "
                f"lost {row.lost}, dup {row.dup_decisions}/{row.dup_events}/{row.dup_versions}"
                f"/{row.dup_mails}, stuck {row.stuck}")
            for text in row.problems + row.defects:
                say(f"  ! {text}")
        say("control: planting one of each failure to check that the checks see them")
        try:
            control_ok, control_line = control(suite)
        except Exception as err:  # noqa: BLE001
            traceback.print_exc()
            control_ok, control_line = False, f"Control: crashed ({err}); the checks are unproven."
        say(control_line)
    except KeyboardInterrupt:
        say("interrupted; stopping everything")
        return 130
    finally:
        say("stopping the stack")
        stack.stop(keep=args.keep)
        if args.keep:
            say(f"data kept in {data}")
    total = time.monotonic() - clock
    info = ("Stack: PostgreSQL 16 (pgserver binaries), Temporal dev server on a SQLite file, "
            "one worker, `runserver`; mail to files.")
    text = write_table(rows, args.results, args, started, total, info, control_line)
    print("\n" + text, flush=True)
    say(f"table written to {args.results}")
    return 1 if any(r.failed for r in rows) or len(rows) < len(chosen) or not control_ok else 0


if __name__ == "__main__":
    sys.exit(main())
