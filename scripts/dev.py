"""`make dev`: embedded PostgreSQL + Temporal dev server + migrate + demo users + worker + web.

Everything it starts is stopped on Ctrl-C (SIGINT) or SIGTERM. Data lives under .data/, so a
second `make dev` finds its drafts and its waiting workflows again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("REDLINE_DATA_DIR", ROOT / ".data"))
PY = sys.executable
sys.path.insert(0, str(ROOT))

from config import devenv  # noqa: E402
from config.env import embedded_database_url, stop_embedded  # noqa: E402
from scripts.supervise import Supervisor  # noqa: E402
from temporal_app import connection, devserver  # noqa: E402


def say(message: str) -> None:
    print(f"[make dev] {message}", flush=True)


def main() -> None:
    supervisor = Supervisor(say)
    DATA.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # Development mode, explicitly: DEBUG is off unless set (and then the app wants a real
    # SECRET_KEY, secure cookies and HTTPS); runserver here is plain HTTP with the dev key.
    env["DEBUG"] = "true"
    web_port = int(env.get("WEB_PORT", "8000"))
    temporal_port = int(env.get("TEMPORAL_PORT", "7233"))
    ui_port = int(env.get("TEMPORAL_UI_PORT", "8233"))
    password = env.get("DEMO_PASSWORD", "redline-demo")

    if not env.get("DATABASE_URL"):
        # This process holds the embedded server open; it stops when the last user exits.
        env["DATABASE_URL"] = embedded_database_url(DATA / "pg")
        supervisor.finally_("PostgreSQL", lambda: stop_embedded(DATA / "pg"))
        say(f"PostgreSQL (embedded pgserver) data in {DATA / 'pg'}")
    configured, _ = connection.configured_target(env)  # TEMPORAL_ADDRESS or the TOML profile
    if configured:
        say(f"using Temporal at {configured} (TEMPORAL_ADDRESS or the Temporal config profile)")
    else:
        say(f"starting the Temporal dev server on 127.0.0.1:{temporal_port} "
            f"(history in {DATA / 'temporal.db'})")
        connection.forget_credentials(env)  # a plain local server: no API key, no TLS
        proc = devserver.start(temporal_port, ui_port=ui_port,
                               db_filename=DATA / "temporal.db",
                               log_path=DATA / "temporal.log")
        supervisor.adopt("Temporal", proc)
        env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{temporal_port}"
        env.setdefault("TEMPORAL_UI_URL", f"http://127.0.0.1:{ui_port}")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{web_port}")

    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    # --history: four months of closed reviews for Insights (once; skipped after)
    subprocess.run([*manage, "seed_demo", "--password", password, "--history"], env=env,
                   check=True)
    supervisor.spawn("worker", [*manage, "run_worker"], env, ROOT)
    supervisor.spawn("web", [*manage, "runserver", "--noreload", f"127.0.0.1:{web_port}"], env,
                     ROOT)
    devserver.wait_for_port(web_port, timeout=60)
    # Commands in a second shell (README, "Admins") use this stack while it runs.
    settings_file = devenv.write(DATA, env, os.getpid())
    supervisor.finally_("settings", lambda: devenv.remove(DATA, os.getpid()))

    say("ready")
    print(f"""
  Redline      http://127.0.0.1:{web_port}/
  Temporal UI  {env.get('TEMPORAL_UI_URL', '(external Temporal: see its own UI)')}
  Log in as    author / editor / editor2 / admin / legal1-3   password: {password}
  Mail         printed below (the Press release partner's signed link too)
  Commands     .venv/bin/python manage.py … in another shell uses this stack
               (its settings are in {settings_file} while it runs)
  LLM          {'OpenAI-compatible (' + env.get('OPENAI_MODEL', 'gpt-4o-mini') + ')'
                if env.get('OPENAI_API_KEY') or env.get('OPENAI_BASE_URL')
                else 'offline drafting backend (set OPENAI_API_KEY for real drafts)'}
  Ctrl-C stops everything.
""", flush=True)
    supervisor.watch()


if __name__ == "__main__":
    main()
