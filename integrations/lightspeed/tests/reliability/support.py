"""The reliability suites' world: a small Lightspeed account at the sandbox, LightSync connected
to it, and the checks that say nothing was lost, doubled or left behind.

Two modes. By default (inside `make test`) everything is fast: the sandbox meters so generously
that pacing never waits, a run that a `delay` fault strikes reads with a 0.3 s timeout, and every
wait the client makes (Retry-After, back-off) moves the sandbox's clock forward instead of
sleeping. With `LIGHTSYNC_RELIABILITY=production` (`make reliability`) the same tests run against
Lightspeed's real limits (drip 1/s, bucket 90, plus 0.5/s and 10 a register, burst limiter on),
with the client's own timeouts, and every wait is slept in wall time.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import requests
from django.db.models import Sum
from django.utils import timezone

from integrations.commerce.models import Company, Order, Product, StockLedgerEntry, StockLevel, Warehouse
from integrations.commerce.tests.factories import ProductFactory, WarehouseFactory, stock
from integrations.core.http import DEFAULT_TIMEOUT
from integrations.core.locks import NamedLock, company_job_lock_name
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    ProductLink,
    SyncIssue,
    SyncRun,
)
from integrations.lightspeed.tests.sandbox_helpers import connect_with_minted_tokens

PRODUCTION = os.environ.get("LIGHTSYNC_RELIABILITY", "").strip().lower() == "production"

# Lightspeed's pages hold up to 100 records; three make a handful of sales span several pages,
# so a fault can strike in the middle of a run (on the page after the first).
PAGE = 3
# (connect, read) seconds for the runs a `delay` fault strikes: in the fast mode a read timeout
# short enough that waiting it out costs little, yet long enough that a busy machine does not time
# out requests nobody delayed; production keeps the client's own. Every other run keeps the
# client's own timeouts in both modes.
SHORT_TIMEOUT: tuple[float, float] = DEFAULT_TIMEOUT if PRODUCTION else (5.0, 0.3)
# A `delay` fault this long outlasts the read timeout.
DELAY = SHORT_TIMEOUT[1] + (1.0 if PRODUCTION else 0.4)

MAPPED_SHOPS = (1, 2)  # shop 3 ("Outlet") stays unmapped: its sales are counted, not imported
SHOP_NAMES = {1: "Main Shop", 2: "Uptown", 3: "Outlet"}
START_QOH = 20


# The sandbox server (integrations.lightspeed_sandbox.testing.SandboxServer). The product's tests
# never import the sandbox (an import contract): they get its servers from the pytest plugin.
SandboxServer = Any


def sandbox_options() -> dict:
    """How the reliability suites start their sandbox (SandboxServer.start's options)."""
    if PRODUCTION:
        return {"seed": "empty", "drip_rate": 1, "bucket_size": 90}
    # Metered so generously that pacing never waits: only the injected faults slow anything.
    return {"seed": "empty", "drip_rate": 1000, "bucket_size": 100000, "burst_limit": 1000}


class Waits:
    """A client's `sleep`. In the fast mode it moves the sandbox's clock instead of sleeping, so
    Lightspeed sees the time pass (its bucket drains, its tokens age) and nobody waits; in
    production it sleeps (and job runs use the runner's own waiting instead: see `run_job`)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.total = 0.0

    def __call__(self, seconds: float) -> None:
        self.total += seconds
        if PRODUCTION:
            time.sleep(seconds)
        elif seconds > 0:
            self.server.advance_clock(seconds)


def pages_short(monkeypatch) -> None:
    """Pages of PAGE records for every query LightSync makes."""
    from integrations.lightspeed.api import transport

    monkeypatch.setattr(transport, "MAX_PAGE", PAGE)


def timeout_short(monkeypatch) -> None:
    """SHORT_TIMEOUT for every client LightSync builds for a company (the client's own `timeout`)."""
    from integrations.lightspeed.connection.services import client as company_client

    original = company_client.LightspeedClient

    class ShortTimeoutClient(original):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.timeout = SHORT_TIMEOUT

    monkeypatch.setattr(company_client, "LightspeedClient", ShortTimeoutClient)


def pacing_forget(server: SandboxServer) -> None:
    """LightSync's model of the account's bucket starts empty, as the sandbox's does after a reset
    (in Redis it outlives the test's database transaction)."""
    from django.conf import settings

    if settings.REDIS_URL:
        from integrations.core.locks import redis_client

        host = server.api_url.split("://", 1)[1]
        for key in redis_client().scan_iter(f"lightsync:bucket:{host}:*"):
            redis_client().delete(key)


# --- the account at Lightspeed --------------------------------------------------------------


def account_seed(server: SandboxServer) -> None:
    """Three shops with a register each, five employees, six items with stock in every shop."""
    server.seed(
        records={
            "Shop": [
                {
                    "shopID": 2,
                    "name": "Uptown",
                    "Registers": {"Register": [{"registerID": 2, "name": "Front"}]},
                },
                {
                    "shopID": 3,
                    "name": "Outlet",
                    "Registers": {"Register": [{"registerID": 3, "name": "Tent"}]},
                },
            ],
            "Employee": [
                {"employeeID": n, "firstName": f"Clerk {n}", "lastName": "Demo"} for n in range(2, 6)
            ],
        }
    )
    items_seed(server, range(6))


def items_seed(server: SandboxServer, numbers, *, qoh: int = START_QOH) -> None:
    server.seed(
        records={
            "Item": [
                {
                    "itemID": 500 + n,
                    "description": f"Item {n}",
                    "customSku": f"SKU-{n}",
                    "defaultCost": "4.00",
                    "Prices": {"ItemPrice": [{"useTypeID": 1, "amount": "10.00"}]},
                    "ItemShops": {"ItemShop": [{"shopID": s, "qoh": qoh} for s in SHOP_NAMES]},
                }
                for n in numbers
            ]
        }
    )


def sales_seed(server: SandboxServer, sales: list[tuple[int, list[int], int]]) -> None:
    """Completed sales: (seconds before now, item numbers, shop)."""
    now = timezone.now().replace(microsecond=0)
    server.seed(
        records={
            "Sale": [
                {
                    "shopID": shop,
                    "registerID": shop,
                    "employeeID": 1,
                    "completed": True,
                    "completeTime": (now - timedelta(seconds=ago)).isoformat(),
                    "SaleLines": {"SaleLine": [{"itemID": 500 + n, "unitQuantity": 1} for n in numbers]},
                    "SalePayments": {"SalePayment": {"paymentTypeID": 1, "amount": "100.00"}},
                }
                for ago, numbers, shop in sales
            ]
        }
    )


CHECKER_CLIENT = "reliability-checker"


class Lightspeed:
    """What the account holds, read with plain HTTP through an API client of its own (never
    LightSync's client, and never LightSync's rate-limit bucket), to check LightSync against."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = f"{server.api_url}/API/V3/Account/{server.account_id}"
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        server.seed(
            records={
                "ApiClient": [
                    {
                        "clientID": CHECKER_CLIENT,
                        "secret": "checker",
                        "redirectUri": "http://localhost/checker",
                    }
                ]
            }
        )
        self._mint()

    def _mint(self) -> None:
        token = self.server.mint_tokens(client_id=CHECKER_CLIENT, scope="employee:all")["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def all(self, resource: str, **params) -> list[dict]:
        out: list[dict] = []
        url, query = f"{self.url}/{resource}.json", {"limit": 100, **params}
        while url:
            response = self.http.get(url, params=query, timeout=30)
            if response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code == 401:  # a test moved the sandbox's clock past the token's life
                self._mint()
                response = self.http.get(url, params=query, timeout=30)
            assert response.status_code == 200, response.text
            body = response.json()
            records = body.get(resource) or []
            out.extend(records if isinstance(records, list) else [records])
            url, query = body["@attributes"].get("next") or "", None
        return out

    def items(self) -> list[dict]:
        return self.all("Item", load_relations=json.dumps(["ItemShops"]), archived="true", sort="itemID")

    def qoh(self) -> dict[tuple[int, int], int]:
        """(itemID, shopID) → quantity on hand, shops 1..3 only."""
        out = {}
        for item in self.items():
            rows = (item.get("ItemShops") or {}).get("ItemShop") or []
            for row in rows if isinstance(rows, list) else [rows]:
                if row["shopID"] != "0":
                    out[(int(item["itemID"]), int(row["shopID"]))] = int(row["qoh"])
        return out

    def sales(self) -> list[dict]:
        return self.all("Sale", load_relations=json.dumps(["SaleLines"]), sort="saleID")


# --- LightSync connected to it --------------------------------------------------------------


@dataclass
class Merchant:
    """The company at LightSync, as a merchant leaves it after setup."""

    company: Company
    warehouses: dict[int, Warehouse] = field(default_factory=dict)  # shop id → its warehouse
    returns: Warehouse | None = None

    @property
    def settings(self) -> LightspeedSettings:
        return LightspeedSettings.objects.get(company=self.company)


def merchant_connect(server: SandboxServer, *, waits: Waits, **flags) -> Merchant:
    """Connected and enabled (shops mapping on), shops downloaded, shops 1 and 2 mapped to a
    warehouse each; shop 3 unmapped."""
    company = Company.objects.create(name="Reliable Outfitters", email="shop@example.com")
    returns = WarehouseFactory(company=company, name="Returns", code="RETURNS", is_sellable=False)
    connect_with_minted_tokens(
        server,
        company,
        shops_mapping_enabled=True,
        returns_warehouse=returns,
        auto_enable_new_products=True,
        **flags,
    )
    merchant = Merchant(company=company, returns=returns)
    shops = run_job(merchant, "shops", waits)
    assert shops.outcome == SyncRun.Outcome.SUCCEEDED, shops.error
    for shop_id in MAPPED_SHOPS:
        shop = LightspeedShop.objects.get(company=company, shop_id=shop_id)
        wh = WarehouseFactory(company=company, name=f"WH {shop_id}", code=f"WH{shop_id}")
        LightspeedShopWarehouse.objects.create(shop=shop, warehouse=wh)
        merchant.warehouses[shop_id] = wh
    return merchant


def products_make(merchant: Merchant, numbers, *, prefix: str = "SKU", qoh: int = START_QOH) -> list[Product]:
    made = []
    for n in numbers:
        product = ProductFactory(
            company=merchant.company,
            sku=f"{prefix}-{n}",
            title=f"{prefix} product {n}",
            upc="",
            manufacturer_sku="",
            site_price=Decimal("10.00"),
            site_cost=Decimal("4.00"),
        )
        for wh in merchant.warehouses.values():
            stock(product, wh, qoh)
        made.append(product)
    return made


def run_job(merchant: Merchant, job: str, waits: Waits, **kwargs) -> SyncRun:
    # Production: the runner's own waiting (time.sleep, beating and minding a shutdown as it waits).
    sleep = time.sleep if PRODUCTION else waits
    return job_run(company_id=merchant.company.pk, job=JOBS[job], sleep=sleep, **kwargs)


# --- the checks -----------------------------------------------------------------------------


def issues_since(run: SyncRun) -> list[SyncIssue]:
    """The issues the run opened or counted again (not its own job's failure)."""
    return list(
        SyncIssue.objects.filter(company_id=run.company_id, last_seen_at__gte=run.started_at).exclude(
            kind=f"{run.job}_failed"
        )
    )


def locks_free(company_id: int) -> None:
    """Every lock a run takes is free again: the job's, the token refresh's, the catalog's."""
    names = [company_job_lock_name(company_id, job) for job in JOBS]
    names += [f"company:{company_id}:token", f"company:{company_id}:catalog-stock"]
    for name in names:
        lock = NamedLock(name, ttl=5)
        assert lock.try_acquire(), f"the lock {name} is still held"
        lock.release()
    running = SyncRun.objects.filter(company_id=company_id, outcome=SyncRun.Outcome.RUNNING)
    assert not running.exists(), list(running.values("job", "started_at"))


def ledger_matches_levels(company: Company) -> None:
    """Every stock level is the sum of its ledger: nothing moved stock behind the ledger's back."""
    sums = {
        (row["product_id"], row["warehouse_id"]): row["total"]
        for row in StockLedgerEntry.objects.filter(product__company=company)
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("quantity_change"))
    }
    levels = {
        (lv.product_id, lv.warehouse_id): lv.on_hand
        for lv in StockLevel.objects.filter(product__company=company)
    }
    assert sums == levels


def orders_exactly_once(merchant: Merchant, lightspeed: Lightspeed) -> None:
    """One Local Store order per completed sale of the mapped shops, none for other shops, and
    each mapped shop's warehouse moved by exactly the units its sales took."""
    sales = [s for s in lightspeed.sales() if s["completed"] == "true" and s["voided"] != "true"]
    wanted = {s["saleID"] for s in sales if int(s["shopID"]) in MAPPED_SHOPS}
    orders = list(
        Order.objects.filter(company=merchant.company, channel=Order.Channel.LOCAL_STORE).values_list(
            "channel_order_id", flat=True
        )
    )
    assert sorted(orders) == sorted(wanted), "orders differ from the completed sales of the mapped shops"
    sold: Counter = Counter()
    for sale in sales:
        if int(sale["shopID"]) not in MAPPED_SHOPS:
            continue
        lines = (sale.get("SaleLines") or {}).get("SaleLine") or []
        for line in lines if isinstance(lines, list) else [lines]:
            sold[(int(line["itemID"]), int(sale["shopID"]))] += int(line["unitQuantity"])
    links = dict(ProductLink.objects.filter(company=merchant.company).values_list("item_id", "product_id"))
    moved = {
        (row["product_id"], row["warehouse_id"]): row["total"]
        for row in StockLedgerEntry.objects.filter(product__company=merchant.company, reason="order")
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("quantity_change"))
    }
    for (item_id, shop_id), units in sold.items():
        key = (links[item_id], merchant.warehouses[shop_id].pk)
        assert moved.get(key, 0) == -units, f"item {item_id} in shop {shop_id}"


def quantities_agree(merchant: Merchant, lightspeed: Lightspeed) -> None:
    """For every linked product and mapped shop, Lightspeed's quantity is LightSync's."""
    at_lightspeed = lightspeed.qoh()
    links = ProductLink.objects.filter(company=merchant.company, item_id__isnull=False, enabled=True)
    for link in links.select_related("product"):
        for shop_id, wh in merchant.warehouses.items():
            level = StockLevel.objects.filter(product=link.product, warehouse=wh).first()
            ours = max(0, level.available if level else 0)
            assert at_lightspeed.get((link.item_id, shop_id)) == ours, (link.product.sku, shop_id)


def catalog_linked_once(merchant: Merchant, lightspeed: Lightspeed) -> None:
    """Every product is linked to its own item, and Lightspeed holds one item per SKU."""
    items = lightspeed.items()
    skus = Counter(item["customSku"] for item in items)
    assert [sku for sku, n in skus.items() if n > 1] == [], "an item was created twice"
    by_id = {int(item["itemID"]): item for item in items}
    links = list(ProductLink.objects.filter(company=merchant.company).values_list("product__sku", "item_id"))
    assert links and all(item_id for _, item_id in links), links
    assert len({item_id for _, item_id in links}) == len(links)
    for sku, item_id in links:
        assert by_id[item_id]["customSku"] == sku


def shops_agree(merchant: Merchant, lightspeed: Lightspeed) -> None:
    want_shops = {(int(s["shopID"]), s["name"]) for s in lightspeed.all("Shop", archived="true")}
    have_shops = set(
        LightspeedShop.objects.filter(company=merchant.company, archived=False).values_list("shop_id", "name")
    )
    assert have_shops == want_shops
    want_registers = {int(r["registerID"]) for r in lightspeed.all("Register", archived="true")}
    have_registers = set(
        LightspeedRegister.objects.filter(company=merchant.company, archived=False).values_list(
            "register_id", flat=True
        )
    )
    assert have_registers == want_registers
    want_employees = {int(e["employeeID"]) for e in lightspeed.all("Employee", archived="true")}
    have_employees = set(
        LightspeedEmployee.objects.filter(company=merchant.company, archived=False).values_list(
            "employee_id", flat=True
        )
    )
    assert have_employees == want_employees


def counted(run: SyncRun, *names: str) -> int:
    return sum(int(run.counts.get(name, 0) or 0) for name in names)


def clock_offset(server: SandboxServer) -> float:
    return float(server.stats()["clockOffset"])


def fault_hits(server: SandboxServer) -> int:
    return sum(int(f["hits"]) for f in server.control("GET", "faults"))


def token_requests(server: SandboxServer, since: int = 0) -> int:
    return sum(1 for r in server.requests_log(since or None) if "/auth/oauth/token" in r["path"])


def last_request_id(server: SandboxServer) -> int:
    log = server.requests_log()
    return log[-1]["id"] if log else 0
