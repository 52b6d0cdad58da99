"""Abuse limits and secure settings, in process: login throttling (django-axes) per username and
address with the login page's message and the admin's unlock, the client address from a
proxy's header (opt-in), the Content-Security-Policy header, Django's password validators.

The start-up rules (DEBUG off by default, the SECRET_KEY refusal, `check --deploy`) run as real
processes in test_deploy_check.py.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from config.security import lockout_message, spoken_duration
from tests.conftest import make_user

PASSWORD = "pw-for-tests-1"
LOCKED = ("Too many failed sign-ins for this account from your address. "
          "Try again in 15 minutes or ask an admin to unlock it.")
WRONG = "Your username and password didn't match."


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Every wrong password is hashed: a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client: Client, username: str, password: str, ip: str = "198.51.100.7", **headers):
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=ip, headers=headers)


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def lock_out(client: Client, username: str, ip: str = "198.51.100.7", **headers):
    """Fail LOGIN_FAILURE_LIMIT times; every failure before the last says 'didn't match'."""
    from django.conf import settings

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, username, "wrong-password", ip, **headers)
        assert response.status_code == 200 and WRONG in response.content.decode()
    return sign_in(client, username, "wrong-password", ip, **headers)


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


def test_the_defaults_are_five_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert lockout_message(settings.AXES_COOLOFF_TIME) == LOCKED


def test_failures_lock_the_account_at_that_address_with_the_message(author, client):
    locked = lock_out(client, "author1")
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    assert "registration/login.html" in [t.name for t in locked.templates]

    refused = sign_in(client, "author1", PASSWORD)  # the right password, now refused
    assert refused.status_code == 429 and not signed_in(refused)
    page = refused.content.decode()
    assert LOCKED in page and 'role="alert"' in page and WRONG not in page
    assert '<form method="post" action="/login/">' in page  # the login page, not a bare 403
    assert 'value="author1"' in page


def test_another_user_and_another_address_are_not_affected(author, client):
    make_user("author2")
    assert lock_out(client, "author1").status_code == 429
    assert signed_in(sign_in(Client(), "author2", PASSWORD))  # same address, other user
    assert signed_in(sign_in(Client(), "author1", PASSWORD, ip="198.51.100.99"))  # other address
    assert sign_in(Client(), "author1", PASSWORD).status_code == 429  # still locked here


def test_the_failure_limit_is_a_setting(author, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert sign_in(client, "author1", "wrong-password").status_code == 200
    assert sign_in(client, "author1", "wrong-password").status_code == 429


def test_a_success_before_the_limit_forgets_the_failures(author, client):
    for _ in range(4):
        sign_in(client, "author1", "wrong-password")
    assert signed_in(sign_in(Client(), "author1", PASSWORD))
    assert sign_in(client, "author1", "wrong-password").status_code == 200  # counts from 0


def test_the_lockout_ends_after_the_cool_off(author, client, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    locked = lock_out(client, "author1")
    assert "Try again in 1 second or ask an admin" in locked.content.decode()
    assert sign_in(client, "author1", PASSWORD).status_code == 429
    time.sleep(1.2)
    assert signed_in(sign_in(client, "author1", PASSWORD))


def test_an_admin_unlocks_in_django_admin(author, admin, client):
    lock_out(client, "author1")
    attempt = AccessAttempt.objects.get(username="author1")

    staff = Client()
    staff.force_login(admin)
    listing = staff.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "author1" in listing.content.decode() and "Locked Out" in listing.content.decode()
    deleted = staff.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert signed_in(sign_in(client, "author1", PASSWORD))


def test_an_admin_unlocks_from_the_shell(author, client, capsys):
    lock_out(client, "author1")
    call_command("axes_reset_username", "author1")
    assert "1 attempts removed" in capsys.readouterr().out
    assert signed_in(sign_in(client, "author1", PASSWORD))


def test_the_client_address_comes_from_the_proxy_header_only_when_configured(
        author, client, settings):
    proxy = "10.0.0.2"  # every request arrives from the reverse proxy
    # Not configured: the header is ignored, so forging it does not escape a lockout.
    lock_out(client, "author1", ip=proxy, x_real_ip="203.0.113.5")
    assert sign_in(client, "author1", PASSWORD, ip=proxy,
                   x_real_ip="203.0.113.6").status_code == 429
    AccessAttempt.objects.all().delete()

    # CLIENT_IP_HEADER=HTTP_X_REAL_IP: one client locked out, another behind the same proxy not.
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    lock_out(client, "author1", ip=proxy, x_real_ip="203.0.113.5")
    assert sign_in(client, "author1", PASSWORD, ip=proxy,
                   x_real_ip="203.0.113.5").status_code == 429
    assert signed_in(sign_in(Client(), "author1", PASSWORD, ip=proxy, x_real_ip="203.0.113.6"))
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_x_forwarded_for_uses_the_address_the_proxy_appended(author, client, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    # The client forged the left entry; the proxy appended the real one.
    lock_out(client, "author1", ip="10.0.0.2", x_forwarded_for="192.0.2.1, 203.0.113.5")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


@pytest.mark.parametrize("seconds, spoken", [
    (900, "15 minutes"), (60, "1 minute"), (3600, "1 hour"), (5400, "90 minutes"),
    (86400 * 2, "2 days"), (45, "45 seconds"),
])
def test_cool_off_is_spoken_in_whole_units(seconds, spoken):
    assert spoken_duration(timedelta(seconds=seconds)) == spoken


def test_no_cool_off_means_an_admin_must_unlock():
    assert lockout_message(None) == ("Too many failed sign-ins for this account from your "
                                     "address. Ask an admin to unlock it.")


def test_every_page_carries_the_content_security_policy(client, author):
    client.force_login(author)
    for path in ("/login/", "/drafts/", "/no-such-page/"):
        header = client.get(path).headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in header.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["form-action"] == "'self'" and directives["base-uri"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert "unsafe" not in header


@pytest.mark.parametrize("password, reason", [
    ("k7#Qz9", "too short"),  # MinimumLengthValidator
    ("password123", "too common"),  # CommonPasswordValidator
    ("83629104752", "entirely numeric"),  # NumericPasswordValidator
    ("author1-2024", "too similar to the username"),  # UserAttributeSimilarityValidator
])
def test_django_password_validators(author, password, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_password(password, user=author)
    validate_password("a plain but long passphrase 4 redline", user=author)
