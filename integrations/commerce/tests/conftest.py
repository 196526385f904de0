"""Two companies side by side, Alpha and Bravo, each with one of everything the admin shows.

Every name, SKU and customer of Bravo contains "Bravo" (or "BRAVO"), so a test can assert that
no page an Alpha merchant sees mentions Bravo at all.
"""

from dataclasses import dataclass

import pytest

from integrations.commerce.models import (
    Company,
    Order,
    Product,
    Return,
    StockLedgerEntry,
    StockLevel,
    Warehouse,
)
from integrations.commerce.tests.factories import (
    PASSWORD,
    CompanyFactory,
    MerchantFactory,
    OpsStaffFactory,
    OrderFactory,
    OrderLineFactory,
    OrderPaymentFactory,
    ProductFactory,
    ReturnFactory,
    ReturnLineFactory,
    WarehouseFactory,
    stock,
)
from integrations.core.admin import company_path_for


@dataclass
class Tenant:
    company: Company
    warehouse: Warehouse
    returns_warehouse: Warehouse
    product: Product
    stocklevel: StockLevel
    stockledgerentry: StockLedgerEntry
    order: Order
    order_return: Return

    def record(self, model_name: str):
        return {
            "company": self.company,
            "warehouse": self.warehouse,
            "product": self.product,
            "stocklevel": self.stocklevel,
            "stockledgerentry": self.stockledgerentry,
            "order": self.order,
            "return": self.order_return,
        }[model_name]

    def records(self, model_name: str) -> set:
        """All of this company's records of a model, as the admin should show them to its merchant."""
        model = type(self.record(model_name))
        return set(model.objects.filter(**{company_path_for(model): self.company.pk}))


def make_tenant(name: str, prefix: str) -> Tenant:
    company = CompanyFactory(name=f"{name} Traders", email=f"shop@{name.lower()}.example")
    warehouse = WarehouseFactory(company=company, name=f"{name} Main", code="MAIN", is_default=True)
    returns = WarehouseFactory(company=company, name=f"{name} Returns", code="RETURNS", is_sellable=False)
    product = ProductFactory(company=company, sku=f"{prefix}-100", title=f"{name} Anvil", upc=f"{prefix}UPC1")
    level = stock(product, warehouse, 10)
    # Manual records, so every field can be edited (a channel's orders and returns are read-only).
    order = OrderFactory(
        company=company,
        channel=Order.Channel.MANUAL,
        channel_order_id=f"{prefix}-5001",
        customer_name=f"{name} Buyer",
        customer_email="",
    )
    OrderLineFactory(order=order, product=product, channel_line_id=f"{prefix}-L1")
    OrderPaymentFactory(order=order, reference=f"{prefix}-PAY")
    order_return = ReturnFactory(
        company=company,
        order=order,
        channel=Order.Channel.MANUAL,
        channel_return_id=f"{prefix}-R1",
        reason=f"{name} reason",
    )
    ReturnLineFactory(order_return=order_return, product=product, warehouse=returns, reason=f"{name} line")
    return Tenant(
        company=company,
        warehouse=warehouse,
        returns_warehouse=returns,
        product=product,
        stocklevel=level,
        stockledgerentry=StockLedgerEntry.objects.get(product=product, warehouse=warehouse),
        order=order,
        order_return=order_return,
    )


@pytest.fixture
def alpha(db) -> Tenant:
    return make_tenant("Alpha", "ALPHA")


@pytest.fixture
def bravo(db) -> Tenant:
    return make_tenant("Bravo", "BRAVO")


@pytest.fixture
def merchant(alpha):
    return MerchantFactory(username="alpha-merchant", company=alpha.company)


@pytest.fixture
def ops(db):
    return OpsStaffFactory(username="ops-person")


@pytest.fixture
def merchant_client(client, merchant):
    assert client.login(username=merchant.username, password=PASSWORD)
    return client


@pytest.fixture
def ops_client(client, ops):
    assert client.login(username=ops.username, password=PASSWORD)
    return client
