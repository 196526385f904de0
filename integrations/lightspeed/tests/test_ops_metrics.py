"""/metrics as a scraper sees Lightspeed's rate-limit buckets (database and Redis pacing)."""

from __future__ import annotations

import re

import pytest

from integrations.lightspeed.api.pacing import BucketReading
from integrations.lightspeed.connection.services.pacing import pacer_for

HEADERS = {"X-LS-API-Bucket-Level": "45/90", "X-LS-API-Drip-Rate": "0.01", "X-LS-API-Burst-Level": "3/20"}


@pytest.fixture(params=["database", "redis"])
def pacing_backend(request, settings):
    if request.param == "redis":
        import redis

        url = "redis://127.0.0.1:6379/7"
        try:
            redis.Redis.from_url(url).ping()
        except redis.RedisError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        redis.Redis.from_url(url).flushdb()
        settings.REDIS_URL = url
    else:
        settings.REDIS_URL = ""
    return request.param


def test_each_accounts_bucket_is_one_series_with_the_level_and_size_lightspeed_reported(
    client, db, pacing_backend
):
    pacer = pacer_for("api.lightspeedapp.com:100001")
    pacer.reserve(1)  # also opens the burst limiter's one-second window
    pacer.observe(BucketReading.from_headers(HEADERS))

    text = client.get("/metrics").content.decode()

    series = re.findall(
        r'^lightsync_lightspeed_rate_limit_bucket_(level|size)\{bucket="([^"]+)"\} (\S+)$', text, re.M
    )
    assert [(name, bucket) for name, bucket, _ in series] == [
        ("level", "api.lightspeedapp.com:100001"),
        ("size", "api.lightspeedapp.com:100001"),
    ]
    level, size = (float(value) for _, _, value in series)
    assert 44 < level <= 45 and size == 90
