"""Workers at once on one company, over real HTTP against the sandbox.

Each worker is a thread with its own database connection (as separate worker processes have), so
the only things between them are LightSync's own coordination: the per-company job lock, the
token lock (and, on PostgreSQL, the settings row lock), the cursor's row lock. On SQLite those
locks are rows of the database file, which works across connections as it does across the
embedded default's processes; the suite runs on both.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations.lightspeed import tasks
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, SyncRun
from integrations.lightspeed.tests.reliability.support import (
    account_seed,
    counted,
    fault_hits,
    last_request_id,
    ledger_matches_levels,
    locks_free,
    merchant_connect,
    orders_exactly_once,
    products_make,
    run_job,
    sales_seed,
    token_requests,
)

pytestmark = pytest.mark.e2e

HOLD = 1.5  # seconds a `delay` fault holds a run on its second page (well under the read timeout)


def orders_account(world):
    account_seed(world.server)
    merchant = merchant_connect(
        world.server,
        waits=world.waits,
        order_download_enabled=True,
        order_download_start=timezone.now() - timedelta(hours=1),
    )
    products_make(merchant, range(6))
    assert run_job(merchant, "products", world.waits).outcome == SyncRun.Outcome.SUCCEEDED
    sales_seed(world.server, [(100 - 5 * i, [i % 6], 1 + i % 3) for i in range(9)])
    return merchant


def in_threads(work, n: int) -> list:
    """Runs `work()` in n threads released at once; returns their results (or raised errors)."""
    barrier = threading.Barrier(n)
    results: list = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - returned to the test, which reports it
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == n, "a worker hung"
    return results


def wait_for_hits(server, at_least: int = 1, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while fault_hits(server) < at_least:
        assert time.monotonic() < deadline, "the run never reached the held page"
        time.sleep(0.02)


def test_two_workers_running_the_orders_job_for_one_company_import_each_sale_once_and_one_is_skipped(
    world, transactional_db
):
    merchant = orders_account(world)
    # The run that takes the lock is held on its second page, long after the other has arrived.
    world.server.add_fault(
        method="GET", path=r"/Sale\.json$", query="after=", kind="delay", delay=HOLD, count=1
    )

    runs = in_threads(lambda: run_job(merchant, "orders", world.waits), 2)

    assert all(isinstance(r, SyncRun) for r in runs), runs
    by_outcome = {r.outcome: r for r in runs}
    assert sorted(by_outcome) == [SyncRun.Outcome.SKIPPED, SyncRun.Outcome.SUCCEEDED], runs
    assert "Another orders run for this company is in progress" in by_outcome[SyncRun.Outcome.SKIPPED].error
    assert by_outcome[SyncRun.Outcome.SUCCEEDED].counts["orders"] == 6
    orders_exactly_once(merchant, world.lightspeed)
    again = run_job(merchant, "orders", world.waits)
    assert again.outcome == SyncRun.Outcome.SUCCEEDED and counted(again, "orders") == 0
    ledger_matches_levels(merchant.company)
    locks_free(merchant.company.pk)


def test_five_callers_refreshing_one_expired_token_at_once_make_one_token_request(world, transactional_db):
    account_seed(world.server)
    merchant = merchant_connect(world.server, waits=world.waits)
    old = merchant.settings
    world.server.advance_clock(3700)  # expired at Lightspeed…
    LightspeedSettings.objects.filter(pk=old.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    since = last_request_id(world.server)  # …and in LightSync's books: all five renew before use

    def call() -> str:
        client = lightspeed_client_for(LightspeedSettings.objects.get(pk=old.pk), sleep=world.waits)
        return client.get_account()["accountID"]

    answers = in_threads(call, 5)

    assert answers == [str(world.server.account_id)] * 5
    assert token_requests(world.server, since) == 1
    stored = merchant.settings
    assert stored.connection_status == ConnectionStatus.CONNECTED
    assert stored.refresh_token != old.refresh_token and stored.auth_token != old.auth_token
    locks_free(merchant.company.pk)


def test_five_jobs_meeting_a_token_lightspeed_expired_renew_it_once_and_all_succeed(world, transactional_db):
    merchant = orders_account(world)
    old = merchant.settings
    world.server.advance_clock(3700)  # LightSync believes the token good: each job learns from a 401
    since = last_request_id(world.server)
    jobs = iter(["shops", "products", "orders", "upload", "reconcile"])
    lock = threading.Lock()

    def run_next() -> SyncRun:
        with lock:
            job = next(jobs)
        return run_job(merchant, job, world.waits)

    runs = in_threads(run_next, 5)

    assert all(isinstance(r, SyncRun) for r in runs), runs
    assert {r.job: r.outcome for r in runs} == dict.fromkeys(
        ["shops", "products", "orders", "upload", "reconcile"], SyncRun.Outcome.SUCCEEDED
    ), {r.job: r.error for r in runs}
    assert token_requests(world.server, since) == 1
    assert sum(r.api_statuses.get("401", 0) for r in runs) >= 1
    stored = merchant.settings
    assert (
        stored.connection_status == ConnectionStatus.CONNECTED and stored.refresh_token != old.refresh_token
    )
    orders_exactly_once(merchant, world.lightspeed)
    locks_free(merchant.company.pk)


def test_beat_firing_while_an_orders_run_is_held_mid_run_is_skipped_and_imports_nothing_twice(
    world, transactional_db, monkeypatch
):
    merchant = orders_account(world)
    world.server.add_fault(
        method="GET", path=r"/Sale\.json$", query="after=", kind="delay", delay=HOLD, count=1
    )
    # Beat queues one task per company (at its moment in the fan-out's spread); here the task runs
    # at once, in this thread, as a worker would.
    monkeypatch.setattr(
        tasks.lightspeed_download_orders,
        "apply_async",
        lambda args, **options: beat_results.append(tasks.lightspeed_download_orders.apply(args=args).get()),
    )
    beat_results: list[str] = []
    first: list[SyncRun] = []
    running = threading.Thread(
        target=lambda: (first.append(run_job(merchant, "orders", world.waits)), connection.close())
    )
    running.start()
    try:
        wait_for_hits(world.server)  # the first run has committed page 1 and waits on page 2
        assert tasks.lightspeed_download_orders_all.run() == 1
    finally:
        running.join(timeout=60)

    assert beat_results == [SyncRun.Outcome.SKIPPED]
    skipped = SyncRun.objects.filter(company=merchant.company, job="orders").order_by("-pk")[0]
    assert skipped.outcome == SyncRun.Outcome.SKIPPED and skipped.api_requests == 0
    assert first[0].outcome == SyncRun.Outcome.SUCCEEDED, first[0].error
    orders_exactly_once(merchant, world.lightspeed)

    # The next tick, with nothing running, runs and finds nothing new.
    assert tasks.lightspeed_download_orders_all.run() == 1
    assert beat_results[-1] == SyncRun.Outcome.SUCCEEDED
    latest = SyncRun.objects.filter(company=merchant.company, job="orders").order_by("-pk")[0]
    assert counted(latest, "orders") == 0
    ledger_matches_levels(merchant.company)
    locks_free(merchant.company.pk)
