"""The chaos suite's own stack (scripts/chaos.py): PostgreSQL, a Temporal dev server, a worker
and a web server, each a child process in its own process group on free ports, with its data
under one directory. Each can be killed with SIGKILL (the whole group: the postmaster and its
backends, the dev server, the worker) and started again on the same data and port.

Django-free: the driver configures Django against this stack only after it is up.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
sys.path.insert(0, str(ROOT))

from temporal_app import devserver  # noqa: E402  (Django-free)

# Short timeouts so that faults heal in seconds (README's settings table names each one).
FAST_SETTINGS = {
    "OFFLINE_LLM_LATENCY": "2s",  # drafts are "being written" for 2 s: long enough to kill
    "LLM_PROGRESS_INTERVAL": "0.5s",
    "LLM_HEARTBEAT_TIMEOUT": "3s",  # a killed worker's LLM call is retried after this
    "LLM_START_TO_CLOSE": "30s",
    "LLM_SCHEDULE_TO_CLOSE": "10m",
    "LLM_MAX_ATTEMPTS": "10",
    "LLM_RETRY_INITIAL_INTERVAL": "1s",
    "LLM_RETRY_MAX_INTERVAL": "5s",
    "TEMPORAL_UPDATE_TIMEOUT": "3s",
    "TEMPORAL_WORKFLOW_TASK_TIMEOUT": "5s",
    "OUTBOX_POLL_INTERVAL": "0.5s",
    "OUTBOX_PASS_SECONDS": "60s",
}
PASSWORD = "chaos-demo-password"


def say(message: str) -> None:
    print(f"[chaos] {time.strftime('%H:%M:%S')} {message}", flush=True)


def group_alive(pgid: int) -> bool:
    """Is any live (not zombie) process left in this process group?"""
    for proc in psutil.process_iter(["status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                return True
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return False


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL, timeout: float = 15.0
               ) -> None:
    """Send `sig` to the child's whole process group and wait until the group is gone."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    while group_alive(proc.pid):
        if time.monotonic() > deadline:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 5
        time.sleep(0.05)


class Postgres:
    """PostgreSQL 16 from the pgserver wheel, driven directly (initdb, postgres) so it can be
    killed and started again. As root it runs as the `pgserver` user, as pgserver does."""

    def __init__(self, data: Path) -> None:
        self.pgdata = data / "pg"
        self.log = data / "logs" / "postgres.log"
        self.port = devserver.free_port()
        self.proc: subprocess.Popen | None = None
        self.user: str | None = None
        os.environ.setdefault("XDG_RUNTIME_DIR", str(data / "run"))
        (data / "run").mkdir(exist_ok=True, mode=0o700)
        from pgserver._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self.pgdata.mkdir(mode=0o700)
        if os.geteuid() == 0:
            import pwd

            from pgserver import utils

            self.user = "pgserver"
            utils.ensure_user_exists(self.user)
            utils.ensure_prefix_permissions(self.pgdata)
            entry = pwd.getpwnam(self.user)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        subprocess.run([str(self.bin / "initdb"), "-D", str(self.pgdata), "--auth=trust",
                        "--encoding=utf8", "-U", "postgres"], user=self.user, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.log, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1",
             "-p", str(self.port), "-k", "", "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, user=self.user, start_new_session=True)
        log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.proc.returncode}; see {self.log}")
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def kill9(self) -> None:
        """kill -9 of the postmaster and every backend (its process group)."""
        if self.proc is not None:
            kill_group(self.proc, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            kill_group(self.proc, signal.SIGINT, timeout=20)  # SIGINT: fast shutdown


class Stack:
    """Everything the suite runs against. `env` is what every child (and the driver) sees."""

    def __init__(self, data: Path, drafts: int) -> None:
        self.data = data
        self.drafts = drafts
        (data / "logs").mkdir(parents=True, exist_ok=True)
        (data / "mail").mkdir(exist_ok=True)
        self.mail_dir = data / "mail"
        self.mail_slow = data / "mail-slow"  # chaos_mail.EmailBackend sleeps while it exists
        self.pg = Postgres(data)
        self.temporal_port = devserver.free_port()
        self.web_port = devserver.free_port()
        self.temporal: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.worker_starts = 0
        self.task_queue = f"chaos-{uuid.uuid4().hex[:10]}"
        self.env = self._env()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TEMPORAL_", "LLM_", "OUTBOX_", "EMAIL_", "OPENAI_"))}
        env.update(FAST_SETTINGS)
        # One author submits each fault's drafts: room for them and a fault's extras.
        env["MAX_DRAFTS_IN_FLIGHT"] = str(max(20, self.drafts + 5))
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",  # as `make dev` runs it (plain HTTP, the development key)
            "DATABASE_URL": self.pg.url,
            "REDLINE_DATA_DIR": str(self.data),
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "TEMPORAL_NAMESPACE": "default",
            "TEMPORAL_TASK_QUEUE": self.task_queue,
            "TEMPORAL_UI_URL": "http://127.0.0.1:1",
            "WEB_PORT": str(self.web_port),
            "SITE_URL": self.base_url,
            "EMAIL_BACKEND": "chaos_mail.EmailBackend",  # filebased, slowed on request
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "scripts"),
                                                         os.environ.get("PYTHONPATH")])),
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "OPENAI_API_KEY": "",
            "OPENAI_BASE_URL": "",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "XDG_RUNTIME_DIR": str(self.data / "run"),
        })
        return env

    # ---------------------------------------------------------------- start

    def start(self) -> None:
        say(f"data in {self.data}")
        self.pg.init()
        self.pg.start()
        say(f"PostgreSQL 16 on 127.0.0.1:{self.pg.port}")
        self.start_temporal()
        say(f"Temporal dev server on 127.0.0.1:{self.temporal_port} "
            f"(store {self.data / 'temporal.db'})")
        manage = [PY, str(ROOT / "manage.py")]
        for args in (["migrate", "--no-input", "-v", "0"], ["seed_demo", "--password", PASSWORD]):
            subprocess.run([*manage, *args], env=self.env, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        say("migrated; users author, editor, editor2, admin")
        self.start_worker()
        self.web = self._spawn("web", [*manage, "runserver", "--noreload", "--skip-checks",
                                       f"127.0.0.1:{self.web_port}"])
        devserver.wait_for_port(self.web_port, timeout=60, proc=self.web)
        say(f"web on {self.base_url}, worker on task queue {self.task_queue}")

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.data / "logs" / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(args, env=self.env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return proc

    def start_temporal(self) -> None:
        self.temporal = devserver.start(self.temporal_port, db_filename=self.data / "temporal.db",
                                        log_path=self.data / "logs" / "temporal.log")

    def start_worker(self) -> subprocess.Popen:
        self.worker_starts += 1
        self.worker = self._spawn("worker", [PY, str(ROOT / "manage.py"), "run_worker"])
        return self.worker

    # ---------------------------------------------------------------- faults

    def kill_worker(self) -> None:
        assert self.worker is not None
        kill_group(self.worker, signal.SIGKILL)

    def kill_temporal(self) -> None:
        assert self.temporal is not None
        kill_group(self.temporal, signal.SIGKILL)

    def exited(self) -> list[str]:
        """Children that exited by themselves (not killed by the suite)."""
        procs = {"worker": self.worker, "web": self.web, "temporal": self.temporal,
                 "postgres": self.pg.proc}
        return [f"{name} (exit {proc.returncode})" for name, proc in procs.items()
                if proc is not None and proc.poll() is not None]

    # ---------------------------------------------------------------- stop

    def stop(self, keep: bool) -> None:
        for proc in (self.web, self.worker, self.temporal):
            if proc is not None and proc.poll() is None:
                kill_group(proc, signal.SIGTERM, timeout=15)
            elif proc is not None:
                kill_group(proc, signal.SIGKILL, timeout=5)  # stragglers of its group
        self.pg.stop()
        if not keep:
            shutil.rmtree(self.data, ignore_errors=True)
