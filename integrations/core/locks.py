"""Named locks that hold across processes and machines.

With settings.REDIS_URL set the lock is a Redis key (SET NX PX with a random token; released
only by its holder). Without Redis it is a row in the `core_namedlock` table with an expiry,
which works on SQLite (the embedded default) and PostgreSQL alike. Every lock expires, so a
crashed holder never blocks a company for good; holders of long work call `keep_alive()` as
they make progress (it extends the lock once a third of its TTL has passed).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end
"""


@lru_cache(maxsize=4)
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url)


def redis_client():
    """The shared Redis connection, or None on the embedded default."""
    url = getattr(settings, "REDIS_URL", "")
    return _redis_client(url) if url else None


class LockLostError(RuntimeError):
    """A holder's lock lapsed and another holder took it: the holder's work must stop."""


class NamedLock:
    """One holder at a time for `name`, across processes. Use `named_lock(...)` in code."""

    # When the holder last pushed the expiry out (keep_alive's rhythm); a class attribute so that
    # tests can move time without sleeping.
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, name: str, *, ttl: float = 300.0) -> None:
        self.name = name
        self.ttl = ttl
        self.token = secrets.token_hex(16)
        self.acquired = False
        self._extended_at: float | None = None

    # -- Redis ---------------------------------------------------------------------------------
    def _redis_key(self) -> str:
        return f"lightsync:lock:{self.name}"

    # -- public --------------------------------------------------------------------------------
    def try_acquire(self) -> bool:
        redis = redis_client()
        if redis is not None:
            self.acquired = bool(redis.set(self._redis_key(), self.token, nx=True, px=int(self.ttl * 1000)))
        else:
            self.acquired = self._db_try_acquire()
        if self.acquired:
            self._extended_at = self.clock()
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
        if not self.acquired:
            return
        redis = redis_client()
        if redis is not None:
            redis.eval(_RELEASE, 1, self._redis_key(), self.token)
        else:
            from integrations.core.models import NamedLock as LockRow

            LockRow.objects.filter(name=self.name, token=self.token).delete()
        self.acquired = False

    def extend(self, ttl: float | None = None) -> bool:
        """Pushes the expiry out; False when the lock was lost (expired and taken by another)."""
        ttl = ttl or self.ttl
        redis = redis_client()
        if redis is not None:
            extended = bool(redis.eval(_EXTEND, 1, self._redis_key(), self.token, int(ttl * 1000)))
        else:
            from integrations.core.models import NamedLock as LockRow

            extended = bool(
                LockRow.objects.filter(name=self.name, token=self.token).update(
                    expires_at=timezone.now() + timedelta(seconds=ttl)
                )
            )
        if extended:
            self._extended_at = self.clock()
        return extended

    def keep_alive(self) -> None:
        """For long work to call as it makes progress: keeps the lock while the work goes on.

        Cheap to call often: it writes only once a third of the TTL has passed since the lock was
        taken or last extended. A lock that lapsed while nobody else took it is taken back; one
        that another holder took raises `LockLostError`, so that two holders never overlap.
        """
        if not self.acquired:
            return
        if self._extended_at is not None and self.clock() - self._extended_at < self.ttl / 3:
            return
        if self.extend() or self.try_acquire():
            return
        raise LockLostError(f"The lock {self.name} lapsed and another holder took it.")

    def _db_try_acquire(self) -> bool:
        from integrations.core.models import NamedLock as LockRow

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


@contextmanager
def named_lock(name: str, *, ttl: float = 300.0, wait: float = 0.0) -> Iterator[NamedLock | None]:
    """Yields the held lock, or None when another holder kept it for longer than `wait` seconds."""
    lock = NamedLock(name, ttl=ttl)
    if not lock.acquire(wait=wait):
        yield None
        return
    try:
        yield lock
    finally:
        lock.release()


def company_job_lock_name(company_id: int, job: str) -> str:
    return f"company:{company_id}:job:{job}"


@contextmanager
def company_job_lock(company_id: int, job: str, *, ttl: float = 3600.0, wait: float = 0.0) -> Iterator[bool]:
    """One run per company and job at a time. Yields whether this caller got the lock."""
    with named_lock(company_job_lock_name(company_id, job), ttl=ttl, wait=wait) as lock:
        yield lock is not None
