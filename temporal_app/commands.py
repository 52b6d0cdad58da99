"""How a short-lived management command that holds a Temporal client ends.

A temporalio client can crash at interpreter exit after heavy use (sdk-python#300), so a
command run from the command line flushes its output and ends deliberately with its own exit
code. `call_command` (tests) does not come through here and returns normally.
"""

from __future__ import annotations

import os
import sys
import traceback

from django.core.management.base import BaseCommand


def exit_cleanly(command: BaseCommand, argv: list[str]) -> None:
    """Run `command` as `manage.py` would, then leave with os._exit and its exit code."""
    code = 0
    try:
        BaseCommand.run_from_argv(command, argv)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - print it, then still exit deliberately
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
