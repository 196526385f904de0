"""The 119 real sales recorded from a Lightspeed account go through the parsing and import path."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.db import transaction

from integrations.commerce.models import Order, Warehouse
from integrations.lightspeed.api.normalise import records_in
from integrations.lightspeed.api.records.sales import sale_parse
from integrations.lightspeed.models import LightspeedShop
from integrations.lightspeed.orders.services.sale_import import sales_import
from integrations.lightspeed.orders.services.sale_stock import shop_scope_load

CASSETTE = (
    Path(__file__).resolve().parents[4] / "shared/lightspeed/recorded/vcr_cassettes/account/Sales/index.yml"
)


def recorded_sales() -> list[dict]:
    if not CASSETTE.exists():
        pytest.skip("../shared (the recorded Lightspeed traffic) is not present")
    cassette = yaml.safe_load(CASSETTE.read_text())
    sales = []
    for interaction in cassette["http_interactions"]:
        sales.extend(records_in(json.loads(interaction["response"]["body"]["string"]), "Sale"))
    return sales


def test_every_recorded_sale_parses_and_exactly_the_completed_ones_become_orders(connected):
    Warehouse.objects.create(company=connected.company, name="Main", code="MAIN", is_default=True)
    # Shops mapping off: the configured shop (every recorded sale is shop 1's) draws on Main.
    connected.shop = LightspeedShop.objects.create(company=connected.company, shop_id=1, name="Shop 1")
    connected.save()
    records = recorded_sales()
    parsed = [sale_parse(record) for record in records]
    shapes = Counter(type(r.get("SaleLines")).__name__ for r in records)
    scope = shop_scope_load(settings_obj=connected)
    counts: Counter = Counter()

    with transaction.atomic():
        sales_import(scope=scope, sales=parsed, counts=counts)

    assert len(records) == 119
    assert shapes["list"] > 0 and shapes["NoneType"] > 0  # lists, single objects made lists, absent
    completed = {str(r["saleID"]) for r in records if r["completed"] == "true" and r["voided"] == "false"}
    assert set(Order.objects.values_list("channel_order_id", flat=True)) == completed
    assert len(completed) == 36
    assert counts["open"] == 119 - 36
    assert all(
        o.total == p.total
        for o in Order.objects.all()
        for p in parsed
        if str(p.sale_id) == o.channel_order_id
    )
