"""Benchmark: live writing (issue 25), in one run, in processes as `make serve` runs them.

A local OpenAI-protocol server (tests/fake_openai.py, in this process: it is the vendor)
streams a 600-word draft over about 10 s to every call. gunicorn (config/gunicorn.py, 2 sync
workers), one review worker and one LLM worker (`manage.py run_worker --queue review|llm`) run
as processes of their own, on a fresh Temporal dev server and the bench's database. Phases:

1. idle: decisions on drafts awaiting review, one every 0.5 s, nothing else running (the
   baseline for 4);
2. watched: `--drafts` drafts submitted at once, `--pages` pages watching them (spread
   evenly; each starts as its draft is submitted), each polling the draft's stream URL over
   HTTP every STREAM_POLL_SECONDS as htmx does (the stamp it saw, 204 when nothing changed),
   while decisions go on as in 1 (from bench/decider.py, a process of its own). Measured:
   (a) time from the submit to the first words a page gets, (b) lag from a chunk leaving
   the LLM server to a page having it, p50/p95 over every (page, chunk), (c) CPU of the web
   processes and of PostgreSQL per watching page (against phase 3), (d) decision latency
   against phase 1;
3. unwatched: the same drafts written with no page watching (the baseline for 2c);
   then 2 again with the LLM worker back at normal priority (it runs at LLM_WORKER_NICE, as
   under `make serve`): what nicing it does to 2d;
4. streams: the same drafts through Temporal's Workflow Streams instead
   (bench/stream_workflow.py, its own worker process): one subscriber per draft per web
   process (2) reading by offset in this process. Measured: lag from a chunk leaving the LLM
   server to a subscriber having it, history events per draft, the dev server's CPU per draft
   against phase 3's.

Pages are plain HTTP clients (no browser: the browser's own DOM update is not in these
figures; a Workflow Streams subscriber would still need its own hop to the browser).

    .venv/bin/python bench/streaming.py [--drafts 20] [--pages 50]

Results: bench/results/streaming.json and streaming.md.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as base  # noqa: E402

WORDS = 600
SECONDS = 10.0
WEB_PROCESSES = 2
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
    """One browser tab on a draft page: polls the stream URL over HTTP as htmx would."""

    def __init__(self, port: int, token: str, pk: int, interval: float,
                 stop: threading.Event) -> None:
        super().__init__(name=f"page-{pk}", daemon=True)
        self.port, self.token, self.pk = port, token, pk
        self.interval, self.stop_event = interval, stop
        self.seen: list[tuple[float, int]] = []  # (time it had them, characters)
        self.errors = 0

    def get(self, stamp: str) -> tuple[int, str]:
        query = f"t={quote(self.token)}" + (f"&s={quote(stamp)}" if stamp else "")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", f"/drafts/{self.pk}/streamed/?{query}",
                         headers={"HX-Request": "true", "Host": "127.0.0.1"})
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def run(self) -> None:
        stamp = ""
        while not self.stop_event.is_set():
            try:
                status, html = self.get(stamp)
            except OSError:
                self.errors += 1
                status, html = 0, ""
            now = time.monotonic()
            if status == 286:
                break
            if status == 200:
                found = STAMP.search(html)
                stamp = unquote(found.group(1)) if found else stamp
                self.seen.append((now, streamed_chars(html)))
            elif status not in (0, 204):
                self.errors += 1
            self.stop_event.wait(self.interval)


class Decider:
    """The editor, in a process of its own (bench/decider.py): review.services.decide, timed
    there, away from this process's fake vendor and pollers."""

    def __init__(self, address: str, queue: str, editor_id: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "decider.py"), address, queue,
             str(editor_id)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=ROOT, start_new_session=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def decide(self, pk: int) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{pk}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(30)


def decisions_while(decider: Decider, pks: list[int], stop: threading.Event) -> list[float]:
    """Approve waiting drafts one every 0.5 s until `stop`; each decision's round trip (ms)."""
    times = []
    for pk in pks:
        if stop.is_set():
            break
        times.append(decider.decide(pk))
        stop.wait(0.5)
    return times


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live children (gunicorn's master and workers)."""
    total = base.cpu_seconds(f"/proc/{pid}/stat")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if text.rsplit(")", 1)[1].split()[1] == str(pid):
            total += base.cpu_seconds(str(stat))
    return total


class Processes:
    """gunicorn and the review and LLM workers, as `make serve` starts them."""

    def __init__(self, env: dict, web_port: int) -> None:
        manage = [sys.executable, str(ROOT / "manage.py")]
        self.procs = {
            "review": subprocess.Popen([*manage, "run_worker", "--queue", "review"], env=env,
                                       cwd=ROOT, start_new_session=True),
            "llm": subprocess.Popen([*manage, "run_worker", "--queue", "llm"], env=env,
                                    cwd=ROOT, start_new_session=True),
            "web": subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.py"),
                 "--access-logfile", "/dev/null", "config.wsgi:application"],
                env={**env, "WEB_BIND": f"127.0.0.1:{web_port}",
                     "WEB_CONCURRENCY": str(WEB_PROCESSES)}, cwd=ROOT, start_new_session=True)}
        from temporal_app import devserver

        devserver.wait_for_port(web_port, proc=self.procs["web"], timeout=60)

    def add(self, name: str, proc: subprocess.Popen) -> None:
        self.procs[name] = proc

    def cpu(self, name: str) -> float:
        return tree_cpu(self.procs[name].pid)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def lags_of(requests: dict, seen_by: list[tuple[int, list[tuple[float, int]]]]) -> list[float]:
    """For each (reader, chunk): how long after the chunk left the LLM the reader had it."""
    lags = []
    for key, seen in seen_by:
        request = requests.get(key)
        seen = [(t, n) for t, n in seen if n > 0]
        if request is None or not request.chunks or not seen:
            continue
        for sent_at, chars in request.chunks:
            got = next((t for t, n in seen if n >= chars), None)
            if got is not None:
                lags.append(max(0.0, got - sent_at))
    return lags


def summary(values: list[float], digits: int = 3) -> dict:
    if not values:
        return {"p50": None, "p95": None, "samples": 0}
    return {"p50": round(statistics.median(values), digits),
            "p95": round(base.percentile(values, 95), digits), "samples": len(values)}


def streams_phase(server, llm, drafts: int) -> dict:
    """Phase 4: the same drafts through Workflow Streams; subscribers in this process."""
    from temporalio.client import Client
    from temporalio.contrib.workflow_streams import WorkflowStreamClient

    from bench.stream_workflow import DONE, TOPIC, StreamInput

    queue = "bench-streams"
    worker = subprocess.Popen([sys.executable, str(ROOT / "bench" / "stream_workflow.py"),
                               server.address, queue], cwd=ROOT, start_new_session=True)
    llm.requests.clear()
    seen: dict[tuple[str, int], list[tuple[float, int]]] = {}

    async def subscribe(client, workflow_id: str, n: int) -> None:
        got = seen.setdefault((workflow_id, n), [])
        chars = 0
        stream = WorkflowStreamClient.create(client, workflow_id)
        async for item in stream.subscribe([TOPIC, DONE]):
            if item.topic == DONE:
                return
            chars += len(item.data)
            got.append((time.monotonic(), chars))

    async def go() -> dict:
        client = await Client.connect(server.address)
        before = server.cpu()
        handles, tasks = [], []
        for i in range(drafts):
            workflow_id = f"bench-stream-{i}"
            handles.append(await client.start_workflow(
                "BenchStreamedDraft", StreamInput(topic=f"Bench streams {i}", base_url=llm.url),
                id=workflow_id, task_queue=queue))
            tasks += [asyncio.create_task(subscribe(client, workflow_id, n))
                      for n in range(WEB_PROCESSES)]
        await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 300)
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        cpu = server.cpu() - before
        events = [len((await h.fetch_history()).events) for h in handles]
        return {"server_cpu": cpu, "events": events}

    try:
        result = asyncio.run(go())
    finally:
        worker.terminate()
        worker.wait(30)
    by_workflow = {}
    for request in llm.requests:
        found = re.search(r"Bench streams (\d+)", request.user)
        if found:
            by_workflow[f"bench-stream-{found.group(1)}"] = request
    lags = lags_of(by_workflow, [(wid, got) for (wid, _), got in seen.items()])
    return {"lag_s": summary(lags), "history_events_per_draft": max(result["events"]),
            "server_cpu_s_per_draft": round(result["server_cpu"] / drafts, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=20)
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    base.setup_django()
    from django.conf import settings

    from drafts.models import Draft
    from drafts.views import stream_token
    from rulebook.states import ReviewState
    from temporal_app import connection, devserver
    from tests.fake_openai import FakeOpenAI, Reply

    base.empty_drafts()
    editor = base.bench_user("bench-editor", editor=True)
    author = base.bench_user("bench-author")
    text = draft_text()
    chunk_size = 16
    llm = FakeOpenAI().start()
    slow = Reply(text=text, chunk_size=chunk_size,
                 chunk_delay=SECONDS / (len(text) / chunk_size), usage=(900, 800))
    llm.default = Reply(text=text, usage=(900, 800))  # phase 1's drafts: written at once
    poll = settings.STREAM_POLL_SECONDS
    report: dict = {"machine": base.machine(), "drafts": args.drafts, "pages": args.pages,
                    "words": WORDS, "stream_seconds": SECONDS, "poll_seconds": poll,
                    "store_interval_seconds": settings.LLM_STREAM_INTERVAL,
                    "web_processes": WEB_PROCESSES}
    web_port = devserver.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = base.DevServer(Path(tmp) / "streaming.db")
        base.configure(server.address, "bench-streaming")
        settings.LLM_SECTIONS_THRESHOLD_WORDS = 0
        settings.LLM_DAILY_BUDGET_PER_AUTHOR = 0
        env = {**os.environ, "TEMPORAL_ADDRESS": server.address,
               "TEMPORAL_TASK_QUEUE": "bench-streaming", "OPENAI_BASE_URL": llm.url,
               "OPENAI_API_KEY": "bench-key", "LLM_SECTIONS_THRESHOLD_WORDS": "0",
               "LLM_DAILY_BUDGET_PER_AUTHOR": "0", "LLM_HEARTBEAT_TIMEOUT": "30s",
               "MAX_DRAFTS_IN_FLIGHT": "0", "OFFLINE_LLM_LATENCY": "0",
               # Every draft's call at once: the first words are the transport's, not a queue
               # for an LLM slot (the site's default is 16 calls per LLM worker process).
               "LLM_WORKER_CONCURRENCY": str(max(settings.LLM_WORKER_CONCURRENCY,
                                                 args.drafts + 4))}
        connection.forget_credentials(env)
        system = base.Redline("streaming", "bench-streaming", editor, author)
        processes = Processes(env, web_port)
        decider = Decider(server.address, "bench-streaming", editor.pk)
        try:
            waiting = [system.submit(i) for i in range(110)]
            base.wait_until(lambda: system.count(waiting, ReviewState.AWAITING_REVIEW)
                            == len(waiting), 300)
            llm.default = slow
            stop = threading.Event()
            threading.Timer(SECONDS + 2, stop.set).start()
            idle = decisions_while(decider, waiting[:30], stop)
            niced = os.getpriority(os.PRIO_PROCESS, processes.procs["llm"].pid)

            def written(phase: str, pages: int) -> dict:
                llm.requests.clear()
                done = threading.Event()
                started = time.monotonic()

                def cpu() -> dict:
                    return {"pg": base.postgres_cpu(), "temporal": server.cpu(),
                            "machine": base.machine_busy_cpu(),
                            "bench": base.cpu_seconds("/proc/self/stat"),
                            **{name: processes.cpu(name) for name in processes.procs}}

                before = cpu()
                submitted, pks, watchers = {}, [], []
                decided: list[float] = []
                to_decide = {"watched": waiting[30:70], "watched, LLM worker not niced":
                             waiting[70:]}.get(phase, [])
                deciding = threading.Thread(target=lambda: decided.extend(decisions_while(
                    decider, to_decide, done)))
                deciding.start()
                offset = {"watched": 0, "unwatched": 500}.get(phase, 200)
                for i in range(args.drafts):
                    submitted_at = time.monotonic()
                    pk = system.submit(1000 + offset + i)
                    submitted[pk] = submitted_at
                    pks.append(pk)
                    for _ in range(i, pages, args.drafts):  # this draft's pages, at once
                        page = Page(web_port, stream_token(pk, author.pk), pk, poll, done)
                        watchers.append(page)
                        page.start()
                base.wait_until(lambda: Draft.objects.filter(
                    pk__in=pks, status=ReviewState.AWAITING_REVIEW).count() == len(pks), 300)
                done.set()
                for page in watchers:
                    page.join(10)
                deciding.join(30)
                after = cpu()
                spent = {name: after[name] - before[name] for name in after}
                return {"pks": pks, "submitted": submitted, "pages": watchers,
                        "requests": list(llm.requests), "cpu": spent, "decided": decided,
                        "offset": offset, "seconds": time.monotonic() - started}

            watched = written("watched", args.pages)
            unwatched = written("unwatched", 0)
            # The same load with the LLM worker back at its parent's priority (LLM_WORKER_NICE
            # 0): what nicing it buys the decisions.
            os.setpriority(os.PRIO_PROCESS, processes.procs["llm"].pid, 0)
            unniced = written("watched, LLM worker not niced", args.pages)
            streams = streams_phase(server, llm, args.drafts)
        finally:
            decider.stop()
            processes.stop()
            server.stop()
            llm.stop()

    by_pk = {}
    for request in watched["requests"]:
        found = re.search(r"Bench streaming (\d+)", request.user)
        if found and 0 <= int(found.group(1)) - 1000 < len(watched["pks"]):
            by_pk[watched["pks"][int(found.group(1)) - 1000]] = request
    first_words = [next(t for t, n in page.seen if n > 0) - watched["submitted"][page.pk]
                   for page in watched["pages"] if any(n > 0 for _, n in page.seen)]
    lags = lags_of(by_pk, [(page.pk, page.seen) for page in watched["pages"]])
    report["time_to_first_words_s"] = summary(first_words, 2)
    report["lag_s"] = summary(lags)
    report["page_errors"] = sum(page.errors for page in watched["pages"])
    per_page = args.pages * SECONDS / 1000  # CPU seconds → ms per page per second
    report["cpu_per_watching_page_ms_per_s"] = {
        name: round(max(0.0, watched["cpu"][name] - unwatched["cpu"][name]) / per_page, 2)
        for name in ("web", "pg")}
    report["temporal_cpu_s_per_draft"] = round(unwatched["cpu"]["temporal"] / args.drafts, 3)
    # Where the machine's CPU went while watched: cores busy, by process (cores = CPU s / s).
    report["cores_busy_while_watched"] = {
        name: round(value / watched["seconds"], 2) for name, value in
        sorted(watched["cpu"].items(), key=lambda kv: -kv[1])}
    decided = watched["decided"]
    report["decision_ms"] = {
        "idle_p50": round(statistics.median(idle), 1),
        "idle_p95": round(base.percentile(idle, 95), 1),
        "watched_p50": round(statistics.median(decided), 1) if decided else None,
        "watched_p95": round(base.percentile(decided, 95), 1) if decided else None}
    if decided:
        report["decision_ratio_p95"] = round(report["decision_ms"]["watched_p95"]
                                             / report["decision_ms"]["idle_p95"], 2)
    report["llm_worker_nice"] = niced
    if unniced["decided"]:
        report["decision_ms"]["not_niced_p50"] = round(statistics.median(unniced["decided"]), 1)
        report["decision_ms"]["not_niced_p95"] = round(
            base.percentile(unniced["decided"], 95), 1)
        report["decision_ratio_p95_not_niced"] = round(
            report["decision_ms"]["not_niced_p95"] / report["decision_ms"]["idle_p95"], 2)
    report["workflow_streams"] = streams
    base.RESULTS.mkdir(parents=True, exist_ok=True)
    (base.RESULTS / "streaming.json").write_text(json.dumps(report, indent=2) + "\n")
    ws = streams
    lines = [
        "# Live writing (bench/streaming.py)", "",
        f"{args.drafts} drafts of {WORDS} words streamed over {SECONDS:g} s each, written at "
        f"once; {args.pages} pages polling over HTTP every {poll:g} s; the text stored every "
        f"{settings.LLM_STREAM_INTERVAL:g} s. gunicorn ({WEB_PROCESSES} sync workers), a "
        "review worker and an LLM worker in processes of their own, as `make serve` runs "
        f"them. Machine: {report['machine']['platform']}, PostgreSQL "
        f"{report['machine']['postgresql']}, temporalio {report['machine']['temporalio']}.",
        "",
        "| | value | goal |", "|---|---|---|",
        f"| submit → first words on a page, p50 / p95 | {report['time_to_first_words_s']['p50']}"
        f" / {report['time_to_first_words_s']['p95']} s | ≤ 1.5 s |",
        f"| chunk leaves the LLM → a page has it, p50 / p95 | {report['lag_s']['p50']} / "
        f"{report['lag_s']['p95']} s | p95 ≤ 1.0 s |",
        f"| CPU per watching page: web / PostgreSQL | "
        f"{report['cpu_per_watching_page_ms_per_s']['web']} / "
        f"{report['cpu_per_watching_page_ms_per_s']['pg']} ms per s | |",
        f"| decision p95 while watched / idle | {report['decision_ms']['watched_p95']} / "
        f"{report['decision_ms']['idle_p95']} ms ({report.get('decision_ratio_p95')}×; LLM "
        f"worker at nice {niced}) | ≤ 1.2× |",
        f"| the same with the LLM worker not niced | "
        f"{report['decision_ms'].get('not_niced_p95')} ms "
        f"({report.get('decision_ratio_p95_not_niced')}×) | |", "",
        "Decisions are made by bench/decider.py, a process of its own (review.services.decide,"
        " as the web calls it), so this process's fake vendor and pollers do not share its "
        "GIL.", "",
        "Cores busy while watched (of 2): " + ", ".join(
            f"{name} {value:g}" for name, value in report["cores_busy_while_watched"].items()),
        "",
        "The same drafts through Workflow Streams (bench/stream_workflow.py), same run:", "",
        "| | database row (above) | Workflow Streams |", "|---|---|---|",
        f"| chunk leaves the LLM → reader has it, p50 / p95 | {report['lag_s']['p50']} / "
        f"{report['lag_s']['p95']} s (a page) | {ws['lag_s']['p50']} / {ws['lag_s']['p95']} s "
        "(a web process's subscriber; the page's own hop not included) |",
        f"| history events per draft, for its writing | 0 added | "
        f"{ws['history_events_per_draft']} (the whole workflow) |",
        f"| Temporal dev server CPU per draft written | {report['temporal_cpu_s_per_draft']} s "
        f"(the whole review) | {ws['server_cpu_s_per_draft']} s |", ""]
    (base.RESULTS / "streaming.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    base.run_and_exit(main)
