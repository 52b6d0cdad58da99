from django.utils.functional import SimpleLazyObject

from drafts import roles, selectors


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    editor, author = roles.is_editor(user), roles.is_author(user)
    return {
        "is_author": author,
        "is_editor": editor,
        "is_admin": roles.is_admin(user),
        # Counted only if the page shows them (one query for both numbers).
        "nav_counts": SimpleLazyObject(
            lambda: selectors.nav_counts(user, editor=editor, author=author)),
    }
