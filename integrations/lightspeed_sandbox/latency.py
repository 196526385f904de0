"""A network round trip's worth of delay on every answer outside the control API.

Real Lightspeed answers in a few hundred milliseconds; without this the sandbox answers at once.
`--latency-ms N --latency-jitter-ms J` (or `POST /_sandbox/latency {"ms": N, "jitter_ms": J}`)
delays each answer by N ± J ms (uniform, never below 0). The request is handled as soon as it
arrives — the leaky bucket counts it then, as Lightspeed's does — and the answer waits before it
is sent.

The wait holds a server thread (waitress runs the view in a thread), so while latency is on the
server keeps at least `MIN_THREADS` threads: `--threads` only raises that, and switching latency
on at run time grows the pool through the hook the server registers (`on_enable`). The pool never
shrinks back.

The setting lives in this process; `POST /_sandbox/reset` restores the values it started with.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

MIN_THREADS = 64

_lock = threading.Lock()
_ms = 0.0
_jitter_ms = 0.0
_initial = (0.0, 0.0)
_on_enable: Callable[[], int] | None = None
_threads: int | None = None  # the server's thread count, as its hook last reported it


def configure(ms: float, jitter_ms: float = 0.0, *, initial: bool = False) -> dict:
    """Set the latency (ms ≥ 0, jitter_ms ≥ 0); `initial` also makes it what a reset restores."""
    global _ms, _jitter_ms, _initial
    ms, jitter_ms = float(ms), float(jitter_ms)
    if ms < 0 or jitter_ms < 0:
        raise ValueError("ms and jitter_ms must be 0 or more")
    with _lock:
        _ms, _jitter_ms = ms, jitter_ms
        if initial:
            _initial = (ms, jitter_ms)
    if is_on() and _on_enable is not None:
        set_threads(_on_enable())
    return current()


def current() -> dict:
    state: dict = {"ms": _ms, "jitter_ms": _jitter_ms}
    if _threads is not None:
        state["threads"] = _threads
    return state


def set_threads(count: int) -> None:
    global _threads
    _threads = count


def is_on() -> bool:
    return _ms > 0 or _jitter_ms > 0


def reset() -> dict:
    return configure(*_initial)


def on_enable(hook: Callable[[], int] | None) -> None:
    """Called (from the thread that switched it) each time latency is set on; returns the threads."""
    global _on_enable
    _on_enable = hook


def threads_for(requested: int) -> int:
    """The server threads to run: `requested`, and at least MIN_THREADS while latency is on."""
    return max(requested, MIN_THREADS) if is_on() else requested


def pick_ms() -> float:
    """The delay for one answer: uniform in [ms - jitter, ms + jitter], never negative."""
    with _lock:
        ms, jitter = _ms, _jitter_ms
    if not jitter:
        return ms
    return max(random.uniform(ms - jitter, ms + jitter), 0.0)  # noqa: S311 - not cryptographic
