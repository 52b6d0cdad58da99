"""Issue 25, item 7: a worker killed mid-stream restarts the text cleanly.

The LLM worker runs as a process of its own (`manage.py run_worker --queue llm`, as `make
serve` runs it) and is killed with SIGKILL while a first draft streams; a new one takes the
retried attempt after the heartbeat timeout. The page then says the writer restarted, shows
only the new attempt's words (never a mix of two attempts), and the stored version is the
second attempt's text alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.urls import reverse

from drafts import services
from drafts.models import StreamedText
from rulebook.states import ReviewState
from temporal_app import queues
from tests.conftest import database_url, start_worker, stop_worker, wait_for, wait_for_status
from tests.fake_openai import FakeOpenAI, Reply
from tests.test_web_common import client_for

ROOT = Path(__file__).resolve().parent.parent
FIRST = "# First attempt\n\n" + "Words of the first attempt only. " * 30 + "\n"
SECOND = "# Second attempt\n\nA clean second text, from its first word to its last.\n"


def llm_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", "run_worker", "--queue", queues.LLM],
                            cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_stream_restarts_the_text_cleanly(settings, task_queue,
                                                              temporal_server, author):
    settings.LLM_HEARTBEAT_TIMEOUT = 2.0  # the retry starts about 2 s after the kill
    llm = FakeOpenAI().start()
    first_held, second_held = threading.Event(), threading.Event()
    llm.push(Reply(text=FIRST, chunk_size=8, hold_after=6, hold=first_held),
             Reply(text=SECOND, chunk_size=8, hold_after=3, hold=second_held))
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": database_url(),
           "TEMPORAL_ADDRESS": temporal_server, "TEMPORAL_TASK_QUEUE": task_queue,
           "OPENAI_BASE_URL": llm.url, "OPENAI_API_KEY": "test-key",
           "LLM_STREAM_INTERVAL": "50ms", "LOG_LEVEL": "WARNING"}
    env.pop("TEST_DATABASE_NAME", None)
    review = start_worker(task_queue, queues.REVIEW)
    procs = [llm_worker(env)]
    try:
        draft, _ = services.submit_draft(author=author, topic="Tides of the harbour")
        wait_for(lambda: StreamedText.objects.filter(draft=draft, text__contains="Words of")
                 .exists(), timeout=60, what="the first attempt's words")
        # It lowered its own priority as it started (LLM_WORKER_NICE, 10 by default): an
        # editor's decision is scheduled before its bookkeeping.
        assert os.getpriority(os.PRIO_PROCESS, procs[0].pid) == os.nice(0) + 10
        os.killpg(procs[0].pid, signal.SIGKILL)
        procs[0].wait(10)
        procs.append(llm_worker(env))

        row = wait_for(lambda: StreamedText.objects.filter(
            draft=draft, attempt=2, text__contains="Second").first(), timeout=60,
            what="the retried attempt's words")
        assert row.text.startswith("# Second") and "first attempt" not in row.text
        page = client_for(author).get(reverse("drafts:detail", args=[draft.pk]))
        html = page.content.decode()
        assert "The writer restarted this version" in html
        assert "Second" in html and "Words of the first attempt" not in html

        second_held.set()
        draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW, timeout=60)
        assert draft.versions.get().text.strip() == SECOND.strip()
        assert not StreamedText.objects.filter(draft=draft).exists()
        assert len(llm.requests) == 2
    finally:
        first_held.set()
        second_held.set()
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
        stop_worker(review, task_queue)
        llm.stop()
