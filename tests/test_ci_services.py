"""In CI the suite must really have run on PostgreSQL and Redis, not on the embedded default."""

import os

import pytest
import redis
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(
    not os.environ.get("CI"),
    reason="CI is not set: the suite runs on the embedded default here (.ci/run sets up Postgres and Redis)",
)


@pytest.mark.django_db
def test_ci_runs_the_suite_on_postgresql():
    assert connection.vendor == "postgresql", f"DATABASE_URL gave {connection.vendor}; CI must use Postgres"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


def test_ci_has_redis_answering_and_uses_it_for_broker_and_cache():
    url = os.environ.get("REDIS_URL", "")
    assert url, "REDIS_URL is not set; .ci/run must export it"

    assert redis.Redis.from_url(url, socket_timeout=5).ping() is True
    assert url == settings.CELERY_BROKER_URL
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
