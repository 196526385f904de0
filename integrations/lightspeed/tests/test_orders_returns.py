# ruff: noqa: F811 - the shared fixtures are imported, then named as parameters
"""Returns, exchanges and voids: stock back where it belongs, exactly once."""

from __future__ import annotations

from decimal import Decimal

from responses import matchers

from integrations.commerce.models import Order, Return, StockLedgerEntry
from integrations.commerce.services.stock import stock_set
from integrations.lightspeed.models import SyncIssue
from integrations.lightspeed.models.orders import LightspeedSale, OrderCursor
from integrations.lightspeed.tests.orders_helpers import item, line, mock_sales, product, sale
from integrations.lightspeed.tests.test_orders_import import on_hand, run_orders, shop_setup  # noqa: F401

from .conftest import resource_url


def _sold(shop_setup, mocked_lightspeed, *, quantity=2):
    company = shop_setup["settings"].company
    tee = product(company, "TEE-1")
    stock_set(product=tee, warehouse=shop_setup["downtown"], on_hand=5)
    original = sale(801, [line(item(11, sku="TEE-1"), quantity, line_id=9001)])
    mock_sales(mocked_lightspeed, [original])
    run_orders(company)
    return company, tee, original


def test_a_partial_refund_becomes_a_return_against_the_order_into_the_returns_warehouse(
    shop_setup, mocked_lightspeed
):
    company, tee, _ = _sold(shop_setup, mocked_lightspeed)
    refund = sale(
        802,
        [line(item(11, sku="TEE-1"), -1, total="-10.80", parent=9001)],
        time_stamp="2026-11-21T10:00:00+00:00",
        payments=[{"salePaymentID": "1", "amount": "-10.80", "name": "Cash"}],
    )
    mock_sales(mocked_lightspeed, [refund])

    run_orders(company)

    order = Order.objects.get(channel_order_id="801")
    returned = Return.objects.get()
    assert (returned.order, returned.channel_return_id, returned.refund_amount) == (
        order,
        "802",
        Decimal("10.80"),
    )
    [return_line] = returned.lines.all()
    assert (return_line.product, return_line.quantity, return_line.warehouse) == (
        tee,
        1,
        shop_setup["returns"],
    )
    assert return_line.order_line == order.lines.get()
    assert on_hand(tee, shop_setup["returns"]) == 1 and on_hand(tee, shop_setup["downtown"]) == 3
    assert Order.objects.count() == 1  # a refund is not an order


def test_a_refund_of_a_sale_from_before_the_start_date_is_a_standalone_return(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    tee = product(company, "TEE-1")
    refund = sale(803, [line(item(11, sku="TEE-1"), -1, total="-10.80", parent=4242)])
    mock_sales(mocked_lightspeed, [refund])

    run_orders(company)

    returned = Return.objects.get()
    assert returned.order is None and "standalone" in returned.notes
    assert on_hand(tee, shop_setup["returns"]) == 1


def test_an_exchange_is_both_an_order_and_a_return(shop_setup, mocked_lightspeed):
    company, tee, _ = _sold(shop_setup, mocked_lightspeed)
    hat = product(company, "HAT-1")
    stock_set(product=hat, warehouse=shop_setup["downtown"], on_hand=4)
    exchange = sale(
        804,
        [line(item(11, sku="TEE-1"), -1, total="-10.80", parent=9001), line(item(12, sku="HAT-1"), 1)],
        time_stamp="2026-11-21T10:00:00+00:00",
    )
    mock_sales(mocked_lightspeed, [exchange])

    run_orders(company)

    new_order = Order.objects.get(channel_order_id="804")
    assert [ln.product for ln in new_order.lines.all()] == [hat]
    assert Return.objects.get().order == Order.objects.get(channel_order_id="801")
    assert on_hand(hat, shop_setup["downtown"]) == 3 and on_hand(tee, shop_setup["returns"]) == 1


def test_without_a_returns_warehouse_returns_go_to_the_shops_first_warehouse_with_a_warning(
    shop_setup, mocked_lightspeed
):
    settings_obj = shop_setup["settings"]
    settings_obj.returns_warehouse = None
    settings_obj.save()
    company, tee, _ = _sold(shop_setup, mocked_lightspeed)
    mock_sales(
        mocked_lightspeed,
        [sale(805, [line(item(11, sku="TEE-1"), -1, parent=9001)], time_stamp="2026-11-21T10:00:00+00:00")],
    )

    run_orders(company)

    assert Return.objects.get().lines.get().warehouse == shop_setup["downtown"]
    assert on_hand(tee, shop_setup["downtown"]) == 4
    assert SyncIssue.objects.filter(kind="returns_warehouse_missing").exists()


def test_a_void_seen_through_updatetime_marks_the_order_void_and_restores_stock_once(
    shop_setup, mocked_lightspeed
):
    company, tee, original = _sold(shop_setup, mocked_lightspeed)
    assert on_hand(tee, shop_setup["downtown"]) == 3
    # As Lightspeed voids: timeStamp stays, updatetime moves, completed reads false.
    voided = {
        **original,
        "voided": "true",
        "completed": "false",
        "updatetime": "2026-11-22T08:00:00+00:00",
    }
    for _ in range(2):
        mock_sales(mocked_lightspeed, [], changed=[voided])
        run_orders(company)

    assert Order.objects.get().status == Order.Status.VOID
    assert on_hand(tee, shop_setup["downtown"]) == 5
    assert StockLedgerEntry.objects.filter(reason="void").count() == 1
    assert LightspeedSale.objects.get(sale_id=801).state == "voided"


def test_a_sale_voided_before_it_was_downloaded_is_a_void_order_without_stock_moves(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    tee = product(company, "TEE-1")
    voided = sale(806, [line(item(11, sku="TEE-1"))], voided=True, completed=False)
    mock_sales(mocked_lightspeed, [voided])

    run_orders(company)

    assert Order.objects.get().status == Order.Status.VOID
    assert not StockLedgerEntry.objects.filter(product=tee).exists()


def test_a_sale_completed_with_a_back_dated_time_is_found_through_updatetime(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    OrderCursor.objects.create(
        company=company,
        start_at=shop_setup["settings"].order_download_start,
        sales_after="2026-11-25T00:00:00+00:00",
        updates_after="2026-11-25T00:00:00+00:00",
    )
    late = sale(
        807, [line(None)], time_stamp="2026-11-02T00:00:00+00:00", update_time="2026-11-25T12:00:00+00:00"
    )
    mock_sales(mocked_lightspeed, [], changed=[late], fetched=[late])

    run_orders(company)

    assert Order.objects.get().channel_order_id == "807"
    fetch = [c.request.url for c in mocked_lightspeed.calls if "saleID=IN" in c.request.url]
    assert len(fetch) == 1


def test_sale_voids_are_read_when_the_scope_is_granted(shop_setup, mocked_lightspeed):
    company, tee, _ = _sold(shop_setup, mocked_lightspeed)
    settings_obj = shop_setup["settings"]
    settings_obj.token_scope = "employee:register employee:admin_void_sale"
    settings_obj.save()
    mock_sales(mocked_lightspeed, [], changed=[])  # the void did not show in timeStamp or updatetime
    mocked_lightspeed.get(
        resource_url("SaleVoid"),
        json={
            "@attributes": {"next": "", "previous": ""},
            "SaleVoid": {"saleVoidID": "3", "saleID": "801", "createTime": "2026-11-22T08:00:00+00:00"},
        },
        match=[matchers.query_param_matcher({"saleVoidID": ">,0"}, strict_match=False)],
    )

    run_orders(company)

    assert Order.objects.get().status == Order.Status.VOID
    assert on_hand(tee, shop_setup["downtown"]) == 5
    assert OrderCursor.objects.get(company=company).voids_after_id == 3


def test_a_refund_in_the_same_page_as_its_sale_is_a_return_against_that_order(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    tee = product(company, "TEE-1")
    stock_set(product=tee, warehouse=shop_setup["downtown"], on_hand=5)
    sold = sale(811, [line(item(11, sku="TEE-1"), 2, line_id=9811)])
    refund = sale(812, [line(item(11, sku="TEE-1"), -1, parent=9811)], time_stamp="2026-11-20T10:01:00+00:00")
    mock_sales(mocked_lightspeed, [sold, refund])

    run_orders(company)

    assert Return.objects.get().order == Order.objects.get(channel_order_id="811")
    assert on_hand(tee, shop_setup["downtown"]) == 3 and on_hand(tee, shop_setup["returns"]) == 1


def test_voiding_a_refund_of_two_earlier_sales_marks_both_of_its_returns_voided(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    tee = product(company, "TEE-1")
    stock_set(product=tee, warehouse=shop_setup["downtown"], on_hand=5)
    first = sale(811, [line(item(11, sku="TEE-1"), 1, line_id=9101)])
    second = sale(812, [line(item(11, sku="TEE-1"), 1, line_id=9102)])
    mock_sales(mocked_lightspeed, [first, second])
    run_orders(company)
    refund = sale(
        813,
        [
            line(item(11, sku="TEE-1"), -1, total="-10.80", parent=9101),
            line(item(11, sku="TEE-1"), -1, total="-10.80", parent=9102),
        ],
        time_stamp="2026-11-21T10:00:00+00:00",
        payments=[{"salePaymentID": "1", "amount": "-21.60", "name": "Cash"}],
    )
    mock_sales(mocked_lightspeed, [refund])
    run_orders(company)
    assert Return.objects.count() == 2
    assert on_hand(tee, shop_setup["returns"]) == 2

    voided = {**refund, "voided": "true", "completed": "false", "updatetime": "2026-11-22T08:00:00+00:00"}
    mock_sales(mocked_lightspeed, [], changed=[voided])
    run_orders(company)

    assert on_hand(tee, shop_setup["returns"]) == 0
    assert set(Return.objects.values_list("reason", flat=True)) == {"Voided in Lightspeed"}
