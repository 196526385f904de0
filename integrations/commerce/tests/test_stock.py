import pytest
from django.db.models import Sum

from integrations.commerce.models import Company, Product, StockLedgerEntry, StockLevel, Warehouse
from integrations.commerce.services.stock import StockError, stock_adjust, stock_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    company = Company.objects.create(name="Acme")
    warehouse = Warehouse.objects.create(company=company, name="Main", code="MAIN", is_default=True)
    product = Product.objects.create(company=company, sku="A-1", title="Anvil")
    return company, warehouse, product


def test_every_stock_change_writes_a_ledger_row_that_sums_to_the_level(shop):
    _, warehouse, product = shop
    stock_adjust(product=product, warehouse=warehouse, quantity_change=10, reason="import")
    stock_adjust(product=product, warehouse=warehouse, quantity_change=-3, reason="order", reference="#1")
    stock_set(product=product, warehouse=warehouse, on_hand=5)

    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    ledger = StockLedgerEntry.objects.filter(product=product, warehouse=warehouse)
    assert level.on_hand == 5
    assert ledger.aggregate(total=Sum("quantity_change"))["total"] == 5
    assert [e.on_hand_after for e in ledger.order_by("id")] == [10, 7, 5]


def test_stock_cannot_move_between_companies(shop):
    _, _, product = shop
    other = Company.objects.create(name="Other")
    foreign = Warehouse.objects.create(company=other, name="Main", code="MAIN")
    with pytest.raises(StockError):
        stock_adjust(product=product, warehouse=foreign, quantity_change=1, reason="adjustment")
    assert not StockLedgerEntry.objects.exists()
