"""Redline settings. Everything comes from the environment; README lists each variable."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

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
from config.security import DEV_SECRET_KEY, cool_off, require_strong_secret_keys
from temporal_app.connection import target as temporal_target

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("REDLINE_DATA_DIR", str(BASE_DIR / ".data")))

# --- Security ---------------------------------------------------------------------------------
# Secure by default: DEBUG is off unless DEBUG=true (`make dev` and the tests turn it on), and
# then Redline refuses to start without a strong SECRET_KEY, sends secure cookies and HSTS, and
# redirects to HTTPS. docs/deploy.md ("Security") explains every variable;
# config/production.env.example is a production environment that `check --deploy` passes.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")  # old keys, while rotating
if not DEBUG:
    require_strong_secret_keys(SECRET_KEY, SECRET_KEY_FALLBACKS)  # ImproperlyConfigured
SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY  # DEBUG on: the public development key
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
# Origins allowed to POST, e.g. https://redline.example.com (needed behind a TLS proxy).
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Opt-in, only behind a proxy that sets it: the META name of the header that says the original
# request was HTTPS, e.g. HTTP_X_FORWARDED_PROTO (its value must then be "https").
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)  # a year
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in ("UserAttributeSimilarityValidator", "MinimumLengthValidator",
                 "CommonPasswordValidator", "NumericPasswordValidator")
]
# Login throttling (django-axes): LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address lock that pair out for LOGIN_LOCKOUT (0: until an admin unlocks it in Django admin →
# Axes → Access attempts, or `manage.py axes_reset_username NAME`).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = cool_off(env_duration("LOGIN_LOCKOUT", "15m"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a successful sign-in forgets the earlier failures
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"  # the login page with the reason
# The client's address: REMOTE_ADDR, unless CLIENT_IP_HEADER names the header a reverse proxy
# overwrites with it (e.g. HTTP_X_REAL_IP; for HTTP_X_FORWARDED_FOR the right-most entry, the
# one the proxy appended, is used). Opt-in: a client can forge any header a proxy passes on.
_client_ip_header = env_str("CLIENT_IP_HEADER")
AXES_IPWARE_META_PRECEDENCE_ORDER = (*([_client_ip_header] if _client_ip_header else []),
                                     "REMOTE_ADDR")
AXES_IPWARE_PROXY_ORDER = "right-most"
# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. The pages keep
# every script and style in static/ (htmx's indicator styles too: base.html turns them off).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        **({"report-uri": [env_str("CSP_REPORT_URI")]} if env_str("CSP_REPORT_URI") else {}),
    },
}
# --- end of Security ---------------------------------------------------------------------------

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
    "django_prometheus",
    "axes",  # login throttling (Security section)
    "csp",  # Content-Security-Policy (Security section)
    "drafts",
    "review",
    "temporal_app",
    "publishing",
    "rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "api",  # API section
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # /metrics: requests, latency
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (Security section)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",  # a 503 page while PostgreSQL is down
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last but for the metrics, as django-axes requires (Security section); before
    # PrometheusAfterMiddleware, so its lockout answers (429) are counted as such.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
# Persistent connections (each web process and worker thread keeps its own for a minute),
# checked before reuse, so one broken by a database restart is replaced, not used: a fresh
# connection cost a write ~7 ms and PostgreSQL a backend fork (bench/run.py: a decision's
# p50 40 -> 25 ms). The tests set 0 (pyproject.toml: a live worker's threads must not hold
# the test database open at teardown); `make chaos` restarts PostgreSQL under the default.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parallel test runs on one server need distinct test databases.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
# Production (make serve, DEBUG off) runs collectstatic: hashed, compressed files in
# STATIC_ROOT, served by WhiteNoise with far-future caching. make dev and the tests serve
# straight from the finders.
STATIC_COLLECTED = env_bool("STATIC_COLLECTED", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
                    if STATIC_COLLECTED else
                    "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED

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
# Where Temporal is, as the Temporal CLI reads it (temporal_app/connection.py): TEMPORAL_ADDRESS /
# TEMPORAL_NAMESPACE, else the TOML profile (TEMPORAL_PROFILE in TEMPORAL_CONFIG_FILE), else the
# local dev server and "default". The API key, TLS and mTLS come from the same TEMPORAL_*
# variables or profile when the gateway connects (docs/deploy.md, "Temporal").
TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE = temporal_target(
    default_port=env_int("TEMPORAL_PORT", 7233))
TEMPORAL_TASK_QUEUE = env_str("TEMPORAL_TASK_QUEUE", "redline-reviews")
# The LLM calls' own queue and workers (temporal_app/queues.py); "" = "<TEMPORAL_TASK_QUEUE>-llm".
TEMPORAL_LLM_TASK_QUEUE = env_str("TEMPORAL_LLM_TASK_QUEUE")
# LLM workers: calls at once per process, and calls started per second across the whole queue
# (Temporal enforces it for every worker together: set it to the provider's rate limit).
LLM_WORKER_CONCURRENCY = env_int("LLM_WORKER_CONCURRENCY", 16)
LLM_RATE_LIMIT_PER_SECOND = env_float("LLM_RATE_LIMIT_PER_SECOND", None)
# A process serving only the LLM queue lowers its CPU priority by this much (os.nice) as it
# starts: where it shares a machine with the web and review workers, an editor's decision is
# scheduled before the LLM stream's bookkeeping (bench/streaming.py measures both). 0: as is.
LLM_WORKER_NICE = env_int("LLM_WORKER_NICE", 10)
if not 0 <= LLM_WORKER_NICE <= 19:
    raise ImproperlyConfigured(f"LLM_WORKER_NICE must be 0 to 19 (how much the LLM worker "
                               f"lowers its CPU priority), not {LLM_WORKER_NICE}.")
TEMPORAL_UI_URL = env_str(
    "TEMPORAL_UI_URL", f"http://127.0.0.1:{env_int('TEMPORAL_UI_PORT', 8233)}"
).rstrip("/")
# How long a decision waits for the workflow to answer before the user is told it was not
# recorded.
TEMPORAL_UPDATE_TIMEOUT = env_duration("TEMPORAL_UPDATE_TIMEOUT", "5s")
TEMPORAL_ACTIVITY_THREADS = env_int("TEMPORAL_ACTIVITY_THREADS", 16)  # regular (LLM, mail)
# Review runs a worker keeps in memory between their workflow tasks (the SDK default is 1000;
# each costs about 0.2 MB, measured: 600 keeps a worker under 300 MB with 10,000 waiting);
# a run not kept is rebuilt from its history on its next task (bench/waiting.py measures both).
TEMPORAL_MAX_CACHED_WORKFLOWS = env_int("TEMPORAL_MAX_CACHED_WORKFLOWS", 600)
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
# How long an outside approver's link works (it also dies once used or when the draft moves on).
OUTSIDE_LINK_TTL = env_duration("OUTSIDE_LINK_TTL", "7d")
# How long a reviewer's claim on a draft ("I'm reviewing this") lasts unless renewed.
CLAIM_DURATION = env_duration("CLAIM_DURATION", "30m")
# How often open review pages and queues ask who holds the claims they show.
CLAIM_POLL_SECONDS = env_duration("CLAIM_POLL_SECONDS", "10s")
# Drafts one author may have in progress (not yet decided) at once; 0 = no cap.
MAX_DRAFTS_IN_FLIGHT = env_int("MAX_DRAFTS_IN_FLIGHT", 20)

# --- Publishing approved drafts (publishing/, temporal_app/workflows/publish_draft.py) --------
# Each destination is tried for PUBLISH_RETRY_WINDOW, with backoff from the initial interval up
# to the maximum; one request may take PUBLISH_REQUEST_TIMEOUT from connect to last byte.
PUBLISH_RETRY_WINDOW = env_duration("PUBLISH_RETRY_WINDOW", "24h")
PUBLISH_REQUEST_TIMEOUT = env_duration("PUBLISH_REQUEST_TIMEOUT", "10s")
PUBLISH_RETRY_INITIAL_INTERVAL = env_duration("PUBLISH_RETRY_INITIAL_INTERVAL", "10s")
PUBLISH_RETRY_MAX_INTERVAL = env_duration("PUBLISH_RETRY_MAX_INTERVAL", "1h")
# Destinations must be https:// when DEBUG is off, unless this allows plain http.
PUBLISH_ALLOW_HTTP = env_bool("PUBLISH_ALLOW_HTTP", False)

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
# How often a call that writes a version's text stores the text so far for the pages (per
# part: parallel sections share it), and how often the pages ask for it.
LLM_STREAM_INTERVAL = env_duration("LLM_STREAM_INTERVAL", "250ms")
# What one draft may spend on the LLM unless its channel says (rulebook.budgets; 0: no
# limit), and what one author may spend in a day (UTC), refused at submit.
LLM_BUDGET_TOKENS = env_int("LLM_BUDGET_TOKENS", 60_000)
LLM_BUDGET_USD = env_float("LLM_BUDGET_USD", 1.00)
LLM_DAILY_BUDGET_PER_AUTHOR = env_float("LLM_DAILY_BUDGET_PER_AUTHOR", 5.00)
# Checks before a human reads (rulebook.checks, docs/checks.md): drafts of a channel without
# its own checks file get the site's defaults (off: no checks); blocking findings send a
# version back to the LLM on its own at most this many times a draft.
CHECKS_SITE_DEFAULTS = env_bool("CHECKS_SITE_DEFAULTS", True)
CHECK_MAX_AUTO_REVISIONS = env_int("CHECK_MAX_AUTO_REVISIONS", 2)
STREAM_POLL_SECONDS = env_duration("STREAM_POLL_SECONDS", "500ms")
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
# A write still failing after this many local attempts (about a minute at the default) goes
# on as a regular activity: Temporal's UI shows its attempts and last error, `reconcile`
# reports it (temporal_app/options.py).
DB_LOCAL_ATTEMPTS = env_int("DB_LOCAL_ATTEMPTS", 12)
NOTIFY_SCHEDULE_TO_CLOSE = env_duration("NOTIFY_SCHEDULE_TO_CLOSE", "1h")  # v1 runs only

# --- Mail outbox (drafts/outbox.py, temporal_app/workflows/outbox.py) ----------------------
OUTBOX_POLL_INTERVAL = env_duration("OUTBOX_POLL_INTERVAL", "1s")  # how soon new mail goes out
OUTBOX_PASS_SECONDS = env_duration("OUTBOX_PASS_SECONDS", "5m")  # one sender activity's span
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)  # then the mail is given up (admin)
OUTBOX_DIGEST_THRESHOLD = env_int("OUTBOX_DIGEST_THRESHOLD", 5)  # more per pass → one digest

# --- Admins' pending-workflows page (review/admin_views.py, temporal_app/visibility.py) -------
# Rows per page of the list read from Temporal visibility (one page per request).
PENDING_PAGE_SIZE = env_int("PENDING_PAGE_SIZE", 50)

# --- Operations (config/ops.py, docs/deploy.md) -----------------------------------------------
# /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>" when set.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Probes and scrapes over plain HTTP inside the cluster are not redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# A worker process serves Temporal's SDK metrics for Prometheus here when set (host:port).
WORKER_METRICS_ADDRESS = env_str("WORKER_METRICS_ADDRESS")
# LOG_FORMAT=json: one JSON object per log line (config/logs.py), for log shippers.
if env_str("LOG_FORMAT") == "json":
    LOGGING["formatters"] = {"json": {"()": "config.logs.JsonFormatter"}}
    LOGGING["handlers"]["console"]["formatter"] = "json"

# --- API (api/, docs/api.md) -------------------------------------------------------------------
# The JSON API under /api/v1/: Django REST framework, the schema from drf-spectacular (served at
# /api/v1/schema/, Swagger UI at /api/v1/docs/ from drf-spectacular-sidecar's own files).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication",
                                       "api.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "EXCEPTION_HANDLER": "api.exceptions.handler",  # every error as {"code", "detail"}
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Redline API",
    "DESCRIPTION": "Submit topics, follow drafts, review and decide, list pending reviews. "
                   "Errors are JSON: {\"code\", \"detail\", \"fields\"}. Guide: docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"ReviewStateEnum": "drafts.models.STATE_CHOICES",
                            "EventKindEnum": "drafts.models.EVENT_CHOICES",
                            "VersionKindEnum": "drafts.models.VERSION_CHOICES",
                            "DiffLineKindEnum": "api.serializers.DIFF_LINE_KINDS",
                            "DeliveryStatusEnum": "publishing.models.DELIVERY_CHOICES",
                            "ChangeChoiceEnum": "api.serializers.CHANGE_CHOICES"},
}
# Requests per API token (per user for a browser session), e.g. "600/min"; empty: no limit.
# Counted in Django's cache, per web process unless CACHES names a shared one.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")
