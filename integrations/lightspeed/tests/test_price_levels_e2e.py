"""Price levels against the sandbox over real HTTP: downloaded by name, a price sent to a custom one."""
# ruff: noqa: F811 - fixtures imported from test_catalog_e2e are parameters of the test

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.lightspeed.models import LightspeedPriceLevel
from integrations.lightspeed.services.settings import lightspeed_settings_save
from integrations.lightspeed.services.shop_mapping import shops_redownload

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
