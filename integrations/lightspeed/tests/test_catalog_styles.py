"""A style (parent product) is never a Lightspeed item: not linked, created, uploaded or sold as
one. Its variations are ordinary products and go as items."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from integrations.commerce.models import Order, Product, StockLevel
from integrations.commerce.services.variations import product_parent_create, product_variation_attach
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedSettings, ProductLink, SyncIssue

from . import orders_helpers as pos
from .catalog_support import product, shop, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture
from .conftest import resource_url
from .test_catalog_create import answers, creating, run_products  # noqa: F401 - fixture
from .test_catalog_products import item
from .test_orders_import import run_orders, shop_setup  # noqa: F401 - fixture


def style_with_variation(company) -> tuple[Product, Product]:
    style = product_parent_create(
        company=company, sku="STY-JACKET", title="Jacket", attribute_names=("Size",), price=Decimal("120")
    )
    variation = product(company, "JKT-M", title="Jacket — M")
    product_variation_attach(parent=style, product=variation, values=("M",))
    return style, variation


def test_an_item_with_a_style_sku_links_to_no_style_and_the_variation_links_by_its_sku(
    connected, mocked_lightspeed
):
    shop(connected.company, 1, "Downtown", warehouse(connected.company, "Main"))
    settings_obj = uploads_on(connected)
    style, variation = style_with_variation(settings_obj.company)
    page = {
        "@attributes": {"next": "", "previous": ""},
        "Item": [item(301, customSku="STY-JACKET"), item(302, customSku="JKT-M")],
    }
    mocked_lightspeed.get(resource_url("Item"), json=page)

    run = job_run(company_id=settings_obj.company_id, job=JOBS["products"])

    assert run.counts["linked"] == 1 and run.counts["items_unmatched"] == 1
    assert ProductLink.objects.get(product=variation).item_id == 302
    assert not ProductLink.objects.filter(product=style, item_id__isnull=False).exists()


@pytest.mark.usefixtures("creating")
def test_auto_create_makes_no_loose_item_of_an_enabled_style_and_its_variation_goes_in_its_matrix(
    connected, mocked_lightspeed, sleeps
):
    settings_obj = LightspeedSettings.objects.get(pk=connected.pk)
    style, variation = style_with_variation(settings_obj.company)
    for made in (style, variation):
        ProductLink.objects.update_or_create(
            product=made, defaults={"company": settings_obj.company, "enabled": True}
        )
    mocked_lightspeed.post(resource_url("ItemMatrix"), json={"ItemMatrix": {"itemMatrixID": "33"}})
    answers(mocked_lightspeed, "FIRST", "SECOND", "JKT-M")

    run_products(settings_obj, sleeps)

    items = [
        json.loads(c.request.body)
        for c in mocked_lightspeed.calls
        if c.request.method == "POST" and c.request.url == resource_url("Item")
    ]
    assert [(b["customSku"], b.get("itemMatrixID")) for b in items] == [
        ("FIRST", None),
        ("SECOND", None),
        ("JKT-M", "33"),
    ]
    assert ProductLink.objects.get(product=style).item_id is None


@pytest.mark.usefixtures("shop_setup")
def test_a_sale_line_with_a_style_sku_imports_as_an_unknown_line_and_moves_no_stock(
    connected, mocked_lightspeed
):
    style, _ = style_with_variation(connected.company)
    pos.mock_sales(mocked_lightspeed, [pos.sale(801, [pos.line(pos.item(51, sku="STY-JACKET"))])])

    run_orders(connected.company)

    [order_line] = Order.objects.get().lines.all()
    assert (order_line.product, order_line.sku) == (None, "STY-JACKET")
    assert SyncIssue.objects.filter(kind="unmatched_item", key="51").exists()
    assert not StockLevel.objects.filter(product=style).exists()
