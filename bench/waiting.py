"""The engine's own speed with many reviews waiting: `.venv/bin/python bench/waiting.py
[--reviews 10000]` (part of `make bench`).

In one run, on one fresh Temporal dev server (SQLite, WAL) and the bench's own PostgreSQL
database, with one real worker process (`manage.py run_worker`, so its memory is its own):

1. `--baseline` (10) reviews are submitted through drafts.services and written (offline LLM)
   until they await review; then measured: the admins' pending page (GET /review/pending/ as
   staff, in-process, p50 of `--requests`; its rows, then the counts fragment htmx loads
   after them), `reconcile`'s comparison of every pending draft
   with Temporal (`drafts.reconcile.find_mismatches`, what `manage.py reconcile` runs),
   the worker process's resident memory, and decisions (approve, one at a time).
2. Enough more to fill the pending page's first page (PENDING_PAGE_SIZE) and the page is
   timed again: from there to `--reviews` it shows the same number of rows.
3. More reviews are submitted (`--callers` threads) until `--reviews` wait, and the same is
   measured again. Decisions are taken twice: on the newest drafts (their workflows are in
   the worker's cache) and on the oldest (evicted once more runs wait than the cache holds,
   TEMPORAL_MAX_CACHED_WORKFLOWS: the worker rebuilds each from its history).

Every figure at `--reviews` is reported against the same figure at `--baseline` in this run.
Results: bench/results/waiting.json and waiting.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    RESULTS,
    DevServer,
    bench_user,
    burst,
    configure,
    empty_drafts,
    machine,
    percentile,
    run_and_exit,
    setup_django,
    wait_until,
)
from rulebook.states import ReviewState  # noqa: E402


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmRSS")


class Worker:
    """`manage.py run_worker` on the bench's server, queue and database."""

    def __init__(self, address: str, task_queue: str, log: Path) -> None:
        env = dict(os.environ)
        env |= {"TEMPORAL_ADDRESS": address, "TEMPORAL_TASK_QUEUE": task_queue,
                "OFFLINE_LLM_LATENCY": "0", "OPENAI_API_KEY": "", "OPENAI_BASE_URL": "",
                "LOG_LEVEL": "WARNING"}
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_worker"],
                                     cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def rss(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def submit(author, count: int, start: int, callers: int) -> list[int]:
    from drafts import services

    def one(i: int) -> int:
        draft, _ = services.submit_draft(author=author, topic=f"Waiting bench {i}",
                                         target_words=300)
        return draft.pk

    done = burst(one, list(range(start, start + count)), callers)
    if done["errors"]:
        raise RuntimeError(f"{len(done['errors'])} submits failed: {done['errors'][:3]}")
    return done["results"]


def awaiting(keys: list[int]) -> int:
    from drafts.models import Draft

    return Draft.objects.filter(pk__in=keys, status=ReviewState.AWAITING_REVIEW).count()


def wait_written(keys: list[int], timeout: float) -> float:
    started = time.monotonic()
    wait_until(lambda: awaiting(keys) >= len(keys), timeout, interval=0.5)
    return time.monotonic() - started


def pending_page(client, requests: int, counts: bool = False) -> dict:
    """GET /review/pending/ as staff: the page (its rows), or with `counts` the fragment of
    counts by state that htmx loads right after it."""
    from django.urls import reverse

    url = reverse("review:pending")
    params, headers = ({"counts": "1"}, {"HX-Request": "true", "HX-Target": "counts"}) \
        if counts else ({}, {})
    for _ in range(3):
        assert client.get(url, params, headers=headers).status_code == 200
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, params, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        assert not counts or b"data-count-state" in response.content
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 95), 1)}


def reconcile_time(runs: int = 3) -> dict:
    from drafts.reconcile import find_mismatches

    times, checked, mismatches = [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        checked, findings = find_mismatches(settle=0)
        times.append(time.perf_counter() - started)
        mismatches = len(findings)
    return {"seconds": round(min(times), 2), "checked": checked, "mismatches": mismatches}


def decisions(editor, keys: list[int], gap: float = 0.1) -> dict:
    from review import services

    times = []
    for pk in keys:
        started = time.perf_counter()
        result = services.decide(draft_id=pk, editor=editor, decision="approve", version=1,
                                 comment="")
        times.append((time.perf_counter() - started) * 1000)
        assert result.state == ReviewState.APPROVED, result
        time.sleep(gap)
    return {"count": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 95), 1), "max_ms": round(max(times), 1)}


def measure(label: str, client, editor, worker: Worker, newest: list[int],
            oldest: list[int] | None, args) -> dict:
    print(f"[waiting] measuring at {label}", flush=True)
    result = {"pending_page": pending_page(client, args.requests),
              "pending_counts": pending_page(client, args.requests, counts=True),
              "reconcile": reconcile_time(), "worker_rss_mb": worker.rss()}
    if newest:
        result["decision_cached"] = decisions(editor, newest)
    if oldest:
        result["decision_uncached"] = decisions(editor, oldest)
    return result


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def write_report(report: dict) -> str:
    base, big = report["baseline"], report["scaled"]
    n, n0 = report["reviews"], report["baseline_reviews"]
    rows = [
        ("admins' pending page p50 ms", base["pending_page"]["p50_ms"],
         big["pending_page"]["p50_ms"], "≤ 2×"),
        ("its counts by state p50 ms (a fragment loaded after it)",
         base["pending_counts"]["p50_ms"], big["pending_counts"]["p50_ms"], ""),
        ("reconcile s (every pending draft)", base["reconcile"]["seconds"],
         big["reconcile"]["seconds"], "≤ 5 s"),
        ("worker process RSS MB", base["worker_rss_mb"], big["worker_rss_mb"], "≤ 300 MB"),
        ("decision p50 ms (cached workflow)", base["decision_cached"]["p50_ms"],
         big["decision_cached"]["p50_ms"], ""),
        ("decision p95 ms (cached workflow)", base["decision_cached"]["p95_ms"],
         big["decision_cached"]["p95_ms"], ""),
    ]
    lines = [f"# Many reviews waiting ({report['finished']})", "",
             f"Machine: {report['machine']}", "",
             f"{n:,} reviews waiting vs {n0} in the same run (one dev server, SQLite WAL; one "
             f"worker process, workflow cache {report['max_cached_workflows']}). Drafting "
             f"them: {report['drafting_seconds']:.0f} s "
             f"({report['drafting_per_second']:.1f} reviews/s).", "",
             f"| | at {n0} | at {n:,} | ratio | target |", "|---|---|---|---|---|"]
    for label, a, b, target in rows:
        lines.append(f"| {label} | {a} | {b} | {ratio(b, a)} | {target} |")
    full = report.get("full_page")
    if full:
        page = report["page_size"]
        lines += ["", f"The pending page shows {page} rows a page: at {n0} waiting it renders "
                  f"{n0}, at {n:,} a full page. With a full first page waiting ({page}) it takes "
                  f"p50 {full['p50_ms']} ms; at {n:,}, "
                  f"{ratio(big['pending_page']['p50_ms'], full['p50_ms'])}× that (the same "
                  f"rows; only how many wait differs)."]
    unc = big.get("decision_uncached")
    if unc:
        cached = big["decision_cached"]
        lines += ["", f"Decisions at {n:,} on workflows not in the worker's cache (the oldest "
                  f"drafts): p50 {unc['p50_ms']} ms, p95 {unc['p95_ms']} ms, max "
                  f"{unc['max_ms']} ms; against cached ones p50 "
                  f"{ratio(unc['p50_ms'], cached['p50_ms'])}×, p95 "
                  f"{ratio(unc['p95_ms'], cached['p95_ms'])}× (target ≤ 1.5×)."]
    lines += ["", f"reconcile checked {big['reconcile']['checked']:,} drafts, "
              f"{big['reconcile']['mismatches']} mismatches."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--callers", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--decisions", type=int, default=30)
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    empty_drafts()
    author = bench_user("bench-author")
    editor = bench_user("bench-editor", editor=True)
    staff, _ = User.objects.get_or_create(username="bench-admin",
                                          defaults={"is_staff": True})
    client = Client()
    client.force_login(staff)

    tmp = Path(tempfile.mkdtemp(prefix="redline-waiting-"))
    server = DevServer(tmp / "temporal.db")
    task_queue = f"bench-waiting-{uuid.uuid4().hex[:8]}"
    configure(server.address, task_queue)
    worker = Worker(server.address, task_queue, tmp / "worker.log")
    try:
        first = submit(author, args.baseline, 0, args.callers)
        wait_written(first, 300)
        baseline = measure(f"{args.baseline}", client, editor, worker, [], None, args)
        # Decisions at the baseline: on drafts submitted for them, so `baseline` stay waiting.
        extra = submit(author, args.decisions, len(first), args.callers)
        wait_written(extra, 300)
        baseline["decision_cached"] = decisions(editor, extra)
        # A full first page waiting: the page shows as many rows as it will at --reviews,
        # so the step from here to there is the engine's alone (how many wait), not the
        # page's size (at --baseline it renders only that many rows).
        page = settings.PENDING_PAGE_SIZE
        fill = submit(author, max(0, page - args.baseline), len(first) + len(extra),
                      args.callers)
        wait_written(fill, 300)
        print(f"[waiting] measuring at a full page ({page})", flush=True)
        full_page = pending_page(client, args.requests)
        started = time.monotonic()
        more = submit(author, args.reviews - args.baseline - len(fill),
                      len(first) + len(extra) + len(fill), args.callers)
        wait_written(more, 3600)
        drafting = time.monotonic() - started
        print(f"[waiting] {args.reviews} waiting after {drafting:.0f} s", flush=True)
        keys = first + fill + more
        scaled = measure(f"{args.reviews}", client, editor, worker,
                         newest=keys[-args.decisions:], oldest=keys[:args.decisions],
                         args=args)
        report = {"finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  "machine": machine(), "reviews": args.reviews,
                  "baseline_reviews": args.baseline,
                  "max_cached_workflows": settings.TEMPORAL_MAX_CACHED_WORKFLOWS,
                  "drafting_seconds": round(drafting, 1),
                  "drafting_per_second": round(len(more) / drafting, 1),
                  "page_size": page, "full_page": full_page,
                  "baseline": baseline, "scaled": scaled}
    finally:
        worker.stop()
        server.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "waiting.json").write_text(json.dumps(report, indent=1) + "\n")
    text = write_report(report)
    (RESULTS / "waiting.md").write_text(text)
    print(text)
    empty_drafts()


if __name__ == "__main__":
    run_and_exit(main)
