"""manage.py seed_history: closed reviews from the past, for Insights (review/history.py)."""

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from drafts.roles import AUTHORS, EDITORS
from review import history
from review.models import Channel


def seed(drafts: int, days: int, seed_value: int = 24, write=None) -> tuple[int, int]:
    """Seed `drafts` closed reviews over `days` days among the site's authors, editors and
    channels. Raises CommandError when there is nobody to write or decide them."""
    authors = list(User.objects.filter(groups__name=AUTHORS).values_list("pk", flat=True))
    editors = list(User.objects.filter(groups__name=EDITORS).values_list("pk", flat=True))
    if not authors or not editors:
        raise CommandError("There are no authors or no editors to write the history with: "
                           "run `manage.py seed_demo --password …` first, or add users to "
                           f"the {AUTHORS} and {EDITORS} groups.")
    channels = list(Channel.objects.values_list("slug", flat=True)) or [""]
    return history.seed(drafts=drafts, days=days, authors=authors, editors=editors,
                        channels=channels, seed_value=seed_value,
                        progress=(lambda d, e: write(f"  {d:,} drafts, {e:,} events"))
                        if write else None)


def _positive(limit: int):
    def parse(raw: str) -> int:
        if not raw.isdigit() or not 1 <= int(raw) <= limit:
            raise ValueError
        return int(raw)
    parse.__name__ = f"whole number from 1 to {limit:,}"
    return parse


class Command(BaseCommand):
    help = ("Write closed reviews from the past (approved, some after changes or edits, "
            "rejected, expired, withdrawn), spread over the last DAYS days, so Insights has a "
            "history to show (bench/insights.py seeds 100,000). Each run adds to what is there.")

    def add_arguments(self, parser):
        parser.add_argument("--drafts", type=_positive(1_000_000), default=600)
        parser.add_argument("--days", type=_positive(730), default=120)
        parser.add_argument("--seed", dest="seed_value", type=int, default=24,
                            help="the same seed, the same history")

    def handle(self, *args, drafts: int, days: int, seed_value: int, **options) -> None:
        written, events = seed(drafts, days, seed_value, self.stdout.write)
        self.stdout.write(self.style.SUCCESS(
            f"wrote {written:,} closed reviews ({events:,} events) over the last {days} days"))
