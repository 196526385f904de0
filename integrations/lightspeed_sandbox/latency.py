"""A network round trip's worth of delay on every answer outside the control API.

Real Lightspeed answers in a few hundred milliseconds; without this the sandbox answers at once.
`--latency-ms N --latency-jitter-ms J` (or `POST /_sandbox/latency {"ms": N, "jitter_ms": J}`)
delays each answer by N ± J ms (uniform, never below 0). The request is handled as soon as it
arrives — the leaky bucket counts it then, as Lightspeed's does — and the answer waits before it
is sent.

The wait holds no server thread: the server's connections (`deferred.DeferredChannel`) keep a
finished answer until it is due, so the default 8 threads serve hundreds of clients waiting at
once. `answersWaiting` / `answersPeak` in `GET /_sandbox/latency` count the answers held.

The setting lives in this process; `POST /_sandbox/reset` restores the values it started with.
"""

from __future__ import annotations

import random
import threading

_lock = threading.Lock()
_ms = 0.0
_jitter_ms = 0.0
_initial = (0.0, 0.0)
_threads: int | None = None  # the server's thread count, as it reported it
_waiting = 0
_peak = 0


def configure(ms: float, jitter_ms: float = 0.0, *, initial: bool = False) -> dict:
    """Set the latency (ms ≥ 0, jitter_ms ≥ 0); `initial` also makes it what a reset restores.

    The peak of answers waiting starts again from those waiting now."""
    global _ms, _jitter_ms, _initial, _peak
    ms, jitter_ms = float(ms), float(jitter_ms)
    if ms < 0 or jitter_ms < 0:
        raise ValueError("ms and jitter_ms must be 0 or more")
    with _lock:
        _ms, _jitter_ms = ms, jitter_ms
        _peak = _waiting
        if initial:
            _initial = (ms, jitter_ms)
    return current()


def current() -> dict:
    state: dict = {"ms": _ms, "jitter_ms": _jitter_ms}
    if _threads is not None:
        state["threads"] = _threads
    state["answersWaiting"] = _waiting
    state["answersPeak"] = _peak
    return state


def set_threads(count: int) -> None:
    global _threads
    _threads = count


def answer_waiting(change: int) -> None:
    """An answer starts (+1) or stops (-1) waiting for its due time."""
    global _waiting, _peak
    with _lock:
        _waiting += change
        _peak = max(_peak, _waiting)


def is_on() -> bool:
    return _ms > 0 or _jitter_ms > 0


def reset() -> dict:
    return configure(*_initial)


def pick_ms() -> float:
    """The delay for one answer: uniform in [ms - jitter, ms + jitter], never negative."""
    with _lock:
        ms, jitter = _ms, _jitter_ms
    if not jitter:
        return ms
    return max(random.uniform(ms - jitter, ms + jitter), 0.0)  # noqa: S311 - not cryptographic
