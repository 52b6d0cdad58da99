"""Scale-out benchmark (issue 12): the workers as real processes, as `make serve` runs them.

`make bench` runs it after bench/run.py; alone: `.venv/bin/python bench/scale.py`.

1. **Decisions under LLM load.** A review worker process (`run_worker --queue review`) and an
   LLM worker process (`--queue llm`, the offline LLM at `--llm-seconds` per call). Editors'
   decisions are timed one at a time (an Update each, answered once recorded), first with
   nothing else going on, then while `--load` drafts are being written. The same is then
   measured with one process serving both queues (`--queue all`), the layout before the split.
2. **Throughput, one worker process vs two.** `--drafts` reviews submitted and approved by 16
   caller threads, end to end, served by one `--queue all` process, then by two.

Each part gets a fresh dev server. Results: bench/results/scale.json and scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as base  # noqa: E402
from temporal_app import connection, queues  # noqa: E402


class Workers:
    """Worker processes on the bench database and a dev server."""

    def __init__(self, address: str, task_queue: str, roles: list[str],
                 llm_seconds: float, llm_rate: float | None = None) -> None:
        env = {**os.environ}
        connection.forget_credentials(env)  # the bench's own plain dev server
        env = {**env, "TEMPORAL_ADDRESS": address, "TEMPORAL_TASK_QUEUE": task_queue,
               "OFFLINE_LLM_LATENCY": str(llm_seconds), "OPENAI_API_KEY": "",
               "OPENAI_BASE_URL": "", "LOG_LEVEL": "WARNING",
               "LLM_RATE_LIMIT_PER_SECOND": str(llm_rate) if llm_rate else ""}
        self.procs = [subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "run_worker", "--queue", role],
            env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL)
            for role in roles]

    def stop(self) -> None:
        for proc in self.procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def stack(tmp: Path, label: str, roles: list[str], llm_seconds: float,
          llm_rate: float | None = None):
    server = base.DevServer(tmp / f"{label}.db")
    task_queue = f"bench-{label}-{int(time.time())}"
    base.configure(server.address, task_queue)
    return server, Workers(server.address, task_queue, roles, llm_seconds, llm_rate)


def await_review(system, keys: list[int], timeout: float) -> None:
    from rulebook.states import ReviewState

    base.wait_until(lambda: system.count(keys, ReviewState.AWAITING_REVIEW) >= len(keys),
                    timeout, interval=0.1)


def timed_decisions(system, keys: list[int], spacing: float,
                    started_at: list[float] | None = None) -> list[float]:
    """One decision every `spacing` seconds, so loaded ones spread over the writing."""
    latencies = []
    for pk in keys:
        started = time.perf_counter()
        if started_at is not None:
            started_at.append(time.monotonic())
        system.decide(pk)
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(max(0.0, spacing - latencies[-1] / 1000))
    return latencies


def backlog_drained_at(task_queue: str, timeout: float = 60.0) -> float:
    """When the review queue's workflow-task backlog (Temporal's hint) is back to 0: the
    first workflow task of every submitted review has run."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    from temporal_app import gateway

    async def backlog() -> int:
        client = await gateway.get_client()
        response = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            include_task_queue_status=True))
        return response.task_queue_status.backlog_count_hint

    deadline = time.monotonic() + timeout
    while gateway.run(backlog(), timeout=10) > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    return time.monotonic()


def summary(latencies: list[float]) -> dict:
    return {"n": len(latencies), "p50_ms": round(base.percentile(latencies, 50), 1),
            "p95_ms": round(base.percentile(latencies, 95), 1),
            "max_ms": round(max(latencies), 1)}


def decisions_under_load(tmp: Path, args, editor, author, roles: list[str],
                         llm_rate: float | None = None) -> dict:
    """Unloaded, then loaded decision latency with these worker processes."""
    from rulebook.states import ReviewState

    label = "+".join(roles) + (f"-rate{llm_rate:g}" if llm_rate else "")
    server, workers = stack(tmp, label.replace("+", "-"), roles, args.llm_seconds, llm_rate)
    system = base.Redline(label, "", editor, author)
    try:
        ready = [system.submit(i) for i in range(2 * args.decisions)]
        await_review(system, ready, timeout=120 + args.llm_seconds * len(ready))
        unloaded = timed_decisions(system, ready[:args.decisions], args.spacing)

        started = time.monotonic()
        load = base.burst(lambda i: system.submit(1000 + i), list(range(args.load)), 8)
        keys = [k for k in load["results"] if k is not None]
        drained: list[float] = []
        watcher = threading.Thread(target=lambda: drained.append(
            backlog_drained_at(queues.review_queue())))
        watcher.start()
        decided_at: list[float] = []
        loaded = timed_decisions(system, ready[args.decisions:], args.spacing, decided_at)
        watcher.join()
        still_writing = system.count(keys, ReviewState.GENERATING)
        await_review(system, keys, timeout=120 + args.llm_seconds * args.load)
        written_in = time.monotonic() - started
    finally:
        workers.stop()
        server.stop()
    # Decisions started after the submit burst's first workflow tasks had all run: the drafts
    # are then only being written (the burst itself is another load; both are reported).
    writing = [ms for ms, at in zip(loaded, decided_at, strict=True) if at >= drained[0]]
    result = {"processes": roles, "llm_rate_limit": llm_rate,
              "unloaded": summary(unloaded), "loaded": summary(loaded),
              "while_written": summary(writing),
              "burst_absorbed_after_s": round(drained[0] - started, 1),
              "loaded_ms_in_order": [round(x, 1) for x in loaded],
              "load_drafts": len(keys), "load_submit_errors": len(load["errors"]),
              "still_being_written_after_the_decisions": still_writing,
              "load_written_in_s": round(written_in, 1)}
    result["p95_ratio"] = round(result["loaded"]["p95_ms"] / result["unloaded"]["p95_ms"], 2)
    result["written_p95_ratio"] = round(
        result["while_written"]["p95_ms"] / result["unloaded"]["p95_ms"], 2)
    result["p50_ratio"] = round(result["loaded"]["p50_ms"] / result["unloaded"]["p50_ms"], 2)
    print(json.dumps(result), flush=True)
    return result


def throughput(tmp: Path, args, editor, author, processes: int) -> dict:
    from rulebook.states import ReviewState

    label = f"throughput-{processes}"
    server, workers = stack(tmp, label, ["all"] * processes, 0.0)
    system = base.Redline(label, "", editor, author)
    try:
        warm = [system.submit(i) for i in range(base.WARMUP)]
        await_review(system, warm, timeout=120)
        for pk in warm:
            system.decide(pk)
        started = time.monotonic()
        submitted = base.burst(system.submit, list(range(100, 100 + args.drafts)), 16)
        keys = [k for k in submitted["results"] if k is not None]
        await_review(system, keys, timeout=900)
        decided = base.burst(system.decide, keys, 16)
        base.wait_until(lambda: system.count(keys, ReviewState.APPROVED) >= len(keys), 300)
        elapsed = time.monotonic() - started
    finally:
        workers.stop()
        server.stop()
    result = {"worker_processes": processes, "reviews": len(keys), "seconds": round(elapsed, 1),
              "end_to_end_per_second": round(len(keys) / elapsed, 2),
              "errors": len(submitted["errors"]) + len(decided["errors"])}
    print(json.dumps(result), flush=True)
    return result


def write_report(report: dict) -> str:
    split, together = report["decisions"]["split"], report["decisions"]["together"]
    unlimited = report["decisions"]["split_unlimited"]
    one, two = report["throughput"]
    lines = [
        f"# Scale-out benchmark {report['when']}", "",
        f"Machine: {report['machine']['platform']}; Python {report['machine']['python']}, "
        f"temporalio {report['machine']['temporalio']}, {report['machine']['temporal_cli']}, "
        f"PostgreSQL {report['machine']['postgresql']}. Workers are `manage.py run_worker` "
        "processes; each part has a fresh dev server (SQLite WAL).", "",
        "## Decisions while drafts are being written", "",
        f"{report['args']['decisions']} decisions, one every {report['args']['spacing']:g} s, "
        f"unloaded and then from the moment {report['args']['load']} drafts were submitted "
        "(offline LLM, "
        f"{report['args']['llm_seconds']:g} s per call, 16 calls at once per LLM worker).", "",
        "| worker processes | unloaded p50 / p95 (ms) | while written p50 / p95 (ms) | "
        "p95 ratio | all loaded, burst included p50 / p95 (ms) | p95 ratio | burst absorbed "
        "after | still being written after the last decision |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in (split, unlimited, together):
        rate = (f", {row['llm_rate_limit']:g} LLM calls/s" if row["llm_rate_limit"]
                else ", LLM calls unlimited")
        lines.append(
            f"| {' + '.join(row['processes'])}{rate} | {row['unloaded']['p50_ms']} / "
            f"{row['unloaded']['p95_ms']} | {row['while_written']['p50_ms']} / "
            f"{row['while_written']['p95_ms']} (n={row['while_written']['n']}) | "
            f"**{row['written_p95_ratio']}×** | {row['loaded']['p50_ms']} / "
            f"{row['loaded']['p95_ms']} | {row['p95_ratio']}× | "
            f"{row['burst_absorbed_after_s']} s | "
            f"{row['still_being_written_after_the_decisions']} of {row['load_drafts']} |")
    target = "met" if split["written_p95_ratio"] <= 1.5 else "missed"
    lines += [
        "", "\"While written\": decisions started after the review queue's workflow-task "
        "backlog was back to 0, i.e. after the first workflow task of every submitted review "
        "had run; the decisions before that met the burst of 200 workflow starts itself. "
        "Latencies in order are in scale.json.", "",
        f"Target (p95 while written ≤ 1.5× unloaded, split queues with the LLM rate limit "
        f"set, as in production): **{target}** ({split['written_p95_ratio']}×).", "",
        "## End-to-end throughput, one worker process vs two", "",
        f"{report['args']['drafts']} reviews submitted and approved by 16 callers "
        "(`--queue all` processes).", "",
        "| worker processes | reviews | seconds | end to end / s |", "|---|---|---|---|",
        *[f"| {r['worker_processes']} | {r['reviews']} | {r['seconds']} | "
          f"{r['end_to_end_per_second']} |" for r in (one, two)],
        "", f"Two processes vs one: **{report['two_vs_one']}×**.", "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=60, help="timed decisions per phase")
    parser.add_argument("--load", type=int, default=200, help="drafts written during them")
    parser.add_argument("--llm-seconds", type=float, default=5.0,
                        help="offline LLM time per call under load")
    parser.add_argument("--llm-rate", type=float, default=4.0,
                        help="LLM_RATE_LIMIT_PER_SECOND of the first layout (a provider's "
                             "limit, as production would set it)")
    parser.add_argument("--spacing", type=float, default=1.0,
                        help="seconds between the starts of two timed decisions")
    parser.add_argument("--drafts", type=int, default=200, help="reviews per throughput run")
    args = parser.parse_args()
    base.setup_django()
    base.empty_drafts()
    editor = base.bench_user("bench-editor", editor=True)
    author = base.bench_user("bench-author")
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "machine": base.machine(), "args": vars(args)}
    with tempfile.TemporaryDirectory() as tmp:
        report["decisions"] = {
            "split": decisions_under_load(Path(tmp), args, editor, author, ["review", "llm"],
                                          args.llm_rate),
            "split_unlimited": decisions_under_load(Path(tmp), args, editor, author,
                                                    ["review", "llm"]),
            "together": decisions_under_load(Path(tmp), args, editor, author, ["all"])}
        report["throughput"] = [throughput(Path(tmp), args, editor, author, n) for n in (1, 2)]
    one, two = report["throughput"]
    report["two_vs_one"] = round(two["end_to_end_per_second"] / one["end_to_end_per_second"], 2)
    base.RESULTS.mkdir(parents=True, exist_ok=True)
    (base.RESULTS / "scale.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = write_report(report)
    (base.RESULTS / "scale.md").write_text(text)
    print(text)


if __name__ == "__main__":
    base.run_and_exit(main)
