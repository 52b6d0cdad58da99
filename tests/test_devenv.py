"""config/devenv.py: when a second shell's manage.py takes the running `make dev`'s settings,
and when it must not (production strict, a stopped stack, the environment's own values)."""

from __future__ import annotations

import os
import subprocess
import sys

from config import devenv


def _file(tmp_path, pid: int, **values: str):
    env = {"DEBUG": "true", "DATABASE_URL": "postgresql://postgres:@/postgres?host=/x",
           "TEMPORAL_ADDRESS": "127.0.0.1:7300", **values}
    return devenv.write(tmp_path, env, pid)


def test_a_running_stack_fills_what_the_environment_does_not_set(tmp_path, capsys):
    _file(tmp_path, os.getpid())
    environ = {"TEMPORAL_ADDRESS": "mine:7233"}
    assert devenv.apply(environ, tmp_path) == ["DEBUG", "DATABASE_URL"]
    assert environ == {"TEMPORAL_ADDRESS": "mine:7233", "DEBUG": "true",
                       "DATABASE_URL": "postgresql://postgres:@/postgres?host=/x"}
    said = capsys.readouterr().err
    assert "using the running `make dev` stack" in said and "DEBUG, DATABASE_URL" in said


def test_a_stopped_stacks_file_is_ignored(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    _file(tmp_path, int(done.stdout))  # that process has exited
    environ: dict[str, str] = {}
    assert devenv.apply(environ, tmp_path) == [] and environ == {}


def test_production_and_the_test_suite_never_read_it(tmp_path):
    _file(tmp_path, os.getpid())
    for environ in ({"DEBUG": "false"}, {"DEBUG": "0"}, {"REDLINE_DEV_ENV": "off"}):
        before = dict(environ)
        assert devenv.apply(environ, tmp_path) == [] and environ == before


def test_no_file_nothing_applied(tmp_path):
    environ: dict[str, str] = {}
    assert devenv.apply(environ, tmp_path) == [] and environ == {}


def test_only_addresses_and_debug_are_written_never_a_secret(tmp_path):
    _file(tmp_path, 42, SECRET_KEY="s" * 60, OPENAI_API_KEY="sk-x", TEMPORAL_API_KEY="k",
          EMAIL_HOST_PASSWORD="p")
    text = devenv.path(tmp_path).read_text()
    assert "SECRET" not in text and "sk-x" not in text and "API_KEY" not in text
    assert "PASSWORD" not in text
    assert oct(devenv.path(tmp_path).stat().st_mode & 0o777) == "0o600"


def test_remove_leaves_a_newer_stacks_file(tmp_path):
    _file(tmp_path, 111)
    assert devenv.remove(tmp_path, 222).startswith("left ")
    assert devenv.path(tmp_path).exists()
    assert devenv.remove(tmp_path, 111) == f"removed {devenv.path(tmp_path)}"
    assert not devenv.path(tmp_path).exists()
