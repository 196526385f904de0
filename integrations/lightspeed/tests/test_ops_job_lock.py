"""A run keeps its company-and-job lease for as long as it works (a backfill many leases long),
and stops when another run took the lease after it stalled.

Time is moved, never waited for: the lease's clock is replaced and the stored expiry is brought
near, as the passing of the lease would.
"""

from __future__ import annotations

import pytest

from integrations.core.locks import NamedLock, company_job_lock_name
from integrations.core.tests.test_locks import _expires_in, _lapse_soon
from integrations.lightspeed.jobs.registry import Job
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.tests.jobs_support import job_for_test

from .conftest import ACCOUNT_URL, ONE_ACCOUNT


@pytest.fixture(params=["database", "redis"])
def lock_backend(request, settings):
    if request.param == "redis":
        import redis

        url = "redis://127.0.0.1:6379/6"
        try:
            redis.Redis.from_url(url).ping()
        except redis.RedisError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        redis.Redis.from_url(url).flushdb()
        settings.REDIS_URL = url
    else:
        settings.REDIS_URL = ""
    return request.param


@pytest.fixture
def moving_clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(NamedLock, "clock", staticmethod(lambda: now[0]))
    return now


def _job(body) -> Job:
    return job_for_test("backfill_demo", body, "a long test job")


def test_a_run_longer_than_its_lease_keeps_it_while_it_makes_progress(connected, lock_backend, moving_clock):
    lock = NamedLock(company_job_lock_name(connected.company_id, "backfill_demo"))
    seen = []

    def body(ctx):
        for _lease in range(4):
            moving_clock[0] += 25
            _lapse_soon(lock, 2)  # what 28 seconds do to the stored lease
            ctx.progress(1)
            ctx.progress.flush()
            seen.append((_expires_in(lock) > 25, NamedLock(lock.name).try_acquire()))
        return {"created": 4}

    run = job_run(company_id=connected.company_id, job=_job(body))

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert seen == [(True, False)] * 4  # extended each time; no second run could start
    assert NamedLock(lock.name).try_acquire()  # released at the end


def test_a_run_waiting_on_lightspeed_keeps_its_lease_through_its_requests(
    connected, lock_backend, moving_clock, mocked_lightspeed
):
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    lock = NamedLock(company_job_lock_name(connected.company_id, "backfill_demo"))
    seen = {}

    def body(ctx):
        ctx.progress.interval = 0  # the run's heartbeat rhythm, without waiting two seconds
        moving_clock[0] += 25
        _lapse_soon(lock, 2)
        ctx.client.get_account()  # no progress reported: the request itself is the heartbeat
        seen["expires_in"] = _expires_in(lock)
        return {}

    run = job_run(company_id=connected.company_id, job=_job(body))

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert seen["expires_in"] > 25


def test_a_run_whose_lease_another_run_took_stops_and_says_why(connected, lock_backend, moving_clock):
    lock = NamedLock(company_job_lock_name(connected.company_id, "backfill_demo"))
    taker = NamedLock(lock.name)
    after_the_takeover = []

    def body(ctx):
        _lapse_soon(lock, -1)  # stalled past its lease...
        assert taker.try_acquire()  # ...and another worker's run started
        moving_clock[0] += 100
        ctx.progress.flush()
        after_the_takeover.append("went on")
        return {}

    run = job_run(company_id=connected.company_id, job=_job(body))

    assert after_the_takeover == []
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "another backfill_demo run took over" in run.error
    assert not NamedLock(lock.name).try_acquire()  # the taker's lock was left alone
    taker.release()
