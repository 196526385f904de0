"""Live progress of a run: what a job reports through `JobContext.progress`, on its SyncRun.

A job calls `ctx.progress(n)` as it finishes n things (and, when it knows, `ctx.progress.set_total(n)`
first). The count reaches the run's row at most every few seconds, so the dashboard can show a
run in progress without the job writing a row per record. The same rhythm is the run's
heartbeat: every Lightspeed request of the run beats too (`beat`), and each write keeps the
run's company-and-job lease alive (as its keeper thread does between them). Each beat, and every
second of a wait, also checks whether the process is shutting down (`integrations.core.shutdown`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.utils import timezone

from integrations.core import shutdown
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
        shutdown.check()
        if self.clock() - self._flushed_at >= self.interval:
            self.flush()

    def sleeper(self, sleep: Callable[[float], None]) -> Callable[[float], None]:
        """`sleep` for the run's client: a long wait (a Retry-After, a back-off) beats every
        second and stops at once when the process is shutting down."""
        if sleep is not time.sleep:
            return sleep  # a test's own clock

        def wait(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                shutdown.sleep(min(1.0, left))
                self.beat()

        return wait

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


def run_heartbeat(run_pk: int) -> None:
    """The run's lease was renewed: its holder is alive (the resume sweep reads this)."""
    SyncRun.objects.filter(pk=run_pk, outcome=SyncRun.Outcome.RUNNING).update(heartbeat_at=timezone.now())
