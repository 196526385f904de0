import threading

import pytest

from integrations.core.locks import NamedLock, company_job_lock, named_lock


@pytest.fixture(params=["database", "redis"])
def lock_backend(request, settings):
    if request.param == "redis":
        import redis

        url = "redis://127.0.0.1:6379/15"
        try:
            redis.Redis.from_url(url).ping()
        except redis.RedisError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        settings.REDIS_URL = url
        redis.Redis.from_url(url).flushdb()
    else:
        settings.REDIS_URL = ""
    return request.param


@pytest.mark.django_db(transaction=True)
def test_a_second_run_for_the_same_company_and_job_is_refused(lock_backend):
    with company_job_lock(1, "orders") as first:
        with company_job_lock(1, "orders") as second:
            assert (first, second) == (True, False)
        with company_job_lock(1, "upload") as other_job, company_job_lock(2, "orders") as other_company:
            assert other_job and other_company
    with company_job_lock(1, "orders") as after_release:
        assert after_release


@pytest.mark.django_db(transaction=True)
def test_an_expired_lock_of_a_crashed_holder_can_be_taken(lock_backend):
    crashed = NamedLock("company:9:job:orders", ttl=0.05)
    assert crashed.try_acquire()
    import time

    time.sleep(0.1)
    with named_lock("company:9:job:orders") as lock:
        assert lock is not None
    # the crashed holder's late release must not free someone else's lock
    with named_lock("company:9:job:orders") as lock:
        crashed.release()
        assert not NamedLock("company:9:job:orders").try_acquire()


@pytest.mark.django_db(transaction=True)
def test_only_one_of_many_threads_holds_the_lock_at_a_time(lock_backend):
    holders = []
    overlap = []
    active = threading.Semaphore(1)

    def worker():
        from django.db import connection

        try:
            with named_lock("token:1", wait=20) as lock:
                assert lock is not None
                if not active.acquire(blocking=False):
                    overlap.append(True)
                holders.append(1)
                threading.Event().wait(0.02)
                active.release()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(holders) == 5 and not overlap


@pytest.mark.django_db(transaction=True)
def test_a_holder_can_extend_its_lease_but_not_one_it_lost(lock_backend):
    import time

    holder = NamedLock("company:3:job:upload", ttl=0.4)
    assert holder.try_acquire()
    time.sleep(0.25)
    assert holder.extend()  # a full lease from now
    time.sleep(0.25)  # past the first lease, within the renewed one
    assert not NamedLock("company:3:job:upload").try_acquire()
    holder.release()

    lapsed = NamedLock("company:4:job:upload", ttl=0.05)
    assert lapsed.try_acquire()
    time.sleep(0.1)
    taker = NamedLock("company:4:job:upload")
    assert taker.try_acquire()
    assert not lapsed.extend()
    taker.release()


def _expires_in(lock: NamedLock) -> float:
    """Seconds until the stored lock lapses, as the store (Redis or the table) sees it."""
    from django.utils import timezone

    from integrations.core.locks import redis_client
    from integrations.core.models import NamedLock as LockRow

    redis = redis_client()
    if redis is not None:
        return redis.pttl(NamedLock.redis_key(lock.name)) / 1000
    return (LockRow.objects.get(name=lock.name).expires_at - timezone.now()).total_seconds()


def _lapse_soon(lock: NamedLock, seconds: float) -> None:
    """What the passing of time does to a stored lock, without waiting for it."""
    from datetime import timedelta

    from django.utils import timezone

    from integrations.core.locks import redis_client
    from integrations.core.models import NamedLock as LockRow

    redis = redis_client()
    if redis is not None:
        if seconds <= 0:
            redis.delete(NamedLock.redis_key(lock.name))
        else:
            redis.pexpire(NamedLock.redis_key(lock.name), int(seconds * 1000))
    else:
        LockRow.objects.filter(name=lock.name).update(expires_at=timezone.now() + timedelta(seconds=seconds))


@pytest.fixture
def moving_clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(NamedLock, "clock", staticmethod(lambda: now[0]))
    return now


@pytest.mark.django_db(transaction=True)
def test_a_holder_kept_alive_keeps_its_lease_past_the_first_one(lock_backend, moving_clock, settings):
    settings.LIGHTSYNC_LEASE_SECONDS = 30
    holder = NamedLock("company:5:job:orders")
    assert holder.try_acquire()

    moving_clock[0] += 5  # five seconds of work: no write yet
    _lapse_soon(holder, 20)
    holder.keep_alive()
    assert _expires_in(holder) <= 20

    moving_clock[0] += 6  # a third of the lease since it was taken: pushed out a full lease
    holder.keep_alive()
    assert _expires_in(holder) > 25
    assert not NamedLock("company:5:job:orders").try_acquire()
    holder.release()


@pytest.mark.django_db(transaction=True)
def test_a_lapsed_lease_nobody_took_is_taken_back_and_one_another_took_stops_the_holder(
    lock_backend, moving_clock, settings
):
    from integrations.core.locks import LockLostError

    settings.LIGHTSYNC_LEASE_SECONDS = 30
    holder = NamedLock("company:6:job:upload")
    assert holder.try_acquire()
    moving_clock[0] += 100  # stalled past its lease (a long wait)
    _lapse_soon(holder, -1)
    holder.keep_alive()
    assert _expires_in(holder) > 25 and not NamedLock("company:6:job:upload").try_acquire()

    _lapse_soon(holder, -1)
    taker = NamedLock("company:6:job:upload")
    assert taker.try_acquire()
    moving_clock[0] += 100
    with pytest.raises(LockLostError):
        holder.keep_alive()
    holder.release()  # must not free the taker's lease
    assert not NamedLock("company:6:job:upload").try_acquire()
    taker.release()


@pytest.mark.django_db(transaction=True)
def test_the_keeper_renews_a_lease_while_its_holder_lives_and_the_lease_frees_when_the_block_ends(
    lock_backend, settings
):
    import time

    from integrations.core.locks import lock_is_held

    settings.LIGHTSYNC_LEASE_SECONDS = 0.3
    settings.LIGHTSYNC_LEASE_KEEPER = True
    renewals = []
    with named_lock("company:7:job:orders", on_renew=lambda: renewals.append(1)) as lock:
        assert lock is not None
        time.sleep(1.0)  # more than three leases, with no work calling keep_alive
        assert lock_is_held("company:7:job:orders")
        assert not NamedLock("company:7:job:orders").try_acquire()
    assert len(renewals) >= 2
    assert not lock_is_held("company:7:job:orders")


@pytest.mark.django_db(transaction=True)
def test_a_lease_whose_holder_stopped_renewing_is_free_within_one_lease(lock_backend, settings):
    import time

    from integrations.core.locks import lock_is_held

    settings.LIGHTSYNC_LEASE_SECONDS = 0.3
    dead = NamedLock("company:8:job:orders")  # a holder that was killed: nobody renews it
    assert dead.try_acquire()
    assert lock_is_held("company:8:job:orders")
    time.sleep(0.4)
    assert not lock_is_held("company:8:job:orders")
    assert NamedLock("company:8:job:orders").try_acquire()
