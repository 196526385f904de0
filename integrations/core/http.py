"""Generic HTTP helpers for channel clients: timeouts, backoff with jitter, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# (connect, read) seconds: every outbound request names its timeouts.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)


def backoff_delay(
    attempt: int, *, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None
) -> float:
    """Exponential backoff with full jitter: a random wait in [base/2, min(cap, base·2^attempt)].

    The jitter keeps many workers that failed together from retrying together.
    """
    ceiling = min(cap, base * (2**attempt))
    return (rng or random).uniform(min(base / 2, ceiling), ceiling)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header given in seconds or as an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
