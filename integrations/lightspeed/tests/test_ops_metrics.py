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


def scrape_buckets(client) -> list[tuple[str, str, float]]:
    text = client.get("/metrics").content.decode()
    series = re.findall(
        r'^lightsync_lightspeed_rate_limit_bucket_(level|size)\{bucket="([^"]+)"\} (\S+)$', text, re.M
    )
    return [(name, bucket, float(value)) for name, bucket, value in series]


def test_each_accounts_bucket_is_one_series_with_the_level_and_size_lightspeed_reported(
    client, company, pacing_backend
):
    company.lightspeed.account_id = "100001"
    company.lightspeed.save(update_fields=["account_id"])
    pacer = pacer_for("api.lightspeedapp.com:100001")
    pacer.reserve(1)  # also opens the burst limiter's one-second window
    pacer.observe(BucketReading.from_headers(HEADERS))

    series = scrape_buckets(client)

    bucket = f"api.lightspeedapp.com:company-{company.pk}"
    assert [(name, label) for name, label, _ in series] == [("level", bucket), ("size", bucket)]
    level, size = (value for _, _, value in series)
    assert 44 < level <= 45 and size == 90


def test_bucket_labels_name_no_merchants_account(client, company, pacing_backend):
    company.lightspeed.account_id = "100001"
    company.lightspeed.save(update_fields=["account_id"])
    for account in ("100001", "271828"):  # 271828: no company holds it (disconnected since)
        pacer_for(f"api.lightspeedapp.com:{account}").observe(BucketReading.from_headers(HEADERS))

    text = client.get("/metrics").content.decode()
    labels = {label for _, label, _ in scrape_buckets(client)}

    assert "100001" not in text and "271828" not in text
    held = f"api.lightspeedapp.com:company-{company.pk}"
    (unheld,) = labels - {held}
    assert held in labels
    assert re.fullmatch(r"api\.lightspeedapp\.com:account-[0-9a-f]{12}", unheld)
    assert labels == {label for _, label, _ in scrape_buckets(client)}  # stable from scrape to scrape
