"""The admin as merchants work in it: search, filters, stock per warehouse, adjusting stock."""

import pytest

from integrations.commerce.models import StockLedgerEntry, StockLevel
from integrations.commerce.tests.admin_helpers import admin_url
from integrations.commerce.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("term", ["ALPHA-100", "ALPHAUPC1", "4006381333931", "MFR-X9"])
def test_products_are_found_by_sku_upc_ean_and_manufacturer_sku(merchant_client, alpha, term):
    ProductFactory(company=alpha.company, sku="ALPHA-EAN", ean="4006381333931", manufacturer_sku="MFR-X9")
    results = merchant_client.get(admin_url("product", "changelist"), {"q": term}).context["cl"].queryset
    assert results.count() == 1


def test_orders_are_found_by_order_number_and_channel_order_id(merchant_client, alpha):
    other = OrderFactory(company=alpha.company, channel_order_id="77001")
    by_number = merchant_client.get(admin_url("order", "changelist"), {"q": str(other.pk)})
    assert list(by_number.context["cl"].queryset) == [other]
    by_channel_id = merchant_client.get(admin_url("order", "changelist"), {"q": "ALPHA-5001"})
    assert list(by_channel_id.context["cl"].queryset) == [alpha.order]
    by_words = merchant_client.get(admin_url("order", "changelist"), {"q": "Alpha Buyer"})
    assert by_words.status_code == 200
    assert alpha.order in by_words.context["cl"].queryset


def test_stock_levels_are_found_by_sku_and_filtered_by_warehouse(merchant_client, alpha):
    response = merchant_client.get(
        admin_url("stocklevel", "changelist"), {"q": "ALPHAUPC1", "warehouse__id__exact": alpha.warehouse.pk}
    )
    assert list(response.context["cl"].queryset) == [alpha.stocklevel]


def test_the_product_page_shows_stock_per_warehouse_read_only(merchant_client, alpha):
    response = merchant_client.get(admin_url("product", "change", alpha.product.pk))
    content = response.content.decode()
    assert "stock per warehouse" in content.lower()
    assert "Alpha Main" in content
    assert 'name="stock_levels-0-on_hand"' not in content  # no input: stock changes via the service
    assert admin_url("product", "adjust_stock", alpha.product.pk) in content


def test_the_product_changelist_shows_total_stock(merchant_client, alpha):
    response = merchant_client.get(admin_url("product", "changelist"))
    assert response.context["cl"].queryset.get().total_on_hand == 10


def test_adjusting_stock_writes_a_ledger_row_with_who_and_why(merchant_client, merchant, alpha):
    url = admin_url("product", "adjust_stock", alpha.product.pk)
    assert merchant_client.get(url).status_code == 200
    response = merchant_client.post(
        url, {"warehouse": alpha.warehouse.pk, "quantity_change": "-3", "note": "water damage"}
    )
    assert response.status_code == 302
    assert StockLevel.objects.get(pk=alpha.stocklevel.pk).on_hand == 7
    entry = StockLedgerEntry.objects.latest("id")
    assert (entry.quantity_change, entry.reason, entry.reference, entry.created_by) == (
        -3,
        "adjustment",
        "water damage",
        merchant,
    )


def test_a_zero_adjustment_is_refused(merchant_client, alpha):
    url = admin_url("product", "adjust_stock", alpha.product.pk)
    response = merchant_client.post(url, {"warehouse": alpha.warehouse.pk, "quantity_change": "0"})
    assert response.status_code == 200
    assert StockLedgerEntry.objects.count() == 1


@pytest.mark.parametrize("model", ["stocklevel", "stockledgerentry"])
def test_stock_and_the_ledger_cannot_be_edited_in_the_admin(ops_client, alpha, model):
    record = alpha.record(model)
    page = ops_client.get(admin_url(model, "change", record.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert ops_client.get(admin_url(model, "add")).status_code == 403
    assert ops_client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


def test_the_ledger_links_from_the_product_page(merchant_client, alpha):
    response = merchant_client.get(
        admin_url("stockledgerentry", "changelist"), {"product__id__exact": alpha.product.pk}
    )
    assert list(response.context["cl"].queryset) == [alpha.stockledgerentry]


def test_a_merchant_edits_their_company_details_but_cannot_add_companies(merchant_client, alpha):
    assert merchant_client.get(admin_url("company", "add")).status_code == 403
    response = merchant_client.post(
        admin_url("company", "change", alpha.company.pk),
        {"name": "Alpha Traders", "phone": "555-0199", "email": "new@alpha.example", "country": "US"},
    )
    assert response.status_code == 302
    alpha.company.refresh_from_db()
    assert alpha.company.phone == "555-0199"


def test_a_second_default_warehouse_is_refused_with_a_message(merchant_client, alpha):
    response = merchant_client.post(
        admin_url("warehouse", "add"),
        {"name": "Annex", "code": "ANNEX", "is_sellable": "on", "is_default": "on"},
    )
    assert response.status_code == 200
    assert "This company already has a default warehouse." in response.content.decode()


def test_a_superuser_cannot_belong_to_a_company(alpha):
    from django.core.exceptions import ValidationError

    from integrations.commerce.tests.factories import UserFactory

    user = UserFactory.build(username="root2", is_superuser=True, company=alpha.company)
    with pytest.raises(ValidationError):
        user.full_clean()


def test_a_merchant_deletes_their_own_records_from_the_list_and_the_page(merchant_client, alpha):
    first = ProductFactory(company=alpha.company, sku="ALPHA-DEL1")
    second = ProductFactory(company=alpha.company, sku="ALPHA-DEL2")
    response = merchant_client.post(
        admin_url("product", "changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk], "post": "yes"},
    )
    assert response.status_code == 302
    confirmation = merchant_client.get(admin_url("product", "delete", second.pk))
    assert confirmation.status_code == 200
    merchant_client.post(admin_url("product", "delete", second.pk), {"post": "yes"})
    assert not type(first).objects.filter(sku__in=["ALPHA-DEL1", "ALPHA-DEL2"]).exists()


@pytest.mark.parametrize("who", ["merchant_client", "ops_client"])
def test_every_commerce_admin_page_opens(request, who, alpha, bravo):
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    client = request.getfixturevalue(who)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label not in ("commerce", "auth"):
            continue
        obj = model_admin.get_queryset(_request_for(client)).first()
        pages = [("changelist", ()), ("add", ()), ("import", ()), ("export", ())]
        if obj is not None:
            pages += [("change", (obj.pk,)), ("history", (obj.pk,)), ("delete", (obj.pk,))]
        for view, args in pages:
            try:
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
            except NoReverseMatch:
                continue
            response = client.get(url)
            assert response.status_code in (200, 302, 403), (url, response.status_code)


def _request_for(client):
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return request
