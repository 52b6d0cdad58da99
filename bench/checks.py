"""Benchmark: checks before a human reads (issue 23 item 7), in one run.

1. The deterministic checks in their activity (temporal_app.activities.checks.run_checks:
   loading the checks, every check, textstat's readability) on a 1,200-word draft with a few
   faults in it, with the example press-release file plus the site's defaults: time per call,
   p50/p95 over `--calls` calls. Target: p95 ≤ 20 ms.
2. What a reader feels: from the LLM's version arriving (its activity completed, the dev
   server's event time) to the draft awaiting review (the projection's event row), for drafts
   written by the offline LLM with the site's default checks and with none, interleaved on the
   same dev server, worker and database. Target: the p95 grows by ≤ 150 ms.

    .venv/bin/python bench/checks.py [--calls 300] [--drafts 30]

Results: bench/results/checks.json and checks.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as base  # noqa: E402

EXAMPLE = ROOT / "docs" / "examples" / "checks-press-release.toml"


def faulty_draft() -> str:
    from temporal_app.offline import offline_markdown

    text = offline_markdown({"topic": "Planning software for small teams", "brief": "",
                             "audience": "team leads", "tone": "plain", "target_words": 1200})
    return text.replace("\n\n", "\n\nOur planner gives guaranteed results. Write to "
                                "press@acme.example or call +44 20 7946 0958. RedLine and "
                                "AcmeCorp agree: see https://evil.example.org/x.\n\n", 1)


def activity_times(calls: int) -> dict:
    from rulebook import check_file, checks
    from temporal_app.activities.checks import run_checks
    from temporal_app.types import ChecksInput

    text = faulty_draft()
    stored = [c.as_dict() for c in [*check_file.parse(EXAMPLE.read_text()),
                                    *[dataclass_named(c) for c in checks.DEFAULT_CHECKS]]]
    inp = ChecksInput(draft_id=1, version=1, text=text, checks=stored, target_words=1200)
    run_checks(inp)  # textstat's first import and its dictionary, once per worker process
    times, findings = [], 0
    for _ in range(calls):
        started = time.perf_counter()
        findings = len(run_checks(inp).findings)
        times.append((time.perf_counter() - started) * 1000)
    return {"words": len(text.split()), "checks": len(stored), "findings": findings,
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(base.percentile(times, 95), 2), "calls": calls}


def dataclass_named(check):
    """A default check renamed so it does not clash with the example file's."""
    import dataclasses

    return dataclasses.replace(check, name=f"site {check.name}")


def to_review_ms(pk: int) -> float:
    """The LLM activity's completion (the server's clock) to the draft's awaiting-review event
    row (the worker's clock: the same machine)."""
    from temporalio.api.enums.v1 import EventType

    from drafts.models import DraftEvent
    from temporal_app import gateway
    from temporal_app.types import workflow_id_for

    async def go():
        client = await gateway.get_client()
        return await client.get_workflow_handle(workflow_id_for(pk)).fetch_history()

    events = gateway.run(go(), timeout=30).events
    done = next(e for e in events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    arrived = done.event_time.ToDatetime().timestamp()
    shown = DraftEvent.objects.filter(draft_id=pk, kind__in=[
        "generated", "revised_for_checks"]).values_list("created_at", flat=True).first()
    return (shown.timestamp() - arrived) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--drafts", type=int, default=30)
    args = parser.parse_args()
    base.setup_django()
    from django.conf import settings

    from drafts.models import Draft
    from rulebook.states import ReviewState

    report: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                    "machine": base.machine(), "activity": activity_times(args.calls)}
    base.empty_drafts()
    editor = base.bench_user("bench-editor", editor=True)
    author = base.bench_user("bench-author")
    measured: dict[str, list[float]] = {"none": [], "defaults": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = base.DevServer(Path(tmp) / "checks.db")
        base.configure(server.address, "bench-checks")
        system = base.Redline("checks", "bench-checks", editor, author)
        worker = base.start_worker(system)
        try:
            for i in range(args.drafts + 2):  # the first two warm the worker up
                for mode in ("none", "defaults"):
                    settings.CHECKS_SITE_DEFAULTS = mode == "defaults"
                    pk = system.submit(2 * i + (mode == "defaults"))
                    base.wait_until(lambda pk=pk: Draft.objects.filter(
                        pk=pk, status=ReviewState.AWAITING_REVIEW).exists(), 60, interval=0.01)
                    if i >= 2:
                        measured[mode].append(to_review_ms(pk))
        finally:
            settings.CHECKS_SITE_DEFAULTS = True
            base.stop_worker(worker)
            server.stop()
    for mode, values in measured.items():
        report[mode] = {"p50_ms": round(statistics.median(values), 1),
                        "p95_ms": round(base.percentile(values, 95), 1), "drafts": len(values)}
    grew = round(report["defaults"]["p95_ms"] - report["none"]["p95_ms"], 1)
    report["p95_growth_ms"] = grew
    act = report["activity"]
    report["targets"] = {"activity_p95": "met" if act["p95_ms"] <= 20 else "missed",
                         "growth_p95": "met" if grew <= 150 else "missed"}
    base.RESULTS.mkdir(parents=True, exist_ok=True)
    (base.RESULTS / "checks.json").write_text(json.dumps(report, indent=2) + "\n")
    text = "\n".join([
        f"# Checks before a human reads ({report['when']})", "",
        f"Machine: {report['machine']['platform']}, PostgreSQL "
        f"{report['machine']['postgresql']}, temporalio {report['machine']['temporalio']}.", "",
        "| | p50 | p95 | target |", "|---|---|---|---|",
        f"| deterministic checks in their activity ({act['words']:,} words, {act['checks']} "
        f"checks, {act['findings']} findings; {act['calls']} calls) | {act['p50_ms']} ms | "
        f"{act['p95_ms']} ms | p95 ≤ 20 ms: {report['targets']['activity_p95']} |",
        f"| version arrived → awaiting review, no checks ({report['none']['drafts']} drafts) | "
        f"{report['none']['p50_ms']} ms | {report['none']['p95_ms']} ms | |",
        f"| the same with the site's default checks | {report['defaults']['p50_ms']} ms | "
        f"{report['defaults']['p95_ms']} ms | p95 grows ≤ 150 ms: {grew} ms, "
        f"{report['targets']['growth_p95']} |", ""])
    (base.RESULTS / "checks.md").write_text(text)
    print(text)


if __name__ == "__main__":
    base.run_and_exit(main)
