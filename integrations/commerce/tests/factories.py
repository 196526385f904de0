"""factory_boy factories for the commerce domain, for every app's tests.

    from integrations.commerce.tests.factories import MerchantFactory, ProductFactory, stock

    merchant = MerchantFactory()                      # staff user of a new company, in "Merchants"
    product = ProductFactory(company=merchant.company)
    stock(product, WarehouseFactory(company=merchant.company), 12)   # through the stock service

Stock levels have no factory on purpose: stock only changes through the stock service, so tests
that need stock call `stock()` and the ledger stays whole.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from integrations.commerce import roles
from integrations.commerce.models import (
    Company,
    Order,
    OrderLine,
    OrderPayment,
    Product,
    Return,
    ReturnLine,
    StockLedgerEntry,
    StockLevel,
    User,
    Warehouse,
)
from integrations.commerce.services.stock import stock_set

PASSWORD = "test-password"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Company {n}")
    address1 = factory.Sequence(lambda n: f"{n + 1} Main Street")
    city = "Burlington"
    state = "VT"
    postal_code = "05401"
    country = "US"
    phone = "555-0100"
    email = factory.LazyAttribute(lambda o: f"hello@{o.name.lower().replace(' ', '')}.example")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password(PASSWORD)


def _join(user: User, group_name: str) -> None:
    # The groups and their permissions come from roles.roles_apply() on post_migrate.
    user.groups.add(Group.objects.get(name=group_name))


class MerchantFactory(UserFactory):
    """A staff user of one company, in the "Merchants" group: the admin opens, walled in."""

    company = factory.SubFactory(CompanyFactory)
    is_staff = True

    @factory.post_generation
    def merchant_group(obj, create, extracted, **kwargs):
        if create:
            _join(obj, roles.MERCHANTS)


class OpsStaffFactory(UserFactory):
    """A staff user in the "Ops staff" group, of no company: sees every company."""

    is_staff = True
    company = None

    @factory.post_generation
    def ops_group(obj, create, extracted, **kwargs):
        if create:
            _join(obj, roles.OPS_STAFF)


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    code = factory.Sequence(lambda n: f"WH{n}")
    is_sellable = True
    is_default = False


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    company = factory.SubFactory(CompanyFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    title = factory.Sequence(lambda n: f"Product {n}")
    upc = factory.Sequence(lambda n: f"0{n:011d}")
    ean = ""
    manufacturer_sku = factory.Sequence(lambda n: f"MFR-{n:05d}")
    site_price = Decimal("19.99")
    site_cost = Decimal("8.5000")


def stock(
    product: Product, warehouse: Warehouse, on_hand: int, reason: str = StockLedgerEntry.Reason.IMPORT
) -> StockLevel:
    """Give a product stock in a warehouse the only way the system allows: the stock service."""
    return stock_set(product=product, warehouse=warehouse, on_hand=on_hand, reason=reason)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    company = factory.SubFactory(CompanyFactory)
    channel = Order.Channel.LOCAL_STORE
    channel_order_id = factory.Sequence(lambda n: str(5000 + n))
    status = Order.Status.COMPLETED
    order_date = factory.LazyFunction(lambda: datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    customer_name = "Alex Morgan"
    customer_email = "alex.morgan@example.com"
    subtotal = Decimal("19.99")
    tax = Decimal("1.20")
    total = Decimal("21.19")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory, company=factory.SelfAttribute("..order.company"))
    sku = factory.LazyAttribute(lambda o: o.product.sku if o.product else "")
    title = factory.LazyAttribute(lambda o: o.product.title if o.product else "")
    quantity = 1
    unit_price = Decimal("19.99")
    tax = Decimal("1.20")
    line_total = Decimal("21.19")
    channel_line_id = factory.Sequence(lambda n: str(900 + n))


class OrderPaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderPayment

    order = factory.SubFactory(OrderFactory)
    payment_type = "Credit Card"
    amount = Decimal("21.19")


class ReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Return

    company = factory.SubFactory(CompanyFactory)
    order = factory.SubFactory(OrderFactory, company=factory.SelfAttribute("..company"))
    channel = Order.Channel.LOCAL_STORE
    channel_return_id = factory.Sequence(lambda n: str(7000 + n))
    return_date = factory.LazyFunction(lambda: datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    reason = "Too small"
    refund_amount = Decimal("21.19")


class ReturnLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnLine

    order_return = factory.SubFactory(ReturnFactory)
    product = factory.SubFactory(ProductFactory, company=factory.SelfAttribute("..order_return.company"))
    sku = factory.LazyAttribute(lambda o: o.product.sku if o.product else "")
    quantity = 1
    warehouse = factory.SubFactory(
        WarehouseFactory, company=factory.SelfAttribute("..order_return.company"), is_sellable=False
    )
    refund_amount = Decimal("21.19")
    reason = "Too small"
