"""Settings for the test suite: local settings with fast hashing and quiet output.

DATABASE_URL and REDIS_URL, when set (as in CI), point the suite at real PostgreSQL and Redis.
"""

from .local import *  # noqa: F403
from .local import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
FIELD_ENCRYPTION_KEY = env.list(
    "FIELD_ENCRYPTION_KEY", default=["dGVzdC1rZXktZm9yLWxpZ2h0c3luYy10ZXN0cy0zMmI="]
)
LOGGING_CONFIG = None  # pytest captures logs itself
