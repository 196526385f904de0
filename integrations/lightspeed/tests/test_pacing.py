"""Pacing from the rate-limit headers, shared by every process of one account."""

from __future__ import annotations

import pytest
import responses

from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.pacing import BucketReading
from integrations.lightspeed.connection.services.pacing import DatabasePacer, RedisPacer

from .conftest import ACCOUNT_ID, resource_url


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


class Tokens:
    def access_token(self) -> str:
        return "a1"

    def refresh_access_token(self, *, rejected: str) -> str:
        raise AssertionError


@pytest.fixture(params=["database", "redis"])
def make_pacer(request, db):
    if request.param == "redis":
        import redis

        try:
            connection = redis.Redis.from_url("redis://127.0.0.1:6379/15")
            connection.ping()
        except redis.RedisError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        connection.flushdb()
        return lambda key, clock: RedisPacer(key, redis=connection, clock=clock)
    return lambda key, clock: DatabasePacer(key, clock=clock)


def test_a_nearly_full_bucket_makes_the_next_request_wait_for_the_drip(make_pacer):
    clock = FakeClock()
    pacer = make_pacer("acct-1", clock)
    assert pacer.reserve(1) == 0

    pacer.observe(BucketReading(level=88.5, size=90, drip_rate=1.5))

    # 88.5 + 1 must fit under 90 - 2 of headroom: 1.5 drips at 1.5/s
    assert pacer.reserve(1) == pytest.approx(1.0)


def test_two_processes_on_one_account_share_the_bucket(make_pacer):
    clock = FakeClock()
    first, second = make_pacer("acct-2", clock), make_pacer("acct-2", clock)
    other_account = make_pacer("acct-3", clock)
    first.observe(BucketReading(burst=1000))  # the per-second burst limiter is tested elsewhere
    for _ in range(44):
        assert first.reserve(1) == 0
        assert second.reserve(1) == 0
    # 88 drips taken between them: the next one waits, on either process, not on another account
    assert first.reserve(1) == pytest.approx(1.0)
    assert second.reserve(1) == pytest.approx(2.0)
    assert other_account.reserve(1) == 0


def test_the_bucket_drains_at_the_drip_rate(make_pacer):
    clock = FakeClock()
    pacer = make_pacer("acct-4", clock)
    pacer.observe(BucketReading(level=90, size=90, drip_rate=2))
    clock.now += 10  # 20 drips drained
    assert pacer.reserve(1) == 0


def test_steady_work_against_a_leaky_bucket_never_hits_429_and_runs_near_the_drip_rate(db):
    """A simulated Lightspeed bucket (size 90, 1 drip/s): 300 requests, zero 429s."""
    clock = FakeClock()
    bucket = {"level": 0.0, "at": clock.now, "rejected": 0}
    size, drip = 90.0, 1.0

    def endpoint(request):
        bucket["level"] = max(0.0, bucket["level"] - drip * (clock.now - bucket["at"]))
        bucket["at"] = clock.now
        headers = {"X-LS-API-Bucket-Level": f"{bucket['level']}/{size:g}", "X-LS-API-Drip-Rate": f"{drip:g}"}
        if bucket["level"] >= size:
            bucket["rejected"] += 1
            return 429, {**headers, "Retry-After": "1"}, ""
        bucket["level"] += 1
        headers["X-LS-API-Bucket-Level"] = f"{bucket['level']}/{size:g}"
        return 200, headers, '{"@attributes":{"count":"1"},"Item":{"itemID":"1"}}'

    client = LightspeedClient(
        account_id=ACCOUNT_ID, tokens=Tokens(), pacer=DatabasePacer("sim", clock=clock), sleep=clock.sleep
    )
    start = clock.now
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, resource_url("Item", 1), callback=endpoint)
        for _ in range(300):
            client._single(client.request("GET", resource_url("Item", 1)), "Item")

    elapsed = clock.now - start
    print(f"simulated: 300 requests in {elapsed:.1f} s, {bucket['rejected']} rejected")
    assert bucket["rejected"] == 0 and client.stats.rate_limited == 0
    # the first ~88 go at once, the rest at the drip rate: about 212 s, never much slower
    assert 200 <= elapsed <= 230


def test_a_reservation_stamped_earlier_than_the_last_does_not_move_the_bucket_clock_back(make_pacer):
    """A process that read its clock before waiting for the bucket (or whose clock runs behind)
    must not make the next reservation drain the same seconds twice."""
    clock, late = FakeClock(), FakeClock()
    late.now = clock.now - 5
    first, second = make_pacer("acct-9", clock), make_pacer("acct-9", late)
    first.observe(BucketReading(level=80, size=90, drip_rate=1, burst=1000))
    assert second.reserve(1) == 0  # 81
    # no time has passed since Lightspeed said 80: 7 more fit under 90 - 2, the 8th waits
    for _ in range(7):
        assert first.reserve(1) == 0
    assert first.reserve(1) == pytest.approx(1.0)
