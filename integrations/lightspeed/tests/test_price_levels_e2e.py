"""Price levels against the sandbox over real HTTP: downloaded by name, a price sent to a custom one."""
# ruff: noqa: F811 - fixtures imported from test_catalog_e2e are parameters of the test

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.lightspeed.connection.services.settings import lightspeed_settings_save
from integrations.lightspeed.models import (
    LightspeedPriceLevel,
    LightspeedSettings,
    ProductLink,
    SyncIssue,
    SyncRun,
)
from integrations.lightspeed.shops.services.redownload import shops_redownload

from .catalog_support import product, stock, uploads_not_queued  # noqa: F401 - autouse fixture
from .test_catalog_e2e import Register, connect, last_log_id, lightspeed, run, seed_items, writes  # noqa: F401

pytestmark = pytest.mark.e2e


def test_a_custom_price_level_is_downloaded_by_name_and_receives_the_site_price(lightspeed, db):
    lightspeed.seed(
        records={
            "PriceLevel": [
                {"priceLevelID": 4, "name": "Wholesale"},
                {"priceLevelID": 5, "name": "Staff", "archived": True},
            ]
        }
    )
    settings_obj = connect(lightspeed)  # runs the shops job
    levels = LightspeedPriceLevel.objects.filter(company=settings_obj.company).order_by("price_level_id")
    assert [(lv.price_level_id, lv.name, lv.archived) for lv in levels] == [
        (1, "Default", False),
        (2, "MSRP", False),
        (3, "Online", False),
        (4, "Wholesale", False),
        (5, "Staff", True),
    ]
    lightspeed_settings_save(settings_obj=settings_obj, actor=None, changes={"price_level": 4})

    seed_items(lightspeed, 1)  # item 500: Default 10.00, Wholesale 0 until LightSync sends it
    item = product(settings_obj.company, "SKU-0", site_price=Decimal("12.50"), site_cost=Decimal("4.00"))
    for wh in settings_obj.warehouses.values():
        stock(item, wh, 5)
    run(settings_obj.company_id, "products")
    before = last_log_id(lightspeed)

    upload = run(settings_obj.company_id, "upload")

    assert upload.counts["items_sent"] == 1 and len(writes(lightspeed, before)) == 1
    prices = Register(lightspeed).item(500)["Prices"]["ItemPrice"]
    by_level = {p["useTypeID"]: (p["useType"], p["amount"]) for p in prices}
    assert by_level["4"] == ("Wholesale", "12.5")
    assert by_level["1"] == ("Default", "10")  # the other levels are left alone

    # Renamed at Lightspeed: the next download says so and the page's name follows.
    assert (
        Register(lightspeed).call("PUT", "PriceLevel/4", json={"name": "Trade"})["PriceLevel"]["name"]
        == "Trade"
    )
    report = shops_redownload(company_id=settings_obj.company_id)
    assert report.ok and report.levels_renamed == [("Wholesale", "Trade")]
    assert "renamed Wholesale → Trade" in report.summary()


def test_a_level_archived_at_lightspeed_holds_prices_back_but_never_the_stock(lightspeed, db):
    lightspeed.seed(records={"PriceLevel": [{"priceLevelID": 4, "name": "Wholesale"}]})
    settings_obj = connect(lightspeed)
    lightspeed_settings_save(settings_obj=settings_obj, actor=None, changes={"price_level": 4})
    seed_items(lightspeed, 1)
    item = product(settings_obj.company, "SKU-0", site_price=Decimal("12.50"), site_cost=Decimal("4.00"))
    warehouse = next(iter(settings_obj.warehouses.values()))
    stock(item, warehouse, 5)
    run(settings_obj.company_id, "products")
    run(settings_obj.company_id, "upload")
    # Archived at Lightspeed, and seen archived by the next shops download.
    Register(lightspeed).call("PUT", "PriceLevel/4", json={"archived": True})
    assert shops_redownload(company_id=settings_obj.company_id).levels_archived == ["Wholesale"]
    item.site_price = Decimal("14.00")
    item.save()
    stock(item, warehouse, 7)
    before = last_log_id(lightspeed)

    upload = run(settings_obj.company_id, "upload")

    assert upload.outcome == SyncRun.Outcome.SUCCEEDED and len(writes(lightspeed, before)) == 1
    assert 7 in Register(lightspeed).qoh(500).values()  # the stock went up
    prices = {p["useTypeID"]: p["amount"] for p in Register(lightspeed).item(500)["Prices"]["ItemPrice"]}
    assert prices["4"] == "12.5"  # the new price was held back, not refused with the stock
    assert not SyncIssue.objects.filter(kind="upload_rejected").exists()
    held = SyncIssue.objects.get(kind="price_level_unusable", status=SyncIssue.Status.OPEN)
    assert "Wholesale (4) is archived in Lightspeed" in held.message

    # A usable level chosen: the held price goes up with the next full pass and the issue settles.
    lightspeed_settings_save(settings_obj=settings_obj, actor=None, changes={"price_level": 3})
    before = last_log_id(lightspeed)
    run(settings_obj.company_id, "upload")
    prices = {p["useTypeID"]: p["amount"] for p in Register(lightspeed).item(500)["Prices"]["ItemPrice"]}
    assert prices["3"] == "14" and len(writes(lightspeed, before)) == 1
    held.refresh_from_db()
    assert held.status == SyncIssue.Status.RESOLVED


def test_auto_create_with_an_archived_level_creates_the_item_without_its_price(lightspeed, db):
    lightspeed.seed(records={"PriceLevel": [{"priceLevelID": 4, "name": "Wholesale", "archived": True}]})
    settings_obj = connect(lightspeed, auto_create_enabled_products=True)
    LightspeedSettings.objects.filter(pk=settings_obj.pk).update(price_level=4)  # chosen before the archive
    new = product(settings_obj.company, "NEW-1", title="Trail Jacket", site_price=Decimal("99.00"))
    stock(new, next(iter(settings_obj.warehouses.values())), 6)

    result = run(settings_obj.company_id, "products")

    assert result.counts["items_created"] == 1, result.counts
    assert not SyncIssue.objects.filter(kind="item_create_rejected").exists()
    item_id = ProductLink.objects.get(product=new).item_id
    assert 6 in Register(lightspeed).qoh(item_id).values()
