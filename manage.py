#!/usr/bin/env python
import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Beside a running `make dev`, its settings (DEBUG, its PostgreSQL and Temporal) unless the
    # environment sets them: config/devenv.py says when and why.
    from config import devenv

    root = Path(__file__).resolve().parent
    devenv.apply(os.environ, Path(os.environ.get("REDLINE_DATA_DIR", root / ".data")))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
