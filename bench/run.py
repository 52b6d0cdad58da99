"""Benchmarks: `make bench` (or `.venv/bin/python bench/run.py [--drafts N] [--rounds R]`).

In one run on this machine, so the ratios compare like with like:

1. Redline vs bare (bench/bare.py, the barest human-in-the-loop workflow), in phases that
   alternate bare / Redline for `--rounds` rounds. Each phase gets a fresh Temporal dev server
   (new SQLite file, WAL on, same build) and one worker in this process, then:
   - warm-up: 5 reviews end to end (not measured);
   - drafting: `--callers` threads submit `--drafts` reviews; timed until all await review;
   - deciding: the same threads approve them all (an Update each, answered once recorded);
   - unloaded decision latency: `--unloaded` more reviews are submitted and left to settle,
     then approved one at a time (100 ms apart); each Update's round trip is timed;
   - one review's history is fetched (events per review, by type);
   - per burst: dev-server CPU, this process's CPU by thread group (callers, activity threads,
     workflow threads, asyncio loop, native SDK core), other processes' CPU (noise), and the
     frontend RPCs and persistence operations from the dev server's /metrics.
   Redline goes through its services: drafts.services.submit_draft, then
   review.services.decide; bare calls Temporal directly (start_workflow, execute_update).
2. Parallel sections (long pieces): submit → awaiting review for a 1,200-word piece written in
   outline + parallel sections vs one call, with the offline LLM at 2 s per call (as set by
   OFFLINE_LLM_LATENCY) and with a bench-only model where a call's time grows with the words
   it writes.
3. The editors' queue page (GET /review/) at 10 vs 10,000 drafts awaiting review.

Results: bench/results/latest.json and latest.md (partial.* when `--skip` leaves a part out).
Uses its own PostgreSQL database (redline_bench, emptied at the start) and its own dev servers
on free ports; nothing of `make dev`'s data is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import queue
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import warnings
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
BENCH_DB = "redline_bench"
WARMUP = 5
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ set-up


def setup_django() -> None:
    """Django on the bench's own database (created if missing, migrated), production-like:
    DEBUG off (no query log), mail to the dummy backend, the offline LLM."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a strong one, as required
    # Served in-process over plain HTTP, without collectstatic (the queue page's phase).
    os.environ["STATIC_COLLECTED"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    from temporal_app import connection

    connection.forget_credentials(os.environ)  # the bench's own plain dev servers
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise, no collectstatic
    from config.env import embedded_database_url

    base = os.environ.get("DATABASE_URL") or embedded_database_url(ROOT / ".data" / "pg")
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [BENCH_DB]).fetchone():
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    head, _, query = base.partition("?")
    os.environ["DATABASE_URL"] = head.rsplit("/", 1)[0] + f"/{BENCH_DB}" + \
        (f"?{query}" if query else "")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    assert settings.DATABASES["default"]["NAME"] == BENCH_DB
    call_command("migrate", verbosity=0)
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""  # the offline LLM, always
    settings.OFFLINE_LLM_LATENCY = 0.0
    settings.TEMPORAL_UPDATE_TIMEOUT = 30.0
    settings.OUTBOX_POLL_INTERVAL = 1.0
    settings.OUTBOX_PASS_SECONDS = 300.0
    settings.MAX_DRAFTS_IN_FLIGHT = 0  # one bench author submits hundreds at once
    settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000


def empty_drafts() -> None:
    """Forget every draft of the bench's database (never anything else)."""
    from django.conf import settings
    from django.db import connection

    from drafts.models import Draft

    assert settings.DATABASES["default"]["NAME"] == BENCH_DB
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {Draft._meta.db_table} CASCADE")


def bench_user(username: str, *, editor: bool = False):
    from django.contrib.auth.models import Group, User

    from drafts import roles

    user, _ = User.objects.get_or_create(username=username,
                                         defaults={"email": f"{username}@example.com"})
    group = Group.objects.get(name=roles.EDITORS if editor else roles.AUTHORS)
    user.groups.add(group)
    return user


# ------------------------------------------------------------------ measuring


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def wait_until(predicate, timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        time.sleep(interval)


def cpu_seconds(stat_path: str) -> float:
    """utime + stime of a process or thread, from /proc/…/stat."""
    with open(stat_path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_cpu() -> float:
    """CPU seconds the whole machine spent busy (not idle, not waiting), from /proc/stat."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK


def thread_group(name: str) -> str:
    for prefix, group in (("activity", "activity threads"),
                          ("temporal_workflow", "workflow threads"),
                          ("temporal-portal", "asyncio loop (client + worker)"),
                          ("MainThread", "main thread")):
        if name.startswith(prefix):
            return group
    return "other python threads"


def bench_threads_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds of this process's live Python threads: {thread id: (group, seconds)}."""
    threads = {}
    for thread in threading.enumerate():
        try:
            threads[thread.native_id] = (thread_group(thread.name), cpu_seconds(
                f"/proc/self/task/{thread.native_id}/stat"))
        except (FileNotFoundError, TypeError):
            pass  # exited since enumerate()
    return threads


class DevServer:
    """A fresh Temporal dev server (temporal_app.devserver's command line, WAL on), with its
    /metrics endpoint on a known port."""

    def __init__(self, db_file: Path) -> None:
        from temporal_app import devserver

        self.port, self.metrics_port = devserver.free_port(), devserver.free_port()
        cmd = devserver.command(self.port, None, db_file, wal=True) + [
            "--metrics-port", str(self.metrics_port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        devserver.wait_for_port(self.port, proc=self.proc)
        devserver.wait_for_port(self.metrics_port, proc=self.proc)
        self.address = f"127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(f"/proc/{self.proc.pid}/stat")

    def metrics(self) -> tuple[Counter, float]:
        """(frontend requests in our namespace by operation, persistence operations of the
        whole server)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        frontend: Counter = Counter()
        persistence = 0.0
        for line in text.splitlines():
            if line.startswith("service_requests{") and 'namespace="default"' in line \
                    and 'service_name="frontend"' in line:
                operation = line.split('operation="', 1)[1].split('"', 1)[0]
                frontend[operation] += float(line.rsplit(" ", 1)[1])
            elif line.startswith("persistence_requests{"):
                persistence += float(line.rsplit(" ", 1)[1])
        return frontend, persistence

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def postgres_cpu() -> float:
    """CPU seconds of the whole PostgreSQL server (all databases): the postmaster, its live
    backends, and the backends that ended (reaped into the postmaster's children times)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    with open(f"/proc/{backend}/stat") as f:
        postmaster = f.read().rsplit(")", 1)[1].split()[1]
    with open(f"/proc/{postmaster}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if fields[1] == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLK_TCK


def postgres_counters() -> Counter:
    """The bench database's counters: sessions opened, transactions, rows written."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT sessions, xact_commit + xact_rollback,"
                    " tup_inserted + tup_updated + tup_deleted"
                    " FROM pg_stat_database WHERE datname = current_database()")
        sessions, transactions, rows = cur.fetchone()
    return Counter(sessions=sessions, transactions=transactions, rows_written=rows)


class Meter:
    """CPU and server counters over one burst: `begin()` before it, `end()` right after.
    The dev server and PostgreSQL publish their counters about once a second, so both wait a
    moment before reading those (outside the timed span)."""

    FLUSH_SECONDS = 1.5

    def __init__(self, server: DevServer) -> None:
        self.server = server

    def begin(self) -> None:
        time.sleep(self.FLUSH_SECONDS)
        self.counters = self._counters()
        self.cpu = self._cpu()

    def _counters(self) -> tuple[Counter, float, Counter]:
        frontend, persistence = self.server.metrics()
        return frontend, persistence, postgres_counters()

    def _cpu(self) -> dict:
        times = os.times()
        return {"wall": time.perf_counter(), "server": self.server.cpu(),
                "process": times.user + times.system, "threads": bench_threads_cpu(),
                "postgres": postgres_cpu(), "machine": machine_busy_cpu()}

    def end(self, reviews: int, caller_cpu: float) -> dict:
        """What the burst cost, per review where it says so."""
        now, then = self._cpu(), self.cpu
        time.sleep(self.FLUSH_SECONDS)
        frontend, persistence, postgres = (a - b for a, b in zip(self._counters(),
                                                                  self.counters, strict=True))
        wall = now["wall"] - then["wall"]
        cpu = {k: now[k] - then[k] for k in ("server", "process", "postgres", "machine")}
        threads: Counter = Counter()
        for tid, (group, seconds) in now["threads"].items():
            threads[group] += seconds - then["threads"].get(tid, (group, 0.0))[1]
        threads["caller threads"] = caller_cpu
        # The rest: threads Python does not know (the SDK core's), and threads that ended.
        threads["native (SDK core, exited threads)"] = cpu["process"] - sum(threads.values())
        other = cpu["machine"] - cpu["server"] - cpu["process"] - cpu["postgres"]

        def per_review(value: float, digits: int = 1) -> float:
            return round(value / reviews, digits)

        return {
            "wall_seconds": round(wall, 2),
            "server_cpu_ms_per_review": per_review(cpu["server"] * 1000),
            "bench_cpu_ms_per_review": per_review(cpu["process"] * 1000),
            "bench_cpu_ms_per_review_by_thread": {
                k: per_review(v * 1000) for k, v in sorted(threads.items())},
            "postgres_cpu_ms_per_review": per_review(cpu["postgres"] * 1000),
            "cores_busy": {"dev server": round(cpu["server"] / wall, 2),
                           "bench process": round(cpu["process"] / wall, 2),
                           "postgresql (all databases)": round(cpu["postgres"] / wall, 2),
                           "other processes": round(max(0.0, other) / wall, 2)},
            "frontend_rpcs_per_review": per_review(sum(frontend.values()), 2),
            "frontend_rpcs_per_review_by_operation": {
                op: per_review(n, 2) for op, n in frontend.most_common()},
            "persistence_ops_per_review": per_review(persistence),
            "postgres_per_review": {k: per_review(v, 2) for k, v in sorted(postgres.items())},
        }


def burst(fn, items: list, callers: int) -> dict:
    """Call fn(item) for every item from `callers` threads at once. Returns the results (in
    item order, None where fn raised), latencies (ms), errors and the callers' CPU time."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for index, item in enumerate(items):
        todo.put((index, item))
    results: list = [None] * len(items)
    latencies: list[float] = []
    errors: list[str] = []
    cpu: list[float] = []

    def work() -> None:
        from django.db import connections

        try:
            while True:
                try:
                    index, item = todo.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    results[index] = fn(item)
                except Exception as err:  # noqa: BLE001 - counted and reported
                    errors.append(f"{type(err).__name__}: {err}")
                else:
                    latencies.append((time.perf_counter() - started) * 1000)
        finally:
            connections.close_all()
            cpu.append(time.thread_time())

    threads = [threading.Thread(target=work, name=f"caller-{i}") for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"results": results, "latencies": latencies, "errors": errors, "cpu": sum(cpu)}


# ------------------------------------------------------------------ the two systems


class Bare:
    """bench/bare.py: start_workflow, then execute_update, straight to Temporal."""

    name = "bare"

    def __init__(self, phase: str, task_queue: str, editor) -> None:
        from bench import bare

        self.bare, self.phase, self.task_queue, self.editor = bare, phase, task_queue, editor

    async def start_worker(self, client):
        worker = self.bare.build_worker(client, self.task_queue)
        worker.task = asyncio.ensure_future(worker.run())
        return worker

    def submit(self, i: int) -> str:
        from temporal_app import gateway

        review_id = f"bare-{self.phase}-{i}"

        async def go() -> None:
            client = await gateway.get_client()
            await self.bare.start(client, self.bare.BareInput(review_id, self.phase,
                                                              f"Bench {self.phase} {i}"),
                                  self.task_queue)

        gateway.run(go(), timeout=15)
        return review_id

    def count(self, keys: list[str], *states) -> int:
        return self.bare.count_in_state(keys, states)

    def decide(self, review_id: str) -> None:
        from rulebook.states import DecisionKind
        from temporal_app import gateway

        async def go():
            client = await gateway.get_client()
            return await self.bare.decide(client, review_id, self.bare.BareDecision(
                self.editor.pk, DecisionKind.APPROVE.value), 30)

        gateway.run(go(), timeout=35)

    def workflow_id(self, review_id: str) -> str:
        return review_id

    @property
    def workflow_type(self) -> str:
        return self.bare.WORKFLOW_TYPE


class Redline:
    """The app's own path: drafts.services.submit_draft, review.services.decide."""

    name = "Redline"

    def __init__(self, phase: str, task_queue: str, editor, author) -> None:
        self.phase, self.task_queue, self.editor, self.author = phase, task_queue, editor, author

    async def start_worker(self, client):
        from temporal_app.gateway import ensure_outbox
        from temporal_app.worker import build_worker, outbox_input

        worker = build_worker(client, task_queue=self.task_queue)
        worker.task = asyncio.ensure_future(worker.run())
        await ensure_outbox(client, self.task_queue, outbox_input())
        return worker

    def submit(self, i: int, target_words: int | None = None) -> int:
        from drafts import services
        from rulebook import inputs

        draft, _ = services.submit_draft(
            author=self.author, topic=f"Bench {self.phase} {i}",
            target_words=target_words or inputs.DEFAULT_LENGTH)
        return draft.pk

    def count(self, keys: list[int], *states) -> int:
        from drafts.models import Draft

        return Draft.objects.filter(pk__in=keys, status__in=[s.value for s in states]).count()

    def decide(self, pk: int) -> None:
        from review import services
        from rulebook.states import DecisionKind

        services.decide(draft_id=pk, editor=self.editor, decision=DecisionKind.APPROVE.value,
                        version=1)

    def workflow_id(self, pk: int) -> str:
        from temporal_app.types import workflow_id_for

        return workflow_id_for(pk)

    @property
    def workflow_type(self) -> str:
        from temporal_app.types import WORKFLOW_TYPE

        return WORKFLOW_TYPE


def configure(address: str, task_queue: str) -> None:
    from django.conf import settings

    from temporal_app import gateway

    settings.TEMPORAL_ADDRESS = address
    settings.TEMPORAL_TASK_QUEUE = task_queue
    gateway.reset_client()


def start_worker(system):
    from temporal_app import gateway

    async def go():
        return await system.start_worker(await gateway.get_client())

    return gateway.run(go(), timeout=60)


def stop_worker(worker) -> None:
    from temporal_app import gateway

    try:
        gateway.run(worker.shutdown(), timeout=60)
    except Exception:  # noqa: BLE001 - the server goes away next anyway
        traceback.print_exc()


def history(workflow_id: str) -> dict:
    from temporalio.api.enums.v1 import EventType

    from temporal_app import gateway

    async def go():
        client = await gateway.get_client()
        return await client.get_workflow_handle(workflow_id).fetch_history()

    events = gateway.run(go(), timeout=30).events
    kinds = Counter(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events)
    return {"events": len(events), "by_type": dict(kinds.most_common())}


def still_running(workflow_type: str) -> int:
    """How many reviews of this phase's server still run (visibility lags: poll, bounded)."""
    from temporal_app import gateway

    async def count() -> int:
        client = await gateway.get_client()
        result = await client.count_workflows(
            f'WorkflowType = "{workflow_type}" AND ExecutionStatus = "Running"')
        return result.count

    running = gateway.run(count(), timeout=30)
    deadline = time.monotonic() + 60
    while running and time.monotonic() < deadline:
        time.sleep(0.5)
        running = gateway.run(count(), timeout=30)
    return running


def drafted(system, keys: list, timeout: float = 900) -> int:
    """Wait until every review awaits a decision (or failed); returns how many failed."""
    from rulebook.states import ReviewState

    keys = [k for k in keys if k is not None]
    wait_until(lambda: system.count(keys, ReviewState.AWAITING_REVIEW, ReviewState.FAILED)
               >= len(keys), timeout, interval=0.1)
    return system.count(keys, ReviewState.FAILED)


def run_phase(system, server: DevServer, args) -> dict:
    """One measured phase (see the module docstring), on a running worker and server."""
    from rulebook.states import ReviewState

    n = args.drafts
    warm = [system.submit(i) for i in range(-WARMUP, 0)]
    drafted(system, warm)
    for key in warm:
        system.decide(key)

    meter = Meter(server)
    meter.begin()
    submitted = burst(system.submit, list(range(n)), args.callers)
    keys = [k for k in submitted["results"] if k is not None]
    failed = drafted(system, keys)
    drafting = meter.end(n, submitted["cpu"])

    meter.begin()
    decided = burst(system.decide, keys, args.callers)
    deciding = meter.end(n, decided["cpu"])
    approved = system.count(keys, ReviewState.APPROVED)

    sample = burst(system.submit, list(range(n, n + args.unloaded)), args.callers)
    sample_keys = [k for k in sample["results"] if k is not None]
    drafted(system, sample_keys)
    time.sleep(2.0)  # let the server and the mail outbox settle
    unloaded, unloaded_errors = [], []
    for key in sample_keys:
        started = time.perf_counter()
        try:
            system.decide(key)
        except Exception as err:  # noqa: BLE001
            unloaded_errors.append(f"{type(err).__name__}: {err}")
        else:
            unloaded.append((time.perf_counter() - started) * 1000)
        time.sleep(0.1)

    loaded = decided["latencies"]
    return {
        "system": system.name,
        "reviews": n,
        "callers": args.callers,
        "drafting_seconds": drafting["wall_seconds"],
        "deciding_seconds": deciding["wall_seconds"],
        "drafting_per_second": round(n / drafting["wall_seconds"], 1),
        "deciding_per_second": round(n / deciding["wall_seconds"], 1),
        "end_to_end_per_second": round(
            n / (drafting["wall_seconds"] + deciding["wall_seconds"]), 1),
        "decision_ms_p50": round(statistics.median(unloaded), 1),
        "decision_ms_p95": round(percentile(unloaded, 95), 1),
        "decision_ms_p50_under_burst": round(statistics.median(loaded), 1),
        "decision_ms_p95_under_burst": round(percentile(loaded, 95), 1),
        "history": history(system.workflow_id(keys[0])),
        "errors": {"submit": submitted["errors"][:5] + sample["errors"][:5],
                   "decide": decided["errors"][:5] + unloaded_errors[:5],
                   "submit_failed_count": len(submitted["errors"]) + len(sample["errors"]),
                   "decide_failed_count": len(decided["errors"]) + len(unloaded_errors),
                   "drafts_failed": failed, "approved_count": approved,
                   "still_running_after": still_running(system.workflow_type)},
        "drafting": drafting,
        "deciding": deciding,
    }


def phase(kind: str, label: str, tmp: Path, args, editor, author) -> dict:
    server = DevServer(tmp / f"{label}.db")
    task_queue = f"bench-{label}"
    configure(server.address, task_queue)
    system = Bare(label, task_queue, editor) if kind == "bare" else \
        Redline(label, task_queue, editor, author)
    worker = start_worker(system)
    try:
        return run_phase(system, server, args)
    finally:
        stop_worker(worker)
        server.stop()


# ------------------------------------------------------------------ parallel sections


OUTLINE_WORDS = 150  # what an outline call writes, in the word-paced model
WORDS_PER_SECOND = 300  # the word-paced model: a 600-word draft takes 2 s, like one fixed call


def word_paced(complete):
    """Bench-only latency model for the offline LLM: a call takes as long as the words it
    writes (WORDS_PER_SECOND), as a real model's streamed answer does, instead of a fixed
    OFFLINE_LLM_LATENCY per call."""

    def paced(self, prompt, meta, on_progress=None):
        kind = meta.get("kind", "draft")
        words = OUTLINE_WORDS if kind == "outline" else \
            meta.get("words", 0) if kind == "section" else meta.get("target_words", 600)
        time.sleep(words / WORDS_PER_SECOND)
        return complete(self, prompt, meta, on_progress)

    return paced


def sections_phase(tmp: Path, args, editor, author) -> dict:
    """Submit → awaiting review of a 1,200-word piece, sections on vs off, two LLM models."""
    from django.conf import settings

    from drafts.models import Draft
    from rulebook.states import ReviewState
    from temporal_app import llm

    server = DevServer(tmp / "sections.db")
    configure(server.address, "bench-sections")
    system = Redline("sections", "bench-sections", editor, author)
    worker = start_worker(system)
    original = llm.OfflineBackend.complete
    rows = []
    try:
        for model in ("fixed", "paced"):
            settings.OFFLINE_LLM_LATENCY = 2.0 if model == "fixed" else 0.0
            llm.OfflineBackend.complete = original if model == "fixed" else word_paced(original)
            for mode, threshold in (("outline + parallel sections", 1000), ("one call", 0)):
                settings.LLM_SECTIONS_THRESHOLD_WORDS = threshold
                started = time.perf_counter()
                pks = burst(lambda i: system.submit(i, target_words=1200),
                            list(range(args.section_drafts)), args.section_drafts)["results"]
                seconds: dict[int, float] = {}

                def all_ready(pks=pks, seconds=seconds, started=started) -> bool:
                    for pk in Draft.objects.filter(pk__in=pks, status=ReviewState.AWAITING_REVIEW
                                                   ).values_list("pk", flat=True):
                        seconds.setdefault(pk, time.perf_counter() - started)
                    return len(seconds) == len(pks)

                wait_until(all_ready, 300, interval=0.02)
                rows.append({"llm_model": model, "mode": mode, "drafts": len(pks),
                             "submit_to_awaiting_s_median": round(
                                 statistics.median(seconds.values()), 2),
                             "submit_to_awaiting_s_max": round(max(seconds.values()), 2)})
                print(json.dumps(rows[-1]), flush=True)
    finally:
        llm.OfflineBackend.complete = original
        settings.OFFLINE_LLM_LATENCY = 0.0
        settings.LLM_SECTIONS_THRESHOLD_WORDS = 1000
        stop_worker(worker)
        server.stop()
    speedups = {}
    for model in ("fixed", "paced"):
        on, off = (r["submit_to_awaiting_s_median"] for r in rows if r["llm_model"] == model)
        speedups[model] = round(off / on, 2)
    return {"rows": rows, "sections_speedup": speedups}


# ------------------------------------------------------------------ the queue page


def queue_phase(args, editor) -> dict:
    """p50 of GET /review/ (logged-in editor) at 10, 50 (one full page) and `--queue-rows`
    drafts awaiting review (rows bulk-created, no workflows), with the time of each query."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from drafts.models import Draft
    from rulebook.states import ReviewState

    empty_drafts()
    authors = [bench_user(f"bench-author-{i}") for i in range(50)]
    now = timezone.now()

    def add(start: int, stop: int) -> None:
        rows = []
        for i in range(start, stop):
            deadline = now + timedelta(seconds=3600 + (i * 7919) % (47 * 3600))
            rows.append(Draft(author=authors[i % len(authors)], topic=f"Queue bench {i}",
                              status=ReviewState.AWAITING_REVIEW.value, current_version=1,
                              deadline=deadline, remind_at=deadline - timedelta(hours=4),
                              last_seq=2))
        Draft.objects.bulk_create(rows, batch_size=2000)
        with connection.cursor() as cur:  # what autovacuum would do shortly after
            cur.execute(f"ANALYZE {Draft._meta.db_table}")

    client = Client()
    client.force_login(editor)
    url = reverse("review:queue")

    def measure(rows: int) -> dict:
        for _ in range(5):
            assert client.get(url).status_code == 200
        sql_ms: Counter = Counter()
        executed = 0

        def timed(execute, sql, params, many, context):
            nonlocal executed
            executed += 1
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                sql_ms[sql] += (time.perf_counter() - started) * 1000

        times = []
        with connection.execute_wrapper(timed):  # survives each request's reconnect
            for _ in range(args.queue_requests):
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        n = len(times)
        return {"rows_awaiting": rows, "requests": n,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 95), 1),
                "queries": round(executed / n, 1), "sql_ms": round(sum(sql_ms.values()) / n, 1),
                "slowest_queries": [{"ms": round(ms / n, 2), "sql": sql[:300]}
                                    for sql, ms in sql_ms.most_common(3)],
                "bytes": len(response.content)}

    add(0, 10)
    results = [measure(10)]
    add(10, 50)
    results.append(measure(50))
    add(50, args.queue_rows)
    results.append(measure(args.queue_rows))
    empty_drafts()
    small, page, large = results
    return {"rows": results, "ratio_p50": round(large["p50_ms"] / small["p50_ms"], 2),
            "ratio_p50_vs_full_page": round(large["p50_ms"] / page["p50_ms"], 2)}


# ------------------------------------------------------------------ report


METRICS = [  # (label, key, better)
    ("drafting /s", "drafting_per_second", "higher"),
    ("deciding /s", "deciding_per_second", "higher"),
    ("end to end /s", "end_to_end_per_second", "higher"),
    ("decision p50 ms (unloaded)", "decision_ms_p50", "lower"),
    ("decision p95 ms (unloaded)", "decision_ms_p95", "lower"),
    ("decision p50 ms (under the burst)", "decision_ms_p50_under_burst", "lower"),
    ("decision p95 ms (under the burst)", "decision_ms_p95_under_burst", "lower"),
]


def flat(result: dict) -> dict:
    """The numbers of one phase the tables show, flat."""
    row = {key: result[key] for _, key, _ in METRICS}
    row["history_events"] = result["history"]["events"]
    for part in ("drafting", "deciding"):
        lap = result[part]
        row[f"{part}_server_cpu_ms"] = lap["server_cpu_ms_per_review"]
        row[f"{part}_bench_cpu_ms"] = lap["bench_cpu_ms_per_review"]
        row[f"{part}_rpcs"] = lap["frontend_rpcs_per_review"]
        row[f"{part}_persistence_ops"] = lap["persistence_ops_per_review"]
        row[f"{part}_postgres_cpu_ms"] = lap["postgres_cpu_ms_per_review"]
        # .get: a Counter difference drops zeros (no new session with CONN_MAX_AGE > 0)
        row[f"{part}_pg_sessions"] = lap["postgres_per_review"].get("sessions", 0)
        row[f"{part}_pg_transactions"] = lap["postgres_per_review"].get("transactions", 0)
        row[f"{part}_other_cpu"] = lap["cores_busy"]["other processes"]
    return row


EXTRA_ROWS = [
    ("history events per review", "history_events"),
    ("dev-server CPU ms per review: drafting", "drafting_server_cpu_ms"),
    ("dev-server CPU ms per review: deciding", "deciding_server_cpu_ms"),
    ("bench process CPU ms per review: drafting", "drafting_bench_cpu_ms"),
    ("bench process CPU ms per review: deciding", "deciding_bench_cpu_ms"),
    ("frontend RPCs per review: drafting", "drafting_rpcs"),
    ("frontend RPCs per review: deciding", "deciding_rpcs"),
    ("dev-server persistence ops per review: drafting", "drafting_persistence_ops"),
    ("dev-server persistence ops per review: deciding", "deciding_persistence_ops"),
    ("PostgreSQL CPU ms per review: drafting", "drafting_postgres_cpu_ms"),
    ("PostgreSQL CPU ms per review: deciding", "deciding_postgres_cpu_ms"),
    ("PostgreSQL sessions per review: drafting", "drafting_pg_sessions"),
    ("PostgreSQL sessions per review: deciding", "deciding_pg_sessions"),
    ("PostgreSQL transactions per review: drafting", "drafting_pg_transactions"),
    ("PostgreSQL transactions per review: deciding", "deciding_pg_transactions"),
    ("other processes' CPU (cores busy): drafting", "drafting_other_cpu"),
    ("other processes' CPU (cores busy): deciding", "deciding_other_cpu"),
]


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def table(bare: dict, redline: dict) -> list[str]:
    lines = ["| | bare | Redline | Redline / bare |", "|---|---|---|---|"]
    for label, key, _ in METRICS:
        lines.append(f"| {label} | {bare[key]} | {redline[key]} | "
                     f"{ratio(redline[key], bare[key])} |")
    for label, key in EXTRA_ROWS:
        lines.append(f"| {label} | {bare[key]} | {redline[key]} | "
                     f"{ratio(redline[key], bare[key])} |")
    return lines


def median_row(rows: list[dict]) -> dict:
    return {key: round(statistics.median(r[key] for r in rows), 2) for key in rows[0]}


def machine() -> dict:
    import django
    import temporalio
    from django.db import connection

    from temporal_app import devserver

    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f
                      if line.startswith("model name")), "?")
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        postgres = cur.fetchone()[0]
    cli = subprocess.run([devserver.temporal_binary(), "--version"], capture_output=True,
                         text=True).stdout.strip()
    return {"platform": f"{platform.machine()}, {os.cpu_count()} cores ({model})",
            "python": platform.python_version(), "django": django.get_version(),
            "temporalio": temporalio.__version__, "temporal_cli": cli,
            "postgresql": postgres, "load_average_at_start": os.getloadavg()}


def write_report(report: dict) -> str:
    rounds, medians = report["rounds"], report["median"]
    m = report["machine"]
    lines = [f"# Benchmark run {report['when']}", "",
             f"Machine: {m['platform']}; Python {m['python']}, Django {m['django']}, "
             f"temporalio {m['temporalio']}, {m['temporal_cli']}, PostgreSQL {m['postgresql']}; "
             f"load average at start {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}"
             ".", "",
             f"Settings: {report['settings']}", "",
             "## Redline vs bare: median across rounds", ""]
    lines += table(medians["bare"], medians["Redline"])
    targets = report["targets"]
    lines += ["", f"Targets: Redline end to end ≥ 0.8× bare: **{targets['end_to_end']}** "
              f"(median ratio {targets['end_to_end_ratio']}); decision p95 ≤ 1.5× bare: "
              f"**{targets['decision_p95']}** (median ratio {targets['decision_p95_ratio']}).",
              "", "Decision latency (unloaded): "
              f"{report['settings_detail']['unloaded']} reviews submitted after the bursts, "
              "left 2 s to settle, then approved one at a time 100 ms apart; the Update's round "
              "trip until the answer (Redline: review.services.decide, which reads the row "
              "first). In the median table, Redline / bare = median Redline ÷ median bare; the "
              "targets use the median of the per-round ratios.", ""]
    lines += ["Drafting: from the first submit until every review awaits a decision. Deciding: "
              "from the first decision until the last one is answered (answered = recorded). "
              "End to end = reviews ÷ (drafting + deciding). CPU per review = CPU used during "
              "the burst ÷ reviews; PostgreSQL CPU is the whole server's (other databases' "
              "users included), the bench process holds the callers and the worker.", "",
              "## Checks", "", "| phase | approved | drafts failed | submit errors | "
              "decide errors | still running after |", "|---|---|---|---|---|---|"]
    for i, pair in enumerate(rounds, 1):
        for result in pair:
            e = result["errors"]
            lines.append(f"| {result['system']} round {i} | {e['approved_count']} / "
                         f"{result['reviews']} | {e['drafts_failed']} | "
                         f"{e['submit_failed_count']} | {e['decide_failed_count']} | "
                         f"{e['still_running_after']} |")
    lines.append("")
    for i, (bare, redline) in enumerate(rounds, 1):
        lines += [f"## Round {i}", ""] + table(flat(bare), flat(redline)) + [""]
    lines += ["## Per-round ratios (Redline / bare)", "",
              "| round | drafting /s | deciding /s | end to end /s | decision p50 | "
              "decision p95 |", "|---|---|---|---|---|---|"]
    for i, r in enumerate(report["round_ratios"], 1):
        lines.append(f"| {i} | {r['drafting_per_second']} | {r['deciding_per_second']} | "
                     f"{r['end_to_end_per_second']} | {r['decision_ms_p50']} | "
                     f"{r['decision_ms_p95']} |")
    bare_h, red_h = rounds[-1][0]["history"], rounds[-1][1]["history"]
    kinds = sorted(set(bare_h["by_type"]) | set(red_h["by_type"]))
    lines += ["", "## History events per review, by type (last round)", "",
              "| event | bare | Redline |", "|---|---|---|"]
    for kind in kinds:
        lines.append(f"| {kind} | {bare_h['by_type'].get(kind, 0)} | "
                     f"{red_h['by_type'].get(kind, 0)} |")
    lines.append(f"| **total** | {bare_h['events']} | {red_h['events']} |")
    lines += ["", "## Frontend RPCs per review, by operation (last round, drafting + deciding)",
              "", "| operation | bare | Redline |", "|---|---|---|"]
    rpcs = {}
    for name, result in (("bare", rounds[-1][0]), ("Redline", rounds[-1][1])):
        rpcs[name] = Counter()
        for part in ("drafting", "deciding"):
            rpcs[name].update(result[part]["frontend_rpcs_per_review_by_operation"])
    for op in sorted(set(rpcs["bare"]) | set(rpcs["Redline"])):
        lines.append(f"| {op} | {rpcs['bare'][op]:.2f} | {rpcs['Redline'][op]:.2f} |")
    lines += ["", "## Cores busy during each burst (last round; the machine has "
              f"{os.cpu_count()})", "",
              "| process | bare drafting | Redline drafting | bare deciding | "
              "Redline deciding |", "|---|---|---|---|---|"]
    busy = {(name, part): result[part]["cores_busy"]
            for name, result in (("bare", rounds[-1][0]), ("Redline", rounds[-1][1]))
            for part in ("drafting", "deciding")}
    for process in busy["bare", "drafting"]:
        lines.append(f"| {process} | {busy['bare', 'drafting'][process]} | "
                     f"{busy['Redline', 'drafting'][process]} | "
                     f"{busy['bare', 'deciding'][process]} | "
                     f"{busy['Redline', 'deciding'][process]} |")
    lines += ["", "## Bench process CPU ms per review, by thread (last round)", "",
              "| thread group | bare drafting | Redline drafting | bare deciding | "
              "Redline deciding |", "|---|---|---|---|---|"]
    by = {(name, part): result[part]["bench_cpu_ms_per_review_by_thread"]
          for name, result in (("bare", rounds[-1][0]), ("Redline", rounds[-1][1]))
          for part in ("drafting", "deciding")}
    groups = sorted({g for v in by.values() for g in v})
    for g in groups:
        lines.append(f"| {g} | {by['bare', 'drafting'].get(g, 0)} | "
                     f"{by['Redline', 'drafting'].get(g, 0)} | "
                     f"{by['bare', 'deciding'].get(g, 0)} | "
                     f"{by['Redline', 'deciding'].get(g, 0)} |")
    if report.get("sections"):
        s = report["sections"]
        lines += ["", "## Parallel sections (a 1,200-word piece, submit → awaiting review)", "",
                  "| LLM latency model | mode | drafts | median s | max s |",
                  "|---|---|---|---|---|"]
        for r in s["rows"]:
            model = ("fixed: 2 s per call (OFFLINE_LLM_LATENCY)" if r["llm_model"] == "fixed"
                     else f"word-paced: {WORDS_PER_SECOND} words/s (bench only)")
            lines.append(f"| {model} | {r['mode']} | {r['drafts']} | "
                         f"{r['submit_to_awaiting_s_median']} | {r['submit_to_awaiting_s_max']} |")
        sp = s["sections_speedup"]
        lines += ["", f"Speed-up of sections (one call's median / sections' median): fixed "
                  f"2 s per call {sp['fixed']}×; word-paced {sp['paced']}×."]
    if report.get("queue"):
        q = report["queue"]
        lines += ["", "## Editors' queue page (GET /review/, logged-in editor)", "",
                  "| drafts awaiting review | requests | p50 ms | p95 ms | SQL queries | "
                  "SQL ms per page | bytes |", "|---|---|---|---|---|---|---|"]
        for r in q["rows"]:
            lines.append(f"| {r['rows_awaiting']} | {r['requests']} | {r['p50_ms']} | "
                         f"{r['p95_ms']} | {r['queries']} | {r['sql_ms']} | {r['bytes']} |")
        lines += ["", f"p50 at {q['rows'][-1]['rows_awaiting']} / p50 at 10: "
                  f"{q['ratio_p50']}× (target ≤ 2×: "
                  f"**{'met' if q['ratio_p50'] <= 2 else 'missed'}**); against a full first "
                  f"page (50 rows): {q['ratio_p50_vs_full_page']}×. Slowest queries at "
                  f"{q['rows'][-1]['rows_awaiting']} (ms per page):", ""]
        for query in q["rows"][-1]["slowest_queries"]:
            lines.append(f"- {query['ms']} ms: `{query['sql']}`")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=300, help="reviews per burst phase")
    parser.add_argument("--rounds", type=int, default=2, help="bare / Redline rounds")
    parser.add_argument("--callers", type=int, default=16, help="concurrent caller threads")
    parser.add_argument("--unloaded", type=int, default=50,
                        help="sequential decisions for the unloaded latency")
    parser.add_argument("--section-drafts", type=int, default=4)
    parser.add_argument("--queue-rows", type=int, default=10_000)
    parser.add_argument("--queue-requests", type=int, default=50)
    parser.add_argument("--skip", action="append", default=[],
                        choices=["compare", "sections", "queue"], help="leave a part out")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    from bench import bare

    empty_drafts()
    bare.create_table()
    editor = bench_user("bench-editor", editor=True)
    author = bench_user("bench-author")
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "machine": machine(),
              "settings": f"{args.drafts} reviews per phase, {args.callers} concurrent callers, "
                          f"{args.rounds} rounds, fresh dev server per phase (SQLite WAL), "
                          f"{settings.TEMPORAL_ACTIVITY_THREADS} activity threads, "
                          "worker in the bench process",
              "settings_detail": vars(args), "rounds": [], "round_ratios": []}
    with tempfile.TemporaryDirectory() as tmp:
        if "compare" not in args.skip:
            for r in range(1, args.rounds + 1):
                pair = []
                for kind in ("bare", "redline"):
                    result = phase(kind, f"{kind}-{r}", Path(tmp), args, editor, author)
                    print(json.dumps({k: v for k, v in result.items()
                                      if k not in ("drafting", "deciding")}), flush=True)
                    pair.append(result)
                report["rounds"].append(pair)
                b, red = flat(pair[0]), flat(pair[1])
                report["round_ratios"].append({k: ratio(red[k], b[k]) for _, k, _ in METRICS})
            bares = [flat(p[0]) for p in report["rounds"]]
            redlines = [flat(p[1]) for p in report["rounds"]]
            report["median"] = {"bare": median_row(bares), "Redline": median_row(redlines)}
            e2e = statistics.median(r["end_to_end_per_second"] for r in report["round_ratios"])
            p95 = statistics.median(r["decision_ms_p95"] for r in report["round_ratios"])
            report["targets"] = {"end_to_end_ratio": round(e2e, 2),
                                 "end_to_end": "met" if e2e >= 0.8 else "missed",
                                 "decision_p95_ratio": round(p95, 2),
                                 "decision_p95": "met" if p95 <= 1.5 else "missed"}
        if "sections" not in args.skip:
            report["sections"] = sections_phase(Path(tmp), args, editor, author)
        if "queue" not in args.skip:
            report["queue"] = queue_phase(args, editor)
            print(json.dumps(report["queue"]), flush=True)
    # A run that leaves a part out must not replace the full results.
    name = "partial" if args.skip else "latest"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    if report["rounds"]:
        text = write_report(report)
    else:
        text = f"# Partial benchmark run {report['when']}\n\n```json\n" + \
            json.dumps(report, indent=2, default=str) + "\n```\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


def run_and_exit(main) -> None:
    """Run a bench's main, then exit deliberately: a temporalio client can crash at
    interpreter exit (sdk-python#300)."""
    code = 0
    try:
        main()
    except SystemExit as done:  # --help, or argparse refusing an option
        code = done.code if isinstance(done.code, int) else 2
    except BaseException:  # noqa: BLE001 - report, then exit deliberately below
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run_and_exit(main)
