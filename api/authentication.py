"""`Authorization: Bearer <token>` with a per-user API token, and the browser's session (with
CSRF on unsafe methods, as the framework's SessionAuthentication does)."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from api import tokens
from api.exceptions import Forbidden, Unauthorized


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session may still authenticate the request
        if len(parts) != 2:
            raise Unauthorized("The Authorization header must be “Bearer <token>”, with the "
                               "token and nothing else after the word Bearer.", "InvalidToken")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            secret = ""
        token = tokens.find(secret)
        if token is None or not token.user.is_active:
            raise Unauthorized("This API token is not valid: check that it was copied whole, "
                               "or create a new one on /account/tokens/.", "InvalidToken")
        if token.revoked_at is not None:
            raise Unauthorized(f"This API token ({token.prefix}…) was revoked on "
                               f"{token.revoked_at:%Y-%m-%d %H:%M} UTC; create a new one on "
                               "/account/tokens/.", "TokenRevoked")
        tokens.touch(token)
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session; a failed CSRF check gets its own code."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as err:  # "CSRF Failed: …"
            raise Forbidden(f"{err.detail}. Signed-in "
                            "browsers must send the X-CSRFToken header on POST; programs "
                            "should use a token instead.", "CsrfFailed") from None
