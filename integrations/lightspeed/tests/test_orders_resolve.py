# ruff: noqa: F811 - the shared fixtures are imported, then named as parameters
"""Ops staff map an unmatched Lightspeed item to a product: its lines and stock are fixed once."""

from __future__ import annotations

import pytest

from integrations.commerce.models import Order, Return, StockLedgerEntry
from integrations.commerce.services.stock import stock_set
from integrations.lightspeed.models import SyncIssue
from integrations.lightspeed.models.catalog import ProductLink
from integrations.lightspeed.orders.services.resolve import UnmatchedItemResolveError, unmatched_item_resolve
from integrations.lightspeed.tests.orders_helpers import item, line, mock_sales, product, sale
from integrations.lightspeed.tests.test_orders_import import on_hand, run_orders, shop_setup  # noqa: F401


def test_mapping_an_unmatched_item_fixes_every_line_and_applies_its_stock_once(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    mystery = item(77, sku="LS-ONLY")
    mock_sales(
        mocked_lightspeed,
        [
            sale(901, [line(mystery, 2, line_id=9901)]),
            sale(902, [line(mystery, 1)], time_stamp="2026-11-20T11:00:00+00:00"),
            sale(903, [line(mystery, -1, parent=9901)], time_stamp="2026-11-20T12:00:00+00:00"),
        ],
    )
    run_orders(company)
    issue = SyncIssue.objects.get(kind="unmatched_item", key="77")
    scarf = product(company, "SCARF")
    stock_set(product=scarf, warehouse=shop_setup["downtown"], on_hand=10)

    result = unmatched_item_resolve(issue=issue, product=scarf)
    again = unmatched_item_resolve(issue=issue, product=scarf)

    assert result == {"lines": 3, "stock_moves": 3} and again == {"lines": 0, "stock_moves": 0}
    assert set(Order.objects.values_list("lines__product", flat=True)) == {scarf.pk}
    assert Return.objects.get().lines.get().product == scarf
    assert on_hand(scarf, shop_setup["downtown"]) == 7
    assert on_hand(scarf, shop_setup["returns"]) == 1
    assert StockLedgerEntry.objects.filter(product=scarf).exclude(reason="adjustment").count() == 3
    link = ProductLink.objects.get(product=scarf)
    assert (link.item_id, link.matched_by) == (77, "manual")
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED


def test_an_item_cannot_be_mapped_to_a_product_linked_to_another_item(shop_setup, mocked_lightspeed):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(904, [line(item(78, sku="LS-ONLY"))])])
    run_orders(company)
    taken = product(company, "TAKEN")
    ProductLink.objects.create(company=company, product=taken, item_id=5)

    with pytest.raises(UnmatchedItemResolveError, match="already linked to Lightspeed item 5"):
        unmatched_item_resolve(issue=SyncIssue.objects.get(key="78"), product=taken)
    assert Order.objects.get().lines.get().product is None


def test_mapping_waits_for_a_running_order_download_and_changes_nothing_meanwhile(
    shop_setup, mocked_lightspeed, monkeypatch
):
    from integrations.core.locks import company_job_lock
    from integrations.lightspeed.orders.services import resolve as orders_resolve

    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(905, [line(item(79, sku="LS-ONLY"))])])
    run_orders(company)
    scarf = product(company, "SCARF")
    monkeypatch.setattr(orders_resolve, "LOCK_WAIT_SECONDS", 0.0, raising=False)

    with company_job_lock(company.pk, "orders") as acquired:
        assert acquired
        with pytest.raises(UnmatchedItemResolveError, match="order download is running"):
            unmatched_item_resolve(issue=SyncIssue.objects.get(key="79"), product=scarf)

    assert Order.objects.get().lines.get().product is None
    assert not ProductLink.objects.filter(product=scarf).exists()
