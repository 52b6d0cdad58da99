"""Roles, as the web checks them (drafts.roles): signed in without the role → 403."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from drafts import roles


class _Role(BasePermission):
    check = staticmethod(roles.is_author)

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and self.check(user))


class IsAuthor(_Role):
    check = staticmethod(roles.is_author)
    message = roles.AUTHORS_ONLY


class IsEditor(_Role):
    check = staticmethod(roles.is_editor)
    message = roles.EDITORS_ONLY


class IsAdmin(_Role):
    check = staticmethod(roles.is_admin)
    message = "Only admins can see the pending workflows."


class IsAdminToRetry(IsAdmin):
    message = roles.RETRY_DELIVERY_ADMINS_ONLY
