from drafts import roles, selectors


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    editor = roles.is_editor(user)
    return {
        "is_author": roles.is_author(user),
        "is_editor": editor,
        "is_admin": roles.is_admin(user),
        "queue_count": (lambda: selectors.queue_count()) if editor else None,
    }
