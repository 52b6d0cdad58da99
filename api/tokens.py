"""API tokens: create (the secret is returned once and only its hash is stored), revoke,
and look up the token a request carries."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from rulebook import inputs
from temporal_app import errors

PREFIX = "rl_"  # every token starts with it, so secret scanners and people can spot one
DISPLAY_CHARS = 10  # "rl_" and the next 7 characters identify a token on the account page
NAME_MAX = 100
ACTIVE_TOKENS_MAX = 25  # per user; revoke one to create another
# last_used_at is written at most this often per token (not on every request).
LAST_USED_GRANULARITY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`: (the row, the token itself). The token is never stored and
    cannot be shown again. Raises Refused (a bad name, too many active tokens)."""
    name = name.strip()
    problem = ("Give the token a name, e.g. “CMS import”." if not name else
               inputs.text_problem(name, "The name", NAME_MAX, line=True))
    if problem:
        raise errors.Refused(problem, "InvalidName")
    with transaction.atomic():
        active = ApiToken.objects.select_for_update().filter(user=user, revoked_at=None)
        if len(active) >= ACTIVE_TOKENS_MAX:
            raise errors.Refused(f"You have {ACTIVE_TOKENS_MAX} active tokens, the most one "
                                 "account may have; revoke one first.", "TooManyTokens")
        secret = PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(user=user, name=name, prefix=secret[:DISPLAY_CHARS],
                                        hash=digest(secret))
    return token, secret


def revoke_token(*, user, pk: int) -> ApiToken:
    """Revoke one of `user`'s tokens (a revoked one stays revoked). Raises
    ApiToken.DoesNotExist for a token that is not theirs."""
    token = ApiToken.objects.get(pk=pk, user=user)
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
        token.refresh_from_db()
    return token


def tokens_for(user):
    return ApiToken.objects.filter(user=user)


def find(secret: str) -> ApiToken | None:
    """The token with this secret (revoked or not), with its user; None if there is none."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    return ApiToken.objects.select_related("user").filter(hash=digest(secret)).first()


def touch(token: ApiToken) -> None:
    """Record that the token was used (at most once per LAST_USED_GRANULARITY)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
