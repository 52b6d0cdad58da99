"""Benchmark: the targeted revision against a whole-draft revision, in one run (issue 22).

A 1,200-word draft (one LLM call: sections off, so the whole-draft revision is one call), with
the offline LLM answering every call after 2 s (OFFLINE_LLM_LATENCY). Per round, on two fresh
drafts: three sentences in different paragraphs get a comment each and a request for changes
rewrites just them (three revise_passage calls in parallel); the other draft gets a request for
changes with a general remark (one whole-draft call). Timed from the editor's request to the
new version awaiting review, as the editor feels it; input tokens are the LLM's prompt tokens
of the new version (the offline backend counts words, the same unit both ways).

Targets: the targeted revision takes at most 1.3 × the whole-draft revision's time (one call's
latency plus the workflow's), and sends at most 40 % of its input tokens.

    .venv/bin/python bench/revision.py [--rounds 5]

Results: bench/results/revision.json and revision.md.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as base  # noqa: E402

LATENCY = 2.0
WORDS = 1200


def prose_sentences(text: str, count: int) -> list[tuple[int, int]]:
    """The first sentence of `count` prose paragraphs spread over the text."""
    found = [(m.start(), m.end()) for m in re.finditer(r"(?m)^[A-Z][^\n]*?[.!?](?= |$)", text)
             if m.start() == 0 or text[m.start() - 2:m.start()] == "\n\n"]
    found = [f for f in found if not text[f[0]:].startswith(("Offline", "In short"))]
    step = max(1, len(found) // count)
    return found[::step][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base.setup_django()
    from django.conf import settings

    from drafts import comments
    from drafts.models import Draft, DraftVersion, PassageChange
    from review import services as review
    from rulebook.states import ReviewState

    base.empty_drafts()
    editor = base.bench_user("bench-editor", editor=True)
    author = base.bench_user("bench-author")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        server = base.DevServer(Path(tmp) / "revision.db")
        base.configure(server.address, "bench-revision")
        system = base.Redline("revision", "bench-revision", editor, author)
        worker = base.start_worker(system)
        settings.LLM_SECTIONS_THRESHOLD_WORDS = 0  # one call writes (and revises) the draft
        settings.OFFLINE_LLM_LATENCY = LATENCY
        try:
            for r in range(args.rounds):
                pks = [system.submit(2 * r + i, target_words=WORDS) for i in range(2)]
                base.wait_until(lambda pks=pks: Draft.objects.filter(
                    pk__in=pks, status=ReviewState.AWAITING_REVIEW).count() == 2, 120)
                row = {}
                for mode, pk in (("targeted", pks[0]), ("whole", pks[1])):
                    draft = Draft.objects.get(pk=pk)
                    text = DraftVersion.objects.get(draft=draft, number=1).text
                    comment = "Add a concrete example and tighten the wording."
                    if mode == "targeted":
                        for start, end in prose_sentences(text, 3):
                            comments.add(draft=draft, user=editor, version=1, start=start,
                                         end=end, body="Too vague: make this concrete.")
                        comment = ""
                    started = time.perf_counter()
                    review.decide(draft_id=pk, editor=editor, decision="request_changes",
                                  version=1, comment=comment)
                    base.wait_until(lambda pk=pk: Draft.objects.filter(
                        pk=pk, status=ReviewState.AWAITING_REVIEW, current_version=2).exists(),
                        120, interval=0.01)
                    seconds = time.perf_counter() - started
                    v2 = DraftVersion.objects.get(draft_id=pk, number=2)
                    row[mode] = {"seconds": round(seconds, 3), "prompt_tokens": v2.prompt_tokens,
                                 "words": len(text.split()),
                                 "passages": PassageChange.objects.filter(draft_id=pk).count()}
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            settings.OFFLINE_LLM_LATENCY = 0.0
            base.stop_worker(worker)
            server.stop()

    def median(mode: str, key: str) -> float:
        return statistics.median(row[mode][key] for row in rows)

    time_ratio = round(median("targeted", "seconds") / median("whole", "seconds"), 2)
    token_ratio = round(median("targeted", "prompt_tokens") / median("whole", "prompt_tokens"),
                        2)
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": base.machine(), "rounds": rows, "llm_latency_s": LATENCY,
        "median": {m: {k: median(m, k) for k in ("seconds", "prompt_tokens", "words")}
                   for m in ("targeted", "whole")},
        "time_ratio": time_ratio, "time_target": "met" if time_ratio <= 1.3 else "missed",
        "token_ratio": token_ratio, "token_target": "met" if token_ratio <= 0.4 else "missed",
    }
    base.RESULTS.mkdir(parents=True, exist_ok=True)
    (base.RESULTS / "revision.json").write_text(json.dumps(report, indent=2) + "\n")
    md = report["median"]
    text = "\n".join([
        f"# Targeted revision vs whole-draft revision ({report['when']})", "",
        f"A {WORDS}-word draft, 3 commented passages, every LLM call answered after "
        f"{LATENCY:g} s (offline backend); {args.rounds} rounds, medians. Request for changes "
        "→ the new version awaiting review.", "",
        "| revision | seconds | input tokens |", "|---|---|---|",
        f"| whole draft (1 call) | {md['whole']['seconds']:.2f} | "
        f"{md['whole']['prompt_tokens']:.0f} |",
        f"| 3 passages (3 parallel calls) | {md['targeted']['seconds']:.2f} | "
        f"{md['targeted']['prompt_tokens']:.0f} |", "",
        f"Time: {time_ratio} × the whole-draft revision (target ≤ 1.3: {report['time_target']}). "
        f"Input tokens: {token_ratio} × (target ≤ 0.4: {report['token_target']}).", ""])
    (base.RESULTS / "revision.md").write_text(text)
    print(text)


if __name__ == "__main__":
    base.run_and_exit(main)
