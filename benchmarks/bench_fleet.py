"""A fleet of companies on one deployment, on PostgreSQL + Redis (skipped, saying so, elsewhere).

* the live tick's cost at 1,000 companies: queries and milliseconds per tick, steady state (a
  tenth due each second) and the worst tick (every company due at once);
* idle cost per company per minute with nothing to do — Celery tasks, SQL statements, Redis round
  trips, API requests — at N/4 and at N companies (`BENCH_FLEET_COMPANIES`, 200), each connected
  to a sandbox fleet account of its own, the sandbox answering after 300 ms; counted inside the
  worker and beat processes (`benchmarks/fleet_counters.py`) over `BENCH_FLEET_IDLE_SECONDS` (180).

Workers as docs/scaling.md runs them: one for the short queues, one for the long ones, one beat.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks import fleet_support as fleet
from integrations.commerce.models import Company
from integrations.lightspeed import tasks
from integrations.lightspeed.live.services.schedule import live_tick
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, LiveState

pytestmark = pytest.mark.skipif(
    fleet.on_postgres_and_redis() is not None, reason=str(fleet.on_postgres_and_redis())
)

COMPANIES = int(os.environ.get("BENCH_FLEET_COMPANIES", 200))
IDLE_SECONDS = float(os.environ.get("BENCH_FLEET_IDLE_SECONDS", 180))
TICK_COMPANIES = 1000
LATENCY_MS = 300
ITEMS = 20


def _eligible(count: int) -> list[int]:
    companies = [Company.objects.create(name=f"Tick {i}") for i in range(count)]
    ids = [c.pk for c in companies]
    LightspeedSettings.objects.filter(company_id__in=ids).update(
        enabled=True,
        order_download_enabled=True,
        account_id="1",
        refresh_token="r",
        connection_status=ConnectionStatus.CONNECTED,
    )
    return ids


def _tick(at) -> tuple[int, float, int]:
    """One tick as beat's task runs it (the probes published to Redis): queries, ms, probes queued."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        due = live_tick(enqueue=tasks._probe_soon, now=at)
        ms = (time.perf_counter() - started) * 1000
    return len(queries.captured_queries), ms, len(due)


def _summary(ticks: list[tuple[int, float, int]]) -> str:
    queries = sorted({q for q, _, _ in ticks})
    ms = sorted(m for _, m, _ in ticks)
    probes = statistics.mean(p for _, _, p in ticks)
    return (
        f"{'/'.join(map(str, queries))} queries, median {statistics.median(ms):.1f} ms, "
        f"max {ms[-1]:.1f} ms, {probes:.0f} probes queued per tick"
    )


def bench_fleet_scheduler_tick_at_1000_companies(transactional_db):
    ids = _eligible(TICK_COMPANIES)
    redis = fleet.redis_client()
    t0 = timezone.now()
    try:
        first = _tick(t0)  # every company new: its live state made, every probe due
        assert first[2] == TICK_COMPANIES
        steady = []
        for second in range(1, 31):
            # As probes leave them: each company due every 10 s (the idle interval), a tenth a second.
            at = t0 + timedelta(seconds=second)
            LiveState.objects.filter(company_id__in=[i for i in ids if i % 10 == second % 10]).update(
                next_probe_at=at
            )
            steady.append(_tick(at))
        assert all(p == TICK_COMPANIES // 10 for _, _, p in steady)
        idle = [_tick(t0 + timedelta(seconds=40 + s)) for s in range(10)]  # claims hold: nothing due
        LiveState.objects.update(next_probe_at=t0)
        worst = [_tick(t0 + timedelta(seconds=100 + s * 50)) for s in range(3)]
        for s in range(3):
            LiveState.objects.update(next_probe_at=t0)
            worst.append(_tick(t0 + timedelta(seconds=300 + s * 50)))
    finally:
        redis.delete("lightspeed.live")  # the probes published: no worker takes them here

    print()
    print(f"fleet scheduler at {TICK_COMPANIES} companies: first tick (states made): {_summary([first])}")
    print(f"fleet scheduler at {TICK_COMPANIES} companies: steady tick, a tenth due: {_summary(steady)}")
    print(f"fleet scheduler at {TICK_COMPANIES} companies: tick with nothing due: {_summary(idle)}")
    print(f"fleet scheduler at {TICK_COMPANIES} companies: every company due at once: {_summary(worst[1:])}")
