"""Pacing from Lightspeed's leaky bucket, shared by every process that talks to one account.

Lightspeed meters each account (and OAuth client) with a bucket that drains at the drip rate; a
request that would overflow it is answered 429. Each request first *reserves* its cost in a
shared model of that bucket and waits for as long as the bucket needs to drain to take it;
each response then *observes* the real level, size and drip rate from its headers.

This module is the model's arithmetic and the `Pacer` protocol the transport is given. Where the
model lives (Redis, or the database: never one process's memory, so ten workers on one account
pace as one) is the connection's business: connection/services/pacing.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from integrations.lightspeed.api.normalise import parse_bucket_level, parse_float

DEFAULT_SIZE = 90.0  # documented minimum (one register); the headers correct it
DEFAULT_DRIP_RATE = 1.0
HEADROOM = 2.0  # drips kept free for the estimate's error (relation costs, other clients)


@dataclass(frozen=True)
class BucketReading:
    level: float | None = None
    size: float | None = None
    drip_rate: float | None = None
    burst: float | None = None  # requests allowed per 1-second window (X-LS-API-Burst-Level)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> BucketReading:
        # requests' headers are case-insensitive; plain dicts from tests may not be.
        lowered = {k.lower(): v for k, v in headers.items()}
        level = parse_bucket_level(lowered.get("x-ls-api-bucket-level"))
        burst = parse_bucket_level(lowered.get("x-ls-api-burst-level"))
        return cls(
            level=level[0] if level else None,
            size=level[1] if level else None,
            drip_rate=parse_float(lowered.get("x-ls-api-drip-rate")),
            burst=burst[1] if burst else None,
        )

    @property
    def empty(self) -> bool:
        return self.level is None and self.drip_rate is None and self.burst is None


class Pacer(Protocol):
    def reserve(self, cost: float) -> float:
        """Counts `cost` against the bucket; returns the seconds to wait before sending."""

    def observe(self, reading: BucketReading) -> None:
        """Corrects the model with what Lightspeed reported."""


class Unpaced:
    """No shared model: for a client that makes a request or two outside any job (tests)."""

    def reserve(self, cost: float) -> float:
        return 0.0

    def observe(self, reading: BucketReading) -> None:
        pass


def reserve_in(level: float, size: float, drip: float, elapsed: float, cost: float) -> tuple[float, float]:
    drip = drip if drip > 0 else DEFAULT_DRIP_RATE
    level = max(0.0, level - drip * max(0.0, elapsed))
    limit = max(cost, size - HEADROOM)
    wait = max(0.0, (level + cost - limit) / drip)
    # Counting the cost now (not after the wait) is what makes the next reserver wait longer.
    return wait, level + cost


# The burst limiter counts requests per 1-second window. A leaky model whose capacity and drip are
# each half the window's allowance never sends more than the allowance within any one second.
DEFAULT_BURST = round(DEFAULT_SIZE * 2 / 9)  # 20 for 90, as observed; the headers correct it


def burst_half(burst: float | None) -> float:
    return max(1.0, (burst or DEFAULT_BURST) / 2)
