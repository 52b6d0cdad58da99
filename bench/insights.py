"""Benchmark: Insights at 100,000 drafts (issue 24 item 7), in one run.

1. The history: `--drafts` closed reviews over the last year (review/history.py, the
   `seed_history` command's generator, through the projection's bulk load): how long it takes.
2. What an editor feels opening Insights: the page (`/insights/`, every figure and chart) and
   the API (`GET /api/v1/insights/`), served by gunicorn (config/gunicorn.py, one sync worker)
   on the bench's own database, for the last 30 days and for the whole year (every draft),
   `--requests` times each, one at a time; baseline in the same run: the editors' queue page
   (`/review/`), a page that reads no history. Target: p95 ≤ 300 ms for all figures.
3. The audit export: `/insights/events.csv` and `/insights/events.jsonl` for the whole year
   (every event), read as a client would: rows/s, and the web process's RSS sampled every
   100 ms while it streams (before, highest, after). Target: ≥ 50,000 rows/s, RSS flat.

    .venv/bin/python bench/insights.py [--drafts 100000] [--requests 40]

Results: bench/results/insights.json and insights.md. Uses the bench database (redline_bench,
emptied at the start); no Temporal server is needed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as base  # noqa: E402
from bench.waiting import rss_mb  # noqa: E402


def session_cookie(user) -> str:
    """A logged-in session for `user`, as the login page would leave one."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


class Web:
    """gunicorn as `make serve` runs it, one sync worker, on the bench database."""

    def __init__(self) -> None:
        from temporal_app import devserver

        self.port = devserver.free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.py"),
             "--access-logfile", "/dev/null", "config.wsgi:application"],
            env={**os.environ, "WEB_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "1",
                 "WEB_TIMEOUT": "300"}, cwd=ROOT, start_new_session=True)
        devserver.wait_for_port(self.port, proc=self.proc, timeout=60)

    def worker_pid(self) -> int:
        """gunicorn's one worker (the process that serves the requests)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return int(children.split()[0])

    def get(self, path: str, headers: dict) -> tuple[int, bytes, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
            response = conn.getresponse()
            body = response.read()
            return response.status, body, (time.perf_counter() - started) * 1000
        finally:
            conn.close()

    def stream(self, path: str, headers: dict) -> tuple[int, int, int, float]:
        """Read a streamed body in 64 KiB pieces: (status, bytes, lines, seconds)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
            response = conn.getresponse()
            size = lines = 0
            while piece := response.read(65536):
                size += len(piece)
                lines += piece.count(b"\n")
            return response.status, size, lines, time.perf_counter() - started
        finally:
            conn.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def timed(web: Web, path: str, headers: dict, requests: int) -> dict:
    status, _, _ = web.get(path, headers)  # warm: the process's first request of the kind
    assert status == 200, (path, status)
    times = []
    for _ in range(requests):
        status, _, ms = web.get(path, headers)
        assert status == 200, (path, status)
        times.append(ms)
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(base.percentile(times, 95), 1), "requests": requests}


def export(web: Web, path: str, headers: dict, events: int) -> dict:
    pid = web.worker_pid()
    before = rss_mb(pid)
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_mb(pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    status, size, lines, seconds = web.stream(path, headers)
    done.set()
    sampler.join()
    assert status == 200, (path, status)
    rows = lines - 1 if path.split("?")[0].endswith(".csv") else lines  # the header
    assert rows >= events, (path, rows, events)  # a comment may hold line breaks (CSV)
    return {"rows": events, "seconds": round(seconds, 2),
            "rows_per_s": round(events / seconds), "mb": round(size / 2**20, 1),
            "rss_before_mb": round(before, 1), "rss_max_mb": round(max(samples or [before]), 1),
            "rss_after_mb": round(rss_mb(pid), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    base.setup_django()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from drafts.models import DraftEvent
    from review import history
    from review.models import Channel

    base.empty_drafts()
    author = base.bench_user("bench-author")
    editor = base.bench_user("bench-editor", editor=True)
    admin, _ = User.objects.get_or_create(username="bench-admin",
                                          defaults={"is_staff": True, "is_superuser": True})
    for slug, name in (("blog", "Blog"), ("press", "Press"), ("newsletter", "Newsletter")):
        Channel.objects.get_or_create(slug=slug, defaults={"name": name})
    started = time.perf_counter()
    drafts, events = history.seed(drafts=args.drafts, days=365, authors=[author.pk],
                                  editors=[editor.pk], channels=["blog", "press", "newsletter"])
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would soon after a bulk load
    assert DraftEvent.objects.count() == events
    print(f"seeded {drafts:,} drafts, {events:,} events in {seeded:.1f} s", flush=True)

    from api import tokens

    _, token = tokens.create_token(user=admin, name="bench")
    cookie = {"Cookie": session_cookie(admin)}
    today = timezone.localdate()
    year = f"from={today.replace(year=today.year - 1)}&to={today}"
    web = Web()
    try:
        pages = {
            "queue page (baseline)": timed(web, "/review/", {"Cookie": session_cookie(editor)},
                                           args.requests),
            "Insights, last 30 days": timed(web, "/insights/?days=30", cookie, args.requests),
            "Insights, the year (every draft)": timed(web, f"/insights/?{year}", cookie,
                                                      args.requests),
        }
        pages["API insights, the year"] = timed(
            web, f"/api/v1/insights/?{year}", {"Authorization": f"Bearer {token}"},
            args.requests)
        print(json.dumps(pages, indent=1), flush=True)
        exports = {
            "events.csv, the year": export(web, f"/insights/events.csv?{year}", cookie, events),
            "events.jsonl, the year": export(web, f"/insights/events.jsonl?{year}", cookie,
                                             events),
        }
    finally:
        web.stop()
    baseline = pages["queue page (baseline)"]["p95_ms"]
    result = {"drafts": drafts, "events": events, "seed_seconds": round(seeded, 1),
              "pages": {name: {**p, "p95_vs_queue": base.ratio(p["p95_ms"], baseline)}
                        for name, p in pages.items()},
              "exports": exports, "machine": base.machine()}
    base.RESULTS.mkdir(exist_ok=True)
    (base.RESULTS / "insights.json").write_text(json.dumps(result, indent=2) + "\n")
    (base.RESULTS / "insights.md").write_text("\n".join(report(result)) + "\n")
    print("\n".join(report(result)))


def report(r: dict) -> list[str]:
    lines = [f"# Insights at {r['drafts']:,} drafts, {r['events']:,} events",
             "", f"History seeded in {r['seed_seconds']} s (bulk load). gunicorn, one sync "
             "worker, one request at a time.", "",
             "| page | p50 ms | p95 ms | p95 vs queue page |", "|---|---|---|---|"]
    lines += [f"| {name} | {p['p50_ms']} | {p['p95_ms']} | {p['p95_vs_queue']}× |"
              for name, p in r["pages"].items()]
    lines += ["", "| export | rows | seconds | rows/s | MB | web RSS before / max / after MB |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {name} | {e['rows']:,} | {e['seconds']} | {e['rows_per_s']:,} | {e['mb']} | "
              f"{e['rss_before_mb']} / {e['rss_max_mb']} / {e['rss_after_mb']} |"
              for name, e in r["exports"].items()]
    return lines


if __name__ == "__main__":
    base.run_and_exit(main)
