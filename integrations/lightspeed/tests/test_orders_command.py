# ruff: noqa: F811 - the shared fixtures are imported, then named as parameters
"""`manage.py lightspeed_sync orders` by hand: summary, --dry-run, --since, queries per page."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from responses import matchers

from integrations.commerce.models import Order
from integrations.commerce.services.stock import stock_set
from integrations.lightspeed.models_orders import OrderCursor
from integrations.lightspeed.tests.orders_helpers import SALE_URL, item, line, mock_sales, page, product, sale
from integrations.lightspeed.tests.test_orders_import import run_orders, shop_setup  # noqa: F401


def test_the_command_prints_a_one_line_summary_and_a_dry_run_changes_nothing(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(961, [line(None)])])
    out = StringIO()

    call_command(
        "lightspeed_sync", "orders", "--company", str(company.pk), "--dry-run", stdout=out, stderr=StringIO()
    )

    assert "orders (dry run): 1 run(s) — 1 succeeded" in out.getvalue()
    assert "orders 1" in out.getvalue()
    assert not Order.objects.exists()
    cursor = OrderCursor.objects.get(company=company)
    assert cursor.sales_after == cursor.start_at  # the dry run did not move it


def test_since_re_reads_from_that_time_without_duplicating(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(962, [line(None)])])
    run_orders(company)
    mocked_lightspeed.get(
        SALE_URL,
        json=page([sale(962, [line(None)]), sale(963, [line(None)])]),
        match=[
            matchers.query_param_matcher({"timeStamp": ">,2026-10-01T00:00:00+00:00"}, strict_match=False)
        ],
    )
    mocked_lightspeed.get(
        SALE_URL,
        json=page([]),
        match=[
            matchers.query_param_matcher({"updatetime": ">,2026-10-01T00:00:00+00:00"}, strict_match=False)
        ],
    )

    call_command(
        "lightspeed_sync",
        "orders",
        "--company",
        str(company.pk),
        "--since",
        "2026-10-01T00:00:00+00:00",
        stdout=StringIO(),
        stderr=StringIO(),
    )

    assert sorted(Order.objects.values_list("channel_order_id", flat=True)) == ["962", "963"]


def test_a_page_costs_the_same_number_of_queries_for_10_sales_as_for_100(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    products = [product(company, f"SKU-{n}") for n in range(30)]
    for p in products:
        stock_set(product=p, warehouse=shop_setup["downtown"], on_hand=1000)

    def page_of(first: int, count: int) -> list[dict]:
        return [
            sale(first + n, [line(item(500 + (n + k) % 30, sku=f"SKU-{(n + k) % 30}")) for k in range(3)])
            for n in range(count)
        ]

    counted = []
    for first, count in ((10_000, 10), (20_000, 100)):
        mock_sales(mocked_lightspeed, page_of(first, count))
        with CaptureQueriesContext(connection) as queries:
            run_orders(company)
        counted.append(len(queries))

    assert Order.objects.count() == 110
    assert counted[1] <= counted[0] + 5, counted
