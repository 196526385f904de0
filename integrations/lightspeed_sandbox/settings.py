"""Django settings of the sandbox's own process.

The sandbox is a separate web server standing in for Lightspeed's two hosts, so it has its own
settings: its own SQLite file, its own URLs, and cookie names that never collide with
LightSync's even if both end up on the same host name. LightSync's settings never install the
`store` app, so neither side's database ever holds the other's tables.

Everything configurable comes from `LIGHTSPEED_SANDBOX_*` environment variables, which the
`lightspeed_sandbox` command (and the test helper) set from their options.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(f"LIGHTSPEED_SANDBOX_{name}", default)


SANDBOX_DB = _env("DB", str(BASE_DIR / "var" / "lightspeed_sandbox.sqlite3"))
SANDBOX_DRIP_RATE = float(_env("DRIP_RATE", "1"))
SANDBOX_BUCKET_SIZE = float(_env("BUCKET_SIZE", "90"))
# Requests per 1-second window; "auto" is Lightspeed's fraction of the bucket (20 for 90); 0 = off.
SANDBOX_BURST_LIMIT = _env("BURST_LIMIT", "auto")
SANDBOX_TOKEN_TTL = int(_env("TOKEN_TTL", "3600"))
SANDBOX_STRICT_REFRESH = _env("STRICT_REFRESH", "0") == "1"
SANDBOX_REFRESH_TOKEN_TTL = 30 * 24 * 3600
SANDBOX_CODE_TTL = 60
SANDBOX_REFRESHES_PER_MINUTE = int(_env("REFRESHES_PER_MINUTE", "5"))

SECRET_KEY = _env("SECRET", "lightspeed-sandbox-signing-key-not-a-secret-0123456789abcdef")
DEBUG = False
ALLOWED_HOSTS = ["*"]  # reached as localhost, 127.0.0.1 or a container name

INSTALLED_APPS = ["integrations.lightspeed_sandbox.store"]
MIDDLEWARE = [
    # Outermost: the delay covers faults too, and the view (with its bucket update) runs first.
    "integrations.lightspeed_sandbox.middleware.latency_middleware",
    "integrations.lightspeed_sandbox.middleware.fault_middleware",
    "django.middleware.common.CommonMiddleware",  # sets Content-Length, so connections stay open
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "integrations.lightspeed_sandbox.urls"
APPEND_SLASH = False
# Seed documents for benchmarks are large (100,000 items is tens of megabytes); the server is local.
DATA_UPLOAD_MAX_MEMORY_SIZE = None

# The login pages keep their state in a signed cookie, so no session table is needed.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_NAME = "lightspeed_sandbox_session"
CSRF_COOKIE_NAME = "lightspeed_sandbox_csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SANDBOX_DB,
        # One connection per server thread, kept open: WAL lets readers run beside the writer,
        # the busy timeout queues writers, IMMEDIATE takes the write lock up front so two
        # writers never deadlock upgrading a read lock (the bucket update is read-modify-write).
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "WARNING")},
}
