"""`manage.py pending_workflows`: running review workflows, read from Temporal visibility.

A table for people, `--json` for scripts. Exit codes: 0 listed (possibly nothing),
2 bad arguments or Temporal unreachable.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from temporal_app import errors, visibility
from temporal_app.commands import exit_cleanly


class Command(BaseCommand):
    help = ("List running review workflows from Temporal visibility: state, revision, age, "
            "deadline. Filters: --state, --older-than, --deadline-within.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--state", choices=visibility.STATES,
                            help="only workflows in this review state")
        parser.add_argument("--older-than", metavar="DURATION",
                            help="started longer ago than this (12h, 90m, 2d; a bare number is "
                                 "hours)")
        parser.add_argument("--deadline-within", metavar="DURATION",
                            help="review deadline at most this far ahead (e.g. 2h)")
        parser.add_argument("--task-queue", metavar="NAME",
                            help="task queue (default: TEMPORAL_TASK_QUEUE; '*' for all)")
        parser.add_argument("--limit", type=int, default=0,
                            help="stop after this many rows (default: all)")
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")

    def run_from_argv(self, argv) -> None:
        exit_cleanly(self, argv)

    def handle(self, *args, **options) -> None:
        try:
            flt = visibility.PendingFilter(
                state=options["state"],
                older_than=visibility.parse_hours(options["older_than"], "--older-than"),
                deadline_within=visibility.parse_hours(options["deadline_within"],
                                                       "--deadline-within"),
                task_queue=options["task_queue"],
            )
            counts, total = visibility.pending_counts(flt)
            rows = []
            for row in visibility.iter_pending(flt):
                rows.append(row)
                if options["limit"] and len(rows) >= options["limit"]:
                    break
        except visibility.FilterError as err:
            raise CommandError(str(err), returncode=2) from err
        except errors.EngineUnavailable as err:
            raise CommandError(str(err), returncode=2) from err

        if options["json"]:
            self.stdout.write(json.dumps({
                "query": visibility.build_query(flt),
                "task_queue": flt.queue,
                "total": total,
                "counts": counts,
                "workflows": [r.as_json() for r in rows],
            }, indent=2))
            return
        self._table(flt, rows, counts, total)

    def _table(self, flt, rows, counts, total) -> None:
        where = f"task queue {flt.queue}" if flt.queue else "every task queue"
        per_state = ", ".join(f"{s} {n}" for s, n in counts.items()) or "none"
        self.stdout.write(f"{total} running review workflow{'s' if total != 1 else ''} on "
                          f"{where} (by state: {per_state}).")
        if not rows:
            return
        header = ("DRAFT", "STATE", "REV", "STEP", "AGE", "DEADLINE (UTC)", "DUE", "WORKFLOW")
        lines = [header] + [
            (str(r.draft_id or "?"), r.state, str(r.revision), str(r.step or "-"), r.age_text,
             r.deadline.strftime("%Y-%m-%d %H:%M") if r.deadline else "-",
             r.deadline_in_text or "-", r.workflow_id)
            for r in rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        for line in lines:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths,
                                                                        strict=True)).rstrip())
        if len(rows) < total:
            self.stdout.write(f"({len(rows)} shown.)")
