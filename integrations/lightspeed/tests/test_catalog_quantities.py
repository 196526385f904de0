"""The quantity each Lightspeed shop should show, computed in the database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.commerce.models import StockLevel
from integrations.lightspeed.catalog.selectors import stock_available_by_shop
from integrations.lightspeed.models import LightspeedSettings

from .catalog_support import link, product, shop, stock, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture


def quantities(settings_obj: LightspeedSettings, **kwargs) -> dict[tuple[str, str], int]:
    rows = stock_available_by_shop(settings_obj=settings_obj, differing_only=False, **kwargs)
    from integrations.lightspeed.models import LightspeedShop, ProductLink

    names = dict(LightspeedShop.objects.values_list("pk", "name"))
    skus = dict(ProductLink.objects.values_list("pk", "product__sku"))
    return {(skus[r.link_id], names[r.shop_pk]): r.quantity for r in rows}


@pytest.fixture
def store(connected):
    """Two shops: Downtown ← Main then Back room; Uptown ← Uptown; a Returns warehouse nobody sells."""
    company = connected.company
    main, back, uptown = (warehouse(company, n) for n in ("Main", "Back room", "Uptown"))
    returns = warehouse(company, "Returns", sellable=False)
    downtown_shop = shop(company, 1, "Downtown", main, back, returns)
    uptown_shop = shop(company, 2, "Uptown", uptown)
    return (
        uploads_on(connected),
        {"main": main, "back": back, "uptown": uptown, "returns": returns},
        (
            downtown_shop,
            uptown_shop,
        ),
    )


def test_a_shop_shows_the_sum_of_its_mapped_sellable_warehouses(store):
    settings_obj, wh, _ = store
    jacket = product(settings_obj.company, "JACKET")
    stock(jacket, wh["main"], 4)
    stock(jacket, wh["back"], 3)
    stock(jacket, wh["uptown"], 9)
    stock(jacket, wh["returns"], 50)  # returned goods wait for inspection: never offered
    link(jacket, 101)

    assert quantities(settings_obj) == {("JACKET", "Downtown"): 7, ("JACKET", "Uptown"): 9}


def test_the_mapping_order_decides_what_is_drawn_first_not_what_is_offered(store):
    settings_obj, wh, (downtown, _) = store
    jacket = product(settings_obj.company, "JACKET")
    stock(jacket, wh["main"], 4)
    stock(jacket, wh["back"], 3)
    link(jacket, 101)
    before = quantities(settings_obj)

    downtown.warehouse_links.filter(warehouse=wh["main"]).update(position=5)

    assert quantities(settings_obj) == before
    assert before[("JACKET", "Downtown")] == 7


def test_reserved_units_are_not_available(store):
    settings_obj, wh, _ = store
    boots = product(settings_obj.company, "BOOTS")
    stock(boots, wh["main"], 10)
    StockLevel.objects.filter(product=boots, warehouse=wh["main"]).update(reserved=4)
    link(boots, 102)

    assert quantities(settings_obj)[("BOOTS", "Downtown")] == 6


def test_a_warehouse_mapped_to_two_shops_is_offered_by_both(store):
    settings_obj, wh, (_, uptown) = store
    uptown.warehouse_links.create(warehouse=wh["main"], position=1)
    scarf = product(settings_obj.company, "SCARF")
    stock(scarf, wh["main"], 5)
    link(scarf, 103)

    assert quantities(settings_obj) == {("SCARF", "Downtown"): 5, ("SCARF", "Uptown"): 5}


def test_an_oversold_warehouse_lowers_the_shop_and_a_negative_total_goes_up_as_zero(store):
    settings_obj, wh, _ = store
    hat, cap = product(settings_obj.company, "HAT"), product(settings_obj.company, "CAP")
    stock(hat, wh["main"], -2)
    stock(hat, wh["back"], 5)
    stock(cap, wh["main"], -3)
    stock(cap, wh["uptown"], -1)
    link(hat, 104)
    link(cap, 105)

    got = quantities(settings_obj)
    assert got[("HAT", "Downtown")] == 3
    assert got[("CAP", "Downtown")] == 0 and got[("CAP", "Uptown")] == 0


def test_a_product_without_stock_shows_zero_and_disabled_or_unlinked_products_are_left_out(store):
    settings_obj, wh, _ = store
    company = settings_obj.company
    empty, disabled, unlinked = (product(company, s) for s in ("EMPTY", "DISABLED", "UNLINKED"))
    for p in (disabled, unlinked):
        stock(p, wh["main"], 5)
    link(empty, 106)
    link(disabled, 107, enabled=False)

    assert quantities(settings_obj) == {("EMPTY", "Downtown"): 0, ("EMPTY", "Uptown"): 0}


def test_with_shops_mapping_off_every_sellable_warehouse_feeds_the_configured_shop(store):
    settings_obj, wh, (downtown, _) = store
    LightspeedSettings.objects.filter(pk=settings_obj.pk).update(shops_mapping_enabled=False, shop=downtown)
    settings_obj.refresh_from_db()
    socks = product(settings_obj.company, "SOCKS")
    for key, qty in (("main", 1), ("back", 2), ("uptown", 4), ("returns", 8)):
        stock(socks, wh[key], qty)
    link(socks, 108)

    assert quantities(settings_obj) == {("SOCKS", "Downtown"): 7}


def test_only_the_pairs_that_differ_from_lightspeed_come_back(store):
    settings_obj, wh, (downtown, uptown) = store
    same, moved = product(settings_obj.company, "SAME"), product(settings_obj.company, "MOVED")
    for p in (same, moved):
        stock(p, wh["main"], 3)
        stock(p, wh["uptown"], 2)
    link(same, 109, seen={downtown: 3, uptown: 2})
    link(moved, 110, seen={downtown: 3, uptown: 1})

    rows = stock_available_by_shop(settings_obj=settings_obj)

    assert [(r.link_id, r.shop_pk, r.qoh_seen, r.quantity) for r in rows] == [
        (moved.lightspeed_link.pk, uptown.pk, 1, 2)
    ]


def test_the_delta_takes_the_same_number_of_queries_for_ten_products_as_for_a_hundred(store):
    settings_obj, wh, _ = store

    def measure(count: int, prefix: str) -> int:
        for n in range(count):
            item = product(settings_obj.company, f"{prefix}{n}")
            stock(item, wh["main"], n)
            link(item, 1000 + n + (0 if prefix == "A" else 500))
        with CaptureQueriesContext(connection) as queries:
            rows = stock_available_by_shop(settings_obj=settings_obj)
        assert rows
        return len(queries)

    assert measure(10, "A") == measure(100, "B")
