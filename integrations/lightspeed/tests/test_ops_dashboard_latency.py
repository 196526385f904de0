"""The dashboard's sync latency: sale completed in Lightspeed → order here, stock change → sent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from integrations.commerce.models import Order, StockLedgerEntry
from integrations.commerce.services.stock import stock_adjust
from integrations.commerce.tests.factories import ProductFactory, WarehouseFactory
from integrations.lightspeed.dashboard import latency_chart
from integrations.lightspeed.models import LightspeedShop
from integrations.lightspeed.models_catalog import ItemShopState, ProductLink
from integrations.lightspeed.models_orders import LightspeedSale


def _sale_imported(company, shop, sale_id: int, *, completed, imported) -> None:
    order = Order.objects.create(
        company=company,
        channel=Order.Channel.LOCAL_STORE,
        channel_order_id=str(sale_id),
        order_date=completed,
        total=Decimal("10"),
    )
    sale = LightspeedSale.objects.create(
        company=company, sale_id=sale_id, state="imported", order=order, shop=shop, complete_time=completed
    )
    LightspeedSale.objects.filter(pk=sale.pk).update(created_at=imported)


def _stock_sent(company, shop, *, changed, sent) -> None:
    product = ProductFactory(company=company)
    stock_adjust(
        product=product, warehouse=WarehouseFactory(company=company), quantity_change=5, reason="import"
    )
    StockLedgerEntry.objects.filter(product=product).update(created_at=changed)
    link = ProductLink.objects.create(company=company, product=product, item_id=product.pk)
    ItemShopState.objects.create(link=link, shop=shop, qoh_sent=5, sent_at=sent)


def test_the_latency_figures_are_the_sale_to_order_and_stock_change_to_sent_delays(connected):
    company = connected.company
    shop = LightspeedShop.objects.create(company=company, shop_id=1, name="Downtown")
    now = timezone.now()
    base = now - timedelta(hours=3)
    for sale_id, delay in ((1, 30), (2, 50), (3, 70)):
        completed = base + timedelta(minutes=sale_id)
        _sale_imported(
            company, shop, sale_id, completed=completed, imported=completed + timedelta(seconds=delay)
        )
    for delay in (20, 40):
        _stock_sent(company, shop, changed=base, sent=base + timedelta(seconds=delay))

    chart, figures = latency_chart(company, now=now)

    assert figures == {"sale": (50.0, 70.0), "stock": (30.0, 40.0)}
    assert "Sale → order" in chart and "Stock change → sent" in chart
