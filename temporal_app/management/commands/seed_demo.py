from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from drafts.roles import AUTHORS, EDITORS

DEMO_USERS = [
    # username, groups, staff
    ("author", [AUTHORS], False),
    ("editor", [EDITORS], False),
    ("editor2", [EDITORS], False),
    ("admin", [AUTHORS, EDITORS], True),
]


class Command(BaseCommand):
    help = "Create (or reset the password of) the demo users author, editor, editor2 and admin."

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
