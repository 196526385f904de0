"""The order download against a strict HTTP mock: what each kind of sale becomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.commerce.models import Order, StockLedgerEntry, StockLevel, Warehouse
from integrations.commerce.services.stock import stock_set
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedShop,
    SyncIssue,
    SyncRun,
)
from integrations.lightspeed.models.catalog import ProductLink
from integrations.lightspeed.models.orders import LightspeedSale, OrderCursor
from integrations.lightspeed.tests.orders_helpers import (
    SALE_URL,
    customer,
    item,
    line,
    mock_sales,
    page,
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
    assert "shop Downtown" in order.notes and "completed 2026-11-20 05:00 America/New_York" in order.notes
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


def test_an_imported_order_is_created_by_the_channels_system_user(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(502, [line(None)])])

    run_orders(company)

    creator = Order.objects.get().created_by
    assert creator.username == f"lightspeed-pos-{company.pk}"
    assert creator.company == company and not creator.is_active and not creator.has_usable_password()


def test_the_order_records_the_customers_phone_and_the_sales_register_and_employee(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    shop = LightspeedShop.objects.get(company=company, shop_id=1)
    till = LightspeedRegister.objects.create(company=company, shop=shop, register_id=1, name="Front Till")
    dana = LightspeedEmployee.objects.create(
        company=company, employee_id=1, first_name="Dana", last_name="Demo"
    )
    mock_sales(mocked_lightspeed, [sale(505, [line(None)], customer=customer())])

    run_orders(company)

    order = Order.objects.get()
    assert order.customer_phone == "802-555-0199"
    assert "register Front Till" in order.notes and "employee Dana Demo" in order.notes
    record = LightspeedSale.objects.get(sale_id=505)
    assert (record.shop, record.register, record.employee, record.order) == (shop, till, dana, order)


def test_moving_the_start_date_earlier_backfills_the_sales_before_it_on_the_next_run(
    shop_setup, mocked_lightspeed
):
    from responses import matchers

    settings_obj = shop_setup["settings"]
    early = sale(506, [line(None)], time_stamp="2026-10-20T10:00:00+00:00")
    mock_sales(mocked_lightspeed, [early], changed=[])
    first = run_orders(settings_obj.company)
    assert not Order.objects.exists() and first.counts["before_start"] == 1
    settings_obj.order_download_start = datetime(2026, 10, 1, tzinfo=UTC)
    settings_obj.save()
    since = {"timeStamp": ">,2026-10-01T00:00:00+00:00"}
    mocked_lightspeed.get(
        SALE_URL, json=page([early]), match=[matchers.query_param_matcher(since, strict_match=False)]
    )
    mocked_lightspeed.get(
        SALE_URL,
        json=page([]),
        match=[matchers.query_param_matcher({"updatetime": since["timeStamp"]}, strict_match=False)],
    )

    run_orders(settings_obj.company)

    assert list(Order.objects.values_list("channel_order_id", flat=True)) == ["506"]
    cursor = OrderCursor.objects.get(company=settings_obj.company)
    assert cursor.start_at == datetime(2026, 10, 1, tzinfo=UTC)


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


def test_a_line_splits_across_the_shops_warehouses_in_mapping_order(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    boots = product(company, "BOOT-1")
    stock_set(product=boots, warehouse=shop_setup["downtown"], on_hand=1)
    stock_set(product=boots, warehouse=shop_setup["main"], on_hand=5)
    mock_sales(mocked_lightspeed, [sale(701, [line(item(12, sku="BOOT-1"), 3)])])

    run_orders(company)

    assert on_hand(boots, shop_setup["downtown"]) == 0
    assert on_hand(boots, shop_setup["main"]) == 3
    assert not SyncIssue.objects.filter(kind="stock_shortfall").exists()


def test_a_shortfall_is_taken_from_the_first_warehouse_and_flagged(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    boots = product(company, "BOOT-1")
    stock_set(product=boots, warehouse=shop_setup["main"], on_hand=1)
    mock_sales(mocked_lightspeed, [sale(702, [line(item(12, sku="BOOT-1"), 4)])])

    run_orders(company)

    assert on_hand(boots, shop_setup["main"]) == 0
    assert on_hand(boots, shop_setup["downtown"]) == -3
    assert "Not enough BOOT-1" in Order.objects.get().notes
    assert SyncIssue.objects.get(kind="stock_shortfall").key == "BOOT-1"


def test_with_shops_mapping_off_stock_comes_from_the_default_warehouse(shop_setup, mocked_lightspeed):
    settings_obj = shop_setup["settings"]
    settings_obj.shops_mapping_enabled = False
    settings_obj.shop = LightspeedShop.objects.get(company=settings_obj.company, shop_id=1)
    settings_obj.save()
    boots = product(settings_obj.company, "BOOT-1")
    stock_set(product=boots, warehouse=shop_setup["main"], on_hand=2)
    mock_sales(mocked_lightspeed, [sale(703, [line(item(12, sku="BOOT-1"))])])

    run_orders(settings_obj.company)

    assert on_hand(boots, shop_setup["main"]) == 1


def test_sales_of_unmapped_shops_are_counted_not_imported(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(704, [line(None)], shop_id=2), sale(705, [line(None)], shop_id=1)])

    run = run_orders(company)

    assert list(Order.objects.values_list("channel_order_id", flat=True)) == ["705"]
    assert run.counts["other_shops"] == 1


def test_lines_match_by_upc_ean_and_manufacturer_sku_and_the_method_is_recorded(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    by_upc = product(company, "A", upc="012345678905")
    by_ean = product(company, "B", ean="4006381333931")
    by_msku = product(company, "C", manufacturer_sku="MFR-9")
    mock_sales(
        mocked_lightspeed,
        [
            sale(
                706,
                [
                    line(item(21, upc="012345678905")),
                    line(item(22, ean="4006381333931")),
                    line(item(23, msku="MFR-9")),
                ],
            )
        ],
    )

    run_orders(company)

    methods = dict(ProductLink.objects.values_list("product__sku", "matched_by"))
    assert methods == {"A": "upc", "B": "ean", "C": "manufacturer_sku"}
    assert {ln.product for ln in Order.objects.get().lines.all()} == {by_upc, by_ean, by_msku}


def test_a_stored_item_link_wins_and_an_ambiguous_code_matches_nothing(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    linked = product(company, "LINKED")
    ProductLink.objects.create(company=company, product=linked, item_id=31, matched_by="manual")
    product(company, "TWIN-1", upc="0000000000017")
    product(company, "TWIN-2", ean="0000000000017")
    mock_sales(
        mocked_lightspeed,
        [sale(707, [line(item(31, sku="SOMETHING-ELSE")), line(item(32, upc="0000000000017"))])],
    )

    run_orders(company)

    lines = {ln.channel_line_id: ln for ln in Order.objects.get().lines.all()}
    first, second = sorted(lines.values(), key=lambda ln: int(ln.channel_line_id))
    assert first.product == linked
    assert second.product is None and second.unknown_reference == "Lightspeed item 32"
    issue = SyncIssue.objects.get(kind="unmatched_item")
    assert issue.key == "32" and "2 products" in issue.message


def test_an_unmatched_line_imports_as_an_unknown_line_with_the_items_description_and_an_issue(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(708, [line(item(41, sku="NOPE", upc="123456789012"))])])

    run = run_orders(company)

    [order_line] = Order.objects.get().lines.all()
    assert (order_line.product, order_line.sku, order_line.title) == (None, "NOPE", "Item 41")
    issue = SyncIssue.objects.get(kind="unmatched_item", key="41")
    assert "UPC 123456789012" in issue.message and issue.status == "open"
    assert issue.run == run  # ops staff see which run found it


def test_misc_and_fee_lines_are_non_stock_lines(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    mock_sales(
        mocked_lightspeed,
        [
            sale(
                709,
                [
                    line(None, price="15.00", note="Hemming"),
                    line(None, price="0.10", line_type="item_fee", note="Bag fee"),
                ],
            )
        ],
    )

    run_orders(company)

    titles = sorted(Order.objects.get().lines.values_list("title", "unknown_reference"))
    assert titles == [("Bag fee", ""), ("Hemming", "")]
    assert not SyncIssue.objects.filter(kind="unmatched_item").exists()
    assert not StockLedgerEntry.objects.exists()


def test_a_single_object_sale_line_and_a_sale_without_lines_both_import(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    tee = product(company, "TEE-1")
    mock_sales(
        mocked_lightspeed,
        [
            sale(710, [line(item(11, sku="TEE-1"))], single_line_object=True),
            sale(711, [], total="0", payments=[]),
        ],
    )

    run_orders(company)

    assert Order.objects.get(channel_order_id="710").lines.get().product == tee
    empty = Order.objects.get(channel_order_id="711")
    assert empty.lines.count() == 0 and empty.payment_status == "paid"
    assert "without payment" in empty.notes or "no payment lines" in empty.notes


def test_a_line_whose_item_was_archived_still_imports_and_takes_stock(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    old = product(company, "OLD-1")
    stock_set(product=old, warehouse=shop_setup["downtown"], on_hand=2)
    mock_sales(mocked_lightspeed, [sale(712, [line(item(51, sku="OLD-1", archived=True))])])

    run_orders(company)

    assert Order.objects.get().lines.get().product == old
    assert on_hand(old, shop_setup["downtown"]) == 1
    assert ProductLink.objects.get(product=old).item_archived is True


def test_company_address_and_walk_in_name(shop_setup, mocked_lightspeed):
    settings_obj = shop_setup["settings"]
    company = settings_obj.company
    company.address1, company.city, company.country = "1 Shop Row", "Montpelier", "US"
    company.save()
    settings_obj.use_company_address = True
    settings_obj.save()
    mock_sales(mocked_lightspeed, [sale(713, [line(None)], customer=customer()), sale(714, [line(None)])])

    run_orders(company)

    with_customer = Order.objects.get(channel_order_id="713")
    assert with_customer.customer_name == "Ada Lovelace"
    assert (with_customer.billing_address1, with_customer.shipping_city) == ("1 Shop Row", "Montpelier")
    assert Order.objects.get(channel_order_id="714").customer_name == "Walk-in customer"


@pytest.mark.parametrize("reservation", ["isLayaway", "isWorkorder", "isSpecialOrder"])
def test_an_open_layaway_work_order_or_special_order_is_recorded_and_imported_with_its_stock_once_completed(
    shop_setup, mocked_lightspeed, reservation
):
    company = shop_setup["settings"].company
    tent = product(company, "TENT")
    stock_set(product=tent, warehouse=shop_setup["downtown"], on_hand=3)
    open_sale = sale(715, [line(item(61, sku="TENT"))], completed=False, payments=[])
    open_sale["SaleLines"]["SaleLine"][0][reservation] = "true"
    mock_sales(mocked_lightspeed, [open_sale])
    run_orders(company)
    assert not Order.objects.exists() and on_hand(tent, shop_setup["downtown"]) == 3
    assert LightspeedSale.objects.get(sale_id=715).state == "open"

    done = sale(
        715,
        [
            line(
                item(61, sku="TENT"),
                layaway=True,
                line_id=int(open_sale["SaleLines"]["SaleLine"][0]["saleLineID"]),
            )
        ],
        time_stamp="2026-11-21T09:00:00+00:00",
    )
    mock_sales(mocked_lightspeed, [done])
    run_orders(company)

    assert Order.objects.get().lines.get().product == tent
    assert on_hand(tent, shop_setup["downtown"]) == 2
    assert LightspeedSale.objects.get(sale_id=715).state == "imported"


def test_items_and_customers_left_out_of_the_page_are_fetched_in_one_request_each(
    shop_setup, mocked_lightspeed
):
    from responses import matchers

    from integrations.lightspeed.tests.conftest import resource_url

    company = shop_setup["settings"].company
    tee = product(company, "TEE-1")
    bare_lines = []
    for n in range(3):
        record = line(item(11 + n, sku=f"TEE-{n + 1}"))
        del record["Item"]
        bare_lines.append(record)
    record = sale(720, bare_lines)
    record["customerID"] = "7"
    mock_sales(mocked_lightspeed, [record])
    mocked_lightspeed.get(
        resource_url("Item"),
        json={"@attributes": {"next": ""}, "Item": [item(11, sku="TEE-1"), item(12), item(13)]},
        match=[
            matchers.query_param_matcher({"itemID": "IN,[11,12,13]", "archived": "true"}, strict_match=False)
        ],
    )
    mocked_lightspeed.get(
        resource_url("Customer"),
        json={"@attributes": {"next": ""}, "Customer": customer(7, first="Grace", last="Hopper")},
    )

    run_orders(company)

    order = Order.objects.get()
    assert order.customer_name == "Grace Hopper"
    assert [ln.product for ln in order.lines.order_by("id")][0] == tee
    assert len([c for c in mocked_lightspeed.calls if "/Item.json" in c.request.url]) == 1


def test_after_a_long_outage_the_next_run_reads_from_its_cursor_not_a_fixed_look_back(
    shop_setup, mocked_lightspeed
):
    from responses import matchers

    from integrations.lightspeed.tests.orders_helpers import SALE_URL, page

    company = shop_setup["settings"].company
    cursor_at = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)  # weeks before the sales below
    OrderCursor.objects.create(
        company=company, start_at=START, sales_after=cursor_at, updates_after=cursor_at
    )
    mocked_lightspeed.get(
        SALE_URL,
        json=page(
            [sale(730 + n, [line(None)], time_stamp=f"2026-11-{10 + n}T10:00:00+00:00") for n in range(5)]
        ),
        match=[
            matchers.query_param_matcher({"timeStamp": ">,2026-11-03T11:55:00+00:00"}, strict_match=False)
        ],
    )
    mocked_lightspeed.get(
        SALE_URL,
        json=page([]),
        match=[
            matchers.query_param_matcher({"updatetime": ">,2026-11-03T11:59:30+00:00"}, strict_match=False)
        ],
    )

    run_orders(company)

    assert Order.objects.count() == 5
    assert OrderCursor.objects.get(company=company).sales_after == datetime(2026, 11, 14, 10, tzinfo=UTC)


def test_sales_are_read_100_a_page_with_lines_items_payments_and_customer_in_the_same_request(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    records = [
        sale(760 + n, [line(item(70 + k, sku=f"S-{k}")) for k in range(3)], customer=customer(20 + n))
        for n in range(5)
    ]
    mock_sales(mocked_lightspeed, records)

    run = run_orders(company)

    assert run.counts["orders"] == 5 and run.counts["lines"] == 15
    assert len(mocked_lightspeed.calls) == 2  # the page by timeStamp, the changes by updatetime
    query = parse_qs(urlsplit(mocked_lightspeed.calls[0].request.url).query)
    assert (query["limit"], query["sort"]) == (["100"], ["timeStamp"])
    relations = set(json.loads(query["load_relations"][0]))
    assert {"SaleLines", "SaleLines.Item", "SalePayments", "Customer.Contact"} <= relations


def test_without_a_start_date_the_first_run_reads_from_when_the_connection_was_made(
    shop_setup, mocked_lightspeed
):
    from responses import matchers

    settings_obj = shop_setup["settings"]
    settings_obj.order_download_start = None
    settings_obj.token_received_at = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    settings_obj.save()
    # minus the overlap windows: 5 minutes of sales by timeStamp, 30 seconds of changes by updatetime
    for field, since, records in (
        ("timeStamp", ">,2026-11-18T09:25:00+00:00", [sale(770, [line(None)])]),
        ("updatetime", ">,2026-11-18T09:29:30+00:00", []),
    ):
        mocked_lightspeed.get(
            SALE_URL,
            json=page(records),
            match=[matchers.query_param_matcher({field: since}, strict_match=False)],
        )

    run_orders(settings_obj.company)

    assert OrderCursor.objects.get(company=settings_obj.company).start_at == settings_obj.token_received_at
    assert list(Order.objects.values_list("channel_order_id", flat=True)) == ["770"]


def test_a_sale_that_cannot_be_read_is_recorded_and_the_others_import(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    broken = sale(740, [line(None)])
    broken["SaleLines"]["SaleLine"][0]["unitQuantity"] = "two"
    mock_sales(mocked_lightspeed, [broken, sale(741, [line(None)])])

    run = run_orders(company)

    assert list(Order.objects.values_list("channel_order_id", flat=True)) == ["741"]
    issue = SyncIssue.objects.get(kind="sale_invalid")
    assert issue.key == "740" and "unitQuantity" in issue.message and '"two"' in issue.excerpt
    assert LightspeedSale.objects.get(sale_id=740).state == "invalid"
    assert run.counts["invalid"] == 1


def test_an_unreadable_sale_that_imports_in_a_later_run_resolves_its_issue_with_a_note(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    broken = sale(742, [line(None)])
    broken["SaleLines"]["SaleLine"][0]["unitQuantity"] = "two"
    mock_sales(mocked_lightspeed, [broken])
    run_orders(company)
    assert SyncIssue.objects.get(kind="sale_invalid", key="742").status == SyncIssue.Status.OPEN
    # Lightspeed corrects the sale; the next normal run (no replay) reads it again and imports it.
    mock_sales(mocked_lightspeed, [sale(742, [line(None)], update_time="2026-11-20T11:00:00+00:00")])

    second = run_orders(company)

    assert list(Order.objects.values_list("channel_order_id", flat=True)) == ["742"]
    issue = SyncIssue.objects.get(kind="sale_invalid", key="742")
    assert issue.status == SyncIssue.Status.RESOLVED and issue.resolved_at is not None
    assert f"imported by run {second.pk}" in issue.resolution
    assert LightspeedSale.objects.get(sale_id=742).state == "imported"


def test_with_no_warehouse_to_draw_from_the_sale_imports_without_stock_moves(shop_setup, mocked_lightspeed):
    settings_obj = shop_setup["settings"]
    settings_obj.shops_mapping_enabled = False
    settings_obj.shop = LightspeedShop.objects.get(company=settings_obj.company, shop_id=1)
    settings_obj.save()
    Warehouse.objects.filter(company=settings_obj.company).update(is_sellable=False)
    boots = product(settings_obj.company, "BOOT-1")
    mock_sales(mocked_lightspeed, [sale(709, [line(item(12, sku="BOOT-1"), 2)])])

    run_orders(settings_obj.company)

    order = Order.objects.get()
    assert "No warehouse is mapped to this shop: BOOT-1 not deducted." in order.notes
    assert not StockLedgerEntry.objects.filter(product=boots).exists()
    assert not SyncIssue.objects.filter(kind="stock_shortfall").exists()
