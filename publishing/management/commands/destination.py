"""`manage.py destination add | list | remove`: publishing destinations from a shell (for ops
without Django admin, and for the scripts in docs/api.md).

    destination add --name NAME --url URL [--channel C] [--secret whsec_…]
    destination list
    destination remove NAME

`add` checks the destination as the admin does (the model's full_clean: URL scheme, no
credentials in the URL, https unless DEBUG or PUBLISH_ALLOW_HTTP, channel, secret, unique
name) and prints the signing secret once, on the last line of its output. `list` never shows
a secret. `remove` deactivates: past deliveries keep pointing at the destination. Bad input:
one line on stderr, exit code 1, nothing written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from publishing.models import Destination


def one_line(error: ValidationError) -> str:
    """A ValidationError as one line: "url: Enter a valid URL. channel: …"."""
    if hasattr(error, "error_dict"):
        return " ".join(f"{'' if field == '__all__' else f'{field}: '}{' '.join(messages)}"
                        for field, messages in error.message_dict.items())
    return " ".join(error.messages)


class Command(BaseCommand):
    help = "Add, list or deactivate the destinations approved drafts are delivered to."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="add|list|remove")
        add = actions.add_parser("add", help="add a destination and print its signing secret")
        add.add_argument("--name", required=True, help="unique, shown on the draft page")
        add.add_argument("--url", required=True, help="the webhook URL (https:// in production)")
        add.add_argument("--channel", default="",
                         help="only drafts of this channel (default: every draft)")
        add.add_argument("--secret", default="",
                         help="a whsec_… signing secret (default: a new random one)")
        actions.add_parser("list", help="name, URL, channel and whether it is active")
        remove = actions.add_parser("remove", help="deactivate: it gets no more drafts")
        remove.add_argument("name")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _add(self, *, name: str, url: str, channel: str, secret: str, **_) -> None:
        destination = Destination(name=name, url=url, channel=channel)
        if secret:
            destination.secret = secret
        try:
            destination.full_clean()
        except ValidationError as error:
            raise CommandError(f"Destination not added. {one_line(error)}") from None
        destination.save()
        reach = f"drafts of channel {channel!r}" if channel else "every approved draft"
        self.stdout.write(f"Added destination {name!r}: {url} gets {reach}.\n"
                          "Its signing secret (shown only here; give it to the receiver):\n"
                          f"{destination.secret}")

    def _list(self, **_) -> None:
        rows = [(d.name, d.url, d.channel or "(every)", "yes" if d.is_active else "no")
                for d in Destination.objects.order_by("name")]
        if not rows:
            self.stdout.write("No destinations: approved drafts are not delivered anywhere.")
            return
        table = [("NAME", "URL", "CHANNEL", "ACTIVE"), *rows]
        widths = [max(len(row[column]) for row in table) for column in range(4)]
        for row in table:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths,
                                                                         strict=True)).rstrip())

    def _remove(self, *, name: str, **_) -> None:
        destination = Destination.objects.filter(name=name).first()
        if destination is None:
            raise CommandError(f"There is no destination named {name!r}; "
                               "`manage.py destination list` shows them.")
        if not destination.is_active:
            self.stdout.write(f"Destination {name!r} was already inactive.")
            return
        destination.is_active = False
        destination.save(update_fields=["is_active"])
        self.stdout.write(f"Deactivated destination {name!r}: it gets no more drafts; its past "
                          "deliveries stay on record.")
