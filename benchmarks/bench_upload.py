"""The catalog upload: what it costs to find what changed, and how it spends Lightspeed's bucket.

1. Delta: 100,000 products × 10 shops × 3 warehouses per shop (3,000,000 stock rows, 1,000,000
   item-shop states), 1% of the products changed: time and database queries of the upload plan,
   for the full pass and for the products marked due, beside the same plan for 10,000 products
   (the query count must not grow). BENCH_UPLOAD_PRODUCTS changes the size.
2. Against the sandbox with a fast drip rate: every product of a few hundred changed in one shop;
   writes per changed item, 429s, and the drips spent per second after the bucket's headroom as a
   fraction of the drip rate.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.commerce.models import Company, Product, StockLevel, Warehouse
from integrations.lightspeed.catalog.services.upload import ALL_FIELDS, UploadScope, upload_plan
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    ConnectionStatus,
    ItemShopState,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    ProductLink,
    SyncRun,
)
from integrations.lightspeed.tests.sandbox_helpers import linked_catalogue_changed

PRODUCTS = int(os.environ.get("BENCH_UPLOAD_PRODUCTS", "100000"))
SHOPS = 10
WAREHOUSES_PER_SHOP = 3
CHANGED = 0.01


def _insert(table: str, columns: list[str], rows: list[tuple]) -> None:
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 20000):
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
                rows[start : start + 20000],
            )


def _catalogue(count: int, name: str) -> tuple[LightspeedSettings, list[int]]:
    """A company with SHOPS mapped shops of WAREHOUSES_PER_SHOP warehouses, `count` linked products
    in stock everywhere, and Lightspeed holding exactly LightSync's quantities."""
    company = Company.objects.create(name=name)
    LightspeedSettings.objects.filter(company=company).update(
        enabled=True,
        account_id="1",
        connection_status=ConnectionStatus.CONNECTED,
        shops_mapping_enabled=True,
        inventory_upload_enabled=True,
        price_upload_enabled=True,
        cost_upload_enabled=True,
    )
    shops, warehouses = [], []
    for s in range(SHOPS):
        shop = LightspeedShop.objects.create(company=company, shop_id=s + 1, name=f"Shop {s + 1}")
        shops.append(shop)
        for w in range(WAREHOUSES_PER_SHOP):
            wh = Warehouse.objects.create(company=company, name=f"S{s}W{w}", code=f"S{s}W{w}")
            LightspeedShopWarehouse.objects.create(shop=shop, warehouse=wh, position=w)
            warehouses.append((shop, wh))
    now = timezone.now()
    _insert(
        Product._meta.db_table,
        [
            "company_id",
            "sku",
            "title",
            "upc",
            "ean",
            "manufacturer_sku",
            "site_price",
            "site_cost",
            "active",
            "created_at",
            "updated_at",
        ],
        [
            (
                company.pk,
                f"{name}-{n}",
                "Bench",
                "",
                "",
                "",
                Decimal("10.00"),
                Decimal("4.0000"),
                True,
                now,
                now,
            )
            for n in range(count)
        ],
    )
    product_ids = list(Product.objects.filter(company=company).order_by("pk").values_list("pk", flat=True))
    _insert(
        ProductLink._meta.db_table,
        [
            "company_id",
            "product_id",
            "enabled",
            "item_id",
            "system_sku",
            "matched_by",
            "item_archived",
            "price_seen",
            "cost_seen",
            "created_at",
            "updated_at",
        ],
        [
            (
                company.pk,
                pk,
                True,
                10_000_000 + i,
                "",
                "custom_sku",
                False,
                Decimal("10.00"),
                Decimal("4.0000"),
                now,
                now,
            )
            for i, pk in enumerate(product_ids)
        ],
    )
    rng = random.Random(7)
    levels, expected = [], {}
    for pk in product_ids:
        for shop, wh in warehouses:
            on_hand = rng.randint(0, 9)
            levels.append((pk, wh.pk, on_hand, 0, now))
            expected[(pk, shop.pk)] = expected.get((pk, shop.pk), 0) + on_hand
    _insert(
        StockLevel._meta.db_table, ["product_id", "warehouse_id", "on_hand", "reserved", "updated_at"], levels
    )
    del levels
    links = dict(ProductLink.objects.filter(company=company).values_list("product_id", "pk"))
    _insert(
        ItemShopState._meta.db_table,
        ["link_id", "shop_id", "item_shop_id", "qoh_seen", "seen_time_stamp"],
        [
            (links[pk], shop_pk, None, qty, now - timedelta(hours=1))
            for (pk, shop_pk), qty in expected.items()
        ],
    )
    settings_obj = LightspeedSettings.objects.get(company=company)
    return settings_obj, product_ids


def _change(settings_obj: LightspeedSettings, product_ids: list[int]) -> int:
    """1% of the products get more stock in one warehouse, and are marked due like the signals do."""
    changed = product_ids[:: int(1 / CHANGED)]
    warehouse = Warehouse.objects.filter(company_id=settings_obj.company_id).order_by("pk").first()
    StockLevel.objects.filter(product_id__in=changed, warehouse=warehouse).update(on_hand=100)
    ProductLink.objects.filter(product_id__in=changed).update(upload_due_at=timezone.now())
    return len(changed)


def _measure(settings_obj, scope) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        plans = upload_plan(settings_obj=settings_obj, fields=ALL_FIELDS, scope=scope)
        elapsed = time.perf_counter() - started
    return elapsed, len(queries), len(plans)


@pytest.mark.django_db(transaction=True)
def bench_upload_delta_computation():
    print()
    results = {}
    for count, name in ((max(PRODUCTS // 10, 1000), "small"), (PRODUCTS, "large")):
        started = time.perf_counter()
        with transaction.atomic():
            settings_obj, product_ids = _catalogue(count, name)
        built = time.perf_counter() - started
        changed = _change(settings_obj, product_ids)
        with connection.cursor() as cursor:
            # Planner statistics, as PostgreSQL's autovacuum keeps them (SQLite: ANALYZE by hand).
            cursor.execute("ANALYZE")
        full = _measure(settings_obj, UploadScope())
        due = _measure(settings_obj, UploadScope(due_only=True))
        assert full[2] == changed and due[2] == changed, (full, due, changed)
        results[name] = (full, due)
        print(
            f"upload delta: {count:,} products × {SHOPS} shops × {WAREHOUSES_PER_SHOP} warehouses "
            f"({count * SHOPS * WAREHOUSES_PER_SHOP:,} stock rows, built in {built:.0f} s), {changed:,} changed"
        )
        print(f"upload delta:   full pass: {full[0]:.2f} s, {full[1]} queries, {full[2]:,} items to send")
        print(f"upload delta:   due only:  {due[0]:.2f} s, {due[1]} queries, {due[2]:,} items to send")
    assert results["small"][0][1] == results["large"][0][1], "the query count grows with the catalogue"
    assert results["small"][1][1] == results["large"][1][1], "the query count grows with the catalogue"
    print(f"upload delta: database: {connection.vendor}")


ITEMS = int(os.environ.get("BENCH_UPLOAD_ITEMS", "300"))
DRIP = float(os.environ.get("BENCH_UPLOAD_DRIP", "10"))
BUCKET = 90.0


@pytest.mark.django_db(transaction=True)
def bench_upload_against_the_sandbox(sandbox_server_factory, settings):
    server = sandbox_server_factory(seed="empty", drip_rate=DRIP, bucket_size=BUCKET)
    settings.LIGHTSPEED_API_URL = settings.LIGHTSPEED_OAUTH_URL = server.api_url
    settings.LIGHTSPEED_CLIENT_ID, settings.LIGHTSPEED_CLIENT_SECRET = server.client_id, server.client_secret
    settings.LIGHTSPEED_UPLOAD_REPOLL_SECONDS = 10
    company = linked_catalogue_changed(server, items=ITEMS, prefix="B", name="Sandbox Bench")

    first_id = server.requests_log()[-1]["id"]
    started = time.monotonic()
    run = job_run(company_id=company.pk, job=JOBS["upload"])
    elapsed = time.monotonic() - started
    log = server.requests_log(first_id)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    writes = [r for r in log if r["method"] == "PUT" and r["status"] != 429]
    limited = [r for r in log if r["status"] == 429]
    drips = sum(r["cost"] for r in log)
    used = max(drips - BUCKET, 0) / (elapsed * DRIP)  # after the bucket's headroom, drips at the drip rate
    print()
    print(f"upload vs sandbox: {ITEMS} items changed, drip rate {DRIP:g}/s, bucket {BUCKET:g}")
    print(f"upload vs sandbox: {len(writes)} writes → {len(writes) / ITEMS:.2f} writes per changed item")
    kinds = sorted({r["rateLimitType"] for r in limited})
    print(
        f"upload vs sandbox: {len(log)} requests ({len(log) - len(writes)} reads), {len(limited)} × 429 {kinds or ''}"
    )
    print(
        f"upload vs sandbox: {elapsed:.1f} s, {len(log) / elapsed:.1f} requests/s, {drips:.0f} drips, "
        f"sustained {used:.2f} of the drip rate"
    )
    assert len(writes) == ITEMS and not limited
