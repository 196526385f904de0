"""Seeding the demo companies from the shared demo catalogue (integrations.core.demo_catalogue).

Idempotent: what exists is left as it is (a merchant may have edited it, sales may have moved
stock), only what is missing is created. Running it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import transaction

from integrations.commerce import roles
from integrations.commerce.models import Company, Product, StockLedgerEntry, StockLevel, User, Warehouse
from integrations.commerce.services.stock import stock_set_many
from integrations.core import demo_catalogue as catalogue

DEMO_ADDRESSES = {
    catalogue.DEMO_COMPANY: {
        "address1": "220 Church Street",
        "city": "Burlington",
        "state": "VT",
        "postal_code": "05401",
        "country": "US",
        "phone": "802-555-0140",
        "email": "hello@demo-outfitters.example",
    },
    catalogue.HARBOR_COMPANY: {
        "address1": "14 Wharf Road",
        "city": "Portland",
        "state": "ME",
        "postal_code": "04101",
        "country": "US",
        "phone": "207-555-0175",
        "email": "ahoy@harbor-goods.example",
    },
}


@dataclass
class DemoLogin:
    username: str
    role: str
    company: str


@dataclass
class DemoSeedResult:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)

    def count(self, what: str, n: int) -> None:
        self.created[what] = self.created.get(what, 0) + n


@transaction.atomic
def demo_seed(*, password: str) -> DemoSeedResult:
    """Demo Outfitters and Harbor Goods with their warehouses, products and stock, and the logins
    `merchant` (Demo Outfitters), `harbor` (Harbor Goods) and `ops` (ops staff)."""
    result = DemoSeedResult()
    roles.roles_apply()
    demo = _company_seed(catalogue.DEMO_COMPANY, catalogue.DEMO_WAREHOUSES, catalogue.demo_products(), result)
    _styles_seed(demo, catalogue.demo_styles_in_lightsync(), catalogue.demo_products(), result)
    harbor = _company_seed(
        catalogue.HARBOR_COMPANY, catalogue.HARBOR_WAREHOUSES, catalogue.harbor_products(), result
    )
    for username, role, company in (
        ("merchant", roles.MERCHANTS, demo),
        ("harbor", roles.MERCHANTS, harbor),
        ("ops", roles.OPS_STAFF, None),
    ):
        _login_seed(username=username, password=password, group=role, company=company, result=result)
    return result


def _company_seed(
    name: str,
    warehouses: Iterable[catalogue.DemoWarehouse],
    products: Iterable[catalogue.DemoProduct],
    result: DemoSeedResult,
) -> Company:
    company, created = Company.objects.get_or_create(name=name, defaults=DEMO_ADDRESSES[name])
    result.count("companies", int(created))

    by_code: dict[str, Warehouse] = {}
    for spec in warehouses:
        warehouse, created = Warehouse.objects.get_or_create(
            company=company,
            code=spec.code,
            defaults={"name": spec.name, "is_sellable": spec.sellable, "is_default": spec.default},
        )
        by_code[spec.code] = warehouse
        result.count("warehouses", int(created))

    products = list(products)
    existing = set(Product.objects.filter(company=company).values_list("sku", flat=True))
    new = [
        Product(
            company=company,
            sku=p.sku,
            title=p.title,
            upc=p.upc,
            ean=p.ean,
            manufacturer_sku=p.manufacturer_sku,
            site_price=p.price,
            site_cost=p.cost,
            category=p.category,
        )
        for p in products
        if p.sku not in existing
    ]
    Product.objects.bulk_create(new, batch_size=500)
    result.count("products", len(new))

    # Stock only where a product has none recorded in a warehouse yet: re-seeding must never
    # undo what sales and adjustments did since.
    ids = dict(Product.objects.filter(company=company).values_list("sku", "pk"))
    stocked = set(
        StockLevel.objects.filter(product__company=company).values_list("product_id", "warehouse_id")
    )
    counts = []
    for spec in products:
        for code, on_hand in spec.stock:
            warehouse = by_code.get(code)
            product_id = ids.get(spec.sku)
            if warehouse is None or product_id is None or (product_id, warehouse.pk) in stocked:
                continue
            product = Product(pk=product_id, company_id=company.pk, sku=spec.sku)
            counts.append((product, warehouse, on_hand))
    result.count(
        "stock changes",
        stock_set_many(counts=counts, reason=StockLedgerEntry.Reason.IMPORT, reference="seed_demo"),
    )
    return company


def _styles_seed(
    company: Company,
    styles: Iterable[catalogue.DemoStyle],
    products: Iterable[catalogue.DemoProduct],
    result: DemoSeedResult,
) -> None:
    """The styles (parent products) of the catalogue, and their variations attached: those
    products came with the rest of the catalogue; a variation already attached is left alone."""
    styles = list(styles)
    existing = set(Product.objects.filter(company=company).values_list("sku", flat=True))
    new = [
        Product(
            company=company,
            sku=style.sku,
            title=style.title,
            category=style.category,
            site_price=style.price,
            site_cost=style.cost,
            is_parent=True,
            attribute_1_name=style.attribute_names[0],
            attribute_2_name=style.attribute_names[1] if len(style.attribute_names) > 1 else "",
        )
        for style in styles
        if style.sku not in existing
    ]
    Product.objects.bulk_create(new)
    result.count("styles", len(new))
    parents = {
        p.sku: p
        for p in Product.objects.filter(company=company, is_parent=True, sku__in=[s.sku for s in styles])
    }
    names = {style.sku: style.attribute_names for style in styles}
    specs = {p.sku: p for p in products if p.style in parents}
    loose = list(Product.objects.filter(company=company, sku__in=list(specs), parent__isnull=True))
    for product in loose:
        spec = specs[product.sku]
        values = dict(spec.attributes)
        product.parent = parents[spec.style]
        product.attribute_1_value, *second = (values[name] for name in names[spec.style])
        product.attribute_2_value = second[0] if second else ""
    Product.objects.bulk_update(loose, ["parent", "attribute_1_value", "attribute_2_value"])
    result.count("variations attached", len(loose))


def _login_seed(
    *, username: str, password: str, group: str, company: Company | None, result: DemoSeedResult
) -> None:
    user, created = User.objects.get_or_create(
        username=username, defaults={"is_staff": True, "company": company}
    )
    result.count("users", int(created))
    changed = []
    if not user.is_staff:
        user.is_staff = True
        changed.append("is_staff")
    if user.company_id != (company.pk if company else None):
        user.company = company
        changed.append("company")
    if created or not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed if not created else None)
    user.groups.add(Group.objects.get(name=group))
    result.logins.append(
        DemoLogin(username=username, role=group, company=company.name if company else "all companies")
    )
