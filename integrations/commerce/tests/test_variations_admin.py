"""Styles and variations in the admin, as a merchant works with them."""

from decimal import Decimal

import pytest

from integrations.commerce.models import Product, StockLedgerEntry
from integrations.commerce.services.variations import product_parent_create, product_variation_attach
from integrations.commerce.tests.admin_helpers import admin_url, changeform_data
from integrations.commerce.tests.factories import ProductFactory, stock

pytestmark = pytest.mark.django_db


def outfit(tenant, prefix: str) -> tuple[Product, list[Product]]:
    """A Color/Size style with two variations, one in stock."""
    style = product_parent_create(
        company=tenant.company,
        sku=f"{prefix}-JACKET",
        title=f"{prefix} Jacket",
        attribute_names=("Color", "Size"),
        price=Decimal("120"),
    )
    made = []
    for color, size in ((f"{prefix}Navy", "M"), (f"{prefix}Navy", "L")):
        product = ProductFactory(company=tenant.company, sku=f"{prefix}-JKT-{size}")
        made.append(product_variation_attach(parent=style, product=product, values=(color, size)))
    stock(made[0], tenant.warehouse, 5)
    return style, made


def test_a_style_page_lists_its_variations_with_values_price_and_stock_and_has_no_stock_of_its_own(
    merchant_client, alpha
):
    style, (medium, _) = outfit(alpha, "ALPHA")

    response = merchant_client.get(admin_url("product", "change", style.pk))

    content = response.content.decode()
    [inline] = response.context["inline_admin_formsets"]
    assert inline.opts.verbose_name_plural == "variations"
    assert [form.instance for form in inline.formset.forms][0] == medium
    assert {"Color", "Size"} <= {field.label for field in inline.formset.form.base_fields.values()}
    assert "5 on hand: Alpha Main 5" in content and "ALPHA-JKT-L" in content
    assert "stock per warehouse" not in content.lower()
    assert "adjust-stock" not in content


def test_a_variation_page_links_to_its_style_and_names_its_values(merchant_client, alpha):
    style, (medium, _) = outfit(alpha, "ALPHA")

    response = merchant_client.get(admin_url("product", "change", medium.pk))

    content = response.content.decode()
    assert admin_url("product", "change", style.pk) in content
    form = response.context["adminform"].form
    assert (form.fields["attribute_1_value"].label, form.fields["attribute_2_value"].label) == (
        "Color",
        "Size",
    )
    assert list(form.fields["parent"].queryset) == [style]  # only styles, only the merchant's


def test_a_merchant_makes_a_style_naming_its_attributes_and_a_style_without_one_is_refused(
    merchant_client, alpha
):
    data = changeform_data(merchant_client.get(admin_url("product", "add")))
    data.update(
        {"sku": "ALPHA-VEST", "title": "Vest", "is_parent": "on", "site_price": "40", "site_cost": "9"}
    )

    refused = merchant_client.post(admin_url("product", "add"), data)
    assert "A style names at least one attribute" in refused.content.decode()

    data["attribute_1_name"] = "Size"
    made = merchant_client.post(admin_url("product", "add"), data)
    assert made.status_code == 302
    vest = Product.objects.get(sku="ALPHA-VEST")
    assert (vest.company, vest.is_parent, vest.attribute_names) == (alpha.company, True, ("Size",))


def test_a_variation_added_inline_joins_the_style_and_a_repeated_combination_is_refused(
    merchant_client, alpha
):
    style, _ = outfit(alpha, "ALPHA")
    url = admin_url("product", "change", style.pk)
    data = changeform_data(merchant_client.get(url))
    new = {"sku": "ALPHA-JKT-S", "title": "Jacket S", "site_price": "120", "attribute_1_value": "ALPHANavy"}
    data.update({f"variations-2-{k}": v for k, v in new.items()})
    data["variations-TOTAL_FORMS"] = "3"

    data["variations-2-attribute_2_value"] = "M"
    refused = merchant_client.post(url, data)
    assert "already has the variation ALPHANavy / M: ALPHA-JKT-M" in refused.content.decode()

    data["variations-2-attribute_2_value"] = "S"
    assert merchant_client.post(url, data).status_code == 302
    small = Product.objects.get(sku="ALPHA-JKT-S")
    assert (small.company, small.parent, small.attribute_values) == (alpha.company, style, ("ALPHANavy", "S"))


def test_the_product_list_filters_styles_variations_and_attribute_values_of_the_merchants_company_only(
    merchant_client, alpha, bravo
):
    style, (medium, large) = outfit(alpha, "ALPHA")
    outfit(bravo, "BRAVO")
    url = admin_url("product", "changelist")

    styles = merchant_client.get(url, {"kind": "style"}).context["cl"].queryset
    variations = merchant_client.get(url, {"kind": "variation"}).context["cl"].queryset
    plain = merchant_client.get(url, {"kind": "plain"}).context["cl"].queryset
    size_m = merchant_client.get(url, {"attribute": "Size=M"})

    assert (list(styles), set(variations), list(plain)) == ([style], {medium, large}, [alpha.product])
    assert list(size_m.context["cl"].queryset) == [medium]
    choices = [
        choice["display"]
        for spec in size_m.context["cl"].filter_specs
        if spec.title == "attribute value"
        for choice in spec.choices(size_m.context["cl"])
    ]
    assert choices == ["All", "Color: ALPHANavy", "Size: L", "Size: M"]
    assert "BRAVO" not in size_m.content.decode()


def test_stock_adjusted_on_a_style_is_refused_with_the_reason(merchant_client, alpha):
    style, _ = outfit(alpha, "ALPHA")
    url = admin_url("product", "adjust_stock", style.pk)

    response = merchant_client.post(
        url, {"warehouse": alpha.warehouse.pk, "quantity_change": 3, "note": "count"}
    )

    assert "ALPHA-JACKET is a style (parent product), which holds no stock" in response.content.decode()
    assert not StockLedgerEntry.objects.filter(product=style).exists()
