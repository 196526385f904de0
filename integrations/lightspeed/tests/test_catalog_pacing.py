"""The upload's writes come in bursts: the shared pacer keeps them under Lightspeed's burst limiter."""

from __future__ import annotations

import pytest

from integrations.lightspeed.api.pacing import BucketReading
from integrations.lightspeed.connection.services.pacing import DatabasePacer, RedisPacer

from .test_pacing import FakeClock


@pytest.fixture(params=["database", "redis"])
def pacer_for(request, db):
    if request.param == "redis":
        import redis

        connection = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        try:
            connection.ping()
        except redis.ConnectionError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        connection.flushdb()
        return lambda key, clock: RedisPacer(key, redis=connection, clock=clock)
    return lambda key, clock: DatabasePacer(key, clock=clock)


@pytest.mark.parametrize("burst", [20, 8])
def test_a_burst_of_writes_never_exceeds_the_burst_limit_in_any_second(pacer_for, burst):
    clock = FakeClock()
    pacer = pacer_for(f"burst-{burst}", clock)
    pacer.observe(BucketReading(level=0, size=500, drip_rate=50, burst=burst))
    sent = []
    for _ in range(100):  # plenty of room in the leaky bucket: only the burst limiter binds
        clock.sleep(pacer.reserve(1))
        sent.append(clock.now)

    busiest = max(sum(1 for t in sent if start <= t < start + 1) for start in sent)
    assert busiest <= burst
    # and not much slower than the limiter allows: half the window at once, then half a window a second
    assert sent[-1] - sent[0] <= (100 - burst / 2) / (burst / 2) + 0.5
