"""Onboarding: `catalog_import` of a 50,000-item sandbox catalogue into an empty company.

The sandbox holds BENCH_ONBOARD_ITEMS items (default 50,000; two shops, stock in both), seeded in
bulk; the company maps each shop to a warehouse. The import pages through them (100 a page, the
next page requested while this one is written) and creates a linked product with its opening
balances per item. Printed: requests per item, drips spent, the time at the drip rate used
(BENCH_ONBOARD_DRIP, default the sandbox's own 1 drip/s, as a real account), the time the same
drips take at 1 drip/s, and a second run (creating nothing). BENCH_ONBOARD_LATENCY_MS adds that
round trip to every request (300 for real-world latency).
"""

from __future__ import annotations

import os
import time

import pytest

from integrations.commerce.models import Company, Product, StockLedgerEntry
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedShop, LightspeedShopWarehouse, SyncRun
from integrations.lightspeed.tests.catalog_support import warehouse
from integrations.lightspeed.tests.sandbox_helpers import connect_with_minted_tokens

ITEMS = int(os.environ.get("BENCH_ONBOARD_ITEMS", "50000"))
DRIP = float(os.environ.get("BENCH_ONBOARD_DRIP", "1"))
LATENCY_MS = float(os.environ.get("BENCH_ONBOARD_LATENCY_MS", "0"))
BUCKET = 60.0
SEED_CHUNK = 10_000


def _seed(server) -> None:
    server.seed(records={"Shop": [{"shopID": 2, "name": "Uptown"}]})
    for start in range(0, ITEMS, SEED_CHUNK):
        server.seed(
            records={
                "Item": [
                    {
                        "itemID": 1000 + n,
                        "description": f"Onboarding item {n}",
                        "customSku": f"OB-{n}",
                        "upc": "",
                        "defaultCost": "4.00",
                        "Prices": {"ItemPrice": [{"useTypeID": 1, "amount": "10.00"}]},
                        "ItemShops": {"ItemShop": [{"shopID": 1, "qoh": n % 7}, {"shopID": 2, "qoh": n % 3}]},
                    }
                    for n in range(start, min(start + SEED_CHUNK, ITEMS))
                ]
            }
        )


def _timed_run(server, company) -> tuple[SyncRun, float, list[dict]]:
    first_id = server.requests_log()[-1]["id"]
    started = time.monotonic()
    run = job_run(company_id=company.pk, job=JOBS["catalog_import"])
    elapsed = time.monotonic() - started
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    return run, elapsed, server.requests_log(first_id)


@pytest.mark.django_db(transaction=True)
def bench_onboarding_import_of_a_large_catalogue(sandbox_server_factory, settings):
    server = sandbox_server_factory(seed="empty", drip_rate=DRIP, bucket_size=BUCKET)
    if LATENCY_MS:
        server.set_latency(LATENCY_MS)
    settings.LIGHTSPEED_API_URL = settings.LIGHTSPEED_OAUTH_URL = server.api_url
    settings.LIGHTSPEED_CLIENT_ID, settings.LIGHTSPEED_CLIENT_SECRET = server.client_id, server.client_secret
    started = time.monotonic()
    _seed(server)
    seeded = time.monotonic() - started
    company = Company.objects.create(name="Onboarding Bench")
    connect_with_minted_tokens(server, company, shops_mapping_enabled=True)
    assert job_run(company_id=company.pk, job=JOBS["shops"]).outcome == SyncRun.Outcome.SUCCEEDED
    for shop in LightspeedShop.objects.filter(company=company):
        LightspeedShopWarehouse.objects.create(shop=shop, warehouse=warehouse(company, shop.name))

    run, elapsed, log = _timed_run(server, company)
    again, elapsed_again, log_again = _timed_run(server, company)

    drips = sum(r["cost"] for r in log)
    limited = [r for r in log if r["status"] == 429]
    print()
    print(
        f"onboarding: {ITEMS:,} items seeded in {seeded:.0f} s; drip rate {DRIP:g}/s, bucket {BUCKET:g}, "
        f"latency {LATENCY_MS:g} ms"
    )
    print(
        f"onboarding: import: {run.counts['products_created']:,} products, "
        f"{run.counts['units_booked']:,} units booked, {len(log)} requests "
        f"({len(log) / ITEMS:.4f} per item), {len(limited)} × 429, {drips:.0f} drips"
    )
    print(
        f"onboarding: import: {elapsed:.1f} s ({ITEMS / elapsed:,.0f} items/s) at {DRIP:g} drip/s; "
        f"the same drips at 1 drip/s take ≥ {max(drips - BUCKET, 0):.0f} s"
    )
    print(
        f"onboarding: second run: {again.counts['products_created']} created, "
        f"{again.counts['already_linked']:,} already linked, {len(log_again)} requests, {elapsed_again:.1f} s"
    )
    assert run.counts["products_created"] == ITEMS == Product.objects.filter(company=company).count()
    assert StockLedgerEntry.objects.filter(product__company=company).count() == sum(
        (n % 7 > 0) + (n % 3 > 0) for n in range(ITEMS)
    )
    assert again.counts["products_created"] == 0 and not limited
