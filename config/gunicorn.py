"""gunicorn settings for `make serve` (scripts/serve.py passes `-c config/gunicorn.py`).

Every value can be overridden on gunicorn's command line or with GUNICORN_CMD_ARGS."""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Sync workers: every view is a short database read/write or one bounded call to Temporal
# (decisions wait at most TEMPORAL_UPDATE_TIMEOUT + the workflow task timeout).
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
accesslog = "-"
# Behind a proxy: the addresses allowed to set X-Forwarded-* (gunicorn's own default otherwise).
if os.environ.get("FORWARDED_ALLOW_IPS"):
    forwarded_allow_ips = os.environ["FORWARDED_ALLOW_IPS"]


def child_exit(server, worker):
    """Several processes share Prometheus counters through PROMETHEUS_MULTIPROC_DIR: forget a
    process's live gauges when it exits."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
