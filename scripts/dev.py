"""`make dev`: embedded PostgreSQL + Temporal dev server + migrate + demo users + worker + web.

Everything it starts is stopped on Ctrl-C (SIGINT) or SIGTERM. Data lives under .data/, so a
second `make dev` finds its drafts and its waiting workflows again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("REDLINE_DATA_DIR", ROOT / ".data"))
PY = sys.executable
sys.path.insert(0, str(ROOT))

from config.env import embedded_database_url  # noqa: E402
from temporal_app import devserver  # noqa: E402

children: list[subprocess.Popen] = []


def say(message: str) -> None:
    print(f"[make dev] {message}", flush=True)


def stop_all(*_args) -> None:
    for proc in reversed(children):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 15
    for proc in reversed(children):
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    say("stopped everything it started")
    sys.exit(0)


def spawn(args: list[str], env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True)
    children.append(proc)
    return proc


def main() -> None:
    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    DATA.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    web_port = int(env.get("WEB_PORT", "8000"))
    temporal_port = int(env.get("TEMPORAL_PORT", "7233"))
    ui_port = int(env.get("TEMPORAL_UI_PORT", "8233"))
    password = env.get("DEMO_PASSWORD", "redline-demo")

    if not env.get("DATABASE_URL"):
        # This process holds the embedded server open; it stops when the last user exits.
        env["DATABASE_URL"] = embedded_database_url(DATA / "pg")
        say(f"PostgreSQL (embedded pgserver) data in {DATA / 'pg'}")
    if not env.get("TEMPORAL_ADDRESS"):
        say(f"starting the Temporal dev server on 127.0.0.1:{temporal_port} "
            f"(history in {DATA / 'temporal.db'})")
        proc = devserver.start(temporal_port, ui_port=ui_port,
                               db_filename=DATA / "temporal.db",
                               log_path=DATA / "temporal.log")
        children.append(proc)
        env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{temporal_port}"
        env.setdefault("TEMPORAL_UI_URL", f"http://127.0.0.1:{ui_port}")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{web_port}")

    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    subprocess.run([*manage, "seed_demo", "--password", password], env=env, check=True)
    spawn([*manage, "run_worker"], env)
    spawn([*manage, "runserver", "--noreload", f"127.0.0.1:{web_port}"], env)
    devserver.wait_for_port(web_port, timeout=60)

    say("ready")
    print(f"""
  Redline      http://127.0.0.1:{web_port}/
  Temporal UI  {env.get('TEMPORAL_UI_URL', '(external Temporal: see its own UI)')}
  Log in as    author / editor / editor2 / admin   password: {password}
  LLM          {'OpenAI-compatible (' + env.get('OPENAI_MODEL', 'gpt-4o-mini') + ')'
                if env.get('OPENAI_API_KEY') or env.get('OPENAI_BASE_URL')
                else 'offline drafting backend (set OPENAI_API_KEY for real drafts)'}
  Ctrl-C stops everything.
""", flush=True)
    while True:
        for proc in children:
            if proc.poll() is not None:
                say(f"{' '.join(map(str, proc.args[:3]))}… exited with {proc.returncode}; "
                    "stopping the rest")
                stop_all()
        time.sleep(0.5)


if __name__ == "__main__":
    main()
