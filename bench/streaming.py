"""Benchmark: live writing (issue 25), in one run.

A local OpenAI-protocol server (tests/fake_openai.py) streams a 600-word draft over about
10 s to every call. Phases, each on the same dev server, worker and database:

1. idle: decisions on drafts awaiting review, one every 0.5 s, nothing else running (the
   baseline for 4);
2. watched: `--drafts` drafts written at once, `--pages` pages watching them (spread evenly),
   each polling the draft page's `streamed` fragment every STREAM_POLL_SECONDS as htmx does
   (the stamp it saw, 204 when nothing changed), while decisions go on as in 1. Measured:
   (a) time from submit to the first words a page gets, (b) lag from a chunk leaving the LLM
   server to a page having it, p50/p95 over every (page, chunk), (c) CPU of the pages'
   requests and of PostgreSQL per watching page (against phase 3), (d) decision latency
   against phase 1;
3. unwatched: the same drafts written with no page watching (the baseline for 3c).

Pages are Django test clients in threads of this process (the view, middleware, session and
database work of each poll; no HTTP parsing and no browser: the browser's own DOM update is
not in these figures). The worker runs in this process too.

    .venv/bin/python bench/streaming.py [--drafts 20] [--pages 50]

Results: bench/results/streaming.json and streaming.md.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as base  # noqa: E402

WORDS = 600
SECONDS = 10.0
STAMP = re.compile(r'(?:\?|&amp;)s=([^"&]+)')


def draft_text() -> str:
    sentence = "The tide comes in twice a day, and the harbour fills with light. "
    body = (sentence * (WORDS // 13 + 1)).split()[:WORDS - 6]
    paragraphs = [" ".join(body[i:i + 60]) for i in range(0, len(body), 60)]
    return "# Tides of the harbour\n\n" + "\n\n".join(paragraphs) + "\n"


def streamed_chars(html: str) -> int:
    """Characters of the version the fragment showed (its stamp: part:attempt:length)."""
    found = STAMP.search(html)
    if not found:
        return 0
    parts = unquote(found.group(1)).split(".")
    return sum(int(p.split(":")[2]) for p in parts if p.count(":") == 2)


class Page(threading.Thread):
    """One browser tab on a draft page: polls the fragment as htmx would."""

    def __init__(self, user, pk: int, interval: float, stop: threading.Event) -> None:
        super().__init__(name=f"page-{pk}", daemon=True)
        from django.test import Client

        self.client = Client()
        self.user_id = user.pk  # the page's poll token is its login
        self.pk, self.interval, self.stop_event = pk, interval, stop
        self.seen: list[tuple[float, int]] = []  # (time it had them, characters)
        self.cpu = 0.0

    def run(self) -> None:
        from django import db

        from drafts.views import stream_token

        url, stamp = f"/drafts/{self.pk}/streamed/", ""
        token = stream_token(self.pk, self.user_id)
        started = time.thread_time()
        try:
            while not self.stop_event.is_set():
                response = self.client.get(url, {"t": token, "s": stamp} if stamp else
                                           {"t": token}, HTTP_HX_REQUEST="true")
                now = time.monotonic()
                if response.status_code == 286:
                    break
                if response.status_code == 200:
                    html = response.content.decode()
                    found = STAMP.search(html)
                    stamp = unquote(found.group(1)) if found else stamp
                    self.seen.append((now, streamed_chars(html)))
                self.stop_event.wait(self.interval)
        finally:
            self.cpu = time.thread_time() - started
            db.connection.close()


def decisions_while(system, pks: list[int], stop: threading.Event) -> list[float]:
    """Approve waiting drafts one every 0.5 s until `stop`; each Update's round trip (ms)."""
    times = []
    for pk in pks:
        if stop.is_set():
            break
        started = time.perf_counter()
        system.decide(pk)
        times.append((time.perf_counter() - started) * 1000)
        stop.wait(0.5)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=20)
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    base.setup_django()
    from django.conf import settings

    from drafts.models import Draft
    from rulebook.states import ReviewState
    from tests.fake_openai import FakeOpenAI, Reply

    base.empty_drafts()
    editor = base.bench_user("bench-editor", editor=True)
    author = base.bench_user("bench-author")
    text = draft_text()
    chunk_size = 16
    llm = FakeOpenAI().start()
    llm.default = Reply(text=text, chunk_size=chunk_size,
                        chunk_delay=SECONDS / (len(text) / chunk_size), usage=(900, 800))
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = llm.url, "bench-key"
    settings.LLM_SECTIONS_THRESHOLD_WORDS = 0
    settings.LLM_DAILY_BUDGET_PER_AUTHOR = 0
    settings.LLM_HEARTBEAT_TIMEOUT = 30
    # Every draft's call at once: the first words are the transport's, not a queue for an LLM
    # slot (the site's default is 16 calls per LLM worker process).
    settings.LLM_WORKER_CONCURRENCY = max(settings.LLM_WORKER_CONCURRENCY, args.drafts + 4)
    poll = settings.STREAM_POLL_SECONDS
    report: dict = {"machine": base.machine(), "drafts": args.drafts, "pages": args.pages,
                    "words": WORDS, "stream_seconds": SECONDS, "poll_seconds": poll,
                    "store_interval_seconds": settings.LLM_STREAM_INTERVAL}
    with tempfile.TemporaryDirectory() as tmp:
        server = base.DevServer(Path(tmp) / "streaming.db")
        base.configure(server.address, "bench-streaming")
        system = base.Redline("streaming", "bench-streaming", editor, author)
        worker = base.start_worker(system)
        try:
            # Drafts to decide on in phases 1 and 2, written without delay.
            llm.default, slow = Reply(text=text, usage=(900, 800)), llm.default
            waiting = [system.submit(i) for i in range(80)]
            base.wait_until(lambda: system.count(waiting, ReviewState.AWAITING_REVIEW)
                            == len(waiting), 300)
            llm.default = slow
            stop = threading.Event()
            threading.Timer(SECONDS + 2, stop.set).start()
            idle = decisions_while(system, waiting[:30], stop)

            def written(phase: str, pages: int) -> dict:
                llm.requests.clear()
                done = threading.Event()
                before_pg = base.postgres_cpu()
                submitted, pks, watchers = {}, [], []
                for _ in range(args.drafts):
                    submitted_at = time.monotonic()
                    pk = system.submit(1000 + len(pks) + (0 if phase == "watched" else 500))
                    submitted[pk] = submitted_at
                    pks.append(pk)
                for n in range(pages):
                    page = Page(author, pks[n % len(pks)], poll, done)
                    watchers.append(page)
                    page.start()
                decided: list[float] = []
                deciding = threading.Thread(target=lambda: decided.extend(decisions_while(
                    system, waiting[30:] if phase == "watched" else [], done)))
                deciding.start()
                base.wait_until(lambda: Draft.objects.filter(
                    pk__in=pks, status=ReviewState.AWAITING_REVIEW).count() == len(pks), 300)
                done.set()
                for page in watchers:
                    page.join(10)
                deciding.join(30)
                pg = base.postgres_cpu() - before_pg
                return {"pks": pks, "submitted": submitted, "pages": watchers,
                        "requests": list(llm.requests), "pg_cpu": pg, "decided": decided}

            watched = written("watched", args.pages)
            unwatched = written("unwatched", 0)
        finally:
            base.stop_worker(worker)
            server.stop()
            llm.stop()

    by_topic = {}
    for request in watched["requests"]:
        for pk in watched["pks"]:
            if f"Bench streaming {1000 + watched['pks'].index(pk)}" in request.user:
                by_topic[pk] = request
    first_words, lags = [], []
    for page in watched["pages"]:
        request = by_topic.get(page.pk)
        seen = [(t, n) for t, n in page.seen if n > 0]
        if not seen or request is None or not request.chunks:
            continue
        first_words.append(seen[0][0] - watched["submitted"][page.pk])
        for sent_at, chars in request.chunks:
            got = next((t for t, n in seen if n >= chars), None)
            if got is not None:
                lags.append(max(0.0, got - sent_at))
    page_cpu = sum(p.cpu for p in watched["pages"])
    report["time_to_first_words_s"] = {
        "p50": round(statistics.median(first_words), 2),
        "p95": round(base.percentile(first_words, 95), 2), "pages": len(first_words)}
    report["lag_s"] = {"p50": round(statistics.median(lags), 3),
                       "p95": round(base.percentile(lags, 95), 3), "samples": len(lags)}
    report["cpu_per_watching_page_ms_per_s"] = {
        "web": round(page_cpu / args.pages / SECONDS * 1000, 2),
        "postgres": round(max(0.0, watched["pg_cpu"] - unwatched["pg_cpu"])
                          / args.pages / SECONDS * 1000, 2)}
    decided = watched["decided"]
    report["decision_ms"] = {
        "idle_p50": round(statistics.median(idle), 1),
        "idle_p95": round(base.percentile(idle, 95), 1),
        "watched_p50": round(statistics.median(decided), 1) if decided else None,
        "watched_p95": round(base.percentile(decided, 95), 1) if decided else None}
    if decided:
        report["decision_ratio_p95"] = round(report["decision_ms"]["watched_p95"]
                                             / report["decision_ms"]["idle_p95"], 2)
    base.RESULTS.mkdir(parents=True, exist_ok=True)
    (base.RESULTS / "streaming.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Live writing (bench/streaming.py)", "",
        f"{args.drafts} drafts of {WORDS} words streamed over {SECONDS:g} s each, written at "
        f"once; {args.pages} pages polling every {poll:g} s; the text stored every "
        f"{settings.LLM_STREAM_INTERVAL:g} s. Machine: {report['machine']['platform']}, "
        f"PostgreSQL {report['machine']['postgresql']}, temporalio "
        f"{report['machine']['temporalio']}.", "",
        "| | value | goal |", "|---|---|---|",
        f"| submit → first words on a page, p50 / p95 | {report['time_to_first_words_s']['p50']}"
        f" / {report['time_to_first_words_s']['p95']} s | ≤ 1.5 s |",
        f"| chunk leaves the LLM → a page has it, p50 / p95 | {report['lag_s']['p50']} / "
        f"{report['lag_s']['p95']} s | p95 ≤ 1.0 s |",
        f"| CPU per watching page: web / PostgreSQL | "
        f"{report['cpu_per_watching_page_ms_per_s']['web']} / "
        f"{report['cpu_per_watching_page_ms_per_s']['postgres']} ms per s | |",
        f"| decision p95 while watched / idle | {report['decision_ms']['watched_p95']} / "
        f"{report['decision_ms']['idle_p95']} ms ({report.get('decision_ratio_p95')}×) "
        "| ≤ 1.2× |", ""]
    (base.RESULTS / "streaming.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    base.run_and_exit(main)
