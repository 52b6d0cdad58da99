"""Start child processes, stop them in order: on SIGINT/SIGTERM, or when one exits.
Used by `make dev` (scripts/dev.py) and `make serve` (scripts/serve.py).

Parts stop one at a time, the last started first, each waited for before the next is asked:
the web stops taking requests, then the workers drain (a worker finishing an activity still
reports it to Temporal), then Temporal, then whatever was registered with `finally_` (the
embedded PostgreSQL). One line per part says how long it took.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

# How long one part may take to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 20.0


@dataclass
class Part:
    name: str
    proc: subprocess.Popen


class Supervisor:
    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.parts: list[Part] = []
        self.finals: list[tuple[str, Callable[[], str]]] = []
        self.stopping = False
        signal.signal(signal.SIGINT, self.stop_all)
        signal.signal(signal.SIGTERM, self.stop_all)

    def spawn(self, name: str, args: list[str], env: dict, cwd) -> subprocess.Popen:
        # Its own session: a terminal's Ctrl-C reaches this process only, which stops the
        # parts in order (the terminal would otherwise signal them all at once).
        proc = subprocess.Popen(args, env=env, cwd=cwd, start_new_session=True)
        self.parts.append(Part(name, proc))
        return proc

    def adopt(self, name: str, proc: subprocess.Popen) -> None:
        self.parts.append(Part(name, proc))

    def finally_(self, name: str, stop: Callable[[], str]) -> None:
        """After every process: `stop()` returns the line that says what it did."""
        self.finals.append((name, stop))

    def stop_all(self, *_args) -> None:
        if self.stopping:  # a second signal (make forwards SIGTERM too): already under way
            return
        self.stopping = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        started = time.monotonic()
        for part in reversed(self.parts):
            self.say(self._stop(part))
        for name, stop in reversed(self.finals):
            begun = time.monotonic()
            try:
                said = stop()
            except Exception as err:  # noqa: BLE001 - say it, and go on stopping the rest
                said = f"{name}: could not stop it ({err})"
            self.say(f"{said} ({time.monotonic() - begun:.1f} s)")
        self.say(f"stopped everything it started in {time.monotonic() - started:.1f} s")
        sys.exit(0)

    def _stop(self, part: Part) -> str:
        begun = time.monotonic()
        if part.proc.poll() is not None:
            return f"{part.name} had already exited ({part.proc.returncode})"
        try:
            os.killpg(part.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            part.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(part.proc.pid, signal.SIGKILL)
            part.proc.wait()
            return f"{part.name} killed after {STOP_TIMEOUT:.0f} s"
        return f"stopped {part.name} ({time.monotonic() - begun:.1f} s)"

    def watch(self) -> None:
        """Until a child exits; then stop the rest."""
        while True:
            for part in self.parts:
                if part.proc.poll() is not None and not self.stopping:
                    self.say(f"{part.name} exited with {part.proc.returncode}; "
                             f"stopping the rest")
                    self.stop_all()
            time.sleep(0.5)
