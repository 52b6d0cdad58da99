"""The running `make dev` stack's settings, for commands typed in a second shell.

`make dev` turns DEBUG on and points at its embedded PostgreSQL and Temporal dev server only
for its own children. So that `.venv/bin/python manage.py reconcile` (README, "Admins") works
as printed beside it, `make dev` writes the settings it gave them to `.data/dev.env` and
removes the file when it stops; `manage.py` reads it (`apply`) only while that `make dev` is
still running, never a variable the environment already sets, and never when the environment
says `DEBUG=false`. Production stays strict: it has no running `make dev` in its checkout,
and a stale file from a stopped one is ignored. No secret is ever written here: the file
holds addresses and DEBUG, nothing else (`KEYS`).

Stdlib only: manage.py imports it before Django is set up.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

FILENAME = "dev.env"
PID = "REDLINE_DEV_PID"  # the make dev process whose settings these are
SWITCH = "REDLINE_DEV_ENV"  # off: never read the file (pytest sets it, pyproject.toml)
# The settings make dev's children get that a second shell's command needs; none is secret
# (an embedded PostgreSQL trusts local connections; the dev server has no credentials).
KEYS = ("DEBUG", "DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_UI_URL",
        "TEMPORAL_TASK_QUEUE", "TEMPORAL_LLM_TASK_QUEUE", "SITE_URL")
_FALSE = {"0", "false", "no", "off", ""}


def path(data_dir: Path) -> Path:
    return Path(data_dir) / FILENAME


def write(data_dir: Path, env: dict[str, str], pid: int) -> Path:
    """Write the settings of `env` that KEYS names, for the make dev running as `pid`."""
    target = path(data_dir)
    lines = [f"# Written by `make dev` (pid {pid}) for commands run beside it; removed when it",
             "# stops. manage.py reads it only while that make dev runs (config/devenv.py).",
             f"{PID}={pid}"]
    lines += [f"{key}={env[key]}" for key in KEYS if env.get(key)]
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.chmod(0o600)
    tmp.replace(target)
    return target


def remove(data_dir: Path, pid: int) -> str:
    """Remove the file if it is still this make dev's (a newer one may have replaced it);
    the sentence says which."""
    target = path(data_dir)
    if read(target).get(PID) != str(pid):
        return f"left {target}: another make dev wrote it"
    target.unlink(missing_ok=True)
    return f"removed {target}"


def read(file: Path) -> dict[str, str]:
    try:
        text = file.read_text()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values


def _alive(pid: str | None) -> bool:
    try:
        os.kill(int(pid or ""), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def apply(environ: MutableMapping[str, str], data_dir: Path) -> list[str]:
    """Fill `environ` from a running make dev's file; return the keys it set (and say which
    on stderr). Nothing when the environment says DEBUG=false, when there is no file, or when
    the make dev that wrote it has stopped."""
    if environ.get(SWITCH, "on").strip().lower() in _FALSE:
        return []  # the test suite's processes: never a developer's running stack
    if "DEBUG" in environ and environ["DEBUG"].strip().lower() in _FALSE:
        return []
    file = path(data_dir)
    values = read(file)
    if not values or not _alive(values.get(PID)):
        return []
    applied = [key for key in KEYS if key in values and key not in environ]
    for key in applied:
        environ[key] = values[key]
    if applied:
        print(f"manage.py: using the running `make dev` stack (pid {values[PID]}): "
              f"{', '.join(applied)} from {file}", file=sys.stderr)
    return applied
