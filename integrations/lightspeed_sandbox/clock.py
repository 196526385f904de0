"""The sandbox's own clock: real time plus an offset that `POST /_sandbox/clock` moves forward.

Code expiry, token expiry, bucket draining and every timestamp the API writes read it, so a
test can let an hour pass without waiting. The offset lives in the database (it survives a
restart) and in this process (it is read on every request).

A test can also freeze the clock (`POST /_sandbox/clock {"freeze": true}`): it then stands still
until advanced, so bucket levels, burst windows and expiry no longer depend on how fast the
machine runs the test. Thawing lets it catch up with real time (it never moves back); a reset
thaws it. The freeze lives in this process only.
"""

import threading
import time
from datetime import UTC, datetime

_lock = threading.Lock()
_offset = 0.0
_frozen_at: float | None = None  # real time at which the clock stopped, while frozen


def load() -> None:
    from integrations.lightspeed_sandbox.store.models import SandboxState

    global _offset
    state, _ = SandboxState.objects.get_or_create(pk=1)
    with _lock:
        _offset = state.clockOffset


def epoch() -> float:
    frozen = _frozen_at
    return (time.time() if frozen is None else frozen) + _offset


def freeze(frozen: bool) -> None:
    """Stop the clock where it is, or let it run (catching up with real time) again."""
    global _frozen_at
    with _lock:
        if frozen and _frozen_at is None:
            _frozen_at = time.time()
        elif not frozen:
            _frozen_at = None


def is_frozen() -> bool:
    return _frozen_at is not None


def now() -> datetime:
    """The sandbox time, truncated to the second as Lightspeed's timestamps are."""
    return datetime.fromtimestamp(int(epoch()), tz=UTC)


def advance(seconds: float) -> float:
    from django.db import transaction

    from integrations.lightspeed_sandbox.store.models import SandboxState

    global _offset
    if seconds < 0:
        raise ValueError("the sandbox clock only moves forward")
    with transaction.atomic():
        state, _ = SandboxState.objects.get_or_create(pk=1)
        state.clockOffset += seconds
        state.save(update_fields=["clockOffset"])
    with _lock:
        _offset = state.clockOffset
    return _offset


def reset() -> None:
    global _offset, _frozen_at
    with _lock:
        _offset = 0.0
        _frozen_at = None


def offset() -> float:
    return _offset
