"""The order download against a strict HTTP mock: what each kind of sale becomes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integrations.commerce.models import Order, StockLedgerEntry, StockLevel, Warehouse
from integrations.commerce.services.stock import stock_set
from integrations.lightspeed.jobs import JOBS
from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.models_catalog import ProductLink
from integrations.lightspeed.models_orders import OrderCursor
from integrations.lightspeed.services.runs import job_run
from integrations.lightspeed.tests.orders_helpers import (
    customer,
    item,
    line,
    mock_sales,
    product,
    sale,
    shop_with_warehouses,
)

START = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def shop_setup(connected):
    company = connected.company
    main = Warehouse.objects.create(company=company, name="Main", code="MAIN", is_default=True)
    downtown = Warehouse.objects.create(company=company, name="Downtown", code="DOWNTOWN")
    returns = Warehouse.objects.create(company=company, name="Returns", code="RETURNS", is_sellable=False)
    shop_with_warehouses(company, downtown, main)
    connected.shops_mapping_enabled = True
    connected.order_download_enabled = True
    connected.returns_warehouse = returns
    connected.order_download_start = START
    connected.save()
    return {"settings": connected, "main": main, "downtown": downtown, "returns": returns}


def run_orders(company):
    run = job_run(company_id=company.pk, job=JOBS["orders"], sleep=lambda s: None)
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    return run


def on_hand(product_obj, warehouse) -> int:
    level = StockLevel.objects.filter(product=product_obj, warehouse=warehouse).first()
    return level.on_hand if level else 0


def test_a_completed_sale_becomes_a_paid_shipped_pickup_order_with_its_stock_taken(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    shirt = product(company, "TEE-1")
    stock_set(product=shirt, warehouse=shop_setup["downtown"], on_hand=5)
    record = sale(
        501,
        [line(item(11, sku="TEE-1"), 2, price="12.50", total="26.9999999")],
        customer=customer(),
    )
    mock_sales(mocked_lightspeed, [record])

    run = run_orders(company)

    order = Order.objects.get(company=company)
    assert (order.channel, order.channel_order_id) == (Order.Channel.LOCAL_STORE, "501")
    assert (order.status, order.payment_status, order.shipping_status) == ("completed", "paid", "shipped")
    assert (order.shipping_carrier, order.shipping_service) == ("Other", "Pickup")
    assert order.total == Decimal("26.9999999")
    assert order.order_date == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert (order.customer_name, order.customer_email) == ("Ada Lovelace", "ada@example.com")
    assert (order.billing_city, order.shipping_address1, order.billing_country) == (
        "Burlington",
        "12 Elm St",
        "US",
    )
    [order_line] = order.lines.all()
    assert (order_line.product, order_line.quantity, order_line.line_total) == (
        shirt,
        2,
        Decimal("26.9999999"),
    )
    assert [(p.payment_type, p.amount) for p in order.payments.all()] == [("Cash", Decimal("27.00"))]
    assert on_hand(shirt, shop_setup["downtown"]) == 3
    entry = StockLedgerEntry.objects.get(product=shirt, reason="order")
    assert (entry.reason, entry.order, entry.created_by.username) == (
        "order",
        order,
        f"lightspeed-pos-{company.pk}",
    )
    assert ProductLink.objects.get(product=shirt).item_id == 11
    assert ProductLink.objects.get(product=shirt).matched_by == "custom_sku"
    assert run.counts["orders"] == 1


def test_running_twice_imports_each_sale_once(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    shirt = product(company, "TEE-1")
    stock_set(product=shirt, warehouse=shop_setup["downtown"], on_hand=5)
    records = [sale(601, [line(item(11, sku="TEE-1"))]), sale(602, [line(item(11, sku="TEE-1"))])]
    mock_sales(mocked_lightspeed, records)
    mock_sales(mocked_lightspeed, records)

    run_orders(company)
    second = run_orders(company)

    assert Order.objects.filter(company=company).count() == 2
    assert StockLedgerEntry.objects.filter(product=shirt, reason="order").count() == 2
    assert on_hand(shirt, shop_setup["downtown"]) == 3
    assert second.counts.get("orders", 0) == 0 and second.counts["already_imported"] == 2
    cursor = OrderCursor.objects.get(company=company)
    assert cursor.sales_after == datetime(2026, 11, 20, 10, tzinfo=UTC)
