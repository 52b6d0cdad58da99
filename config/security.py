"""Security helpers for settings and the login page: the SECRET_KEY rule applied at start-up,
and the page shown when django-axes locks a sign-in out.

Settings import this module, so it imports nothing from Django at top level that needs
configured settings.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

# The public key `make dev` and the tests run with; refused whenever DEBUG is off.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
# Django's own rule for `check --deploy` (security.W009 / W025), django/core/checks/security/
# base.py: at least 50 characters, at least 5 different ones, not Django's generated dev key.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
SECRET_KEY_INSECURE_PREFIX = "django-insecure-"
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def secret_key_problem(key: str, name: str = "SECRET_KEY") -> str | None:
    """One sentence saying why `key` is not fit for production, or None when it is."""
    if not key:
        return (f"{name} is not set: with DEBUG off Redline needs a secret key of at least "
                f"{SECRET_KEY_MIN_LENGTH} characters (make one with {GENERATE_HINT}).")
    if key == DEV_SECRET_KEY:
        return (f"{name} is the public development key: with DEBUG off set a secret key of "
                f"your own (make one with {GENERATE_HINT}).")
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return (f"{name} is a key Django generated for development "
                f"('{SECRET_KEY_INSECURE_PREFIX}…'): with DEBUG off set a secret key of your "
                f"own (make one with {GENERATE_HINT}).")
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (f"{name} is too weak: with DEBUG off it needs at least "
                f"{SECRET_KEY_MIN_LENGTH} characters and {SECRET_KEY_MIN_UNIQUE_CHARACTERS} "
                f"different ones, and it has {len(key)} characters, {len(set(key))} different "
                f"(make one with {GENERATE_HINT}).")
    return None


def require_strong_secret_keys(key: str, fallbacks: list[str]) -> None:
    """Refuse to start (ImproperlyConfigured, one sentence) on a weak key or fallback key."""
    problem = secret_key_problem(key)
    for number, fallback in enumerate(fallbacks, start=1):
        problem = problem or secret_key_problem(fallback, f"SECRET_KEY_FALLBACKS entry {number}")
    if problem:
        raise ImproperlyConfigured(problem)


def cool_off(seconds: float) -> timedelta | None:
    """LOGIN_LOCKOUT in seconds → axes' AXES_COOLOFF_TIME (None: locked until an admin
    unlocks)."""
    return timedelta(seconds=seconds) if seconds > 0 else None


def spoken_duration(delta: timedelta) -> str:
    """900 s → '15 minutes', 3600 s → '1 hour', 90 s → '90 seconds'."""
    seconds = max(1, round(delta.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable: every whole number of seconds divides by 1")


def lockout_message(cool_off_time: timedelta | None) -> str:
    if cool_off_time is None:
        return ("Too many failed sign-ins for this account from your address. "
                "Ask an admin to unlock it.")
    return ("Too many failed sign-ins for this account from your address. "
            f"Try again in {spoken_duration(cool_off_time)} or ask an admin to unlock it.")


def lockout_response(request, original_response=None, credentials=None):
    """axes' AXES_LOCKOUT_CALLABLE: the login page again, with the reason, as a 429."""
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm
    from django.shortcuts import render

    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "lockout_message": lockout_message(settings.AXES_COOLOFF_TIME),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
