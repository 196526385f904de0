"""The catalog against the Lightspeed sandbox over real HTTP, counting requests in its log."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.commerce.services.stock import stock_adjust
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    CatalogCursor,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    ProductLink,
    SyncRun,
)
from integrations.lightspeed.tests.sandbox_helpers import connect_with_minted_tokens

from .catalog_support import product, stock, uploads_not_queued, warehouse  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.e2e

SHOPS = {1: "Main Shop", 2: "Uptown", 3: "Outlet"}


@pytest.fixture
def lightspeed(sandbox, settings, monkeypatch):
    settings.LIGHTSPEED_OAUTH_URL = sandbox.oauth_url
    settings.LIGHTSPEED_API_URL = sandbox.api_url
    settings.LIGHTSPEED_CLIENT_ID = sandbox.client_id
    settings.LIGHTSPEED_CLIENT_SECRET = sandbox.client_secret
    sandbox.seed(
        records={
            "Shop": [
                {"shopID": 2, "name": "Uptown", "Registers": {"Register": [{"name": "Front"}]}},
                {"shopID": 3, "name": "Outlet", "Registers": {"Register": [{"name": "Tent"}]}},
            ]
        }
    )
    return sandbox


class Register:
    """The POS side: rings up sales and reads stock through the sandbox's API."""

    def __init__(self, server):
        self.server = server
        self.token = server.mint_tokens()["access_token"]

    def url(self, resource: str) -> str:
        return f"{self.server.api_url}/API/V3/Account/{self.server.account_id}/{resource}.json"

    def call(self, method: str, resource: str, **kwargs) -> dict:
        response = requests.request(
            method,
            self.url(resource),
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            **kwargs,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def sell(self, item_id: int, quantity: int = 1, shop_id: int = 1) -> dict:
        return self.call(
            "POST",
            "Sale",
            json={
                "shopID": shop_id,
                "registerID": 1,
                "employeeID": 1,
                "completed": True,
                "SaleLines": {"SaleLine": [{"itemID": item_id, "unitQuantity": quantity}]},
                "SalePayments": {"SalePayment": {"paymentTypeID": 1, "amount": "1000"}},
            },
        )["Sale"]

    def qoh(self, item_id: int) -> dict[int, int]:
        item = self.call("GET", f"Item/{item_id}", params={"load_relations": '["ItemShops"]'})["Item"]
        rows = item["ItemShops"]["ItemShop"]
        rows = rows if isinstance(rows, list) else [rows]
        return {int(r["shopID"]): int(r["qoh"]) for r in rows if r["shopID"] != "0"}

    def item(self, item_id: int) -> dict:
        return self.call("GET", f"Item/{item_id}")["Item"]

    def items(self) -> list[dict]:
        found = self.call("GET", "Item", params={"sort": "itemID"}).get("Item") or []
        return found if isinstance(found, list) else [found]


def connect(server, **flags) -> LightspeedSettings:
    company = Company.objects.create(name="Demo Outfitters")
    connect_with_minted_tokens(
        server,
        company,
        shops_mapping_enabled=True,
        inventory_upload_enabled=True,
        price_upload_enabled=True,
        cost_upload_enabled=True,
        auto_enable_new_products=True,
        **flags,
    )
    assert job_run(company_id=company.pk, job=JOBS["shops"]).outcome == SyncRun.Outcome.SUCCEEDED
    warehouses = {}
    for shop in LightspeedShop.objects.filter(company=company):
        warehouses[shop.shop_id] = warehouse(company, f"WH {shop.shop_id}")
        LightspeedShopWarehouse.objects.create(shop=shop, warehouse=warehouses[shop.shop_id])
    settings_obj = LightspeedSettings.objects.get(company=company)
    settings_obj.warehouses = warehouses
    return settings_obj


def seed_items(server, count: int, *, qoh: int = 5) -> None:
    server.seed(
        records={
            "Item": [
                {
                    "itemID": 500 + n,
                    "description": f"Item {n}",
                    "customSku": f"SKU-{n}",
                    "defaultCost": "4.00",
                    "Prices": {"ItemPrice": [{"useTypeID": 1, "amount": "10.00"}]},
                    "ItemShops": {"ItemShop": [{"shopID": s, "qoh": qoh} for s in SHOPS]},
                }
                for n in range(count)
            ]
        }
    )


def catalogue(settings_obj, count: int, *, qoh: int = 5) -> list:
    """Products matching the seeded items, with the same stock in every shop's warehouse."""
    made = []
    for n in range(count):
        item = product(
            settings_obj.company, f"SKU-{n}", site_price=Decimal("10.00"), site_cost=Decimal("4.00")
        )
        for wh in settings_obj.warehouses.values():
            stock(item, wh, qoh)
        made.append(item)
    return made


def writes(server, since: int | None = None) -> list[dict]:
    return [r for r in server.requests_log(since) if r["method"] in ("PUT", "POST") and "/Item" in r["path"]]


def last_log_id(server) -> int:
    log = server.requests_log()
    return log[-1]["id"] if log else 0


def past_the_second_after(moment) -> None:
    """Waits until the clock has passed the second after `moment`: an order download must start
    then to have read every sale that can lie behind a move stamped `moment` (whole seconds, and a
    sale may be stamped a second after the stock change it made)."""
    deadline = moment.timestamp() + 1
    while time.time() < deadline:
        time.sleep(deadline - time.time())


def moved_at(link: ProductLink, shop_id: int):
    return link.shop_states.get(shop__shop_id=shop_id).moved_at


def run(company_id: int, job: str, **kwargs) -> SyncRun:
    result = job_run(company_id=company_id, job=JOBS[job], **kwargs)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.error
    return result


def test_seven_products_changed_across_three_shops_take_exactly_seven_writes(lightspeed, db):
    settings_obj = connect(lightspeed)
    seed_items(lightspeed, 10)
    products = catalogue(settings_obj, 10)
    linked = run(settings_obj.company_id, "products")
    assert linked.counts["linked"] == 10
    pos = Register(lightspeed)
    before = last_log_id(lightspeed)
    assert run(settings_obj.company_id, "upload", fields=frozenset({"changed"})).api_requests == 0

    # Seven products change, in one, two or all three shops' warehouses.
    wh = settings_obj.warehouses
    for n, shops in enumerate([(1,), (2,), (3,), (1, 2), (2, 3), (1, 3), (1, 2, 3)]):
        for shop_id in shops:
            stock_adjust(
                product=products[n], warehouse=wh[shop_id], quantity_change=n + shop_id, reason="adjustment"
            )

    upload = run(settings_obj.company_id, "upload")

    sent = writes(lightspeed, before)
    assert len(sent) == 7 and all(r["method"] == "PUT" and r["status"] == 200 for r in sent)
    assert upload.counts["items_sent"] == 7 and upload.api_rate_limited == 0
    for n, item in enumerate(products):
        expected = {
            s: 5 + (n + s if n < 7 and s in [(1,), (2,), (3,), (1, 2), (2, 3), (1, 3), (1, 2, 3)][n] else 0)
            for s in SHOPS
        }
        assert pos.qoh(500 + n) == expected, item.sku

    again = last_log_id(lightspeed)
    second = run(settings_obj.company_id, "upload")
    assert writes(lightspeed, again) == [] and second.counts["items_sent"] == 0


def test_price_and_cost_changes_ride_in_the_same_request_as_the_quantities(lightspeed, db):
    settings_obj = connect(lightspeed)
    seed_items(lightspeed, 2)
    products = catalogue(settings_obj, 2)
    run(settings_obj.company_id, "products")
    jacket = products[0]
    jacket.site_price, jacket.site_cost = Decimal("12.50"), Decimal("4.7500")
    jacket.save()
    stock_adjust(product=jacket, warehouse=settings_obj.warehouses[2], quantity_change=4, reason="adjustment")
    before = last_log_id(lightspeed)

    run(settings_obj.company_id, "upload", fields=frozenset({"changed"}))

    sent = writes(lightspeed, before)
    assert [(r["method"], r["path"].rsplit("/", 1)[1]) for r in sent] == [("PUT", "500.json")]
    item = Register(lightspeed).item(500)
    prices = item["Prices"]["ItemPrice"]
    prices = prices if isinstance(prices, list) else [prices]
    assert {p["useTypeID"]: p["amount"] for p in prices}["1"] == "12.5"
    assert Decimal(item["defaultCost"]) == Decimal("4.75")
    assert Register(lightspeed).qoh(500) == {1: 5, 2: 9, 3: 5}


def test_auto_create_makes_the_missing_items_and_links_them(lightspeed, db):
    settings_obj = connect(lightspeed, auto_create_enabled_products=True)
    seed_items(lightspeed, 1)
    catalogue(settings_obj, 1)
    new = product(
        settings_obj.company,
        "NEW-1",
        title="Trail Jacket",
        upc="012345678905",
        ean="123",
        site_price=Decimal("99.00"),
    )
    stock(new, settings_obj.warehouses[3], 6)
    before = last_log_id(lightspeed)

    result = run(settings_obj.company_id, "products")

    assert result.counts["items_created"] == 1 and result.counts["linked"] == 1
    created = [r for r in writes(lightspeed, before) if r["method"] == "POST"]
    assert len(created) == 1
    link = ProductLink.objects.get(product=new)
    assert link.matched_by == ProductLink.MatchedBy.CREATED and link.enabled
    item = Register(lightspeed).item(link.item_id)
    assert (item["description"], item["customSku"], item["upc"], item["ean"]) == (
        "Trail Jacket",
        "NEW-1",
        "012345678905",
        "",
    )
    assert Register(lightspeed).qoh(link.item_id) == {1: 0, 2: 0, 3: 6}
    # Created with its quantities: nothing left to upload, and a second run creates nothing.
    assert writes(lightspeed, last_log_id(lightspeed)) == []
    assert run(settings_obj.company_id, "upload").counts["items_sent"] == 0
    assert run(settings_obj.company_id, "products").counts.get("items_created", 0) == 0
    assert len(Register(lightspeed).items()) == 2


def test_a_sale_rung_up_while_the_upload_runs_survives_and_its_item_goes_up_next_cycle(
    lightspeed, db, settings
):
    settings.LIGHTSPEED_UPLOAD_REPOLL_SECONDS = 0  # poll before every write, so the test is exact
    settings.LIGHTSPEED_CLOCK_SKEW_SECONDS = 0  # the sandbox runs on this machine's clock
    settings_obj = connect(
        lightspeed, order_download_enabled=True, order_download_start=timezone.now() - timedelta(minutes=1)
    )
    seed_items(lightspeed, 2)
    first, second = catalogue(settings_obj, 2)
    run(settings_obj.company_id, "products")
    main = settings_obj.warehouses[1]
    for item in (first, second):  # a delivery arrives in LightSync: +3 each in shop 1's warehouse
        stock_adjust(product=item, warehouse=main, quantity_change=3, reason="adjustment")
    pos = Register(lightspeed)
    sold: list[dict] = []

    def ring_up_a_sale_after_the_first_write(done: int) -> None:
        if not sold:
            # Lightspeed's timeStamps are whole seconds: a sale in the very second the item was
            # last read could not be told from one before it. A register is never that quick.
            time.sleep(1.05 - time.time() % 1)
            sold.append(pos.sell(501, 2))  # the register sells 2 of the second item meanwhile

    upload = run(settings_obj.company_id, "upload", progress=ring_up_a_sale_after_the_first_write)

    assert sold and upload.counts["items_sent"] == 1 and upload.counts["held_back"] == 1
    assert pos.qoh(500)[1] == 8
    assert pos.qoh(501)[1] == 3  # the sale's decrement survived: not overwritten with 8

    # Next cycle: the order download brings the sale in (stock comes off in LightSync) and reads
    # past it; the held item then goes up with the sale counted.
    past_the_second_after(moved_at(second.lightspeed_link, 1))
    orders = run(settings_obj.company_id, "orders")
    assert orders.outcome == SyncRun.Outcome.SUCCEEDED
    second.refresh_from_db()
    assert sum(second.stock_levels.filter(warehouse=main).values_list("on_hand", flat=True)) == 6
    before = last_log_id(lightspeed)

    upload = run(settings_obj.company_id, "upload", fields=frozenset({"changed"}))

    assert len(writes(lightspeed, before)) == 1 and upload.counts["items_sent"] == 1
    assert pos.qoh(501) == {1: 6, 2: 5, 3: 5}
    assert not second.lightspeed_link.drifts.exists()  # the downloaded sale explains the move


def test_a_count_made_in_lightspeed_is_overwritten_once_orders_have_caught_up_and_shows_as_drift(
    lightspeed, db, settings
):
    settings.LIGHTSPEED_CLOCK_SKEW_SECONDS = 0  # the sandbox runs on this machine's clock
    settings_obj = connect(
        lightspeed, order_download_enabled=True, order_download_start=timezone.now() - timedelta(minutes=1)
    )
    seed_items(lightspeed, 1)
    (belt,) = catalogue(settings_obj, 1)
    run(settings_obj.company_id, "products")
    pos = Register(lightspeed)
    count = {"ItemShops": {"ItemShop": [{"shopID": 2, "qoh": 11}]}}
    pos.call("PUT", "Item/500", json=count)  # a count made in Lightspeed

    reconcile = run(settings_obj.company_id, "reconcile")
    assert reconcile.counts["moved_in_lightspeed"] == 1
    assert pos.qoh(500)[2] == 11  # not overwritten before the order download has caught up

    past_the_second_after(moved_at(belt.lightspeed_link, 2))
    run(settings_obj.company_id, "orders")  # no sale to download: nothing explains the count
    upload = run(settings_obj.company_id, "upload")

    assert upload.counts["drift_overwritten"] == 1
    assert pos.qoh(500) == {1: 5, 2: 5, 3: 5}
    drift = belt.lightspeed_link.drifts.get()
    assert (drift.lightsync_qoh, drift.lightspeed_qoh) == (5, 11)


def test_auto_create_links_an_item_lightspeed_already_has_instead_of_creating_it_again(lightspeed, db):
    settings_obj = connect(lightspeed, auto_create_enabled_products=True)
    seed_items(lightspeed, 2)
    catalogue(settings_obj, 1)
    run(settings_obj.company_id, "products")  # reads both items; SKU-1 has no product yet
    # Later on, with the download's cursor past item 501 (its items were read long ago):
    CatalogCursor.objects.filter(company_id=settings_obj.company_id).update(
        items_since=timezone.now() + timedelta(seconds=2)
    )
    late = product(settings_obj.company, "SKU-1", site_price=Decimal("10.00"), site_cost=Decimal("4.00"))
    before = last_log_id(lightspeed)

    # The products download reads only items changed since: item 501 is not read again.
    result = run(settings_obj.company_id, "products")

    assert [r for r in writes(lightspeed, before) if r["method"] == "POST"] == []
    assert result.counts.get("items_created", 0) == 0
    link = ProductLink.objects.get(product=late)
    assert (link.item_id, link.matched_by) == (501, ProductLink.MatchedBy.CUSTOM_SKU)
    assert len(Register(lightspeed).items()) == 2
