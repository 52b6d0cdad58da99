"""Roles: group Authors, group Editors; admin = staff (and may do what both do)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from rulebook.policies import EDITORS_GROUP

AUTHORS = "Authors"
EDITORS = EDITORS_GROUP  # the default review policy's reviewers (rulebook.policies)


def user_groups(user) -> set[str]:
    """The user's group names, read once per user object (one request), with which of them
    a policy step escalates to (escalation_groups) in the same query."""
    if not hasattr(user, "_redline_groups"):
        from django.db.models import Exists, OuterRef

        from review.models import PolicyStep

        rows = user.groups.annotate(escalates=Exists(PolicyStep.objects.filter(
            escalate_to=OuterRef("pk")))).values_list("name", "escalates")
        user._redline_groups = {name for name, _ in rows}
        user._redline_escalation_groups = frozenset(name for name, escalates in rows
                                                    if escalates)
    return user._redline_groups


def escalation_groups(user) -> frozenset[str]:
    """The user's groups that a policy step escalates to: a step that escalated may let them
    decide too (drafts.selectors.at_steps_of)."""
    user_groups(user)
    return user._redline_escalation_groups


def reviewer_groups(user) -> frozenset[str]:
    """The groups a reviewer decides for at a policy step: theirs, and Editors for admins
    (who may do what editors do). The rulebook says which step each group decides."""
    groups = user_groups(user)  # cached on the user for the request
    return frozenset(groups | {EDITORS_GROUP}) if is_admin(user) else frozenset(groups)

def is_admin(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff


def is_author(user) -> bool:
    return is_admin(user) or (user.is_authenticated and AUTHORS in user_groups(user))


def is_editor(user) -> bool:
    """Reviews drafts: an editor, an admin, or a member of a group a review policy's step
    names (review.models.PolicyStep), who decides at that step."""
    if is_admin(user):
        return True
    if not user.is_authenticated:
        return False
    groups = user_groups(user)
    return EDITORS in groups or bool(groups & _step_groups(user))


def _step_groups(user) -> set[str]:
    if not hasattr(user, "_redline_step_groups"):
        from review.models import PolicyStep

        # a step's own group and the group it escalates to, in one query
        rows = PolicyStep.objects.values_list("group__name", "escalate_to__name")
        user._redline_step_groups = {name for row in rows for name in row if name}
    return user._redline_step_groups


def role_required(check, message: str):
    """Anonymous → login page; signed in without the role → 403 with `message`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Said by the web (403 pages) and the API alike.
AUTHORS_ONLY = "Only authors can do this."
EDITORS_ONLY = "Only editors can review drafts."
RETRY_DELIVERY_ADMINS_ONLY = "Only admins can retry a delivery."

author_required = role_required(is_author, AUTHORS_ONLY)
editor_required = role_required(is_editor, EDITORS_ONLY)
admin_required = role_required(is_admin, "Only admins can see this page.")
retry_delivery_required = role_required(is_admin, RETRY_DELIVERY_ADMINS_ONLY)
