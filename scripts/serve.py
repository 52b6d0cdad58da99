"""`make serve`: Redline in production mode against your own PostgreSQL and Temporal.

Starts nothing embedded. Migrates, collects static files (hashed, compressed, served by
WhiteNoise), then runs gunicorn (WEB_CONCURRENCY processes on WEB_BIND) and the Temporal
workers: REVIEW_WORKERS processes on the review queue and LLM_WORKERS on the LLM queue
(temporal_app/queues.py). With WORKER_METRICS_PORT set, worker i serves the Temporal SDK's
metrics on that port + i. Everything stops together on SIGTERM/Ctrl-C or when one process
exits. docs/deploy.md describes each variable; config/production.env.example is a start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
sys.path.insert(0, str(ROOT))

from scripts.supervise import Supervisor  # noqa: E402
from temporal_app import connection  # noqa: E402


def say(message: str) -> None:
    print(f"[make serve] {message}", flush=True)


def refuse(message: str) -> None:
    print(f"[make serve] {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def main() -> None:
    env = dict(os.environ)
    env.setdefault("DEBUG", "false")
    if not env.get("DATABASE_URL"):
        refuse("set DATABASE_URL to your PostgreSQL: make serve starts nothing embedded "
               "(make dev does).")
    if connection.configured_target(env)[0] is None:
        refuse("set TEMPORAL_ADDRESS (or a Temporal config profile: TEMPORAL_PROFILE, "
               "TEMPORAL_CONFIG_FILE) to your Temporal cluster: make serve starts nothing "
               "embedded (make dev does).")
    # Counters shared by the web processes (config/ops.py reads them all on /metrics).
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="redline-metrics-")
    shutil.rmtree(env["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"])

    manage = [PY, str(ROOT / "manage.py")]
    for step in (["check", "--deploy", "--fail-level", "ERROR"],
                 ["migrate", "--no-input", "-v", "1"],
                 ["collectstatic", "--no-input", "-v", "0"]):
        say(" ".join(step[:1]) + "…")
        if subprocess.run([*manage, *step], env=env, cwd=ROOT).returncode != 0:
            refuse(f"`manage.py {step[0]}` failed (above); nothing was started.")

    supervisor = Supervisor(say)
    metrics_port = int(env["WORKER_METRICS_PORT"]) if env.get("WORKER_METRICS_PORT") else None
    index = 0
    for role, count in (("review", int(env.get("REVIEW_WORKERS", "1"))),
                        ("llm", int(env.get("LLM_WORKERS", "1")))):
        for _ in range(count):
            worker_env = dict(env)
            if metrics_port is not None:
                worker_env["WORKER_METRICS_ADDRESS"] = (
                    f"{env.get('WORKER_METRICS_HOST', '0.0.0.0')}:{metrics_port + index}")
            supervisor.spawn(f"{role} worker {index + 1}",
                             [*manage, "run_worker", "--queue", role], worker_env, ROOT)
            index += 1
    supervisor.spawn("web (gunicorn)", [PY, "-m", "gunicorn", "-c",
                                        str(ROOT / "config" / "gunicorn.py"),
                                        "config.wsgi:application"], env, ROOT)
    say(f"serving on {env.get('WEB_BIND', '0.0.0.0:8000')} with "
        f"{env.get('WEB_CONCURRENCY', '2')} web processes, {env.get('REVIEW_WORKERS', '1')} "
        f"review and {env.get('LLM_WORKERS', '1')} LLM worker processes")
    supervisor.watch()


if __name__ == "__main__":
    main()
