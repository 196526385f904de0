"""Live progress of a run: what a job reports through `JobContext.progress`, on its SyncRun.

A job calls `ctx.progress(n)` as it finishes n things (and, when it knows, `ctx.progress.set_total(n)`
first). The count reaches the run's row at most every few seconds, so the dashboard can show a
run in progress without the job writing a row per record. The same rhythm is the run's
heartbeat: every Lightspeed request of the run beats too (`beat`), and each write keeps the
run's company-and-job lock alive, so a backfill longer than the lock's hour keeps it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from integrations.core.locks import NamedLock
from integrations.lightspeed.api.transport import ClientStats
from integrations.lightspeed.models import SyncRun

FLUSH_INTERVAL = 2.0  # seconds between writes of a running run's progress


class RunProgress:
    def __init__(
        self,
        run: SyncRun,
        *,
        stats: ClientStats,
        forward: Callable[[int], None] | None = None,
        interval: float = FLUSH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        lock: NamedLock | None = None,
    ) -> None:
        self.run = run
        self.lock = lock
        self.stats = stats
        self.forward = forward
        self.interval = interval
        self.clock = clock
        self.done = 0
        self.total: int | None = None
        self._flushed_at = clock()

    def __call__(self, n: int = 1) -> None:
        self.done += n
        # The run object is saved whole when the run finishes: it must hold the final count.
        self.run.progress_done = self.done
        if self.forward is not None:
            self.forward(n)
        self.beat()

    def beat(self) -> None:
        """The run is alive (a request made, a record done): written at most every `interval`."""
        if self.clock() - self._flushed_at >= self.interval:
            self.flush()

    def set_total(self, total: int) -> None:
        self.total = self.run.progress_total = max(0, int(total))
        self.flush()

    def flush(self) -> None:
        self._flushed_at = self.clock()
        SyncRun.objects.filter(pk=self.run.pk).update(
            progress_done=self.done,
            progress_total=self.total,
            heartbeat_at=timezone.now(),
            api_requests=self.stats.requests,
            api_rate_limited=self.stats.rate_limited,
        )
        if self.lock is not None:
            self.lock.keep_alive()  # raises LockLostError when another run took the lock


# A run is protected by its company-and-job lock for an hour after its last heartbeat (the lock is
# kept alive by `flush`); a run still "running" with no heartbeat for longer lost its worker (a
# crash, a restart, a killed pod).
STALLED_AFTER = timedelta(hours=1)


def runs_stalled_close(*, now: datetime | None = None, after: timedelta = STALLED_AFTER) -> int:
    """Marks runs whose worker stopped as failed, so they stop showing as running and count
    towards the job's failure alerts. Returns how many were closed."""
    now = now or timezone.now()
    cutoff = now - after
    stalled = SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    return stalled.update(
        outcome=SyncRun.Outcome.FAILED,
        finished_at=now,
        error=f"No progress for over {int(after.total_seconds() // 60)} minutes: the worker running it stopped "
        "(a crash or a restart). The next scheduled run starts afresh.",
    )
