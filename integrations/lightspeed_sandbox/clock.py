"""The sandbox's own clock: real time plus an offset that `POST /_sandbox/clock` moves forward.

Code expiry, token expiry, bucket draining and every timestamp the API writes read it, so a
test can let an hour pass without waiting. The offset lives in the database (it survives a
restart) and in this process (it is read on every request).
"""

import threading
import time
from datetime import UTC, datetime

_lock = threading.Lock()
_offset = 0.0


def load() -> None:
    from integrations.lightspeed_sandbox.store.models import SandboxState

    global _offset
    state, _ = SandboxState.objects.get_or_create(pk=1)
    with _lock:
        _offset = state.clockOffset


def epoch() -> float:
    return time.time() + _offset


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
    global _offset
    with _lock:
        _offset = 0.0


def offset() -> float:
    return _offset
