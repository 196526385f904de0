"""Production: everything secret or host-specific must come from the environment.

Start-up fails (ImproperlyConfigured) when SECRET_KEY, ALLOWED_HOSTS, FIELD_ENCRYPTION_KEY or
DATABASE_URL is missing, rather than running with a development default, and when /metrics would
be open to anyone (no METRICS_TOKEN while METRICS_ENABLED).
"""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, METRICS_ENABLED, METRICS_TOKEN, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
if len(SECRET_KEY) < 50:
    # Also catches an empty value copied from .env.example.
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the host names this deployment answers to.")

# base.py falls back to a SQLite file inside the app folder, which a container would lose.
env("DATABASE_URL")

FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY")
if not FIELD_ENCRYPTION_KEY:
    raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEY (generate one with Fernet.generate_key()).")
for _key in FIELD_ENCRYPTION_KEY:
    try:
        Fernet(_key)
    except ValueError as exc:
        # Tokens stored with a wrong key cannot be read back: fail at start, not at first use.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must hold Fernet keys (32 url-safe base64-encoded bytes), "
            "comma-separated, newest first."
        ) from exc

# /metrics tells anyone who can reach it how many companies there are, their sync runs and errors:
# closed by a token, or turned off.
METRICS_TOKEN_MIN_LENGTH = 32
if METRICS_ENABLED and len(METRICS_TOKEN) < METRICS_TOKEN_MIN_LENGTH:
    raise ImproperlyConfigured(
        f"Set METRICS_TOKEN to at least {METRICS_TOKEN_MIN_LENGTH} random characters (Prometheus sends it "
        'as "Authorization: Bearer <token>"; python -c "import secrets; print(secrets.token_urlsafe(32))"), '
        "or set METRICS_ENABLED=false to turn /metrics off."
    )

# The Redirect URI registered at Lightspeed is built from SITE_URL; without it the first
# allowed host over HTTPS is the best guess.
SITE_URL = env("SITE_URL", default=f"https://{ALLOWED_HOSTS[0].lstrip('.')}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

# TLS ends at the proxy in front of gunicorn, which says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes and scrapers speak plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Static files are collected into the image at build time and served by WhiteNoise from gunicorn,
# with hashed names so they can be cached forever.
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
