"""Settings shared by every environment.

Deployment configuration comes from the environment (django-environ); tenant configuration
lives in the database. `.env.example` lists every variable read here.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# SQLite files, the embedded broker's folders, the file cache, beat's schedule (git-ignored).
# Movable so that a container volume or a test's temporary folder can hold them.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-only-for-local-use-and-tests-0123456789")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "integrations.core.apps.LightSyncAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "axes",
    "integrations.core",
    "integrations.commerce",
    "integrations.lightspeed",
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
    "integrations.lightspeed.connection.middleware.ReauthorizationBannerMiddleware",
    # Last, as django-axes asks: turns a refused login into the "too many failed logins" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lightsync.urls"
WSGI_APPLICATION = "lightsync.wsgi.application"
ASGI_APPLICATION = "lightsync.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The embedded default is one SQLite file shared by web, worker and beat: WAL lets readers run
# beside the writer, the busy timeout waits for a lock instead of failing at once, and
# IMMEDIATE transactions take the write lock up front so two writers never deadlock on upgrade.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'lightsync.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "commerce.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Login throttling (django-axes) ------------------------------------------------------------
# After LOGIN_FAILURE_LIMIT failed logins, logging in is refused for LOGIN_COOLOFF_MINUTES (0: until
# ops staff delete the lockout under Axes → Access attempts). LOGIN_LOCKOUT_BY says what is locked:
# "user_at_ip" (that user from that address: a stranger cannot lock a merchant out from elsewhere),
# "user_or_ip" (the user from every address, and the address for every user) or "ip".
# Failures are counted in the database, so every web process on every machine shares them.
LOCKOUT_MODES = {
    "user_at_ip": [["username", "ip_address"]],
    "user_or_ip": ["username", "ip_address"],
    "ip": ["ip_address"],
}
LOGIN_LOCKOUT_BY = env("LOGIN_LOCKOUT_BY", default="user_at_ip")
if LOGIN_LOCKOUT_BY not in LOCKOUT_MODES:
    raise ImproperlyConfigured(f"LOGIN_LOCKOUT_BY must be one of {', '.join(LOCKOUT_MODES)}.")
AXES_LOCKOUT_PARAMETERS = LOCKOUT_MODES[LOGIN_LOCKOUT_BY]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
_cooloff_minutes = env.float("LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes) if _cooloff_minutes > 0 else None
# A successful login forgets the failures before it (those LOGIN_LOCKOUT_BY counts against it).
# Every attempt while locked, the right password too, starts the cool-off again (axes' default).
AXES_RESET_ON_SUCCESS = True
# The address a login comes from, behind TRUSTED_PROXY_COUNT proxies that append to
# X-Forwarded-For (0: the connection's own address; see integrations.core.login_throttle).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "integrations.core.login_throttle.client_ip_address"
# The page a locked-out login gets: the admin's look, the reason and when to try again.
AXES_LOCKOUT_CALLABLE = "integrations.core.login_throttle.locked_out_response"
# Axes keeps the posted form of a failed login with the password masked (always); the CSRF token
# is masked too. Its log lines name the user and the address, which is what ops staff look for.
AXES_SENSITIVE_PARAMETERS = ["csrfmiddlewaretoken"]
# No "AXES: BEGIN version ..." line at the start of every process and command.
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Redis, cache, Celery ---------------------------------------------------------------------
# With REDIS_URL set, Redis carries the broker, the cache, locks and rate-limit pacing. Without
# it everything still works across processes of one machine: the broker is kombu's filesystem
# transport and the cache a file-based one (locks and pacing then live in the database).
REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # A worker looks for new task files this often (kombu's default is 1 s): the live loop's
        # probes and the orders they start would otherwise wait up to a second at each hop.
        "polling_interval": 0.2,
        # kombu's default is "control" relative to the working directory; fanout (the workers'
        # remote control) must meet in one place whatever directory a process was started in.
        "control_folder": str(BROKER_DIR / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu does not create its data folders, and the first process to publish may be the web
    # server or a management command rather than a worker, so every process makes sure of them.
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}  # filled by the apps (see integrations.*.apps)
CELERY_TASK_ROUTES: dict = {}

# --- Email ------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="LightSync <lightsync@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Encryption at rest -----------------------------------------------------------------------
# One or more Fernet keys, newest first: the first encrypts, all decrypt (key rotation).
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[])

# --- Lightspeed -------------------------------------------------------------------------------
LIGHTSPEED_CLIENT_ID = env("LIGHTSPEED_CLIENT_ID", default="")
LIGHTSPEED_CLIENT_SECRET = env("LIGHTSPEED_CLIENT_SECRET", default="")
LIGHTSPEED_OAUTH_URL = env("LIGHTSPEED_OAUTH_URL", default="https://cloud.lightspeedapp.com").rstrip("/")
LIGHTSPEED_API_URL = env("LIGHTSPEED_API_URL", default="https://api.lightspeedapp.com").rstrip("/")
# Requests one job keeps in flight at once (integrations/lightspeed/api/inflight.py): at real round
# trips one at a time cannot spend a busy account's drips. Still paced by the shared bucket.
LIGHTSPEED_MAX_IN_FLIGHT = env.int("LIGHTSPEED_MAX_IN_FLIGHT", default=4)
# Order download: how often beat starts a full run (a safety net: the live loop below downloads
# within seconds), and how far back each run re-reads: by timeStamp (sales Lightspeed commits late
# with an earlier timeStamp), by updatetime (changes committed late); re-reading is harmless, by
# saleID, and cheap: a sale already imported or voided is not fetched again.
LIGHTSPEED_ORDERS_EVERY_SECONDS = env.int("LIGHTSPEED_ORDERS_EVERY_SECONDS", default=600)
LIGHTSPEED_ORDERS_OVERLAP_SECONDS = env.int("LIGHTSPEED_ORDERS_OVERLAP_SECONDS", default=300)
LIGHTSPEED_ORDERS_CHANGE_OVERLAP_SECONDS = env.int("LIGHTSPEED_ORDERS_CHANGE_OVERLAP_SECONDS", default=30)
# The live loop (integrations/lightspeed/live/): beat ticks this often (0 turns the loop off; then
# set LIGHTSPEED_ORDERS_EVERY_SECONDS to 60) and queues each company's due change probe (1 drip).
# Probes spend this share of the account's drip rate while nothing happens, and the active share
# for a while after a sale changed; never more often than the minimum. A queued probe's claim
# lapses (and the tick queues another) after the claim seconds; a company the orders job refuses
# is looked at again after the refused seconds.
LIGHTSPEED_LIVE_TICK_SECONDS = env.float("LIGHTSPEED_LIVE_TICK_SECONDS", default=1)
LIGHTSPEED_LIVE_IDLE_SHARE = env.float("LIGHTSPEED_LIVE_IDLE_SHARE", default=0.10)
LIGHTSPEED_LIVE_ACTIVE_SHARE = env.float("LIGHTSPEED_LIVE_ACTIVE_SHARE", default=0.25)
LIGHTSPEED_LIVE_ACTIVE_SECONDS = env.float("LIGHTSPEED_LIVE_ACTIVE_SECONDS", default=120)
LIGHTSPEED_LIVE_MIN_SECONDS = env.float("LIGHTSPEED_LIVE_MIN_SECONDS", default=2)
LIGHTSPEED_LIVE_CLAIM_SECONDS = env.float("LIGHTSPEED_LIVE_CLAIM_SECONDS", default=45)
LIGHTSPEED_LIVE_REFUSED_SECONDS = env.float("LIGHTSPEED_LIVE_REFUSED_SECONDS", default=60)
# An upload whose catch-up finds the company's orders run in progress waits this long for it.
LIGHTSPEED_LIVE_CATCH_UP_WAIT_SECONDS = env.float("LIGHTSPEED_LIVE_CATCH_UP_WAIT_SECONDS", default=5)
# Catalog upload: a change waits this long for more before its upload (one request per burst);
# a running upload polls Lightspeed's stock changes again after this long (a sale meanwhile holds
# its item back); our clock may differ from Lightspeed's by up to this much.
LIGHTSPEED_UPLOAD_DEBOUNCE_SECONDS = env.float("LIGHTSPEED_UPLOAD_DEBOUNCE_SECONDS", default=5)
LIGHTSPEED_UPLOAD_REPOLL_SECONDS = env.float("LIGHTSPEED_UPLOAD_REPOLL_SECONDS", default=10)
# An upload of what changed that finds more than this many items due (a first upload, a bulk
# change) is long work: it hands itself over from the short queue to the long one (docs/scaling.md).
LIGHTSPEED_UPLOAD_SHORT_ITEMS = env.int("LIGHTSPEED_UPLOAD_SHORT_ITEMS", default=500)
# Beat's fan-outs (each company's upload of what changed every minute, the full passes, the orders
# safety net) start each company's task at its own moment within this many seconds, not all at
# once; 0 sends them all at the tick.
LIGHTSPEED_FAN_OUT_SECONDS = env.float("LIGHTSPEED_FAN_OUT_SECONDS", default=50)
LIGHTSPEED_CLOCK_SKEW_SECONDS = env.float("LIGHTSPEED_CLOCK_SKEW_SECONDS", default=30)
# An item create whose answer never came (a timeout) may still be made at Lightspeed: it is looked
# up by its customSku on every products run, and sent again only once this long has passed.
LIGHTSPEED_CREATE_SETTLE_SECONDS = env.float("LIGHTSPEED_CREATE_SETTLE_SECONDS", default=300)
# The upload and the reconcile never poll or write a company's quantities at the same time: each
# waits this long for the other before leaving the work to its next run.
LIGHTSPEED_CATALOG_LOCK_WAIT_SECONDS = env.float("LIGHTSPEED_CATALOG_LOCK_WAIT_SECONDS", default=120)

# --- Leases and resume ------------------------------------------------------------------------
# Every lock a job or service holds is a lease this long, renewed while its holder lives
# (integrations/core/locks.py): a killed worker blocks its company for at most one lease. A sweep
# this often marks runs whose lease lapsed "interrupted" and queues their job again.
LIGHTSYNC_LEASE_SECONDS = env.float("LIGHTSYNC_LEASE_SECONDS", default=30)
LIGHTSYNC_LEASE_KEEPER = env.bool("LIGHTSYNC_LEASE_KEEPER", default=True)
LIGHTSPEED_RESUME_EVERY_SECONDS = env.float("LIGHTSPEED_RESUME_EVERY_SECONDS", default=15)

# --- Operations -------------------------------------------------------------------------------
# Alerts: a job alerts after this many failed runs in a row; stock drift above this many items
# alerts; the same alert is repeated only after the quiet period (or when what it says changes).
LIGHTSPEED_ALERT_FAILED_RUNS = env.int("LIGHTSPEED_ALERT_FAILED_RUNS", default=3)
LIGHTSPEED_ALERT_DRIFT_ITEMS = env.int("LIGHTSPEED_ALERT_DRIFT_ITEMS", default=10)
LIGHTSPEED_ALERT_QUIET_HOURS = env.float("LIGHTSPEED_ALERT_QUIET_HOURS", default=24)
# Freshness: the alert fires when the p95 of either direction is above the threshold in each of
# the last two windows of this many minutes, each with at least the minimum samples; ops staff
# override threshold and minimum per company (or for all) in the admin (FreshnessThreshold).
LIGHTSPEED_ALERT_FRESHNESS_P95_SECONDS = env.int("LIGHTSPEED_ALERT_FRESHNESS_P95_SECONDS", default=30)
LIGHTSPEED_ALERT_FRESHNESS_MIN_SAMPLES = env.int("LIGHTSPEED_ALERT_FRESHNESS_MIN_SAMPLES", default=10)
LIGHTSPEED_ALERT_FRESHNESS_MINUTES = env.int("LIGHTSPEED_ALERT_FRESHNESS_MINUTES", default=10)
# Retention: sync runs, and resolved or ignored issues, older than this are pruned daily (open
# issues are kept until resolved).
LIGHTSPEED_RUN_RETENTION_DAYS = env.int("LIGHTSPEED_RUN_RETENTION_DAYS", default=90)
LIGHTSPEED_ISSUE_RETENTION_DAYS = env.int("LIGHTSPEED_ISSUE_RETENTION_DAYS", default=90)
# The live loop's freshness samples and per-minute API usage are pruned after this many days.
LIGHTSPEED_FRESHNESS_RETENTION_DAYS = env.int("LIGHTSPEED_FRESHNESS_RETENTION_DAYS", default=7)
LIGHTSPEED_API_USAGE_RETENTION_DAYS = env.int("LIGHTSPEED_API_USAGE_RETENTION_DAYS", default=7)
# /healthz calls the beat stale after this many seconds without a tick (ticks come every 60 s).
HEALTHZ_BEAT_MAX_AGE = env.int("HEALTHZ_BEAT_MAX_AGE", default=300)
# /metrics (Prometheus): METRICS_ENABLED=false turns it off (404). When METRICS_TOKEN is set it wants
# "Authorization: Bearer <METRICS_TOKEN>"; production refuses to start without one while it is on.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Structured logs: every line carries company_id, job and run_id; secrets and email addresses are
# masked (integrations.core.logging). LOG_FORMAT=json writes one JSON object per line.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
# Workers keep this configuration instead of Celery's own root logger setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "integrations.core.logging.ContextFilter"},
        "redact": {"()": "integrations.core.logging.RedactingFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [company=%(company_id)s job=%(job)s "
            "run=%(run_id)s] %(message)s"
        },
        "json": {"()": "integrations.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django adds console handlers of its own (the "django" one only while DEBUG is on, so in
        # the demo): without these, its warnings were written twice, and runserver's access lines
        # (the OAuth callback's code and state in them) once, unmasked. Both go through ours.
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
