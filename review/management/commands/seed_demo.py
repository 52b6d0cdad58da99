from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from drafts.models import Draft
from drafts.roles import AUTHORS, EDITORS
from review import history
from review.management.commands.seed_history import seed as seed_history
from review.models import Channel, Policy, PolicyStep

LEGAL = "Legal"
HISTORY_TOPIC = history.TOPIC
DEMO_USERS = [
    # username, groups, staff
    ("author", [AUTHORS], False),
    ("editor", [EDITORS], False),
    ("editor2", [EDITORS], False),
    ("admin", [AUTHORS, EDITORS], True),
    ("legal1", [LEGAL], False),
    ("legal2", [LEGAL], False),
    ("legal3", [LEGAL], False),
]
# The "Press release" policy: an editor, then 2 of 3 from Legal, then the partner (no account)
# by email, through a signed link (review/outside.py; on `make dev` the mail is printed).
PARTNER_EMAIL = "partner@example.com"
PRESS_RELEASE = [
    # order, step, group, approvals, outside approvers
    (1, "Editor", EDITORS, 1, ""),
    (2, "Legal", LEGAL, 2, ""),
    (3, "Partner", "", 1, PARTNER_EMAIL),
]


class Command(BaseCommand):
    help = ("Create (or reset the password of) the demo users (author, editor, editor2, admin, "
            "legal1-3) and the demo channels: Blog (one editor) and Press release (an editor, "
            f"then 2 of 3 from Legal, then the partner {PARTNER_EMAIL} by signed link).")

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True)
        parser.add_argument("--history", action="store_true",
                            help="also fill the last four months with closed reviews for "
                                 "Insights (600 drafts; once: skipped when they are there)")

    def handle(self, *args, password: str, history: bool = False, **options) -> None:
        for username, groups, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"})
            user.is_staff = user.is_superuser = staff
            user.set_password(password)
            user.save()
            for name in groups:
                user.groups.add(Group.objects.get_or_create(name=name)[0])
            self.stdout.write(f"{'created' if created else 'updated'} demo user {username}")
        Channel.objects.get_or_create(slug="blog", defaults={"name": "Blog"})
        policy, _ = Policy.objects.get_or_create(name="Press release")
        for order, name, group, required, outside in PRESS_RELEASE:
            PolicyStep.objects.update_or_create(
                policy=policy, order=order, defaults={
                    "name": name, "required": required, "outside_emails": outside,
                    "group": Group.objects.get(name=group) if group else None})
        Channel.objects.get_or_create(slug="press-release",
                                      defaults={"name": "Press release", "policy": policy})
        self.stdout.write("demo channels: blog, press-release")
        if history:
            self._history()

    def _history(self) -> None:
        if Draft.objects.filter(topic=HISTORY_TOPIC).exists():
            self.stdout.write("demo history: already there")
            return
        drafts, events = seed_history(600, 120)
        self.stdout.write(f"demo history: {drafts} closed reviews, {events} events over the "
                          f"last 120 days (Insights)")
