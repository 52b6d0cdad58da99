"""Operators' endpoints (config/ops.py) and the worker's metrics: /healthz, /readyz with each
of its checks failing in turn, /metrics with reviews by state and its optional token, and a
real worker process serving the Temporal SDK's metrics for Prometheus."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from rulebook.delivery import DeliveryStatus
from rulebook.states import ReviewState
from temporal_app import devserver, gateway, queues
from tests.conftest import database_url, wait_for
from tests.test_faults_inputs import database_unreachable
from tests.test_web_common import make_draft

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_needs_nothing_but_the_process(settings):
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"  # not even Temporal
    with database_unreachable():
        response = Client().get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db(transaction=True)
def test_readyz_is_ready_with_a_worker_on_each_queue(live_worker, task_queue):
    # A worker is listed once it has polled: ready within moments of starting.
    response = wait_for(lambda: (r := Client().get("/readyz")).status_code == 200 and r,
                        timeout=15, what="/readyz to answer 200")
    checks = response.json()["checks"]
    assert set(checks) == {"database", "temporal", "review_workers", "llm_workers"}
    assert all(check["ok"] for check in checks.values())
    assert checks["llm_workers"]["queue"] == queues.llm_queue(task_queue)
    assert checks["review_workers"]["pollers"] >= 1


@pytest.mark.django_db(transaction=True)
def test_readyz_says_which_queue_has_no_worker(task_queue):
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["temporal"]["ok"]
    assert body["checks"]["review_workers"] == {
        "ok": False, "queue": task_queue, "pollers": 0,
        "detail": f"no worker polls {task_queue}: start `manage.py run_worker --queue review`"}


@pytest.mark.django_db(transaction=True)
def test_readyz_without_temporal_or_the_database(settings, task_queue):
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"
    gateway.reset_client()
    try:
        no_temporal = Client().get("/readyz")
    finally:
        gateway.reset_client()
    assert no_temporal.status_code == 503
    assert not no_temporal.json()["checks"]["temporal"]["ok"]
    assert "could not be reached" in no_temporal.json()["checks"]["temporal"]["detail"]
    with database_unreachable():
        no_database = Client().get("/readyz")
    assert no_database.status_code == 503
    assert no_database.json()["checks"]["database"]["detail"].startswith(
        "PostgreSQL did not answer")


@pytest.mark.django_db
def test_metrics_count_requests_and_reviews_by_state(settings, author):
    make_draft(author)
    client = Client()
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in body
    assert f'redline_reviews{{state="{ReviewState.AWAITING_REVIEW.value}"}} 1.0' in body
    assert f'redline_reviews{{state="{ReviewState.APPROVED.value}"}} 0.0' in body
    assert f'redline_deliveries{{status="{DeliveryStatus.FAILED.value}"}} 0.0' in body

    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics",
                      HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_serves_temporal_sdk_metrics(temporal_server, task_queue):
    port = devserver.free_port()
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal_server, "TEMPORAL_TASK_QUEUE": task_queue,
           "DATABASE_URL": database_url(), "WORKER_METRICS_ADDRESS": f"127.0.0.1:{port}"}
    env.pop("TEST_DATABASE_NAME", None)
    proc = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--queue", "llm"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        def scrape():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    text = r.read().decode()
            except OSError:
                return None
            return text if "temporal_" in text else None

        body = wait_for(scrape, timeout=30, what="the worker's metrics endpoint")
        assert "temporal_num_pollers" in body or "temporal_request" in body
    finally:
        proc.terminate()
        proc.wait(timeout=20)
