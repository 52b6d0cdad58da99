"""Redline settings. Everything comes from the environment; README lists each variable."""

from __future__ import annotations

import os
from pathlib import Path

from config.env import (
    database_from_url,
    embedded_database_url,
    env_bool,
    env_duration,
    env_float,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("REDLINE_DATA_DIR", str(BASE_DIR / ".data")))

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
if not DEBUG and SECRET_KEY.startswith("dev-only"):
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "drafts",
    "review",
    "temporal_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "drafts.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL: DATABASE_URL when set, otherwise the embedded pgserver under .data/pg.
_database_url = env_str("DATABASE_URL") or embedded_database_url(DATA_DIR / "pg")
DATABASES = {"default": database_from_url(_database_url)}
# Worker threads open their own connections; close them after each activity (CONN_MAX_AGE=0).
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 0)
# Parallel test runs on one server need distinct test databases.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"  # `manage.py collectstatic` for production
# Without collectstatic (make dev, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))  # the filebased backend
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "redline@localhost")
# Links in emails point here.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('WEB_PORT', 8000)}").rstrip("/")

# --- Temporal -------------------------------------------------------------------------------
TEMPORAL_ADDRESS = env_str("TEMPORAL_ADDRESS", f"127.0.0.1:{env_int('TEMPORAL_PORT', 7233)}")
TEMPORAL_NAMESPACE = env_str("TEMPORAL_NAMESPACE", "default")
TEMPORAL_TASK_QUEUE = env_str("TEMPORAL_TASK_QUEUE", "redline-reviews")
TEMPORAL_UI_URL = env_str(
    "TEMPORAL_UI_URL", f"http://127.0.0.1:{env_int('TEMPORAL_UI_PORT', 8233)}"
).rstrip("/")
# How long a decision waits for the workflow to answer before the user is told it was not
# recorded.
TEMPORAL_UPDATE_TIMEOUT = env_duration("TEMPORAL_UPDATE_TIMEOUT", "5s")
TEMPORAL_ACTIVITY_THREADS = env_int("TEMPORAL_ACTIVITY_THREADS", 16)  # regular (LLM, mail)
# Threads kept for the local activities that write the database, so a burst of LLM calls
# never makes a decision wait for a thread.
TEMPORAL_LOCAL_ACTIVITY_THREADS = env_int("TEMPORAL_LOCAL_ACTIVITY_THREADS", 8)
# A review workflow task must finish within this; it bounds how long after a decision's
# `expires_at` it can still be accepted (temporal_app/gateway.py).
TEMPORAL_WORKFLOW_TASK_TIMEOUT = env_duration("TEMPORAL_WORKFLOW_TASK_TIMEOUT", "10s")

# --- Review workflow --------------------------------------------------------------------------
REVIEW_TIMEOUT = env_duration("REVIEW_TIMEOUT", "24h")
REMIND_AFTER = env_duration("REMIND_AFTER", "20h")
MAX_REVISIONS = env_int("MAX_REVISIONS", 3)

# --- LLM ----------------------------------------------------------------------------------------
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
OPENAI_MODEL = env_str("OPENAI_MODEL", "gpt-4o-mini")
LLM_TEMPERATURE = env_float("LLM_TEMPERATURE", 0.7)
LLM_MAX_TOKENS = env_int("LLM_MAX_TOKENS", 2000)
LLM_REQUEST_TIMEOUT = env_duration("LLM_REQUEST_TIMEOUT", "120s")
# Offline backend only: simulated latency, for demos and benchmarks.
OFFLINE_LLM_LATENCY = env_duration("OFFLINE_LLM_LATENCY", "0s")
# Estimated cost: USD per million tokens (input, output), by model-name prefix (the longest
# matching key wins, so "gpt-4o-mini-2024-07-18" uses "gpt-4o-mini"). Unknown models cost 0
# unless LLM_PRICE_INPUT_PER_MTOK / LLM_PRICE_OUTPUT_PER_MTOK are set (they override the table).
LLM_PRICES = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-3.5-turbo": (0.50, 1.50),
}
LLM_PRICE_INPUT_PER_MTOK = env_float("LLM_PRICE_INPUT_PER_MTOK", None)
LLM_PRICE_OUTPUT_PER_MTOK = env_float("LLM_PRICE_OUTPUT_PER_MTOK", None)
# Retries of LLM calls: exponential backoff from the initial interval up to the maximum; a
# provider's Retry-After replaces the backoff for that attempt, capped at LLM_RETRY_AFTER_MAX.
LLM_RETRY_INITIAL_INTERVAL = env_duration("LLM_RETRY_INITIAL_INTERVAL", "1s")
LLM_RETRY_MAX_INTERVAL = env_duration("LLM_RETRY_MAX_INTERVAL", "60s")
LLM_RETRY_AFTER_MAX = env_duration("LLM_RETRY_AFTER_MAX", "5m")
# How often a streaming call writes Draft.progress_chars (the "writing… N characters" line).
LLM_PROGRESS_INTERVAL = env_duration("LLM_PROGRESS_INTERVAL", "1s")
# Pieces of at least this many target words are outlined, then written section by section in
# parallel (at most LLM_SECTION_CONCURRENCY calls at once). 0 turns sections off.
LLM_SECTIONS_THRESHOLD_WORDS = env_int("LLM_SECTIONS_THRESHOLD_WORDS", 1000)
LLM_SECTION_CONCURRENCY = env_int("LLM_SECTION_CONCURRENCY", 4)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"temporalio": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}},
}

# Activity timeouts and retry bounds, passed to each workflow when it starts.
LLM_START_TO_CLOSE = env_duration("LLM_START_TO_CLOSE", "5m")
LLM_SCHEDULE_TO_CLOSE = env_duration("LLM_SCHEDULE_TO_CLOSE", "30m")
LLM_HEARTBEAT_TIMEOUT = env_duration("LLM_HEARTBEAT_TIMEOUT", "30s")
LLM_MAX_ATTEMPTS = env_int("LLM_MAX_ATTEMPTS", 6)
DB_ACTIVITY_MAX_ATTEMPTS = env_int("DB_ACTIVITY_MAX_ATTEMPTS", 0)  # 0 = until it works
NOTIFY_SCHEDULE_TO_CLOSE = env_duration("NOTIFY_SCHEDULE_TO_CLOSE", "1h")  # v1 runs only

# --- Mail outbox (temporal_app/activities/outbox.py, workflows/outbox.py) ----------------------
OUTBOX_POLL_INTERVAL = env_duration("OUTBOX_POLL_INTERVAL", "1s")  # how soon new mail goes out
OUTBOX_PASS_SECONDS = env_duration("OUTBOX_PASS_SECONDS", "5m")  # one sender activity's span
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)  # then the mail is given up (admin)
OUTBOX_DIGEST_THRESHOLD = env_int("OUTBOX_DIGEST_THRESHOLD", 5)  # more per pass → one digest

# --- Admins' pending-workflows page (review/admin_views.py, temporal_app/visibility.py) -------
# Rows per page of the list read from Temporal visibility (one page per request).
PENDING_PAGE_SIZE = env_int("PENDING_PAGE_SIZE", 50)
