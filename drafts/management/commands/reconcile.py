"""`manage.py reconcile [--fix]`: compare every draft the database holds in a non-final state
with its Temporal workflow, report each disagreement, and with --fix repair it from the
workflow's truth (drafts/reconcile.py says how).

A running review whose pending activity keeps failing (past --retry-threshold attempts) is
reported too; --fix cannot repair that, so it keeps the exit code at 1.

Exit codes: 0 everything agrees; 1 mismatches were found (with --fix: even when all were
repaired, so a scheduled run still alerts that drift happened); 2 Temporal could not be reached.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from drafts import reconcile
from temporal_app import errors
from temporal_app.commands import exit_cleanly


class Command(BaseCommand):
    help = ("Compare drafts in a non-final state with Temporal (workflow missing, closed while "
            "the database says pending, state differs); --fix repairs from the workflow.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--fix", action="store_true",
                            help="repair each mismatch from the workflow's truth")
        parser.add_argument("--draft", type=int, action="append", dest="drafts", metavar="ID",
                            help="check only this draft (repeatable)")
        parser.add_argument("--settle", type=float, default=2.0, metavar="SECONDS",
                            help="re-check mismatches after this long before reporting them, "
                                 "to skip drafts caught mid-step (default 2)")
        parser.add_argument("--retry-threshold", type=int, default=5, metavar="N",
                            help="also report a running review whose pending activity is past "
                                 "attempt N (default 5; 0 turns it off)")
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")

    def run_from_argv(self, argv) -> None:
        exit_cleanly(self, argv)

    def handle(self, *args, **options) -> None:
        try:
            checked, findings = reconcile.find_mismatches(draft_ids=options["drafts"],
                                                          settle=options["settle"],
                                                          retry_threshold=options["retry_threshold"])
        except errors.EngineUnavailable as err:
            raise CommandError(str(err), returncode=2) from err

        if options["fix"]:
            for finding in findings:
                try:
                    finding.fixed = reconcile.repair(finding)
                except errors.RedlineError as err:
                    finding.fix_failed = str(err)

        failed = [f for f in findings if not f.fixed]
        if options["json"]:
            self.stdout.write(json.dumps({"checked": checked, "fix": options["fix"],
                                          "mismatches": [f.as_json() for f in findings]},
                                         indent=2))
        else:
            for f in findings:
                self.stdout.write(f"draft #{f.draft_id} [{f.kind}] {f.detail}")
                if f.fixed:
                    self.stdout.write(self.style.SUCCESS(f"  fixed: {f.fixed}"))
                elif f.fix_failed:
                    self.stdout.write(self.style.ERROR(f"  NOT fixed: {f.fix_failed}"))
            summary = (f"Checked {checked} draft{'s' if checked != 1 else ''} in a non-final "
                       f"state: {len(findings)} mismatch{'es' if len(findings) != 1 else ''}")
            if options["fix"] and findings:
                summary += f", {len(findings) - len(failed)} repaired"
            self.stdout.write(summary + ".")
        if failed:
            what = "could not be repaired" if options["fix"] else "found (run with --fix to " \
                "repair them)"
            raise CommandError(f"{len(failed)} mismatch{'es' if len(failed) != 1 else ''} "
                               f"{what}.", returncode=1)
        if findings:
            raise CommandError(f"{len(findings)} mismatch{'es' if len(findings) != 1 else ''} "
                               "found and repaired.", returncode=1)
