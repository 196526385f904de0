"""Where each Lightspeed account's leaky-bucket model lives: Redis when settings.REDIS_URL is set,
the database otherwise — shared by every process that talks to the account (see api/pacing.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.db import transaction

from integrations.core.locks import redis_client
from integrations.lightspeed.api.pacing import (
    DEFAULT_BURST,
    DEFAULT_DRIP_RATE,
    DEFAULT_SIZE,
    HEADROOM,
    BucketReading,
    Pacer,
    burst_half,
    reserve_in,
)
from integrations.lightspeed.models import ApiBucket

# Each account's burst limiter (a one-second window) is stored beside its bucket, under the
# bucket's key with this suffix; readers of the buckets (metrics) skip them.
DB_BURST_SUFFIX = "#burst"
REDIS_BURST_SUFFIX = ":burst"


class DatabasePacer:
    def __init__(self, key: str, *, clock: Callable[[], float] = time.time) -> None:
        self.key = key
        self.clock = clock

    def _bucket(self, suffix: str = ""):
        defaults = (
            {"size": DEFAULT_BURST, "drip_rate": DEFAULT_BURST}
            if suffix
            else {"size": DEFAULT_SIZE, "drip_rate": DEFAULT_DRIP_RATE}
        )
        bucket, _ = ApiBucket.objects.select_for_update().get_or_create(
            key=self.key + suffix, defaults=defaults
        )
        return bucket

    def reserve(self, cost: float) -> float:
        now = self.clock()
        with transaction.atomic():
            bucket = self._bucket()
            elapsed = now - bucket.observed_at if bucket.observed_at else 0.0
            wait, bucket.level = reserve_in(bucket.level, bucket.size, bucket.drip_rate, elapsed, cost)
            # Never back in time (a clock read before waiting for the row, or one running behind):
            # the next reservation would drain the same seconds twice.
            bucket.observed_at = max(now, bucket.observed_at or now)
            bucket.save(update_fields=["level", "observed_at"])
            burst = self._bucket(DB_BURST_SUFFIX)  # `size` holds the window's allowance
            half = burst_half(burst.size)
            elapsed = now - burst.observed_at if burst.observed_at else 0.0
            level = max(0.0, burst.level - half * max(0.0, elapsed))
            wait = max(wait, (level + 1 - half) / half)
            burst.level, burst.observed_at = level + 1, max(now, burst.observed_at or now)
            burst.save(update_fields=["level", "observed_at"])
        return max(0.0, wait)

    def observe(self, reading: BucketReading) -> None:
        if reading.empty:
            return
        with transaction.atomic():
            if reading.burst:
                burst = self._bucket(DB_BURST_SUFFIX)
                if burst.size != reading.burst:
                    burst.size = reading.burst
                    burst.save(update_fields=["size"])
            bucket = self._bucket()
            if reading.level is not None:
                bucket.level = reading.level
                bucket.observed_at = self.clock()
            if reading.size:
                bucket.size = reading.size
            if reading.drip_rate:
                bucket.drip_rate = reading.drip_rate
            bucket.save(update_fields=["level", "size", "drip_rate", "observed_at"])


_REDIS_RESERVE = """
local h = redis.call('HMGET', KEYS[1], 'level', 'size', 'drip', 'at')
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local headroom = tonumber(ARGV[3])
local level = tonumber(h[1]) or 0
local size = tonumber(h[2]) or tonumber(ARGV[4])
local drip = tonumber(h[3]) or tonumber(ARGV[5])
local at = tonumber(h[4]) or now
if drip <= 0 then drip = tonumber(ARGV[5]) end
level = math.max(0, level - drip * math.max(0, now - at))
local limit = math.max(cost, size - headroom)
local wait = math.max(0, (level + cost - limit) / drip)
redis.call('HSET', KEYS[1], 'level', tostring(level + cost), 'size', tostring(size),
           'drip', tostring(drip), 'at', tostring(math.max(now, at)))
redis.call('EXPIRE', KEYS[1], 86400)
return tostring(wait)
"""


class RedisPacer:
    def __init__(self, key: str, *, redis=None, clock: Callable[[], float] = time.time) -> None:
        self.key = f"lightsync:bucket:{key}"
        self.redis = redis or redis_client()
        self.clock = clock

    def reserve(self, cost: float) -> float:
        now = repr(self.clock())
        wait = self.redis.eval(
            _REDIS_RESERVE, 1, self.key, now, repr(cost), repr(HEADROOM), DEFAULT_SIZE, DEFAULT_DRIP_RATE
        )
        half = burst_half(None)
        burst_wait = self.redis.eval(
            _REDIS_RESERVE, 1, f"{self.key}{REDIS_BURST_SUFFIX}", now, "1", "0", half, half
        )
        return max(float(wait), float(burst_wait))

    def observe(self, reading: BucketReading) -> None:
        if reading.empty:
            return
        values: dict[str, str] = {}
        if reading.level is not None:
            values.update(level=repr(reading.level), at=repr(self.clock()))
        if reading.size:
            values["size"] = repr(reading.size)
        if reading.drip_rate:
            values["drip"] = repr(reading.drip_rate)
        if values:
            self.redis.hset(self.key, mapping=values)
            self.redis.expire(self.key, 86400)
        if reading.burst:
            half = repr(burst_half(reading.burst))
            self.redis.hset(f"{self.key}{REDIS_BURST_SUFFIX}", mapping={"size": half, "drip": half})
            self.redis.expire(f"{self.key}{REDIS_BURST_SUFFIX}", 86400)


def pacer_for(key: str) -> Pacer:
    """The shared pacer of one bucket key."""
    return RedisPacer(key) if redis_client() is not None else DatabasePacer(key)


def account_pacer(account_id: str | int) -> Pacer:
    """The shared pacer for one Lightspeed account (and this deployment's API host)."""
    return pacer_for(f"{urlsplit(django_settings.LIGHTSPEED_API_URL.rstrip('/')).netloc}:{account_id}")
