"""Production settings as real processes: `manage.py check --deploy --fail-level WARNING` with
config/production.env.example gives no warning; DEBUG is off unless set, with the secure
defaults that follow; with DEBUG off a missing or weak SECRET_KEY stops the app with one
sentence saying why.

Each process starts from an empty environment plus what the test gives it (the test run's own
DEBUG=true is not passed on), against the test database.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "production.env.example"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
STRONG = secrets.token_urlsafe(50)
REFUSAL = re.compile(r"^django\.core\.exceptions\.ImproperlyConfigured: (SECRET_KEY.*)$")
# The Security section's variables: each in the example and in docs/deploy.md.
SECURITY_VARIABLES = [
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "LOGIN_FAILURE_LIMIT", "LOGIN_LOCKOUT", "CLIENT_IP_HEADER",
    "CSP_REPORT_URI",
]


def example_environment() -> dict[str, str]:
    """VARIABLE=value lines of the example (comments and blank lines skipped)."""
    env = {}
    for line in EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep and name == name.strip() and name.isupper(), f"not NAME=value: {line!r}"
            env[name] = value
    return env


def database_url() -> str:
    s = connection.settings_dict
    url = (f"postgresql://{quote(s['USER'])}:{quote(s['PASSWORD'])}@/{quote(s['NAME'])}"
           f"?host={quote(s['HOST'])}")
    return url + (f"&port={s['PORT']}" if s["PORT"] else "")


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "XDG_RUNTIME_DIR")
            if name in os.environ}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def settings_seen(**env: str) -> dict:
    names = ["DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
             "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
             "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS", "AXES_FAILURE_LIMIT",
             "AXES_IPWARE_META_PRECEDENCE_ORDER"]
    code = ("import json; from django.conf import settings as s; "
            f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}} | "
            "{'AXES_COOLOFF_TIME': s.AXES_COOLOFF_TIME and s.AXES_COOLOFF_TIME.total_seconds()}))")
    done = manage("shell", "-c", code, DATABASE_URL=database_url(), **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_production_example_passes_check_deploy_without_a_warning(db):
    env = example_environment() | {"SECRET_KEY": STRONG, "DATABASE_URL": database_url()}
    done = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output
    assert "WARNING" not in output and "?: (" not in output


def test_every_variable_of_the_example_is_explained():
    lines = EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert lines[number - 1].startswith("# "), f"no comment above {line!r}"
    example = example_environment()
    documented = DEPLOY_DOC.read_text()
    for name in SECURITY_VARIABLES:
        assert name in example, f"{name} missing from {EXAMPLE.name}"
        assert f"`{name}`" in documented, f"{name} missing from docs/deploy.md"


def test_the_example_as_it_is_refuses_to_start_without_its_secret_key(db):
    assert example_environment()["SECRET_KEY"] == ""  # a blank to fill, never a usable key
    done = manage("check", **(example_environment() | {"DATABASE_URL": database_url()}))
    assert done.returncode != 0
    assert REFUSAL.match(done.stderr.strip().splitlines()[-1]).group(1).startswith(
        "SECRET_KEY is not set: with DEBUG off Redline needs a secret key")


def test_debug_is_off_unless_set_and_production_defaults_are_secure(db):
    seen = settings_seen(SECRET_KEY=STRONG)
    assert seen == {
        "DEBUG": False, "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True, "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": None, "CSRF_TRUSTED_ORIGINS": [],
        "AXES_FAILURE_LIMIT": 5, "AXES_COOLOFF_TIME": 900.0,
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
    }


def test_debug_on_is_development_mode_and_every_setting_can_be_overridden(db):
    development = settings_seen(DEBUG="true")  # no SECRET_KEY: the dev key is fine here
    assert development["DEBUG"] is True
    assert not development["SECURE_SSL_REDIRECT"] and not development["SESSION_COOKIE_SECURE"]
    assert development["SECURE_HSTS_SECONDS"] == 0

    overridden = settings_seen(
        SECRET_KEY=STRONG, SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false", SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false", SECURE_HSTS_PRELOAD="false",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        CSRF_TRUSTED_ORIGINS="https://a.example.com,https://b.example.com",
        LOGIN_FAILURE_LIMIT="3", LOGIN_LOCKOUT="1h", CLIENT_IP_HEADER="HTTP_X_REAL_IP")
    assert overridden == {
        "DEBUG": False, "SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "CSRF_TRUSTED_ORIGINS": ["https://a.example.com", "https://b.example.com"],
        "AXES_FAILURE_LIMIT": 3, "AXES_COOLOFF_TIME": 3600.0,
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["HTTP_X_REAL_IP", "REMOTE_ADDR"],
    }
    assert settings_seen(SECRET_KEY=STRONG, LOGIN_LOCKOUT="0")["AXES_COOLOFF_TIME"] is None


@pytest.mark.parametrize("env, reason", [
    ({}, "SECRET_KEY is not set: with DEBUG off Redline needs a secret key of at least 50 "
         "characters"),
    ({"SECRET_KEY": "dev-only-insecure-key-change-me"},
     "SECRET_KEY is the public development key"),
    ({"SECRET_KEY": "django-insecure-" + STRONG}, "SECRET_KEY is a key Django generated"),
    ({"SECRET_KEY": STRONG[:49]}, "SECRET_KEY is too weak: with DEBUG off it needs at least "
                                  "50 characters and 5 different ones, and it has 49 "
                                  "characters"),
    ({"SECRET_KEY": "abcd" * 20}, "SECRET_KEY is too weak: with DEBUG off it needs at least 50 "
                                  "characters and 5 different ones, and it has 80 characters, "
                                  "4 different"),
    ({"SECRET_KEY": STRONG, "SECRET_KEY_FALLBACKS": f"{STRONG}x,short"},
     "SECRET_KEY_FALLBACKS entry 2 is too weak"),
    ({"DEBUG": "false", "SECRET_KEY": "short"}, "SECRET_KEY is too weak"),
])
def test_a_weak_secret_key_with_debug_off_stops_the_app_with_one_sentence(db, env, reason):
    done = manage("check", DATABASE_URL=database_url(), **env)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    match = REFUSAL.match(last)
    assert match, f"the last line is not the one-sentence reason: {last!r}"
    sentence = match.group(1)
    assert sentence.startswith(reason), sentence
    assert sentence.endswith(".") and sentence.count(". ") == 0  # one sentence
    assert "secrets.token_urlsafe(50)" in sentence  # and how to make a good one


def test_a_key_of_exactly_django_s_minimum_is_accepted(db):
    key = ("abcde" * 10)[:50]  # 50 characters, 5 different: Django's W009 passes it
    done = manage("check", DATABASE_URL=database_url(), SECRET_KEY=key)
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout + done.stderr


def test_an_llm_worker_nice_out_of_range_stops_the_app_with_one_sentence(db):
    done = manage("check", DEBUG="true", LLM_WORKER_NICE="30", DATABASE_URL=database_url())
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: LLM_WORKER_NICE must be 0 to 19 (how "
        "much the LLM worker lowers its CPU priority), not 30.")
