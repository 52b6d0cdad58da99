"""Benchmarks: `make bench` (or `.venv/bin/python bench/run.py [--drafts N]`).

Measured in one run, on this machine, so the ratios compare like with like:
  1. end-to-end throughput (submit → LLM activity → awaiting review → approve → approved) on a
     Temporal dev server with SQLite in WAL mode vs the default journal;
  2. decision latency: Update (the browser's path: answer after the state is recorded) vs
     Signal (fire-and-forget; measured until the DB shows the decision).
Results go to bench/results/latest.json and bench/results/latest.md.

Uses its own PostgreSQL database (redline_bench) and its own Temporal servers on free ports;
nothing of `make dev`'s data is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from config.env import embedded_database_url

    base = os.environ.get("DATABASE_URL") or embedded_database_url(ROOT / ".data" / "pg")
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname='redline_bench'").fetchone():
            conn.execute("CREATE DATABASE redline_bench")
    head, _, query = base.partition("?")
    os.environ["DATABASE_URL"] = head.rsplit("/", 1)[0] + "/redline_bench" + \
        (f"?{query}" if query else "")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run_phase(label: str, db_file: Path, drafts: int) -> dict:
    from django.conf import settings
    from django.contrib.auth.models import User

    from drafts import services
    from drafts.models import Draft
    from review import services as review
    from temporal_app import client as temporal
    from temporal_app import devserver
    from temporal_app.types import DecisionInput
    from temporal_app.worker import build_worker

    port = devserver.free_port()
    proc = devserver.start(port, db_filename=db_file, wal=label == "wal")
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{port}"
    settings.TEMPORAL_TASK_QUEUE = f"bench-{label}"
    settings.TEMPORAL_UPDATE_TIMEOUT = 30.0
    temporal.reset_client()

    author, _ = User.objects.get_or_create(username="bench-author")
    editor, _ = User.objects.get_or_create(username="bench-editor")

    async def start_worker():
        worker = build_worker(await temporal.get_client())
        asyncio.ensure_future(worker.run())
        return worker

    worker = temporal.run(start_worker(), timeout=30)
    try:
        started = time.perf_counter()
        ids = [services.submit_draft(author=author, topic=f"Bench {label} {i}")[0].pk
               for i in range(drafts)]
        wait(lambda: Draft.objects.filter(pk__in=ids, status="awaiting_review").count() == drafts,
             300)
        drafted = time.perf_counter()
        update_ms, signal_ms = [], []
        for i, pk in enumerate(ids):
            t0 = time.perf_counter()
            if i % 2 == 0:
                review.decide(draft_id=pk, editor=editor, decision="approve", version=1)
                update_ms.append((time.perf_counter() - t0) * 1000)
            else:
                temporal.send_signal(pk, "approve", DecisionInput(editor.pk, "bench-editor", 1))
                wait(lambda pk=pk: Draft.objects.filter(pk=pk, status="approved").exists(), 60,
                     interval=0.002)
                signal_ms.append((time.perf_counter() - t0) * 1000)
        finished = time.perf_counter()
    finally:
        temporal.run(worker.shutdown(), timeout=60)
        proc.terminate()
        proc.wait(30)
    return {
        "store": label,
        "drafts": drafts,
        "drafting_seconds": round(drafted - started, 2),
        "drafts_per_second": round(drafts / (drafted - started), 1),
        "end_to_end_per_second": round(drafts / (finished - started), 1),
        "update_decision_ms_p50": round(statistics.median(update_ms), 1),
        "update_decision_ms_p95": round(percentile(update_ms, 95), 1),
        "signal_decision_ms_p50": round(statistics.median(signal_ms), 1),
        "signal_decision_ms_p95": round(percentile(signal_ms, 95), 1),
    }


def percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def wait(predicate, timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        time.sleep(interval)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=100)
    args = parser.parse_args()
    setup_django()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("wal", "default-journal"):
            results.append(run_phase(label, Path(tmp) / f"{label}.db", args.drafts))
            print(json.dumps(results[-1]), flush=True)
    wal, default = results
    ratios = {
        "wal_vs_default_drafting_throughput": round(
            wal["drafts_per_second"] / default["drafts_per_second"], 2),
        "signal_vs_update_p50_latency": round(
            wal["signal_decision_ms_p50"] / wal["update_decision_ms_p50"], 2),
    }
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"Python {platform.python_version()}",
              "results": results, "ratios": ratios}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# Benchmark run {report['when']}", "", f"Machine: {report['machine']}", "",
             "| store | drafts | drafted/s | end-to-end/s | update p50/p95 ms | "
             "signal p50/p95 ms |", "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['store']} | {r['drafts']} | {r['drafts_per_second']} | "
                     f"{r['end_to_end_per_second']} | {r['update_decision_ms_p50']} / "
                     f"{r['update_decision_ms_p95']} | {r['signal_decision_ms_p50']} / "
                     f"{r['signal_decision_ms_p95']} |")
    lines += ["", f"Ratios (same run): WAL / default journal drafting throughput = "
              f"{ratios['wal_vs_default_drafting_throughput']}; signal / update decision p50 = "
              f"{ratios['signal_vs_update_p50_latency']}."]
    (RESULTS / "latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    sys.stdout.flush()
    os._exit(0)  # see temporal_app/management/commands/run_worker.py


if __name__ == "__main__":
    main()
