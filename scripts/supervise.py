"""Start child processes, stop them all together: on SIGINT/SIGTERM, or when one exits.
Used by `make dev` (scripts/dev.py) and `make serve` (scripts/serve.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable


class Supervisor:
    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.children: list[subprocess.Popen] = []
        signal.signal(signal.SIGINT, self.stop_all)
        signal.signal(signal.SIGTERM, self.stop_all)

    def spawn(self, args: list[str], env: dict, cwd) -> subprocess.Popen:
        proc = subprocess.Popen(args, env=env, cwd=cwd, start_new_session=True)
        self.children.append(proc)
        return proc

    def adopt(self, proc: subprocess.Popen) -> None:
        self.children.append(proc)

    def stop_all(self, *_args) -> None:
        for proc in reversed(self.children):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for proc in reversed(self.children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.say("stopped everything it started")
        sys.exit(0)

    def watch(self) -> None:
        """Until a child exits; then stop the rest."""
        while True:
            for proc in self.children:
                if proc.poll() is not None:
                    self.say(f"{' '.join(map(str, proc.args[:4]))}… exited with "
                             f"{proc.returncode}; stopping the rest")
                    self.stop_all()
            time.sleep(0.5)
