"""Companies are walls: an Alpha merchant tries every way into Bravo's records, by hand-made URLs
and posts, and never reads or writes any of them. Ops staff see both companies.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.forms.models import model_to_dict

from integrations.commerce.models import Order, Product, Return, StockLedgerEntry, Warehouse
from integrations.commerce.tests.admin_helpers import admin_url, changeform_data, csv_rows, export_data

pytestmark = pytest.mark.django_db

MODELS = ["company", "warehouse", "product", "stocklevel", "stockledgerentry", "order", "return"]
EXPORTABLE = ["product", "stocklevel", "stockledgerentry", "order", "return"]
EDITABLE_WITH_ADD = ["warehouse", "product", "order", "return"]


def assert_no_bravo(response) -> None:
    assert b"bravo" not in response.content.lower()


def snapshot(obj):
    obj.refresh_from_db()
    return model_to_dict(obj)


def test_a_merchant_opens_the_admin_and_sees_only_the_models_merchants_work_with(merchant_client):
    response = merchant_client.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    for model in MODELS:
        assert admin_url(model, "changelist") in content
    assert "/admin/commerce/user/" not in content
    assert "/admin/auth/group/" not in content


@pytest.mark.parametrize("model", MODELS)
def test_a_merchants_changelist_lists_only_their_own_companys_records(merchant_client, alpha, bravo, model):
    response = merchant_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert set(response.context["cl"].queryset) == alpha.records(model)
    assert_no_bravo(response)


@pytest.mark.parametrize("model", MODELS)
def test_a_merchants_changelist_search_finds_nothing_of_another_company(merchant_client, alpha, bravo, model):
    response = merchant_client.get(admin_url(model, "changelist"), {"q": "BRAVO"})
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == []


@pytest.mark.parametrize("model", MODELS)
def test_a_merchant_cannot_open_another_companys_record_by_its_url(merchant_client, alpha, bravo, model):
    response = merchant_client.get(admin_url(model, "change", bravo.record(model).pk))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert_no_bravo(merchant_client.get(response["Location"]))


@pytest.mark.parametrize("model", MODELS)
def test_a_merchant_cannot_change_another_companys_record_by_posting(merchant_client, ops, bravo, model):
    record = bravo.record(model)
    before = snapshot(record)
    # What ops staff would post for the record, with a visible change in every text field.
    ops_page_data = _ops_change_data(ops, model, record)
    response = merchant_client.post(admin_url(model, "change", record.pk), ops_page_data)
    assert response.status_code in (302, 403)  # 403: stock is read-only in the admin for everyone
    assert snapshot(record) == before


def _ops_change_data(ops, model, record):
    from django.test import Client

    from integrations.commerce.tests.factories import PASSWORD

    client = Client()
    client.login(username=ops.username, password=PASSWORD)
    page = client.get(admin_url(model, "change", record.pk))
    data = changeform_data(page) if "adminform" in page.context else {}
    for key in ("name", "title", "customer_name", "reason"):
        if key in data:
            data[key] = "Changed by Alpha"
    return data


@pytest.mark.parametrize("model", MODELS)
def test_a_merchant_cannot_delete_another_companys_record(merchant_client, bravo, model):
    record = bravo.record(model)
    confirmation = merchant_client.get(admin_url(model, "delete", record.pk))
    assert confirmation.status_code in (302, 403)
    assert_no_bravo(confirmation)
    merchant_client.post(admin_url(model, "delete", record.pk), {"post": "yes"})
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("model", MODELS)
def test_a_merchant_cannot_bulk_delete_another_companys_records(merchant_client, alpha, bravo, model):
    record = bravo.record(model)
    merchant_client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("model", MODELS)
def test_a_merchant_cannot_read_another_companys_history(merchant_client, bravo, model):
    record = bravo.record(model)
    response = merchant_client.get(admin_url(model, "history", record.pk))
    assert response.status_code == 302
    assert_no_bravo(response)


@pytest.mark.parametrize("model", MODELS)
def test_a_merchants_raw_id_lookup_popup_lists_only_their_company(merchant_client, alpha, bravo, model):
    response = merchant_client.get(admin_url(model, "changelist"), {"_popup": "1", "_to_field": "id"})
    assert response.status_code == 200
    assert set(response.context["cl"].queryset) == alpha.records(model)
    assert_no_bravo(response)


@pytest.mark.parametrize(
    "source, field, expected",
    [
        ("orderline", "product", lambda t: {t.product}),
        ("returnline", "product", lambda t: {t.product}),
        ("stocklevel", "product", lambda t: {t.product}),
        ("returnline", "warehouse", lambda t: {t.warehouse, t.returns_warehouse}),
        ("return", "order", lambda t: {t.order}),
        ("warehouse", "company", lambda t: {t.company}),
    ],
)
def test_a_merchants_autocomplete_offers_only_their_company(
    merchant_client, alpha, bravo, source, field, expected
):
    params = {"app_label": "commerce", "model_name": source, "field_name": field}
    response = merchant_client.get("/admin/autocomplete/", {**params, "term": ""})
    assert response.status_code == 200
    assert {r["id"] for r in response.json()["results"]} == {str(o.pk) for o in expected(alpha)}
    searched = merchant_client.get("/admin/autocomplete/", {**params, "term": "BRAVO"})
    assert searched.json()["results"] == []


@pytest.mark.parametrize("source", ["orderline", "returnline", "stocklevel"])
def test_the_product_picker_of_a_line_or_a_stock_level_offers_a_styles_variations_not_the_style(
    merchant_client, alpha, source
):
    from integrations.commerce.services.variations import product_parent_create, product_variation_attach

    style = product_parent_create(
        company=alpha.company, sku="ALPHA-STY", title="Jacket", attribute_names=("Size",)
    )
    variation = Product.objects.create(company=alpha.company, sku="ALPHA-STY-M", title="Jacket M")
    product_variation_attach(parent=style, product=variation, values=("M",))
    params = {"app_label": "commerce", "model_name": source, "field_name": "product", "term": "ALPHA-STY"}

    found = {r["id"] for r in merchant_client.get("/admin/autocomplete/", params).json()["results"]}

    assert found == {str(variation.pk)}


def test_a_merchant_cannot_autocomplete_users(merchant_client, alpha):
    params = {
        "app_label": "commerce",
        "model_name": "stockledgerentry",
        "field_name": "created_by",
        "term": "",
    }
    assert merchant_client.get("/admin/autocomplete/", params).status_code == 403


@pytest.mark.parametrize(
    "model", ["warehouse", "product", "stocklevel", "stockledgerentry", "order", "return"]
)
def test_a_merchants_filters_offer_only_their_company(merchant_client, alpha, bravo, model):
    response = merchant_client.get(admin_url(model, "changelist"))
    for spec in response.context["cl"].filter_specs:
        for _value, label in getattr(spec, "lookup_choices", []):
            assert "bravo" not in str(label).lower(), (spec.title, label)
    assert_no_bravo(response)


def test_a_merchant_cannot_list_another_companys_records_by_filtering_for_them(merchant_client, bravo):
    response = merchant_client.get(
        admin_url("stocklevel", "changelist"), {"warehouse__id__exact": bravo.warehouse.pk}
    )
    assert list(response.context["cl"].queryset) == []


@pytest.mark.parametrize("model", EDITABLE_WITH_ADD + ["company"])
def test_a_merchants_forms_offer_only_their_companys_choices(merchant_client, alpha, bravo, model):
    page = "add" if model != "company" else "change"
    args = () if page == "add" else (alpha.company.pk,)
    response = merchant_client.get(admin_url(model, page, *args))
    assert response.status_code == 200
    assert_no_bravo(response)
    form = response.context["adminform"].form
    if "company" in form.fields:
        assert form.fields["company"].disabled
        assert list(form.fields["company"].queryset) == [alpha.company]
    for inline in response.context["inline_admin_formsets"]:
        for name, field in inline.formset.empty_form.fields.items():
            # The row's own id is a hidden input, and the formset only loads ids of this record.
            if hasattr(field, "queryset") and name != "id":
                assert "bravo" not in " ".join(str(o) for o in field.queryset).lower(), name


def test_a_merchant_cannot_prefill_another_company_through_the_add_url(merchant_client, alpha, bravo):
    response = merchant_client.get(admin_url("warehouse", "add"), {"company": bravo.company.pk})
    assert_no_bravo(response)


def test_a_merchants_new_record_always_belongs_to_their_company(merchant_client, alpha, bravo):
    response = merchant_client.post(
        admin_url("warehouse", "add"),
        {"company": bravo.company.pk, "name": "Annex", "code": "ANNEX", "is_sellable": "on"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Warehouse.objects.get(code="ANNEX").company == alpha.company


def test_a_merchant_adding_a_product_gets_their_company_and_sku_uniqueness_is_checked(merchant_client, alpha):
    data = {
        "sku": alpha.product.sku,
        "title": "Copy",
        "site_price": "1.00",
        "site_cost": "0.50",
        "active": "on",
    }
    data.update({"stock_levels-TOTAL_FORMS": "0", "stock_levels-INITIAL_FORMS": "0"})
    response = merchant_client.post(admin_url("product", "add"), data)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    data["sku"] = "ALPHA-NEW"
    response = merchant_client.post(admin_url("product", "add"), data)
    assert response.status_code == 302
    assert Product.objects.get(sku="ALPHA-NEW").company == alpha.company


def test_a_merchant_cannot_attach_another_companys_order_to_a_return(merchant_client, alpha, bravo):
    page = merchant_client.get(admin_url("return", "change", alpha.order_return.pk))
    data = changeform_data(page)
    data["order"] = str(bravo.order.pk)
    response = merchant_client.post(admin_url("return", "change", alpha.order_return.pk), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    # The raw-id widget must not print the other company's order beside the rejected id.
    assert_no_bravo(response)
    assert Return.objects.get(pk=alpha.order_return.pk).order == alpha.order


def test_a_merchant_cannot_put_another_companys_product_on_their_order(merchant_client, alpha, bravo):
    page = merchant_client.get(admin_url("order", "change", alpha.order.pk))
    data = changeform_data(page)
    data["lines-0-product"] = str(bravo.product.pk)
    response = merchant_client.post(admin_url("order", "change", alpha.order.pk), data)
    assert response.status_code == 200
    assert_no_bravo(response)
    assert alpha.order.lines.get().product == alpha.product


def test_a_merchant_saving_their_own_order_unchanged_works(merchant_client, alpha):
    page = merchant_client.get(admin_url("order", "change", alpha.order.pk))
    response = merchant_client.post(admin_url("order", "change", alpha.order.pk), changeform_data(page))
    assert response.status_code == 302


@pytest.mark.parametrize("model", EXPORTABLE)
def test_a_merchants_export_holds_only_their_company(merchant_client, alpha, bravo, model):
    page = merchant_client.get(admin_url(model, "export"))
    assert page.status_code == 200
    response = merchant_client.post(admin_url(model, "export"), export_data(page))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(csv_rows(response.content)) == len(alpha.records(model))
    assert_no_bravo(response)


@pytest.mark.parametrize("model", EXPORTABLE)
def test_a_merchant_cannot_export_another_companys_records_by_picking_them(
    merchant_client, alpha, bravo, model
):
    page = merchant_client.get(admin_url(model, "export"))
    data = {**export_data(page), "export_items": [str(bravo.record(model).pk)]}
    response = merchant_client.post(admin_url(model, "export"), data)
    assert_no_bravo(response)


def test_the_view_on_site_shortcut_does_not_cross_the_wall(merchant_client, alpha, bravo, monkeypatch):
    monkeypatch.setattr(Product, "get_absolute_url", lambda self: f"/shop/{self.sku}/", raising=False)
    content_type = ContentType.objects.get_for_model(Product)
    own = merchant_client.get(f"/admin/r/{content_type.pk}/{alpha.product.pk}/")
    assert own.status_code == 302
    assert own["Location"].endswith("/shop/ALPHA-100/")
    other = merchant_client.get(f"/admin/r/{content_type.pk}/{bravo.product.pk}/")
    assert other.status_code == 404
    assert_no_bravo(other)


def test_a_merchant_cannot_adjust_another_companys_stock(merchant_client, alpha, bravo):
    url = admin_url("product", "adjust_stock", bravo.product.pk)
    assert merchant_client.get(url).status_code == 302
    merchant_client.post(url, {"warehouse": bravo.warehouse.pk, "quantity_change": "5"})
    own = admin_url("product", "adjust_stock", alpha.product.pk)
    response = merchant_client.post(own, {"warehouse": bravo.warehouse.pk, "quantity_change": "5"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert StockLedgerEntry.objects.filter(warehouse=bravo.warehouse).count() == 1


@pytest.mark.parametrize("url", ["/admin/commerce/user/", "/admin/commerce/user/add/", "/admin/auth/group/"])
def test_merchants_do_not_manage_users_or_groups(merchant_client, merchant, url):
    assert merchant_client.get(url).status_code == 403
    assert merchant_client.get(f"/admin/commerce/user/{merchant.pk}/change/").status_code == 403


def test_a_merchant_cannot_create_a_user_even_by_posting(merchant_client, alpha):
    merchant_client.post(
        "/admin/commerce/user/add/",
        {
            "username": "intruder",
            "password1": "x-Very-long-1",
            "password2": "x-Very-long-1",
            "usable_password": "true",
        },
    )
    from integrations.commerce.models import User

    assert not User.objects.filter(username="intruder").exists()


def test_a_staff_user_of_no_company_who_is_not_ops_sees_nothing(client, alpha):
    from integrations.commerce.tests.factories import PASSWORD, MerchantFactory

    lost = MerchantFactory(username="lost", company=None)
    client.login(username=lost.username, password=PASSWORD)
    assert client.get(admin_url("product", "changelist")).status_code == 403
    assert client.get(admin_url("product", "change", alpha.product.pk)).status_code in (302, 403)


@pytest.mark.parametrize("model", MODELS)
def test_ops_staff_see_every_company(ops_client, alpha, bravo, model):
    response = ops_client.get(admin_url(model, "changelist"))
    assert set(response.context["cl"].queryset) == alpha.records(model) | bravo.records(model)
    assert ops_client.get(admin_url(model, "change", bravo.record(model).pk)).status_code == 200
    assert ops_client.get(admin_url(model, "history", bravo.record(model).pk)).status_code == 200


def test_ops_staff_choose_the_company_of_a_new_record(ops_client, alpha, bravo):
    response = ops_client.post(
        admin_url("warehouse", "add"),
        {"company": bravo.company.pk, "name": "Bravo Annex", "code": "ANNEX", "is_sellable": "on"},
    )
    assert response.status_code == 302
    assert Warehouse.objects.get(code="ANNEX").company == bravo.company


def test_ops_staff_cannot_mix_companies_in_one_order(ops_client, alpha, bravo):
    page = ops_client.get(admin_url("order", "change", alpha.order.pk))
    data = changeform_data(page)
    data["lines-0-product"] = str(bravo.product.pk)
    response = ops_client.post(admin_url("order", "change", alpha.order.pk), data)
    assert response.status_code == 200
    assert "belongs to another company" in response.content.decode()
    assert Order.objects.get(pk=alpha.order.pk).lines.get().product == alpha.product


def test_ops_staff_manage_users_but_not_superusers(ops_client, merchant):
    from integrations.commerce.models import User

    assert ops_client.get(f"/admin/commerce/user/{merchant.pk}/change/").status_code == 200
    root = User.objects.create_superuser("root", "root@example.com", "x")
    page = ops_client.get(f"/admin/commerce/user/{root.pk}/change/")
    assert page.status_code == 200
    assert not page.context["has_change_permission"]


def test_a_merchant_cannot_change_or_delete_another_companys_order_lines_through_their_order(
    merchant_client, alpha, bravo
):
    bravo_line = bravo.order.lines.get()
    page = merchant_client.get(admin_url("order", "change", alpha.order.pk))
    data = changeform_data(page)
    data["lines-0-id"] = str(bravo_line.pk)
    data["lines-0-quantity"] = "99"
    data["lines-0-DELETE"] = "on"
    merchant_client.post(admin_url("order", "change", alpha.order.pk), data)
    bravo_line.refresh_from_db()
    assert bravo_line.quantity == 1
    assert bravo_line.order == bravo.order
