from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from drafts.roles import AUTHORS, EDITORS
from review.models import Channel, Policy, PolicyStep

LEGAL = "Legal"
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


class Command(BaseCommand):
    help = ("Create (or reset the password of) the demo users (author, editor, editor2, admin, "
            "legal1-3) and the demo channels: Blog (one editor) and Press release (an editor, "
            "then 2 of 3 from Legal).")

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True)

    def handle(self, *args, password: str, **options) -> None:
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
        policy, created = Policy.objects.get_or_create(name="Press release")
        if created:
            for order, name, group, required in ((1, "Editor", EDITORS, 1),
                                                 (2, "Legal", LEGAL, 2)):
                PolicyStep.objects.create(policy=policy, order=order, name=name,
                                          group=Group.objects.get(name=group),
                                          required=required)
        Channel.objects.get_or_create(slug="press-release",
                                      defaults={"name": "Press release", "policy": policy})
        self.stdout.write("demo channels: blog, press-release")
