"""Styles and variations by CSV: parent_sku and attribute columns, in any row order, with row errors."""

import pytest
import tablib

from integrations.commerce.models import Product, StockLevel
from integrations.commerce.resources import ProductResource, StockLevelResource
from integrations.commerce.services.variations import product_parent_create, product_variation_attach
from integrations.commerce.tests.factories import CompanyFactory, ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "sku",
    "title",
    "site_price",
    "site_cost",
    "parent_sku",
    "attribute_1_name",
    "attribute_2_name",
    "attribute_1_value",
    "attribute_2_value",
]


def rows(*lines) -> tablib.Dataset:
    dataset = tablib.Dataset(headers=HEADERS)
    for line in lines:
        dataset.append(line)
    return dataset


def errors_by_row(result) -> dict[int, str]:
    return {
        row.number: " ".join(str(m) for messages in row.error_dict.values() for m in messages)
        for row in result.invalid_rows
    }


@pytest.fixture
def company():
    return CompanyFactory(name="Outfitters")


def test_a_style_and_its_variations_import_even_when_a_variation_comes_before_its_style(company):
    dataset = rows(
        ["JKT-NAV-M", "Jacket Navy M", "120", "48", "STY-JACKET", "", "", "Navy", "M"],
        ["STY-JACKET", "Jacket", "120", "48", "", "Color", "Size", "", ""],
        ["JKT-NAV-L", "Jacket Navy L", "120", "48", "STY-JACKET", "", "", "Navy", "L"],
        ["PLAIN-1", "Plain", "5", "2", "", "", "", "", ""],
    )

    result = ProductResource(company=company).import_data(dataset, dry_run=False)

    assert not result.has_validation_errors() and not result.has_errors()
    assert [row.import_type for row in result.rows] == ["new"] * 4
    style = Product.objects.get(sku="STY-JACKET")
    assert (style.is_parent, style.attribute_names, str(style.site_price)) == (
        True,
        ("Color", "Size"),
        "120.00",
    )
    assert {p.sku: p.attribute_values for p in style.variations.all()} == {
        "JKT-NAV-M": ("Navy", "M"),
        "JKT-NAV-L": ("Navy", "L"),
    }
    assert Product.objects.get(sku="PLAIN-1").parent is None


def test_a_dry_run_of_a_file_with_styles_writes_nothing(company):
    dataset = rows(
        ["JKT-NAV-M", "Jacket Navy M", "120", "48", "STY-JACKET", "", "", "Navy", "M"],
        ["STY-JACKET", "Jacket", "120", "48", "", "Color", "Size", "", ""],
    )
    result = ProductResource(company=company).import_data(dataset, dry_run=True)
    assert not result.has_validation_errors()
    assert not Product.objects.filter(company=company).exists()


def test_bad_variation_rows_are_reported_by_row_with_the_reason_and_nothing_is_imported(company):
    ProductFactory(company=company, sku="PLAIN-1")
    dataset = rows(
        ["STY-SOCK", "Sock", "9", "3", "", "Size", "", "", ""],
        ["SOCK-M", "Sock M", "9", "3", "STY-SOCK", "", "", "M", ""],
        ["SOCK-X", "Sock ?", "9", "3", "STY-NOPE", "", "", "L", ""],
        ["SOCK-L", "Sock L", "9", "3", "STY-SOCK", "", "", "L", "Red"],
        ["SOCK-P", "Sock P", "9", "3", "PLAIN-1", "", "", "L", ""],
        ["SOCK-M2", "Sock M again", "9", "3", "STY-SOCK", "", "", "m", ""],
        ["STY-BAD", "Bad", "9", "3", "", "Size", "size", "", ""],
    )

    result = ProductResource(company=company).import_data(dataset, dry_run=False)

    errors = errors_by_row(result)
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert errors[3] == "no style with SKU 'STY-NOPE' in Outfitters"
    assert "STY-SOCK has one attribute (Size): leave the second value blank." in errors[4]
    assert "PLAIN-1 is not a style" in errors[5]
    assert "STY-SOCK already has the variation m: SOCK-M" in errors[6]
    assert "The two attributes of a style must differ." in errors[7]
    assert not Product.objects.filter(sku__in=["STY-SOCK", "SOCK-M"]).exists()


def test_an_export_imports_into_another_company_as_the_same_styles_and_variations(company):
    style = product_parent_create(company=company, sku="STY-VEST", title="Vest", attribute_names=("Size",))
    for size in ("S", "M"):
        product = ProductFactory(company=company, sku=f"A-VEST-{size}", title=f"Vest {size}")
        product_variation_attach(parent=style, product=product, values=(size,))
    exported = ProductResource(company=company).export()
    assert exported.dict[0]["parent_sku"] == "STY-VEST"  # A-VEST-M sorts before its style

    again = ProductResource(company=company).import_data(exported, dry_run=False)
    other = CompanyFactory(name="Other")
    copied = ProductResource(company=other).import_data(exported, dry_run=False)

    assert {row.import_type for row in again.rows} == {"skip"}
    assert not copied.has_validation_errors() and not copied.has_errors()
    copy = Product.objects.get(company=other, sku="STY-VEST")
    assert copy.is_parent and copy.attribute_names == ("Size",)
    assert sorted(p.attribute_values for p in copy.variations.all()) == [("M",), ("S",)]


def test_a_file_without_variation_columns_leaves_a_variation_a_variation(company):
    style = product_parent_create(company=company, sku="STY-VEST", title="Vest", attribute_names=("Size",))
    product = ProductFactory(company=company, sku="VEST-S")
    product_variation_attach(parent=style, product=product, values=("S",))
    dataset = tablib.Dataset(
        ["VEST-S", "Vest small", "10", "4"], headers=["sku", "title", "site_price", "site_cost"]
    )

    result = ProductResource(company=company).import_data(dataset, dry_run=False)

    assert not result.has_validation_errors()
    product.refresh_from_db()
    assert (product.title, product.parent, product.attribute_values) == ("Vest small", style, ("S",))


def test_a_stock_row_for_a_style_is_refused_by_row_and_its_variation_row_is_not_imported_either(company):
    style = product_parent_create(company=company, sku="STY-VEST", title="Vest", attribute_names=("Size",))
    product = ProductFactory(company=company, sku="VEST-S")
    product_variation_attach(parent=style, product=product, values=("S",))
    WarehouseFactory(company=company, code="MAIN")
    dataset = tablib.Dataset(
        ["VEST-S", "MAIN", 4], ["STY-VEST", "MAIN", 9], headers=["sku", "warehouse", "on_hand"]
    )

    result = StockLevelResource(company=company).import_data(dataset, dry_run=False)

    assert errors_by_row(result) == {
        2: "STY-VEST is a style (parent product), which holds no stock: book it on its variations."
    }
    assert not StockLevel.objects.filter(product__company=company).exists()
