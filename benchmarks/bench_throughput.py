"""Throughput at real round trips: a large upload and a large order backfill against the sandbox at
300 ± 50 ms latency, on a ten-register account (drip 1 + 0.5 per extra register = 5.5/s, bucket 90,
the burst limiter on).

Each case runs its job as a worker does (`job_run`) and prints, from the sandbox's request log:
requests, drips (summed X-LS-API-Request-Cost), seconds, the drips per second after the first
bucketful was spent, that rate as a ratio of the drip rate, and the 429s. The sandbox's bucket is
drained before each case; the rate is measured from the first request that found it full (the
first bucketful spent: before that a run may spend faster than the drip rate). The
bar (docs/benchmarks.md) is a ratio of at least 0.9 with no 429: asserted unless
BENCH_THROUGHPUT_ASSERT=0 (to print the figures of a build that does not reach it).

BENCH_THROUGHPUT_ITEMS (default 300) and BENCH_THROUGHPUT_SALES (default 15,000) size the two
cases to about a minute each; LIGHTSPEED_MAX_IN_FLIGHT is read as the deployment reads it.
"""

from __future__ import annotations

import os
import random
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations.commerce.models import Order
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    LightspeedSettings,
    SyncRun,
)
from integrations.lightspeed.tests.pos import Pos, catalogue_item_ids, connect_demo
from integrations.lightspeed.tests.sandbox_helpers import linked_catalogue_changed

REGISTERS = 10
DRIP = 1 + 0.5 * (REGISTERS - 1)  # 5.5 drips a second
BUCKET = 90.0
LATENCY_MS, JITTER_MS = 300, 50
ITEMS = int(os.environ.get("BENCH_THROUGHPUT_ITEMS", "300"))
SALES = int(os.environ.get("BENCH_THROUGHPUT_SALES", "15000"))
ASSERT = os.environ.get("BENCH_THROUGHPUT_ASSERT", "1") != "0"
BAR = 0.9


def _point_at(server, settings, monkeypatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings.LIGHTSPEED_API_URL = settings.LIGHTSPEED_OAUTH_URL = server.api_url
    settings.LIGHTSPEED_CLIENT_ID, settings.LIGHTSPEED_CLIENT_SECRET = server.client_id, server.client_secret
    max_in_flight = os.environ.get("LIGHTSPEED_MAX_IN_FLIGHT")
    if max_in_flight:
        settings.LIGHTSPEED_MAX_IN_FLIGHT = int(max_in_flight)


def _drained(server) -> int:
    """The sandbox's bucket emptied (its clock moved past a full drain); the last log id before the run."""
    server.advance_clock(2 * BUCKET / DRIP)
    return server.requests_log()[-1]["id"]


def _moment(value) -> float:
    return datetime.fromisoformat(value).timestamp() if isinstance(value, str) else float(value)


def _report(case: str, server, first_id: int, elapsed: float, run: SyncRun, settings) -> float:
    log = server.requests_log(first_id)
    api = [r for r in log if "/API/" in r["path"]]
    drips = sum(r["cost"] for r in api)
    limited = [r for r in api if r["status"] == 429]
    # After the first bucketful: from the first request that found the bucket full (within the
    # pacer's headroom and one request) to the last request.
    start = next((n for n, r in enumerate(api) if r["level"] is not None and r["level"] >= BUCKET - 5), None)
    if start is None:
        # The bucket never filled (the run's own work, not the bucket, set the pace): from the
        # request that spent the first 90 drips instead.
        print(f"throughput {case}: the bucket never filled; rate measured after the first {BUCKET:g} drips")
        spent = 0.0
        for n, r in enumerate(api):
            spent += r["cost"]
            if spent >= BUCKET:
                start = n
                break
    assert start is not None and start < len(api) - 1, f"{case}: the run spent less than a bucketful"
    after = sum(r["cost"] for r in api[start + 1 :])
    seconds_after = _moment(api[-1]["time"]) - _moment(api[start]["time"])
    rate = after / seconds_after
    ratio = rate / DRIP
    print()
    print(
        f"throughput {case}: sandbox {LATENCY_MS} ± {JITTER_MS} ms, drip {DRIP:g}/s ({REGISTERS} registers), "
        f"bucket {BUCKET:g}, burst limiter on, database {connection.vendor}, "
        f"max in flight {getattr(settings, 'LIGHTSPEED_MAX_IN_FLIGHT', 1)}"
    )
    print(
        f"throughput {case}: {len(api)} requests, {drips:.1f} drips, {elapsed:.1f} s "
        f"({run.outcome}, counts {dict(sorted((k, v) for k, v in run.counts.items() if isinstance(v, int)))})"
    )
    print(
        f"throughput {case}: after the first bucketful: {after:.1f} drips in {seconds_after:.1f} s = "
        f"{rate:.2f} drips/s, ratio {ratio:.2f} of the drip rate; {len(limited)} × 429"
    )
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    if ASSERT:
        assert not limited, f"{case}: {len(limited)} × 429"
        assert ratio >= BAR, f"{case}: {ratio:.2f} of the drip rate (bar {BAR})"
    return ratio


@pytest.mark.timeout(1200)
@pytest.mark.django_db(transaction=True)
def bench_throughput_large_upload(sandbox_server_factory, settings, monkeypatch):
    """Every one of ITEMS linked items changed in one shop: one PUT each (1.5 drips)."""
    server = sandbox_server_factory(seed="empty", drip_rate=DRIP, bucket_size=BUCKET)
    _point_at(server, settings, monkeypatch)
    company = linked_catalogue_changed(server, items=ITEMS, prefix="T", name="Throughput Bench")

    server.set_latency(LATENCY_MS, JITTER_MS)
    first_id = _drained(server)
    started = time.monotonic()
    run = job_run(company_id=company.pk, job=JOBS["upload"])
    elapsed = time.monotonic() - started
    assert run.counts.get("items_sent") == ITEMS, run.counts
    _report("upload", server, first_id, elapsed, run, settings)


def _sales(item_ids: list[int], registers: dict[int, int], start: datetime) -> list[dict]:
    rng = random.Random(13)
    out = []
    for n in range(SALES):
        shop_id = 1 + n % 3
        lines = [
            {"itemID": rng.choice(item_ids), "unitQuantity": rng.choice((1, 1, 2))}
            for _ in range(rng.choice((1, 2, 3)))
        ]
        out.append(
            {
                "shopID": shop_id,
                "registerID": registers[shop_id],
                "employeeID": 1,
                "completed": True,
                "completeTime": (start + timedelta(seconds=10 * n)).isoformat(),
                "SaleLines": {"SaleLine": lines},
                "SalePayments": {"SalePayment": {"paymentTypeID": 1, "amount": "100000"}},
            }
        )
    return out


@pytest.mark.timeout(1200)
@pytest.mark.django_db(transaction=True)
def bench_throughput_large_backfill(sandbox_server_factory, settings, monkeypatch):
    """SALES sales of the last days imported by a first orders run from an earlier start date."""
    server = sandbox_server_factory(seed="demo", drip_rate=DRIP, bucket_size=BUCKET)
    _point_at(server, settings, monkeypatch)
    company = connect_demo(server)
    pos = Pos(server)
    registers = {shop_id: pos.register_of(shop_id) for shop_id in (1, 2, 3)}
    start = timezone.now() - timedelta(seconds=10 * SALES + 3600)
    server.seed(records={"fast": True, "Sale": _sales(catalogue_item_ids(), registers, start)})
    LightspeedSettings.objects.filter(company=company).update(
        order_download_enabled=True, order_download_start=start - timedelta(hours=1)
    )
    before = Order.objects.filter(company=company).count()

    server.set_latency(LATENCY_MS, JITTER_MS)
    first_id = _drained(server)
    started = time.monotonic()
    run = job_run(company_id=company.pk, job=JOBS["orders"])
    elapsed = time.monotonic() - started
    imported = Order.objects.filter(company=company).count() - before
    assert imported >= SALES, (imported, run.counts)
    _report("backfill", server, first_id, elapsed, run, settings)
