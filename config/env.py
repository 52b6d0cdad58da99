"""Reading settings from the environment: durations, booleans, lists, database URLs."""

from __future__ import annotations

import atexit
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: str) -> float:
    """'90' → 90 s, '20m', '24h', '2d', '500ms' → seconds (float)."""
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90, 30s, 20m, 24h, 2d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def env_duration(name: str, default: str) -> float:
    return parse_duration(os.environ.get(name) or default)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (os.environ.get(name) or default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """postgres://user:pass@host:port/name?host=/socket/dir → Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, got scheme {parts.scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host = query.pop("host", None) or unquote(parts.hostname or "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": query,
    }


def embedded_database_url(data_dir: Path) -> str:
    """Start (or join) the pgserver PostgreSQL in data_dir and return its URL.

    pgserver keeps a list of the processes using the server and stops it when the last one
    exits, so `make dev` and a test run each leave nothing behind.
    """
    runtime_dir = data_dir.parent / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import pgserver  # imported lazily: only when no DATABASE_URL is given

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir))
    # A process that ended with os._exit (the worker, the CLI commands) never unregistered;
    # forget dead ones now and again at exit (this atexit hook runs before pgserver's own), so
    # the last live user still stops the server.
    _forget_dead_users(server)
    atexit.register(_forget_dead_users, server)
    return server.get_uri()


def stop_embedded(data_dir: Path) -> str:
    """Stop the pgserver PostgreSQL in data_dir if this process is its last live user; the
    sentence says what happened (another live process, e.g. a test run, keeps it running)."""
    import pgserver
    import psutil

    server = pgserver.get_server(str(data_dir))
    _forget_dead_users(server)
    others = [pid for pid in server.global_process_id_list.get() if pid != os.getpid()]
    if others:
        return (f"left PostgreSQL running: {len(others)} other process"
                f"{'es use' if len(others) > 1 else ' uses'} it")
    pid = server.get_pid()
    server.cleanup()  # with cleanup_mode "stop": pg_ctl -w stop, data kept
    if pid:
        try:  # pg_ctl returns once the pid file is gone; the process ends a moment later
            psutil.Process(pid).wait(timeout=10)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            return f"PostgreSQL (pid {pid}) did not stop"
    return "stopped PostgreSQL"


def _forget_dead_users(server) -> None:
    import psutil

    users = server.global_process_id_list
    users.put([pid for pid in users.get() if psutil.pid_exists(pid)])
