"""The short `make chaos` for CI (issue 11): scripts/chaos.py on its own stack (PostgreSQL,
Temporal dev server, worker, web on free ports), 4 drafts per fault, with the faults that fit
in about 90 s on 2 cores: races, hostile, postgres_restart (PostgreSQL down 5 s) and
temporal_kill. The three faults that kill the worker (worker_kill, mail_kill,
no_worker_decision) wait out its heartbeat and mail-claim timeouts, 30 s to 2 min each, and
run in the full `make chaos`.

The script runs as a subprocess; the test then reads the table it wrote, so a script whose
checks stopped checking fails here too: every fault is listed with zeros where zeros are
expected, and the control line says the checks found exactly what it planted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAULTS = ["races", "hostile", "postgres_restart", "temporal_kill"]
ZERO_COLUMNS = ["lost", "duplicated decisions", "stuck reviews"]


def table(markdown: str) -> list[dict[str, str]]:
    """The rows of the results table, by column name."""
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")),
                     strict=True)) for line in lines[1:]]


def test_the_table_parser_reads_what_the_script_writes():
    markdown = ("| fault | drafts in flight | lost | notes |\n|---|---|---|---|\n"
                "| races | 4 | 0 | answers 200/409 |\n")
    assert table(markdown) == [{"fault": "races", "drafts in flight": "4", "lost": "0",
                                "notes": "answers 200/409"}]


def test_short_chaos_run_loses_duplicates_and_strands_nothing(tmp_path):
    results = tmp_path / "chaos.md"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "chaos.py"), "--drafts", "4",
         "--only", ",".join(FAULTS), "--pg-down", "5", "--results", str(results)],
        # The stack runs on the production default of persistent connections (settings),
        # not the tests' CONN_MAX_AGE=0: a PostgreSQL restart must not strand one.
        env={k: v for k, v in os.environ.items() if k != "CONN_MAX_AGE"},
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = proc.communicate(timeout=400)
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: the script stops the stack it started
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output[-8000:]
    markdown = results.read_text()
    rows = table(markdown)
    assert [row["fault"] for row in rows] == FAULTS, markdown
    for row in rows:
        drafts = int(row["drafts in flight"])
        assert drafts >= 4, row
        for column in ZERO_COLUMNS:
            assert row[column] == "0", (column, row)
        assert row["duplicated events / versions / mails"] == "0 / 0 / 0", row
        finals = dict((name, int(n)) for name, n in
                      (part.rsplit(" ", 1) for part in row["final states"].split(", ")))
        assert sum(finals.values()) == drafts, row
        assert "PROBLEM" not in row["notes"] and "DEFECT" not in row["notes"], row
    postgres = next(row for row in rows if row["fault"] == "postgres_restart")
    assert "×503" in postgres["notes"] and "×500" not in postgres["notes"], postgres
    control = re.search(r"the checks found (.*) \(as planted\)", markdown)
    assert control, markdown
    assert all(part.endswith(" 1") for part in control.group(1).split(", ")), control.group(1)
