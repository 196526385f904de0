import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from integrations.commerce.models import Company, Product, StockLedgerEntry, StockLevel, User, Warehouse
from integrations.commerce.tests.admin_helpers import admin_url
from integrations.core import demo_catalogue as catalogue

pytestmark = pytest.mark.django_db


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Company, Warehouse, Product, StockLevel, StockLedgerEntry, User)
    }


def test_seed_demo_creates_the_demo_companies_from_the_catalogue(capsys):
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo")

    demo = Company.objects.get(name=catalogue.DEMO_COMPANY)
    harbor = Company.objects.get(name=catalogue.HARBOR_COMPANY)
    assert (demo.address1, demo.city, demo.country) != ("", "", "")
    assert list(
        demo.warehouses.order_by("code").values_list("code", "name", "is_sellable", "is_default")
    ) == sorted((w.code, w.name, w.sellable, w.default) for w in catalogue.DEMO_WAREHOUSES)
    assert harbor.warehouses.count() == len(catalogue.HARBOR_WAREHOUSES)
    assert demo.products.count() == len(catalogue.demo_products()) + len(catalogue.demo_styles_in_lightsync())
    assert harbor.products.count() == len(catalogue.harbor_products())

    spec = catalogue.demo_products()[7]
    product = Product.objects.get(company=demo, sku=spec.sku)
    assert (product.title, product.upc, product.site_price, product.site_cost) == (
        spec.title,
        spec.upc,
        spec.price,
        spec.cost,
    )
    for code, on_hand in spec.stock:
        level = StockLevel.objects.get(product=product, warehouse__code=code)
        assert level.on_hand == on_hand
    assert set(StockLedgerEntry.objects.values_list("reason", flat=True)) == {"import"}

    output = capsys.readouterr().out
    for username in ("merchant", "harbor", "ops"):
        assert username in output
    assert "demo" in output
    # Bulk inserts: the query count does not grow with the ~500 products and their stock
    # (its speed is timed nowhere: timings on a shared machine belong in make bench).
    assert len(queries) < 300, len(queries)  # 138 today; one per product would be 1,000+


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    before = table_counts()
    levels = dict(StockLevel.objects.values_list("pk", "on_hand"))
    passwords = dict(User.objects.values_list("username", "password"))
    call_command("seed_demo")
    assert table_counts() == before
    assert dict(StockLevel.objects.values_list("pk", "on_hand")) == levels
    assert dict(User.objects.values_list("username", "password")) == passwords


def test_seed_demo_never_undoes_stock_that_moved_since():
    call_command("seed_demo")
    level = StockLevel.objects.filter(on_hand__gt=3).first()
    from integrations.commerce.services.stock import stock_adjust

    stock_adjust(product=level.product, warehouse=level.warehouse, quantity_change=-3, reason="order")
    call_command("seed_demo")
    level.refresh_from_db()
    assert (
        StockLedgerEntry.objects.filter(product=level.product, warehouse=level.warehouse).aggregate(
            total=Sum("quantity_change")
        )["total"]
        == level.on_hand
    )


def test_the_seeded_ledger_sums_to_every_stock_level():
    call_command("seed_demo")
    sums = {
        (row["product_id"], row["warehouse_id"]): row["total"]
        for row in StockLedgerEntry.objects.values("product_id", "warehouse_id").annotate(
            total=Sum("quantity_change")
        )
    }
    for level in StockLevel.objects.all():
        assert sums.get((level.product_id, level.warehouse_id), 0) == level.on_hand


def test_the_demo_merchant_logs_in_and_sees_demo_outfitters_products_only(client):
    call_command("seed_demo", password="s3cret-demo")
    assert client.login(username="merchant", password="s3cret-demo")
    response = client.get(admin_url("product", "changelist"))
    assert response.status_code == 200
    products = response.context["cl"].queryset
    assert products.count() == len(catalogue.demo_products()) + len(catalogue.demo_styles_in_lightsync())
    assert set(products.values_list("company__name", flat=True)) == {catalogue.DEMO_COMPANY}
    harbor_sku = catalogue.harbor_products()[0].sku
    assert harbor_sku not in response.content.decode()
    assert client.get(admin_url("product", "changelist"), {"q": harbor_sku}).context["cl"].result_count == 0


def test_the_harbor_merchant_sees_harbor_goods_only(client):
    call_command("seed_demo")
    assert client.login(username="harbor", password="demo")
    products = client.get(admin_url("product", "changelist")).context["cl"].queryset
    assert set(products.values_list("company__name", flat=True)) == {catalogue.HARBOR_COMPANY}


def test_the_ops_login_sees_both_companies(client):
    call_command("seed_demo")
    assert client.login(username="ops", password="demo")
    response = client.get(admin_url("company", "changelist"))
    assert {c.name for c in response.context["cl"].queryset} == {
        catalogue.DEMO_COMPANY,
        catalogue.HARBOR_COMPANY,
    }
    assert client.get("/admin/commerce/user/").status_code == 200


def test_demo_logins_are_staff_but_never_superusers():
    call_command("seed_demo")
    users = User.objects.filter(username__in=["merchant", "harbor", "ops"]).annotate(groups_n=Count("groups"))
    assert {(u.username, u.is_staff, u.is_superuser, u.groups_n) for u in users} == {
        ("merchant", True, False, 1),
        ("harbor", True, False, 1),
        ("ops", True, False, 1),
    }
    assert User.objects.get(username="ops").is_ops_staff
    assert not User.objects.get(username="merchant").is_ops_staff


def test_a_new_password_replaces_the_old_one():
    call_command("seed_demo")
    call_command("seed_demo", password="changed-pw")
    assert User.objects.get(username="merchant").check_password("changed-pw")


def test_demo_outfitters_has_its_styles_with_their_variations_attached_and_no_stock_on_a_style():
    call_command("seed_demo")
    call_command("seed_demo")  # twice: nothing made or attached again

    demo = Company.objects.get(name=catalogue.DEMO_COMPANY)
    for style in catalogue.demo_styles_in_lightsync():
        parent = Product.objects.get(company=demo, sku=style.sku)
        parent.full_clean()
        assert (parent.is_parent, parent.attribute_names, parent.site_price) == (
            True,
            style.attribute_names,
            style.price,
        )
        expected = {
            v.sku: tuple(dict(v.attributes)[name] for name in style.attribute_names)
            for v in catalogue.demo_style_variations()
            if v.style == style.sku
        }
        variations = {p.sku: p for p in parent.variations.all()}
        assert {sku: p.attribute_values for sku, p in variations.items()} == expected
        for variation in variations.values():
            variation.full_clean()
        assert not StockLevel.objects.filter(product=parent).exists()
        assert StockLevel.objects.filter(product__parent=parent).exists()
    assert not Product.objects.filter(
        sku__in=[s.sku for s in catalogue.DEMO_STYLES if not s.in_lightsync]
    ).exists()
    assert not Product.objects.filter(company__name=catalogue.HARBOR_COMPANY, is_parent=True).exists()
