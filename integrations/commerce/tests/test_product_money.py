"""A product's site price and cost are never negative, whichever way they arrive: the product
form, a CSV import and the database itself refuse -1 with the same words (one validation path:
the model's field validators, with check constraints underneath)."""

from decimal import Decimal

import pytest
import tablib
from django.db import IntegrityError, transaction

from integrations.commerce.models import Product
from integrations.commerce.resources import ProductResource
from integrations.commerce.tests.admin_helpers import admin_url, changeform_data

pytestmark = pytest.mark.django_db

PRICE_REFUSED = "The site price cannot be negative."
COST_REFUSED = "The site cost cannot be negative."


@pytest.mark.parametrize(("field", "message"), [("site_price", PRICE_REFUSED), ("site_cost", COST_REFUSED)])
def test_the_product_form_refuses_a_negative_price_or_cost_with_a_clear_message(
    merchant_client, alpha, field, message
):
    page = merchant_client.get(admin_url("product", "change", alpha.product.pk))
    data = {**changeform_data(page), field: "-1"}

    response = merchant_client.post(admin_url("product", "change", alpha.product.pk), data)

    assert response.status_code == 200  # the form again, not a redirect
    assert response.context["adminform"].form.errors[field] == [message]
    assert message in response.content.decode()
    alpha.product.refresh_from_db()
    assert getattr(alpha.product, field) >= 0


def test_a_new_product_with_a_negative_price_is_not_added(merchant_client, alpha):
    page = merchant_client.get(admin_url("product", "add"))
    data = {**changeform_data(page), "sku": "ALPHA-NEG", "title": "Negative", "site_price": "-0.01"}

    response = merchant_client.post(admin_url("product", "add"), data)

    assert response.status_code == 200
    assert PRICE_REFUSED in response.content.decode()
    assert not Product.objects.filter(sku="ALPHA-NEG").exists()


def test_a_csv_import_refuses_a_negative_price_or_cost_with_the_same_words(alpha):
    dataset = tablib.Dataset(headers=["sku", "title", "site_price", "site_cost"])
    dataset.append(["ALPHA-303", "Odd price", "-1.00", "0.50"])
    dataset.append(["ALPHA-304", "Odd cost", "1.00", "-0.5"])

    result = ProductResource(company=alpha.company).import_data(dataset, dry_run=False)

    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert [str(e) for e in errors[1]["site_price"]] == [PRICE_REFUSED]
    assert [str(e) for e in errors[2]["site_cost"]] == [COST_REFUSED]
    assert not Product.objects.filter(sku__in=["ALPHA-303", "ALPHA-304"]).exists()


@pytest.mark.parametrize("field", ["site_price", "site_cost"])
def test_the_database_refuses_a_negative_price_or_cost_written_past_the_forms(alpha, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=alpha.product.pk).update(**{field: Decimal("-1")})


def test_zero_is_a_price(merchant_client, alpha):
    page = merchant_client.get(admin_url("product", "change", alpha.product.pk))
    data = {**changeform_data(page), "site_price": "0", "site_cost": "0"}

    assert merchant_client.post(admin_url("product", "change", alpha.product.pk), data).status_code == 302
    alpha.product.refresh_from_db()
    assert (alpha.product.site_price, alpha.product.site_cost) == (Decimal("0"), Decimal("0"))
