"""Endpoints for operators: /healthz (the process is up), /readyz (it can serve: database,
Temporal, a worker polling each queue) and /metrics (Prometheus: requests and latency from
django-prometheus, plus reviews by state read from the database at scrape time).

None of them needs a session; /metrics can require a bearer token (METRICS_TOKEN).
"""

from __future__ import annotations

import hmac
import os
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from rulebook.delivery import DeliveryStatus
from rulebook.states import ReviewState
from temporal_app import errors, gateway, queues


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, else 503; each check says what it saw."""
    checks = {"database": _database()}
    checks.update(_temporal())
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status=200 if ready else 503)


def _database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as err:
        return {"ok": False, "detail": f"PostgreSQL did not answer: {str(err).strip()}"}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _temporal() -> dict[str, dict]:
    review, llm = queues.review_queue(), queues.llm_queue()
    try:
        counts = gateway.pollers([review], [llm])
    except errors.RedlineError as err:
        down = {"ok": False, "detail": str(err)}
        return {"temporal": down, "review_workers": down, "llm_workers": down}

    def workers(queue: str, role: str) -> dict:
        n = counts[queue]
        return {"ok": n > 0, "queue": queue, "pollers": n} | (
            {} if n else {"detail": f"no worker polls {queue}: start "
                                    f"`manage.py run_worker --queue {role}`"})

    return {"temporal": {"ok": True, "address": settings.TEMPORAL_ADDRESS,
                         "namespace": settings.TEMPORAL_NAMESPACE},
            "review_workers": workers(review, queues.REVIEW),
            "llm_workers": workers(llm, queues.LLM)}


class ReviewsByState:
    """redline_reviews{state=...}: drafts per state, and redline_deliveries{status=...}:
    deliveries to destinations per status (alert on failed); one query each per scrape."""

    def collect(self):
        from drafts.models import Draft
        from publishing.models import Delivery

        for name, what, label, model, values in (
                ("redline_reviews", "Drafts by review state", "state", Draft, ReviewState),
                ("redline_deliveries", "Deliveries of approved drafts by status", "status",
                 Delivery, DeliveryStatus)):
            gauge = GaugeMetricFamily(name, what, labels=[label])
            counts = dict(model.objects.values_list("status").annotate(n=Count("pk")).order_by())
            for value in values:
                gauge.add_metric([value.value], counts.get(value.value, 0))
            yield gauge


_REVIEWS = CollectorRegistry(auto_describe=False)
_REVIEWS.register(ReviewsByState())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""),
                                         f"Bearer {token}"):
        return HttpResponse("A metrics token is required.\n", status=401,
                            content_type="text/plain")
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # several web processes (gunicorn)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = PROCESS_REGISTRY
    return HttpResponse(generate_latest(registry) + generate_latest(_REVIEWS),
                        content_type=CONTENT_TYPE_LATEST)
