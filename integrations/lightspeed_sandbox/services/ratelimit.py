"""Lightspeed's rate limits as in force since 2026-03: a leaky bucket and a burst limiter.

The bucket lives in the database and is updated in one IMMEDIATE transaction per request, so
concurrent requests (any number of server threads) serialize on it and never lose a drip.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.store.models import Bucket, Register

RELATION_CONTAINERS = (
    "ItemShops",
    "Prices",
    "ItemAttributes",
    "SaleLines",
    "SalePayments",
    "Addresses",
    "Emails",
    "Phones",
)


@dataclass(frozen=True)
class Limits:
    size: float
    drip: float
    burst: int


@dataclass(frozen=True)
class BucketResult:
    allowed: bool
    level: float
    limits: Limits
    burst_count: int
    cost: float
    limit_type: str = ""
    retry_after: int = 0

    def headers(self) -> dict[str, str]:
        from integrations.lightspeed_sandbox.render import number_str

        headers = {
            "X-LS-API-Bucket-Level": f"{number_str(self.level)}/{number_str(self.limits.size)}",
            "X-LS-API-Drip-Rate": number_str(self.limits.drip),
            # A refused request still reports what it would have cost (the documented 429 does).
            "X-LS-API-Request-Cost": number_str(self.cost),
        }
        if self.limits.burst:
            headers["X-LS-API-Burst-Level"] = f"{self.burst_count}/{self.limits.burst}"
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
            headers["X-LS-API-RateLimit-Type"] = self.limit_type
        return headers


_register_counts: dict[int, tuple[float, int]] = {}
REGISTER_COUNT_TTL = 5.0  # seconds: registers rarely change, every request reads the limits


def _registers(account_id: int) -> int:
    now = time.monotonic()
    cached = _register_counts.get(account_id)
    if cached is None or now - cached[0] > REGISTER_COUNT_TTL:
        cached = (now, Register.objects.filter(accountID=account_id, archived=False).count())
        _register_counts[account_id] = cached
    return cached[1]


def limits_forget() -> None:
    _register_counts.clear()


def limits_for(account_id: int) -> Limits:
    """90 and 1/s for one register; each extra register adds 10 to the size and 0.5/s."""
    registers = _registers(account_id)
    extra = max(registers - 1, 0)
    size = settings.SANDBOX_BUCKET_SIZE + 10 * extra
    burst = settings.SANDBOX_BURST_LIMIT
    return Limits(
        size=size,
        drip=settings.SANDBOX_DRIP_RATE + 0.5 * extra,
        burst=max(1, round(size * 2 / 9)) if burst == "auto" else int(burst),
    )


def _nested_entities(body: object) -> int:
    """Entities inside relation containers of a write body (`{"SaleLines": {"SaleLine": [...]}}`)."""
    count = 0
    if isinstance(body, dict):
        for key, value in body.items():
            if key in RELATION_CONTAINERS and isinstance(value, (dict, list)):
                inner = value
                if isinstance(value, dict) and len(value) == 1:
                    inner = next(iter(value.values()))
                entries = inner if isinstance(inner, list) else [inner]
                count += len(entries)
                for entry in entries:
                    count += _nested_entities(entry)
            elif isinstance(value, dict):
                count += _nested_entities(value)
    elif isinstance(body, list):
        for entry in body:
            count += _nested_entities(entry)
    return count


def relations_cost(relations: dict[str, bool], *, is_list: bool) -> float:
    """0.1 a to-one and 0.2 a to-many relation, doubled on queries and under a to-many parent.

    `relations` maps each loaded relation (`SaleLines.Item`) to whether it is to-many.
    """
    total = 0.0
    for name, many in relations.items():
        cost = 0.2 if many else 0.1
        parent = name.rpartition(".")[0]
        if parent and relations.get(parent, False):
            cost *= 2
        total += cost * 2 if is_list else cost
    return total


def query_cost(query: dict[str, str], *, legacy: bool) -> float:
    """Extra drips for `or=` clauses, V2 offsets (0.005 a skipped record) and unsortable orderby."""
    extra = 0.0
    clauses = [part.partition("=")[0] for part in str(query.get("or") or "").split("|") if part]
    if clauses and len(set(clauses)) > 1:
        entities = {name.partition(".")[0] for name in clauses if "." in name}
        extra += 10.0 * len(entities) + len(clauses) if entities else len(clauses)
    offset = str(query.get("offset") or "0")
    if legacy and offset.isdigit():
        extra += 0.005 * int(offset)
    return extra


def request_cost(
    *,
    method: str,
    resource: str,
    is_list: bool,
    query: dict[str, str],
    relations: dict[str, bool],
    body: object,
    action: str = "",
    legacy: bool = False,
    extra: float = 0.0,
) -> float:
    """The drips a request costs, per the 2026-03 cost model (before anything is loaded)."""
    if method == "GET" and query.get("count") == "1":
        return 10.0
    if action == "refund":
        return 10.0
    if method == "GET":
        return 1.0 + relations_cost(relations, is_list=is_list) + query_cost(query, legacy=legacy) + extra
    cost = 1.0
    if resource == "Sale" and method in ("POST", "PUT", "DELETE"):
        cost = 2.0
        if isinstance(body, dict) and str(body.get("completed", "")).lower() in ("true", "1"):
            cost += 3.0
    return cost + 0.5 * _nested_entities(body)


def bucket_take(*, account_id: int, client_id: str, cost: float) -> BucketResult:
    limits = limits_for(account_id)
    now = clock.epoch()
    window = math.floor(now)
    with transaction.atomic():
        bucket, _ = Bucket.objects.get_or_create(accountID=account_id, clientID=client_id)
        elapsed = max(now - bucket.updatedAt, 0.0) if bucket.updatedAt else 0.0
        level = max(bucket.level - elapsed * limits.drip, 0.0)
        burst = bucket.burstCount + 1 if bucket.burstWindow == window else 1
        if limits.burst and burst > limits.burst:
            result = BucketResult(False, level, limits, burst, cost, "api-burst-limiter", 1)
        elif level >= limits.size:
            # The overflowing request got through; wait until the level is back under the size.
            wait = (level - limits.size) / limits.drip if limits.drip else 60.0
            retry = max(1, math.ceil(wait + 1e-9))
            result = BucketResult(False, level, limits, burst, cost, "api-leaky-bucket", retry)
        else:
            level += cost
            result = BucketResult(True, level, limits, burst, cost)
        Bucket.objects.filter(pk=bucket.pk).update(
            level=level, updatedAt=now, burstWindow=window, burstCount=burst
        )
    return result


def bucket_levels() -> list[dict]:
    now = clock.epoch()
    out = []
    for bucket in Bucket.objects.all().order_by("accountID", "clientID"):
        limits = limits_for(bucket.accountID)
        level = max(bucket.level - max(now - bucket.updatedAt, 0.0) * limits.drip, 0.0)
        out.append(
            {
                "accountID": bucket.accountID,
                "clientID": bucket.clientID,
                "level": round(level, 3),
                "size": limits.size,
                "dripRate": limits.drip,
            }
        )
    return out
