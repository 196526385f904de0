"""Styles (parent products) and their variations: the services, the selector and the refusals."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from integrations.commerce.models import Product, StockLedgerEntry, StockLevel
from integrations.commerce.selectors import product_variations
from integrations.commerce.services.stock import StockError, stock_adjust, stock_adjust_many, stock_set_many
from integrations.commerce.services.variations import (
    VariationError,
    product_parent_create,
    product_variation_attach,
    product_variation_detach,
)
from integrations.commerce.tests.factories import (
    CompanyFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    WarehouseFactory,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return CompanyFactory(name="Outfitters")


@pytest.fixture
def jacket(company):
    return product_parent_create(
        company=company,
        sku="STY-JACKET",
        title="Jacket",
        attribute_names=("Color", "Size"),
        price=Decimal("120.00"),
        cost=Decimal("48.0000"),
        category="Outerwear",
    )


def test_a_style_is_created_with_its_attribute_names_price_and_category(jacket):
    jacket.refresh_from_db()
    assert jacket.is_parent
    assert (jacket.attribute_1_name, jacket.attribute_2_name) == ("Color", "Size")
    assert jacket.attribute_names == ("Color", "Size")
    assert (jacket.site_price, jacket.site_cost, jacket.category) == (
        Decimal("120.00"),
        Decimal("48.0000"),
        "Outerwear",
    )


def test_a_style_of_one_attribute_leaves_the_second_name_blank(company):
    style = product_parent_create(company=company, sku="STY-SOCK", title="Sock", attribute_names=("Size",))
    assert (style.attribute_1_name, style.attribute_2_name) == ("Size", "")
    assert style.site_price == Decimal("0")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ((), "at least one attribute"),
        (("Color", "color"), "must differ"),
        (("Color", "Size", "Material"), "one or two attributes"),
    ],
)
def test_a_style_needs_one_or_two_different_attribute_names(company, names, message):
    with pytest.raises(VariationError, match=message):
        product_parent_create(company=company, sku="STY-X", title="X", attribute_names=names)
    assert not Product.objects.filter(sku="STY-X").exists()


def test_a_style_with_a_sku_the_company_already_has_is_refused(company):
    ProductFactory(company=company, sku="STY-JACKET")
    with pytest.raises(VariationError, match="SKU already exists"):
        product_parent_create(company=company, sku="STY-JACKET", title="Jacket", attribute_names=("Size",))


def test_a_child_gets_its_values_in_the_style_attribute_order(company, jacket):
    product = ProductFactory(company=company, sku="JKT-NAV-M")

    product_variation_attach(parent=jacket, product=product, values=("Navy", "M"))

    product.refresh_from_db()
    assert product.parent == jacket
    assert (product.attribute_1_value, product.attribute_2_value) == ("Navy", "M")
    assert product.attribute_values == ("Navy", "M")
    assert list(product_variations(parent=jacket)) == [product]


def test_the_variations_of_a_style_come_in_the_order_they_were_made(company, jacket):
    made = [ProductFactory(company=company, sku=f"JKT-NAV-{size}") for size in ("S", "M", "L")]
    for product in reversed(made):
        product_variation_attach(parent=jacket, product=product, values=("Navy", product.sku[-1]))
    assert [p.attribute_2_value for p in product_variations(parent=jacket)] == ["S", "M", "L"]


def test_attaching_again_to_the_same_style_changes_the_values(company, jacket):
    product = ProductFactory(company=company)
    product_variation_attach(parent=jacket, product=product, values=("Navy", "M"))
    product_variation_attach(parent=jacket, product=product, values=("Navy", "L"))
    product.refresh_from_db()
    assert product.attribute_values == ("Navy", "L")


def test_a_child_needs_as_many_values_as_its_style_has_attributes(company, jacket):
    product = ProductFactory(company=company)
    with pytest.raises(VariationError, match=r"STY-JACKET has 2 attribute\(s\) \(Color, Size\)"):
        product_variation_attach(parent=jacket, product=product, values=("Navy",))
    with pytest.raises(VariationError, match="Enter this variation's Size"):
        product_variation_attach(parent=jacket, product=product, values=("Navy", " "))
    product.refresh_from_db()
    assert product.parent is None


def test_a_child_of_another_style_is_refused(company, jacket):
    vest = product_parent_create(company=company, sku="STY-VEST", title="Vest", attribute_names=("Size",))
    product = ProductFactory(company=company)
    product_variation_attach(parent=vest, product=product, values=("M",))
    with pytest.raises(VariationError, match="already a variation of STY-VEST"):
        product_variation_attach(parent=jacket, product=product, values=("Navy", "M"))
    product.refresh_from_db()
    assert product.parent == vest


def test_a_style_cannot_be_a_child(company, jacket):
    vest = product_parent_create(company=company, sku="STY-VEST", title="Vest", attribute_names=("Size",))
    with pytest.raises(VariationError, match="STY-VEST is a style"):
        product_variation_attach(parent=jacket, product=vest, values=("Navy", "M"))


def test_an_ordinary_product_is_no_parent(company):
    plain = ProductFactory(company=company, sku="PLAIN")
    product = ProductFactory(company=company)
    with pytest.raises(VariationError, match="PLAIN is not a style"):
        product_variation_attach(parent=plain, product=product, values=("M",))


def test_a_style_of_another_company_is_refused(company):
    other = product_parent_create(
        company=CompanyFactory(name="Other"), sku="STY-O", title="O", attribute_names=("Size",)
    )
    product = ProductFactory(company=company)
    with pytest.raises(VariationError, match="another company"):
        product_variation_attach(parent=other, product=product, values=("M",))


def test_two_variations_with_the_same_values_are_refused_whatever_the_case(company, jacket):
    first = ProductFactory(company=company, sku="JKT-NAV-M")
    product_variation_attach(parent=jacket, product=first, values=("Navy", "M"))
    second = ProductFactory(company=company)
    with pytest.raises(VariationError, match="STY-JACKET already has the variation navy / m: JKT-NAV-M"):
        product_variation_attach(parent=jacket, product=second, values=("navy", "m"))


def test_the_database_refuses_duplicate_values_and_a_style_as_child_whatever_skips_validation(
    company, jacket
):
    first = ProductFactory(company=company)
    Product.objects.filter(pk=first.pk).update(parent=jacket, attribute_1_value="Navy", attribute_2_value="M")
    second = ProductFactory(company=company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=second.pk).update(
            parent=jacket, attribute_1_value="Navy", attribute_2_value="M"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=second.pk).update(parent=jacket, is_parent=True)


def test_detaching_makes_a_variation_an_ordinary_product_again(company, jacket):
    product = ProductFactory(company=company)
    product_variation_attach(parent=jacket, product=product, values=("Navy", "M"))
    product_variation_detach(product=product)
    product.refresh_from_db()
    assert (product.parent, product.attribute_1_value, product.attribute_2_value) == (None, "", "")


def test_values_without_a_style_and_names_on_an_ordinary_product_are_refused(company):
    product = ProductFactory.build(company=company, attribute_1_value="Navy", attribute_1_name="Color")
    with pytest.raises(ValidationError) as caught:
        product.full_clean()
    assert "choose its style (parent) too" in caught.value.message_dict["attribute_1_value"][0]
    assert "Only a style names attributes" in caught.value.message_dict["attribute_1_name"][0]


def test_a_style_holds_no_stock_the_stock_services_refuse_it(company, jacket):
    warehouse = WarehouseFactory(company=company)
    with pytest.raises(StockError, match="STY-JACKET is a style"):
        stock_adjust(product=jacket, warehouse=warehouse, quantity_change=3, reason="adjustment")
    with pytest.raises(StockError, match="holds no stock"):
        stock_set_many(counts=[(jacket, warehouse, 3)])
    with pytest.raises(StockError, match="holds no stock"):
        stock_adjust_many(changes=[(jacket, warehouse, -1, "order", "#1", None)])
    assert not StockLevel.objects.filter(product=jacket).exists()
    assert not StockLedgerEntry.objects.filter(product=jacket).exists()


def test_a_variation_holds_stock_like_any_product(company, jacket):
    warehouse = WarehouseFactory(company=company)
    product = ProductFactory(company=company)
    product_variation_attach(parent=jacket, product=product, values=("Navy", "M"))
    stock(product, warehouse, 7)
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 7


def test_a_product_with_stock_or_sales_cannot_become_a_style(company):
    warehouse = WarehouseFactory(company=company)
    stocked = ProductFactory(company=company, sku="STOCKED")
    stock(stocked, warehouse, 2)
    sold = ProductFactory(company=company, sku="SOLD")
    OrderLineFactory(order=OrderFactory(company=company), product=sold)
    for product, message in ((stocked, "STOCKED holds stock"), (sold, "SOLD has been sold")):
        product.is_parent, product.attribute_1_name = True, "Size"
        with pytest.raises(ValidationError) as caught:
            product.full_clean()
        assert message in caught.value.message_dict["is_parent"][0]


def test_a_style_is_never_sold(company, jacket):
    line = OrderLineFactory.build(order=OrderFactory(company=company), product=jacket)
    with pytest.raises(ValidationError, match="never sold"):
        line.full_clean()


def test_a_style_with_variations_keeps_being_a_style_with_as_many_attributes(company, jacket):
    product_variation_attach(parent=jacket, product=ProductFactory(company=company), values=("Navy", "M"))
    jacket.attribute_2_name = ""
    with pytest.raises(ValidationError, match="values for two attributes"):
        jacket.full_clean()
    jacket.refresh_from_db()
    jacket.is_parent, jacket.attribute_1_name, jacket.attribute_2_name = False, "", ""
    with pytest.raises(ValidationError, match="detach them"):
        jacket.full_clean()
