"""Leases: named locks that hold across processes and machines for as long as their holder lives.

A lease lasts `settings.LIGHTSYNC_LEASE_SECONDS` (30 s in production) and its holder renews it:
a keeper thread pushes the expiry out every third of the lease while the holding process is
alive, and the work itself calls `keep_alive()` as it makes progress. So a holder that is killed
(SIGKILL, a deploy, a lost machine) blocks nobody for longer than one lease, however long the
work it was doing, and a holder that is only slow keeps its lease.

With settings.REDIS_URL set the lease is redis-py's own `Lock` (a key with a random token,
extended and re-acquired by its holder only). Without Redis it is a row in the `core_namedlock`
table with an expiry, which works on SQLite (the embedded default) and PostgreSQL alike.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from redis.exceptions import LockError

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url)


def redis_client():
    """The shared Redis connection, or None on the embedded default."""
    url = getattr(settings, "REDIS_URL", "")
    return _redis_client(url) if url else None


def lease_seconds() -> float:
    return float(getattr(settings, "LIGHTSYNC_LEASE_SECONDS", 30.0))


def lease_keeper_enabled() -> bool:
    # Off in the test settings: a keeper thread's own connection cannot see (and on SQLite waits
    # behind) the rows of a test's open transaction. The lease tests turn it on.
    return bool(getattr(settings, "LIGHTSYNC_LEASE_KEEPER", True))


class LockLostError(RuntimeError):
    """A holder's lease lapsed and another holder took it: the holder's work must stop."""


def _lock_row_model():
    # core.models cannot be imported while Django loads the apps; locks are taken after that.
    from integrations.core.models import NamedLock as LockRow

    return LockRow


class NamedLock:
    """One holder at a time for `name`, across processes. Use `named_lock(...)` in code."""

    # When the holder last pushed the expiry out (keep_alive's rhythm); a class attribute so that
    # tests can move time without sleeping.
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, name: str, *, ttl: float | None = None) -> None:
        self.name = name
        self.ttl = ttl or lease_seconds()
        self.token = secrets.token_hex(16)
        self.acquired = False
        self.lost = False
        self._extended_at: float | None = None
        self._guard = threading.Lock()  # the keeper thread and the holder extend in turn
        redis = redis_client()
        self._redis_lock = (
            redis.lock(self.redis_key(name), timeout=self.ttl, thread_local=False)
            if redis is not None
            else None
        )

    @staticmethod
    def redis_key(name: str) -> str:
        return f"lightsync:lock:{name}"

    # -- public --------------------------------------------------------------------------------
    def try_acquire(self) -> bool:
        with self._guard:
            if self._redis_lock is not None:
                self.acquired = self._redis_lock.acquire(blocking=False, token=self.token)
            else:
                self.acquired = self._db_try_acquire()
            if self.acquired:
                self._extended_at = self.clock()
                self.lost = False
            return self.acquired

    def acquire(
        self, *, wait: float = 0.0, poll: float = 0.05, sleep: Callable[[float], None] = time.sleep
    ) -> bool:
        deadline = time.monotonic() + wait
        while True:
            if self.try_acquire():
                return True
            if time.monotonic() >= deadline:
                return False
            sleep(min(poll, max(0.0, deadline - time.monotonic())))
            poll = min(poll * 1.5, 0.5)

    def release(self) -> None:
        with self._guard:
            if not self.acquired:
                return
            self.acquired = False
            if self._redis_lock is not None:
                # A lapsed lease (maybe another holder's now) has nothing of ours to free.
                with suppress(LockError):
                    self._redis_lock.release()
            else:
                _lock_row_model().objects.filter(name=self.name, token=self.token).delete()

    def extend(self) -> bool:
        """Pushes the expiry a full lease out; False when the lease was lost to another holder."""
        with self._guard:
            if not self.acquired:
                return False
            if self._redis_lock is not None:
                try:
                    extended = self._redis_lock.reacquire()
                except LockError:
                    extended = False
            else:
                extended = bool(
                    _lock_row_model()
                    .objects.filter(name=self.name, token=self.token)
                    .update(expires_at=timezone.now() + timedelta(seconds=self.ttl))
                )
            if extended:
                self._extended_at = self.clock()
            return extended

    def keep_alive(self) -> None:
        """For long work to call as it makes progress: keeps the lease while the work goes on.

        Cheap to call often: it writes only once a third of the lease has passed since the lease
        was taken or last extended. A lease that lapsed while nobody else took it is taken back;
        one that another holder took raises `LockLostError`, so that two holders never overlap.
        """
        if not self.acquired:
            return
        if self.lost:
            raise LockLostError(f"The lease {self.name} lapsed and another holder took it.")
        if self._extended_at is not None and self.clock() - self._extended_at < self.ttl / 3:
            return
        if self.extend() or self.try_acquire():
            return
        self.lost = True
        raise LockLostError(f"The lease {self.name} lapsed and another holder took it.")

    def _db_try_acquire(self) -> bool:
        LockRow = _lock_row_model()
        now = timezone.now()
        try:
            with transaction.atomic():
                LockRow.objects.filter(name=self.name, expires_at__lte=now).delete()
                LockRow.objects.create(
                    name=self.name, token=self.token, expires_at=now + timedelta(seconds=self.ttl)
                )
        except IntegrityError:
            return False
        return True


class LeaseKeeper(threading.Thread):
    """Renews one lease every third of it while the holding process lives.

    `on_renew` runs after each renewal (a run's heartbeat). A renewal that finds the lease taken
    by another holder marks it lost and stops; the holder's next `keep_alive()` then raises.
    """

    def __init__(self, lock: NamedLock, *, on_renew: Callable[[], None] | None = None) -> None:
        super().__init__(name=f"lease {lock.name}", daemon=True)
        self.lock = lock
        self.on_renew = on_renew
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.lock.ttl / 3):
                if not self._renew():
                    return
        finally:
            connections.close_all()  # this thread's own database connections

    def _renew(self) -> bool:
        try:
            if not (self.lock.extend() or self.lock.try_acquire()):
                self.lock.lost = True
                logger.warning("The lease %s was taken by another holder", self.lock.name)
                return False
            if self.on_renew is not None:
                self.on_renew()
        except Exception:  # a database or Redis hiccup: the lease has two more thirds to go
            logger.exception("Could not renew the lease %s", self.lock.name)
        return True

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)


@contextmanager
def named_lock(
    name: str,
    *,
    wait: float = 0.0,
    on_renew: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[NamedLock | None]:
    """Yields the held lease, or None when another holder kept it for longer than `wait` seconds.

    The lease is renewed in the background until the block ends, then released."""
    lock = NamedLock(name)
    if not lock.acquire(wait=wait, sleep=sleep):
        yield None
        return
    keeper = LeaseKeeper(lock, on_renew=on_renew) if lease_keeper_enabled() else None
    if keeper is not None:
        keeper.start()
    try:
        yield lock
    finally:
        if keeper is not None:
            keeper.stop()
        lock.release()


def lock_is_held(name: str) -> bool:
    """Whether a live holder has the lease `name` now (a lapsed one counts as free)."""
    redis = redis_client()
    if redis is not None:
        return bool(redis.exists(NamedLock.redis_key(name)))
    return _lock_row_model().objects.filter(name=name, expires_at__gt=timezone.now()).exists()


def company_job_lock_name(company_id: int, job: str) -> str:
    return f"company:{company_id}:job:{job}"


@contextmanager
def company_job_lock(company_id: int, job: str, *, wait: float = 0.0) -> Iterator[bool]:
    """One run per company and job at a time. Yields whether this caller got the lease."""
    with named_lock(company_job_lock_name(company_id, job), wait=wait) as lock:
        yield lock is not None
