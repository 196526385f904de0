"""A fleet of companies on one deployment, on PostgreSQL + Redis (skipped, saying so, elsewhere).

* the live tick's cost at 1,000 companies: queries and milliseconds per tick, steady state (a
  tenth due each second) and the worst tick (every company due at once);
* idle cost per company per minute with nothing to do — Celery tasks, SQL statements, Redis round
  trips, API requests — at N/4 and at N companies (`BENCH_FLEET_COMPANIES`, 200), each connected
  to a sandbox fleet account of its own, the sandbox answering after 300 ms; counted inside the
  worker and beat processes (`benchmarks/fleet_counters.py`) over `BENCH_FLEET_IDLE_SECONDS` (180);
* fairness: one merchant's 50,000-sale backfill and 20,000-item first upload beside the fleet,
  while a sample of the others sells and changes stock; their sale -> order and stock ->
  Lightspeed p95 must stay within 10 s (`benchmarks/fleet_fairness.py`);
* scaling: sales imported and items uploaded per second with 1, 2 and 4 worker processes, the
  workers' and the sandbox's CPU beside each, each doubling checked for 1.7x until the CPU
  saturates.

Workers as docs/scaling.md runs them: one process for the short queues (`BENCH_FLEET_SHORT_THREADS`
threads, 32), one for the long ones (`BENCH_FLEET_LONG_THREADS`, 8), one beat.
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

from benchmarks import fleet_fairness as fair
from benchmarks import fleet_support as fleet
from benchmarks import freshness_driver as fd
from integrations.commerce.models import Company, Order
from integrations.lightspeed import tasks
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.live.services.schedule import live_tick
from integrations.lightspeed.models import (
    LiveState,
    ProductLink,
    SyncRun,
)
from integrations.lightspeed.tests.live_support import tick_eligible_companies

pytestmark = pytest.mark.skipif(
    fleet.on_postgres_and_redis() is not None, reason=str(fleet.on_postgres_and_redis())
)

COMPANIES = int(os.environ.get("BENCH_FLEET_COMPANIES", 200))
IDLE_SECONDS = float(os.environ.get("BENCH_FLEET_IDLE_SECONDS", 180))
TICK_COMPANIES = 1000
# Threads, since the work waits on Lightspeed: 200 companies probed every ~7 s at 300 ms a request
# keep ~10 short threads busy.
SHORT_THREADS = int(os.environ.get("BENCH_FLEET_SHORT_THREADS", 32))
LONG_THREADS = int(os.environ.get("BENCH_FLEET_LONG_THREADS", 8))
LATENCY_MS = 300
ITEMS = 20
QOH = 10


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
    ids = tick_eligible_companies(TICK_COMPANIES)
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


def _onboarding(company_ids: list[int]) -> dict[str, int]:
    """What onboarding has done: items linked, items still due for upload, companies probed."""
    links = ProductLink.objects.filter(company_id__in=company_ids)
    return {
        "linked": links.filter(item_id__isnull=False).count(),
        "due": links.filter(upload_due_at__isnull=False).count(),
        "probed": LiveState.objects.filter(company_id__in=company_ids, caught_up_at__isnull=False).count(),
    }


def _wait_onboarded(processes, company_ids: list[int], timeout: float) -> float:
    """Until every company's items are linked and uploaded once and its probe found it caught up."""
    started = time.monotonic()
    done = {"linked": len(company_ids) * ITEMS, "due": 0, "probed": len(company_ids)}
    while (state := _onboarding(company_ids)) != done:
        processes.check()
        assert time.monotonic() - started < timeout, (
            f"the fleet was not onboarded in time: {state}, not {done}"
        )
        time.sleep(2)
    time.sleep(20)  # the last first runs' follow-ups (upload catch-ups, quiet probes) settle
    return time.monotonic() - started


def _per_company_minute(window, companies: int) -> dict[str, float]:
    minutes = window.seconds / 60
    return {name: window.counts[name] / companies / minutes for name in ("tasks", "queries", "redis", "http")}


@pytest.mark.timeout(7200)
def bench_fleet_idle_cost_per_company(transactional_db, tmp_path, sandbox_server_factory):
    server = sandbox_server_factory(seed="empty", latency_ms=LATENCY_MS)
    fleet.redis_client().flushdb()  # this benchmark's own Redis database: no queue left from before
    counters = tmp_path / "counters"
    counters.mkdir()
    processes = fleet.Processes(fleet.process_env(server, tmp_path, counters), tmp_path)
    windows = {}
    company_ids: list[int] = []
    try:
        processes.worker("short", fleet.SHORT_QUEUES, concurrency=SHORT_THREADS)
        processes.worker("long", fleet.LONG_QUEUES, concurrency=LONG_THREADS)
        processes.beat()
        for size in (max(1, COMPANIES // 4), COMPANIES):
            accounts = server.add_accounts(size - len(company_ids), shops=2, items=ITEMS, qoh=QOH)
            new = fleet.connect_fleet(server, accounts, items=ITEMS, qoh=QOH)
            company_ids += new
            for company_id in new:  # onboarding: link the items (and enable them; the first upload follows)
                tasks.lightspeed_download_products.apply_async((company_id,))
            onboarding = _wait_onboarded(processes, company_ids, timeout=1200)
            windows[size] = (onboarding, fleet.measure(processes, counters, server.process.pid, IDLE_SECONDS))
    finally:
        processes.stop()

    print()
    for size, (onboarding, window) in windows.items():
        per = _per_company_minute(window, size)
        tasks_by_name = sorted(
            ((k.split(":", 1)[1], v) for k, v in window.counts.items() if k.startswith("task:") and v),
            key=lambda kv: -kv[1],
        )
        print(
            f"fleet idle at {size} companies ({window.seconds:.0f} s, sandbox {LATENCY_MS} ms, onboarded in "
            f"{onboarding:.0f} s): per company per minute {per['tasks']:.2f} Celery tasks, "
            f"{per['queries']:.1f} SQL statements, {per['redis']:.1f} Redis round trips, "
            f"{per['http']:.2f} API requests"
        )
        print(
            f"fleet idle at {size} companies: {window.cpu.summary()} (workers: the workers and beat); tasks: "
            + ", ".join(f"{name} {count / window.seconds * 60:.0f}/min" for name, count in tasks_by_name)
        )
    small, large = (windows[s][1] for s in windows)
    sizes = list(windows)
    if len(sizes) == 2:
        for name in ("tasks", "queries", "redis", "http"):
            marginal = (
                (large.counts[name] / large.seconds - small.counts[name] / small.seconds)
                * 60
                / (sizes[1] - sizes[0])
            )
            fixed = small.counts[name] / small.seconds * 60 - marginal * sizes[0]
            print(
                f"fleet idle: {name} per minute = {fixed:.0f} for the deployment + {marginal:.2f} per company"
            )
    assert all(w.counts["http"] > 0 and w.counts["tasks"] > 0 for _, w in windows.values())


# --- scaling: throughput with 1, 2 and 4 worker processes ------------------------------------

# 32 companies: a round at 4 processes lasts ~25 s, so the last companies' tail (each worker's
# final company, a few seconds) is not what the figure measures; at 16 it was ~10 % of a 13 s round.
SCALE_COMPANIES = int(os.environ.get("BENCH_FLEET_SCALE_COMPANIES", 32))
SCALE_SALES = int(os.environ.get("BENCH_FLEET_SCALE_SALES", 500))  # per company
SCALE_ITEMS = int(os.environ.get("BENCH_FLEET_SCALE_ITEMS", 40))  # per company, all changed


def _round(processes, server, queue: str, workers: int, send, done) -> tuple[float, fleet.Cpu]:
    """Starts `workers` solo worker processes on `queue`, sends the work, waits until `done()`;
    returns the seconds from the first send and the cores used meanwhile, by whom."""
    for n in range(workers):
        processes.worker(f"{queue}-{workers}-{n}", queue, concurrency=1, pool="solo")
    processes.wait_ready(f"{queue}-{workers}-", workers)  # start-up outside the figure
    time.sleep(2)
    cpu0, t0 = fleet.Cpu.read(processes.cpu(queue), server.process.pid), time.monotonic()
    send()
    while not done():
        processes.check()
        assert time.monotonic() - t0 < 1800, f"{queue} with {workers} workers did not finish"
        time.sleep(0.5)
    seconds = time.monotonic() - t0
    cpu = fleet.Cpu.read(processes.cpu(queue), server.process.pid).per_second(cpu0, seconds)
    processes.stop()
    return seconds, cpu


def _finished(job: str, company_ids: list[int]) -> bool:
    runs = SyncRun.objects.filter(company_id__in=company_ids, job=job)
    return (
        runs.exclude(outcome=SyncRun.Outcome.RUNNING).values("company_id").distinct().count()
        == len(company_ids)
        and not runs.filter(outcome=SyncRun.Outcome.RUNNING).exists()
    )


@pytest.mark.timeout(7200)
def bench_fleet_scaling_with_worker_processes(transactional_db, tmp_path, sandbox_server_factory, settings):
    # Lightspeed's rate limits out of the figure (each account a bucket big enough): what is measured
    # is our processing and the 300 ms round trips; the live loop is off, no beat.
    server = sandbox_server_factory(seed="empty", drip_rate=1000, bucket_size=100_000, burst_limit=0)
    fleet.redis_client().flushdb()
    counters = tmp_path / "counters"
    counters.mkdir()
    env = fleet.process_env(server, tmp_path, counters, LIGHTSPEED_LIVE_TICK_SECONDS="0")
    processes = fleet.Processes(env, tmp_path)
    settings.LIGHTSPEED_OAUTH_URL = settings.LIGHTSPEED_API_URL = server.base_url
    figures = {}
    try:
        for workers in (1, 2, 4):
            # Order import: each company a backlog of sales (a first run reads them all).
            accounts = server.add_accounts(SCALE_COMPANIES, shops=2, items=ITEMS, qoh=QOH)
            orders_ids = fleet.connect_fleet(server, accounts, items=ITEMS, qoh=QOH, history_days=3)
            for account in accounts:
                server.control(
                    "POST", f"accounts/{account['accountID']}/sales", {"count": SCALE_SALES, "days": 1}
                )
            server.set_latency(LATENCY_MS)
            seconds, cpu = _round(
                processes,
                server,
                "lightspeed.orders",
                workers,
                lambda ids=orders_ids: [tasks.lightspeed_download_orders.apply_async((i,)) for i in ids],
                lambda ids=orders_ids: _finished("orders", ids),
            )
            sales = Order.objects.filter(company_id__in=orders_ids).count()
            assert sales == SCALE_COMPANIES * SCALE_SALES, f"{sales} orders imported"
            figures[("sales imported", workers)] = (sales / seconds, cpu)

            # Upload: each company's items linked, every one with a different quantity here.
            server.set_latency(0)
            accounts = server.add_accounts(SCALE_COMPANIES, shops=2, items=SCALE_ITEMS, qoh=QOH)
            upload_ids = fleet.connect_fleet(server, accounts, items=SCALE_ITEMS, qoh=QOH + 1)
            for company_id in upload_ids:
                run = job_run(company_id=company_id, job=JOBS["products"])
                assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
            server.set_latency(LATENCY_MS)
            seconds, cpu = _round(
                processes,
                server,
                "lightspeed.upload",
                workers,
                lambda ids=upload_ids: [tasks.lightspeed_upload.apply_async((i,)) for i in ids],
                lambda ids=upload_ids: _finished("upload", ids),
            )
            sent = sum(
                run.counts.get("items_sent", 0)
                for run in SyncRun.objects.filter(company_id__in=upload_ids, job="upload")
            )
            assert sent == SCALE_COMPANIES * SCALE_ITEMS, f"{sent} items uploaded"
            figures[("items uploaded", workers)] = (sent / seconds, cpu)
            server.set_latency(0)
    finally:
        processes.stop()

    print()
    for (what, workers), (rate, cpu) in figures.items():
        base = figures[(what, 1)][0]
        print(
            f"fleet scaling: {what} with {workers} worker process{'es' if workers > 1 else ''}: {rate:.0f}/s "
            f"({rate / base:.2f}x one); {cpu.summary()} ({SCALE_COMPANIES} companies, sandbox {LATENCY_MS} ms)"
        )
    short = []
    for what in ("sales imported", "items uploaded"):
        lines, missed = fleet.scaling_verdict(what, {w: v for (k, w), v in figures.items() if k == what})
        short += missed
        for line in lines:
            print(f"fleet scaling: {line}")
    print(f"fleet scaling: load average {os.getloadavg()[0]:.1f}")
    assert not short, f"doublings short of {fleet.DOUBLING}x before saturation: {short}"


# --- fairness: one merchant's backfill and first upload beside the fleet -----------------------

FAIR_SECONDS = float(os.environ.get("BENCH_FLEET_FAIR_SECONDS", 300))
FAIR_TARGET_SECONDS = 10.0


def _wait_fair_onboarded(processes, small: list[int], big: int, timeout: float) -> float:
    """The small companies onboarded as in the idle benchmark; the big one's items linked."""
    started = time.monotonic()
    done = {"linked": len(small) * ITEMS, "due": 0, "probed": len(small)}
    while (state := _onboarding(small)) != done or (
        linked := ProductLink.objects.filter(company_id=big, item_id__isnull=False).count()
    ) < fair.BIG_ITEMS:
        processes.check()
        assert time.monotonic() - started < timeout, f"not onboarded in time: {state}, big linked {linked}"
        time.sleep(2)
    time.sleep(20)
    return time.monotonic() - started


def _fair_load(processes, server, load: fair.SampleLoad, big: int) -> list[fair.BigProgress]:
    """`FAIR_SECONDS` of sales and stock changes at the sample, the big merchant started at 0."""
    started = time.monotonic()
    fair.start_big(big)
    progress, next_report = [], started + 30
    while time.monotonic() - started < FAIR_SECONDS:
        load.step()
        if time.monotonic() >= next_report:
            processes.check()
            progress.append(fair.big_progress(big, started))
            p = progress[-1]
            print(
                f"  fairness at {p.seconds:.0f} s: big merchant {p.orders} orders, {p.uploaded} items "
                f"uploaded; queued: short {p.short_queued}, long {p.long_queued}",
                flush=True,
            )
            next_report += 30
        time.sleep(0.1)
    return progress


@pytest.mark.timeout(7200)
def bench_fleet_fairness_one_big_merchant(transactional_db, tmp_path, sandbox_server_factory):
    server = sandbox_server_factory(seed="empty")
    fleet.redis_client().flushdb()
    counters = tmp_path / "counters"
    counters.mkdir()
    processes = fleet.Processes(fleet.process_env(server, tmp_path, counters), tmp_path)
    accounts = server.add_accounts(COMPANIES - 1, shops=2, items=ITEMS, qoh=QOH)
    small = fleet.connect_fleet(server, accounts, items=ITEMS, qoh=QOH)
    big, big_account = fair.big_merchant(server, qoh=QOH)
    sample_ids = small[:: max(1, len(small) // fair.SAMPLE)][: fair.SAMPLE]
    try:
        processes.worker("short", fleet.SHORT_QUEUES, concurrency=SHORT_THREADS)
        processes.worker("long", fleet.LONG_QUEUES, concurrency=LONG_THREADS)
        processes.beat()
        for company_id in [*small, big]:
            tasks.lightspeed_download_products.apply_async((company_id,))
        onboarding = _wait_fair_onboarded(processes, small, big, timeout=1800)
        server.set_latency(LATENCY_MS)
        time.sleep(20)  # every probe paced at the new latency
        load = fair.SampleLoad(
            server,
            list(Company.objects.filter(pk__in=sample_ids).order_by("pk")),
            {c: int(a["accountID"]) for c, a in zip(small, accounts, strict=True) if c in sample_ids},
        )
        print()
        cpu0, t0 = fleet.Cpu.read(processes.cpu(), server.process.pid), time.monotonic()
        progress = _fair_load(processes, server, load, big)
        time.sleep(30)  # the last sales and changes of the load reach their target
        elapsed = time.monotonic() - t0
        cpu = fleet.Cpu.read(processes.cpu(), server.process.pid).per_second(cpu0, elapsed)
        final = fair.big_progress(big, t0)
        log = server.requests_log()
    finally:
        processes.stop()

    delays, missing, stock = load.figures(log)
    runs = SyncRun.objects.filter(company_id=big).order_by("started_at")
    load_avg = os.getloadavg()
    print(
        f"fleet fairness: {COMPANIES} companies (onboarded in {onboarding:.0f} s), sandbox {LATENCY_MS} ms; "
        f"short worker {SHORT_THREADS} threads, long worker {LONG_THREADS} threads; {FAIR_SECONDS:.0f} s of load "
        f"at {len(sample_ids)} companies (a sale every {fair.SALE_EVERY:g} s and a stock change every "
        f"{fair.STOCK_EVERY:g} s each) + 30 s drain; load average {load_avg[0]:.1f}"
    )
    print(f"fleet fairness: sale -> order at the sample: {fd.summary(delays)}; {len(missing)} never imported")
    print(
        f"fleet fairness: stock change -> Lightspeed at the sample: {fd.summary(stock.delays)}; "
        f"{stock.never} never sent, {stock.unmatched} sent with a quantity a sale moved again"
    )
    print(
        f"fleet fairness: the big merchant (account {big_account['accountID']}, {fair.BIG_SALES} sales, "
        f"{fair.BIG_ITEMS} items, 10.5 drips/s) after {final.seconds:.0f} s: {final.orders} orders imported, "
        f"{final.uploaded} items uploaded ({fair.big_writes(log, big_account['accountID'])} item PUTs answered 200 "
        f"by Lightspeed); its runs: "
        + ", ".join(f"{r.job} {r.outcome} {dict(r.counts)}" for r in runs if r.job in ("orders", "upload"))
    )
    print(
        f"fleet fairness: {cpu.summary()} (workers: the workers and beat); most queued at a 30 s reading: short "
        f"{max(p.short_queued for p in progress)}, long {max(p.long_queued for p in progress)}"
    )
    assert not missing, f"sales never imported: {missing}"
    assert not stock.never, f"{stock.never} stock changes never reached Lightspeed"
    assert final.orders < fair.BIG_SALES or final.uploaded < fair.BIG_ITEMS, "the big merchant finished early"
    assert fd.percentile(delays, 95) <= FAIR_TARGET_SECONDS
    assert fd.percentile(stock.delays, 95) <= FAIR_TARGET_SECONDS
