"""The bench's editor in a process of its own (bench/streaming.py): it reads a draft id a
line on stdin, approves that draft's version 1 through `review.services.decide` (the web's
own call: gateway, Update, the workflow's answer once the projection wrote it) and answers
the round trip in milliseconds, a line on stdout.

Its own process because the bench's process also hosts the fake LLM vendor and the pages'
pollers: timed there, a decision would wait for their threads' turn at the GIL, which no
real editor's web request does.

    python bench/decider.py TEMPORAL_ADDRESS TASK_QUEUE EDITOR_ID
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as base  # noqa: E402


def main() -> None:
    address, queue, editor_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    base.setup_django()
    base.configure(address, queue)
    from django.contrib.auth import get_user_model

    from review import services
    from rulebook.states import DecisionKind

    editor = get_user_model().objects.get(pk=editor_id)
    print("ready", flush=True)
    for line in sys.stdin:
        pk = int(line)
        started = time.perf_counter()
        services.decide(draft_id=pk, editor=editor, decision=DecisionKind.APPROVE.value,
                        version=1)
        print(f"{(time.perf_counter() - started) * 1000:.3f}", flush=True)


if __name__ == "__main__":
    main()
