"""The order download end to end: the sandbox over real HTTP, sales rung up through its API.

The expectation is computed from the sandbox's own answer (every sale, read independently with
plain `requests`), so each check says: LightSync holds exactly what Lightspeed holds, once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from integrations.commerce.models import (
    Company,
    Order,
    OrderLine,
    Return,
    ReturnLine,
    StockLedgerEntry,
    User,
)
from integrations.commerce.services.demo import demo_seed
from integrations.core import demo_catalogue as catalogue
from integrations.lightspeed.connection.services.demo import lightspeed_demo_setup
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedSettings, SyncRun
from integrations.lightspeed.models.orders import LightspeedSale
from integrations.lightspeed.orders.selectors import companies_due_for_order_download
from integrations.lightspeed.tests.pages_support import settings_form_data
from integrations.lightspeed.tests.pos import Pos, catalogue_item_ids, connect_demo
from integrations.lightspeed.tests.sandbox_helpers import LIGHTSYNC, browse_fetch_token

pytestmark = pytest.mark.e2e

BASE_DIR = Path(__file__).resolve().parents[3]


def run_orders(company, **kwargs) -> SyncRun:
    return job_run(company_id=company.pk, job=JOBS["orders"], sleep=lambda s: None, **kwargs)


def expected(pos: Pos) -> dict:
    """What LightSync must hold after importing every sale the sandbox has."""
    sales = pos.all_sales()
    orders = returns = 0
    lines = Counter()
    sold = Counter()  # item → net units that left the shops (completed, not voided)
    for sale in sales:
        if sale["completed"] != "true" and sale["voided"] != "true":
            continue
        sale_lines = (sale.get("SaleLines") or {}).get("SaleLine") or []
        sale_lines = sale_lines if isinstance(sale_lines, list) else [sale_lines]
        positive = [ln for ln in sale_lines if int(ln["unitQuantity"]) > 0]
        negative = [ln for ln in sale_lines if int(ln["unitQuantity"]) < 0]
        orders += bool(positive or not negative)
        returns += bool(negative)
        lines["order"] += len(positive)
        lines["return"] += len(negative)
        if sale["voided"] != "true":
            for ln in sale_lines:
                if ln["itemID"] != "0" and ln.get("lineType") != "item_fee":
                    sold[int(ln["itemID"])] += int(ln["unitQuantity"])
    return {"orders": orders, "returns": returns, "lines": lines, "sold": sold, "sales": sales}


def held(company) -> dict:
    return {
        "orders": Order.objects.filter(company=company, channel=Order.Channel.LOCAL_STORE).count(),
        "order_ids": Order.objects.filter(company=company).values("channel_order_id").distinct().count(),
        "lines": OrderLine.objects.filter(order__company=company).count(),
        "returns": Return.objects.filter(company=company).count(),
        "return_lines": ReturnLine.objects.filter(order_return__company=company).count(),
        "ledger": StockLedgerEntry.objects.filter(
            product__company=company, reason__in=["order", "return", "void"]
        ).count(),
    }


def assert_exactly_once(company, pos: Pos) -> None:
    want = expected(pos)
    have = held(company)
    assert have["orders"] == have["order_ids"] == want["orders"]
    assert have["lines"] == want["lines"]["order"]
    assert have["returns"] == want["returns"]
    assert have["return_lines"] == want["lines"]["return"]
    # Stock: per linked item, LightSync's net move equals what left Lightspeed's shops.
    from integrations.lightspeed.models.catalog import ProductLink

    links = dict(ProductLink.objects.filter(company=company).values_list("item_id", "product_id"))
    net = dict(
        StockLedgerEntry.objects.filter(product__company=company, reason__in=["order", "return", "void"])
        .values_list("product_id")
        .annotate(total=Sum("quantity_change"))
    )
    for item_id, units in want["sold"].items():
        if item_id in links:
            assert net.get(links[item_id], 0) == -units, f"item {item_id}"


def test_sales_refunds_and_a_void_at_the_sandbox_become_orders_and_returns_exactly_once(
    demo_sandbox, point_at, db
):
    server = point_at(demo_sandbox)
    company = connect_demo(server)
    pos = Pos(server)
    items = catalogue_item_ids()

    first = run_orders(company)
    assert first.outcome == SyncRun.Outcome.SUCCEEDED, first.error
    assert first.counts["orders"] > 50 and first.counts["voided_before_import"] == 1

    a = pos.ring_up(items[:2], quantity=2)
    b = pos.ring_up(items[2:3], shop_id=2)
    c = pos.ring_up(items[3:5], shop_id=3)
    pos.partial_refund(a, pos.lines_of(int(a["saleID"]))[0])
    pos.full_refund(int(b["saleID"]))
    second = run_orders(company)
    assert second.outcome == SyncRun.Outcome.SUCCEEDED, second.error
    assert second.counts["orders"] == 3 and second.counts["returns"] == 2

    server.void_sale(int(c["saleID"]))
    run_orders(company)
    snapshot = held(company)
    again = run_orders(company)

    assert again.counts.get("orders", 0) == 0 and held(company) == snapshot
    assert_exactly_once(company, pos)
    assert Order.objects.get(company=company, channel_order_id=c["saleID"]).status == Order.Status.VOID
    voided = StockLedgerEntry.objects.filter(product__company=company, reason="void")
    assert voided.count() == len(pos.lines_of(int(c["saleID"])))
    full = LightspeedSale.objects.get(company=company, sale_id=int(b["saleID"]))
    assert full.order.payment_status == "paid"
    assert (
        LightspeedSale.objects.filter(company=company, state="open").count() == 1
    )  # the demo's open layaway


def test_the_demo_imports_its_history_after_fetch_token_and_lightspeed_pos_enabled_and_nothing_else(
    demo_sandbox, point_at, client, settings, db
):
    """`make demo`'s seed and setup, then only what the README tells the merchant to do."""
    point_at(demo_sandbox)
    settings.SITE_URL = LIGHTSYNC
    demo_seed(password="demo")
    lightspeed_demo_setup()
    company = Company.objects.get(name=catalogue.DEMO_COMPANY)
    client.force_login(User.objects.get(username="merchant"))

    fetched = browse_fetch_token(client, company)  # Actions → Fetch Token, demo / demo at the sandbox
    settings_obj = LightspeedSettings.objects.get(company=company)
    page = reverse("admin:lightspeed_lightspeedsettings_change", args=[settings_obj.pk])
    shown = timezone.localtime(settings_obj.order_download_start).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{shown}"' in client.get(f"{page}?edit=1").content.decode()  # the form keeps it
    form = settings_form_data(settings_obj, enabled=True, order_download_start=shown)
    saved = client.post(page, form)  # Edit, tick Lightspeed POS Enabled, Save

    assert fetched.status_code == 302 and settings_obj.is_connected
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert list(companies_due_for_order_download()) == [company.pk]  # beat's next tick takes it
    run = run_orders(company)
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert run.counts.get("orders", 0) > 50 and not run.counts.get("other_shops"), run.counts
    shops = set(Order.objects.filter(company=company).values_list("lightspeed_sales__shop__name", flat=True))
    assert shops == {shop.name for shop in catalogue.DEMO_SHOPS}
    # Each shop's sales drew on its own warehouse, not on the default one (Main).
    drawn = StockLedgerEntry.objects.filter(product__company=company, reason="order")
    assert set(drawn.values_list("warehouse__code", flat=True)) == {"DOWNTOWN", "UPTOWN", "OUTLET"}


@pytest.fixture
def busy_sandbox(sandbox_server_factory, point_at):
    """A sandbox with enough sales for several pages, and a drip rate that never makes us wait."""
    server = point_at(sandbox_server_factory(seed="demo", drip_rate=1000, bucket_size=100000))
    return server


def ring_up_many(pos: Pos, count: int) -> None:
    items = catalogue_item_ids()
    for n in range(count):
        pos.ring_up([items[n % len(items)]], shop_id=1 + n % 3)


def test_faults_on_the_third_page_fail_the_run_cleanly_and_the_next_run_imports_every_sale_once(
    busy_sandbox, db
):
    server = busy_sandbox
    company = connect_demo(server)
    pos = Pos(server)
    ring_up_many(pos, 160)  # with the demo history: three pages and more
    pages = []
    first_id = server.requests_log()[-1]["id"]

    def after_page(count: int) -> None:
        pages.append(count)
        if len(pages) == 1:
            # The next page is read ahead while this one is imported: once the second page has
            # been asked for, the next request of the sales pass is the third page's.
            for _ in range(200):
                if sum(r["path"].endswith("/Sale.json") for r in server.requests_log(first_id)) >= 2:
                    break
                time.sleep(0.05)
            # Pages after the first carry Lightspeed's cursor (the change probe of a long read does not).
            page = "after="
            server.add_fault(method="GET", path="/Sale.json", query=page, kind="status", status=500, count=1)
            server.add_fault(method="GET", path="/Sale.json", query=page, kind="drop", count=1)
            server.add_fault(method="GET", path="/Sale.json", query=page, kind="truncated", count=1)

    failed = run_orders(company, progress=after_page)

    assert failed.outcome == SyncRun.Outcome.FAILED and "not JSON" in failed.error
    assert len(pages) == 2
    imported_before = Order.objects.filter(company=company).count()
    assert 0 < imported_before <= 200

    server.clear_faults()
    done = run_orders(company)
    assert done.outcome == SyncRun.Outcome.SUCCEEDED, done.error
    assert_exactly_once(company, pos)


def test_sales_voided_while_a_long_first_read_goes_on_end_void_and_every_sale_imports_once(busy_sandbox, db):
    # More than one page: the run asks the change probe once the second page has come, and reads
    # later changes from its answer, not every sale a second time.
    server = busy_sandbox
    company = connect_demo(server)
    pos = Pos(server)
    ring_up_many(pos, 160)
    server.advance_clock(120)  # the sales were rung up two minutes before the run
    voided = []

    def after_page(count: int) -> None:
        # A sale of the first page voided before the probe, and another after it.
        if len(voided) < 2:
            order = (
                Order.objects.filter(company=company)
                .exclude(channel_order_id__in=voided)
                .exclude(status=Order.Status.VOID)
                .order_by("pk")
                .first()
            )
            server.void_sale(int(order.channel_order_id))
            voided.append(order.channel_order_id)

    run = run_orders(company, progress=after_page)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert run.counts["changes_read"] < run.counts["sales_read"] / 2, run.counts
    statuses = dict(
        Order.objects.filter(channel_order_id__in=voided).values_list("channel_order_id", "status")
    )
    assert statuses == dict.fromkeys(voided, Order.Status.VOID)
    assert_exactly_once(company, pos)


def test_two_runs_started_at_the_same_moment_import_each_sale_once(busy_sandbox, transactional_db):
    server = busy_sandbox
    company = connect_demo(server)
    ring_up_many(Pos(server), 40)
    barrier = threading.Barrier(2)
    outcomes = []

    def worker(bypass_lock: bool) -> None:
        from integrations.lightspeed.connection.services.client import lightspeed_client_for
        from integrations.lightspeed.orders.services.download import orders_download

        try:
            barrier.wait()
            if bypass_lock:
                # As if the job lock had expired under a stalled worker: only the database stands
                # between two imports of the same page.
                settings_obj = LightspeedSettings.objects.select_related("company").get(company=company)
                orders_download(settings_obj=settings_obj, client=lightspeed_client_for(settings_obj))
                outcomes.append("direct")
            else:
                outcomes.append(run_orders(company).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(flag,)) for flag in (False, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)

    assert len(outcomes) == 2
    assert_exactly_once(company, Pos(server))


def test_a_worker_killed_mid_run_leaves_every_sale_exactly_once_after_restart(
    busy_sandbox, transactional_db, settings
):
    server = busy_sandbox
    company = connect_demo(server)
    ring_up_many(Pos(server), 250)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lightsync.settings.test",
        "LIGHTSPEED_API_URL": server.api_url,
        "LIGHTSPEED_OAUTH_URL": server.oauth_url,
        "LIGHTSPEED_CLIENT_ID": server.client_id,
        "LIGHTSPEED_CLIENT_SECRET": server.client_secret,
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
    }
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    else:
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    argv = [sys.executable, "manage.py", "lightspeed_sync", "orders", "--company", str(company.pk)]
    worker = subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not Order.objects.filter(company=company).exists():
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    partial = Order.objects.filter(company=company).count()
    assert 0 < partial < expected(Pos(server))["orders"], "the worker was killed before it finished"

    # The lock of the killed worker is still held: restarting is what its expiry allows.
    from integrations.core.models import NamedLock

    NamedLock.objects.all().delete()
    if settings.REDIS_URL:
        from integrations.core.locks import redis_client

        for key in redis_client().scan_iter("lightsync:lock:*"):
            redis_client().delete(key)
    done = run_orders(company)
    assert done.outcome == SyncRun.Outcome.SUCCEEDED, done.error
    assert_exactly_once(company, Pos(server))


def test_a_429_storm_is_ridden_out_and_every_sale_imports_once(busy_sandbox, db):
    server = busy_sandbox
    company = connect_demo(server)
    pos = Pos(server)
    ring_up_many(pos, 130)
    # Lightspeed's 429s, with its headers: twice on the first page, three times on a later one.
    storm = {
        "method": "GET",
        "path": "/Sale.json",
        "kind": "status",
        "status": 429,
        "headers": {"Retry-After": "1", "X-LS-API-RateLimit-Type": "api-leaky-bucket"},
        "body": {"httpCode": "429", "httpMessage": "Too Many Requests", "message": "Rate limit exceeded"},
    }
    server.add_fault(**storm, count=2)
    server.add_fault(**storm, count=3, query="after=")

    run = run_orders(company)

    server.clear_faults()
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert run.api_rate_limited == 5
    assert_exactly_once(company, pos)
