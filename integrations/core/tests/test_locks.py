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
            with named_lock("token:1", ttl=30, wait=20) as lock:
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
def test_a_holder_can_extend_its_lock_but_not_one_it_lost(lock_backend):
    import time

    holder = NamedLock("company:3:job:upload", ttl=0.2)
    assert holder.try_acquire()
    assert holder.extend(30)
    time.sleep(0.3)
    assert not NamedLock("company:3:job:upload").try_acquire()  # extended: still held
    holder.release()

    lapsed = NamedLock("company:4:job:upload", ttl=0.05)
    assert lapsed.try_acquire()
    time.sleep(0.1)
    taker = NamedLock("company:4:job:upload", ttl=30)
    assert taker.try_acquire()
    assert not lapsed.extend(30)
    taker.release()
