# ruff: noqa: F811 - the shared fixtures are imported, then named as parameters
"""`manage.py lightspeed_sync orders` by hand: summary, --dry-run, --since, queries per page."""

from __future__ import annotations

from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from responses import matchers

from integrations.commerce.models import Order, User
from integrations.commerce.services.stock import stock_set
from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.models.orders import OrderCursor
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
    assert not OrderCursor.objects.exists()  # not even a first cursor


# The dry run's own record: its SyncRun (marked dry run), the run metrics, and the account's
# rate-limit bucket (the requests to Lightspeed were really made and count against it).
RUN_BOOKKEEPING = {"lightspeed.SyncRun", "lightspeed.MetricCounter", "lightspeed.ApiBucket"}


def _rows() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.label not in RUN_BOOKKEEPING
    }


def test_a_first_dry_run_writes_no_row_of_any_model_not_even_the_cursor_or_the_system_user(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    shirt = product(company, "TEE-1")
    stock_set(product=shirt, warehouse=shop_setup["downtown"], on_hand=1)
    broken = sale(972, [line(None)])
    broken["SaleLines"]["SaleLine"][0]["unitQuantity"] = "two"
    sales = [
        sale(
            970, [line(item(11, sku="TEE-1"), 3), line(item(12, sku="NO-SUCH-SKU"))]
        ),  # shortfall, unmatched
        sale(971, [line(item(11, sku="TEE-1"), -1, parent=1)]),  # a standalone return
        broken,  # unreadable
        sale(973, [line(item(11, sku="TEE-1"), layaway=True)], completed=False),  # open layaway
    ]
    mock_sales(mocked_lightspeed, sales)
    before = _rows()

    call_command(
        "lightspeed_sync",
        "orders",
        "--company",
        str(company.pk),
        "--dry-run",
        stdout=StringIO(),
        stderr=StringIO(),
    )

    assert _rows() == before
    assert not OrderCursor.objects.exists()
    assert not User.objects.filter(username=f"lightspeed-pos-{company.pk}").exists()
    run = SyncRun.objects.get(job="orders")
    assert run.dry_run and run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    counts = run.counts
    assert (counts["orders"], counts["returns"], counts["invalid"], counts["open"]) == (1, 1, 1, 1)
    assert counts["unmatched_items"] == 1  # what the run would do is still counted


def test_a_dry_run_after_a_real_run_leaves_the_cursor_and_every_row_as_they_were(
    shop_setup, mocked_lightspeed
):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(965, [line(None)])])
    run_orders(company)
    cursor = OrderCursor.objects.values().get(company=company)
    later = sale(966, [line(None)], time_stamp="2026-11-21T10:00:00+00:00")
    mock_sales(mocked_lightspeed, [sale(965, [line(None)]), later])
    before = _rows()

    call_command(
        "lightspeed_sync",
        "orders",
        "--company",
        str(company.pk),
        "--dry-run",
        stdout=StringIO(),
        stderr=StringIO(),
    )

    assert _rows() == before
    assert OrderCursor.objects.values().get(company=company) == cursor
    assert SyncRun.objects.filter(dry_run=True).get().counts["orders"] == 1


class Terminal(StringIO):
    """Standard error as a terminal: the progress bar draws only where someone watches."""

    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_how_many_sales_the_run_has_read(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(980 + n, [line(None)]) for n in range(3)])
    terminal = Terminal()

    call_command(
        "lightspeed_sync", "orders", "--company", str(company.pk), stdout=StringIO(), stderr=terminal
    )

    assert "orders · Demo Outfitters" in terminal.getvalue()
    assert "3 sales read" in terminal.getvalue()


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
