"""A process's "stop now" flag: set on SIGTERM (a deploy, a restart), read by long work.

A worker shutting down (Celery's warm shutdown, or the `lightspeed_sync` command receiving
SIGTERM) sets it; a job checks it at every request and progress step and while it waits, raises
`ShutdownRequestedError` there, and its runner records the run as interrupted, frees its lease and
queues it again — so a deploy never leaves a lease behind, even during a long back-off.
"""

from __future__ import annotations

import signal
import threading
import time

_requested = threading.Event()
_reason = ["", 0.0]


class ShutdownRequestedError(RuntimeError):
    """The process is stopping: the work in hand is abandoned (its transaction rolls back)."""


def request(reason: str) -> None:
    _reason[0], _reason[1] = reason, time.time()
    _requested.set()


def requested() -> bool:
    return _requested.is_set()


def reason() -> str:
    return _reason[0]


def reset() -> None:
    """For tests, and for a process that carries on after all (nothing else clears it)."""
    _requested.clear()
    _reason[0] = ""


def check() -> None:
    if _requested.is_set():
        raise ShutdownRequestedError(_reason[0] or "The process is stopping.")


def sleep(seconds: float) -> None:
    """`time.sleep` that wakes, and raises, as soon as a shutdown is requested."""
    if _requested.wait(max(0.0, seconds)):
        check()


def on_sigterm(reason: str) -> None:
    """Installs a SIGTERM handler that requests the shutdown (main thread only)."""

    def handler(signum, frame) -> None:
        request(reason)

    signal.signal(signal.SIGTERM, handler)
