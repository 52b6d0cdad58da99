"""`manage.py channel SLUG --show | --set-checks FILE.toml`: a channel's settings and its
checks before a human reads (rulebook.checks, docs/checks.md), from a TOML file an admin
keeps in git. --set-checks validates the whole file first and says what is wrong line by
line (nothing is written then); it creates the channel when it does not exist yet."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from review.models import Channel
from rulebook import check_file, checks, delivery


class Command(BaseCommand):
    help = ("Show a channel (--show) or set its checks from a TOML file (--set-checks FILE; "
            "--set-checks - for the site's defaults). Creates the channel if needed.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the channel's slug, e.g. press-release")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--show", action="store_true",
                          help="print the channel and its checks as TOML")
        what.add_argument("--set-checks", metavar="FILE",
                          help="the checks file (TOML [[checks]] tables); '-' clears them: "
                               "the site's defaults apply")
        parser.add_argument("--name", help="the channel's name, when it is created")

    def handle(self, *args, slug: str, show: bool, set_checks: str | None,
               name: str | None, **options) -> None:
        if problem := delivery.channel_problem(slug):
            raise CommandError(problem)
        if show:
            self._show(slug)
        else:
            self._set(slug, set_checks or "", name)

    def _show(self, slug: str) -> None:
        channel = Channel.objects.filter(slug=slug).select_related("policy").first()
        if channel is None:
            raise CommandError(f"There is no channel '{slug}'. Create it with "
                               f"--set-checks FILE.")
        out = self.stdout
        out.write(f"# Channel {channel.slug}: {channel.name}"
                  f"{'' if channel.is_active else ' (inactive)'}")
        out.write(f"# Review policy: {channel.policy or 'the default (one editor decides)'}")
        budget = [f"{channel.budget_tokens:,} tokens" if channel.budget_tokens is not None
                  else "", f"USD {channel.budget_usd}" if channel.budget_usd is not None else ""]
        out.write(f"# Budget: {' / '.join(b for b in budget if b) or 'the site default'}")
        if channel.checks_toml.strip():
            out.write("# Checks: its own file\n")
            out.write(channel.checks_toml.rstrip("\n"))
        else:
            out.write("# Checks: none of its own; the site's defaults apply\n")
            out.write(check_file.to_toml(checks.DEFAULT_CHECKS).rstrip("\n"))

    def _set(self, slug: str, path: str, name: str | None) -> None:
        source = ""
        if path != "-":
            file = Path(path)
            try:
                source = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise CommandError(f"{path}: cannot be read ({err}). Nothing was changed.") \
                    from None
            try:
                parsed = check_file.parse(source)
            except check_file.ChecksError as err:
                lines = "\n".join(f"{path}:{p}" for p in err.problems)
                raise CommandError(f"{path} was not loaded, nothing was changed:\n{lines}") \
                    from None
            if not parsed:
                raise CommandError(f"{path} has no [[checks]] tables; to use the site's "
                                   "defaults, pass --set-checks -. Nothing was changed.")
        with transaction.atomic():
            channel, created = Channel.objects.select_for_update().get_or_create(
                slug=slug, defaults={"name": name or slug.replace("-", " ").capitalize()})
            channel.checks_toml = source
            channel.full_clean()
            channel.save(update_fields=["checks_toml"])
        count = len(check_file.parse(source)) if source else 0
        what = f"{count} check{'s' if count != 1 else ''} from {path}" if source \
            else "the site's default checks"
        self.stdout.write(f"{'Created' if created else 'Updated'} channel {slug}: {what}. "
                          "Drafts submitted from now on get them.")
