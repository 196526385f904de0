"""Settings for the test suite: local settings with fast hashing and quiet output.

DATABASE_URL and REDIS_URL, when set (as in CI), point the suite at real PostgreSQL and Redis.
"""

import os

from .local import *  # noqa: F403
from .local import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
FIELD_ENCRYPTION_KEY = env.list(
    "FIELD_ENCRYPTION_KEY", default=["dGVzdC1rZXktZm9yLWxpZ2h0c3luYy10ZXN0cy0zMmI="]
)
LOGGING_CONFIG = None  # pytest captures logs itself
# The suite logs in thousands of times, often with client.login(), which gives django-axes no
# request to count against; the tests of login throttling turn it on for themselves.
AXES_ENABLED = False

# An in-memory SQLite test database fails concurrent access at once ("table is locked") instead
# of waiting on the busy timeout; a file lets threads and processes test locking as in the demo.
# One file per test process, so concurrent runs never share it (pytest-django deletes it after).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
# Leases are renewed by the work itself in tests: a keeper thread's own database connection cannot
# see the rows of a test's open transaction (the lease tests and the crash suite turn it on).
LIGHTSYNC_LEASE_KEEPER = env.bool("LIGHTSYNC_LEASE_KEEPER", default=False)
