"""`make dev` as a new user meets it, as real processes: scripts/dev.py starts its own
embedded PostgreSQL, Temporal dev server, worker and web (free ports, data in a temp dir);
every `.venv/bin/python manage.py …` command that README.md and docs/ print is taken from
their text and run as printed in a "second shell" (an environment with none of the stack's
settings: no DEBUG, no DATABASE_URL, no Temporal address); then Ctrl-C stops the parts in
order, each waited for, without the worker retrying against a stopped Temporal.

The one thing the harness adds to the commands' environment is REDLINE_DATA_DIR, where this
stack keeps its data (a developer's `make dev` uses .data/, the default)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from temporal_app import devserver

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = ".venv/bin/python manage.py "


def documented_commands() -> list[tuple[str, str]]:
    """(where, command) for every manage.py line in a fenced block of README.md and docs/,
    in reading order; continuation lines joined, trailing comments dropped. Lines with shell
    variables belong to a script that sets them first (docs/api.md's walk-through)."""
    found = []
    for doc in DOCS:
        in_block, pending = False, ""
        for number, line in enumerate(doc.read_text().splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_block, pending = not in_block, ""
                continue
            if not in_block:
                continue
            line = pending + line.strip()
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            pending = ""
            if line.startswith(COMMAND) and "$" not in line:
                command = re.sub(r"\s+#.*$", "", line).strip()
                found.append((f"{doc.relative_to(ROOT)}:{number}", command))
    return found


def _shell_env() -> dict[str, str]:
    """A user's shell: none of the stack's settings, only what any terminal has."""
    return {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}


class Stack:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.ports = {name: devserver.free_port()
                      for name in ("WEB_PORT", "TEMPORAL_PORT", "TEMPORAL_UI_PORT")}
        self.lines: list[str] = []
        self.ready = threading.Event()
        env = _shell_env()
        env |= {"REDLINE_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1",
                **{name: str(port) for name, port in self.ports.items()}}
        self.proc = subprocess.Popen([sys.executable, "scripts/dev.py"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("[make dev] ready"):
                self.ready.set()
        self.ready.set()

    def output(self) -> str:
        return "\n".join(self.lines)

    def second_shell(self, command: str) -> subprocess.CompletedProcess:
        """`command` run by bash in the checkout, as a user types it in another terminal."""
        env = _shell_env()
        env["REDLINE_DATA_DIR"] = str(self.data)
        return subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)


@pytest.fixture(scope="module")
def stack():
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.fail("the README's commands run .venv/bin/python: run the tests through make test")
    # Not pytest's tmp_path: as root, pgserver runs PostgreSQL as another user, who must be
    # able to reach the data directory.
    data = Path(tempfile.mkdtemp(prefix="redline-devstack-"))
    data.chmod(0o755)
    stack = Stack(data)
    try:
        assert stack.ready.wait(240), stack.output()
        assert stack.proc.poll() is None, f"make dev exited:\n{stack.output()}"
        yield stack
    finally:
        if stack.proc.poll() is None:
            os.killpg(stack.proc.pid, signal.SIGKILL)
        shutil.rmtree(data, ignore_errors=True)


def test_readme_and_docs_print_the_commands_this_test_runs():
    where = {command: place for place, command in documented_commands()}
    assert any("pending_workflows --state awaiting_review" in c for c in where), where
    assert any(c.endswith("manage.py reconcile") for c in where), where
    assert any("destination add" in c for c in where), where


def test_the_documented_admin_commands_work_beside_make_dev(stack):
    # Something to look at: a topic submitted from a second shell too, through the service.
    submitted = stack.second_shell(
        ".venv/bin/python manage.py shell -c \"from django.contrib.auth.models import User; "
        "from drafts.services import submit_draft; "
        "print(submit_draft(author=User.objects.get(username='author'), "
        "topic='Tide pools')[0].pk)\"")
    assert submitted.returncode == 0, submitted.stderr
    deadline = time.monotonic() + 60
    while True:
        checked = stack.second_shell(".venv/bin/python manage.py pending_workflows --json")
        assert checked.returncode == 0, checked.stderr
        if '"awaiting_review"' in checked.stdout:
            break
        assert time.monotonic() < deadline, checked.stdout
        time.sleep(0.5)

    for place, command in documented_commands():
        done = stack.second_shell(command)
        assert done.returncode == 0, f"{place}: {command}\n{done.stdout}\n{done.stderr}"
        assert "using the running `make dev` stack" in done.stderr, (place, done.stderr)
        assert "Traceback" not in done.stderr, (place, done.stderr)
        if command.endswith("manage.py reconcile"):
            assert "Checked 1 draft in a non-final state: 0 mismatches." in done.stdout, \
                done.stdout


def test_ctrl_c_stops_web_workers_temporal_then_postgresql(stack):
    settings_file = stack.data / "dev.env"
    assert settings_file.exists()
    pid_file = stack.data / "pg" / "postmaster.pid"
    postgres_pid = int(pid_file.read_text().split()[0])
    before = len(stack.lines)
    stack.proc.send_signal(signal.SIGINT)  # what a terminal's Ctrl-C sends dev.py
    stack.proc.wait(60)
    said = stack.lines[before:]
    stops = [line for line in said if line.startswith("[make dev] ")]
    names = [re.sub(r" \(.*$", "", line.removeprefix("[make dev] ")) for line in stops]
    assert names[:-1] == ["stopped web", "stopped worker", "stopped Temporal",
                          f"removed {settings_file}", "stopped PostgreSQL"], said
    assert names[-1].startswith("stopped everything it started in"), said
    # The worker drained while Temporal still ran: nothing retried against a closed port.
    noise = [line for line in said if re.search(
        r"respond_activity_task|Failed completing|Connection refused|transport error|Traceback",
        line)]
    assert not noise, said
    assert stack.proc.returncode == 0
    assert not settings_file.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(postgres_pid, 0)
    # With the stack gone, the same command is production-strict again: it refuses.
    done = stack.second_shell(".venv/bin/python manage.py reconcile")
    assert done.returncode != 0 and "SECRET_KEY is not set" in done.stderr, done.stderr
