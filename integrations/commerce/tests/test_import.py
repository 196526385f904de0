"""CSV import of products and stock levels: into one company only, all or nothing, through the
stock service."""

from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from integrations.commerce.models import Product, StockLedgerEntry, StockLevel
from integrations.commerce.resources import ProductResource, StockLevelResource
from integrations.commerce.tests.admin_helpers import admin_url

pytestmark = pytest.mark.django_db

PRODUCT_HEADER = "sku,title,upc,ean,manufacturer_sku,site_price,site_cost,active\n"


def import_via_admin(client, model: str, text: str, confirm_overrides=None, **extra):
    """Upload (dry run), then confirm if the dry run was clean. Returns (dry run, confirmation)."""
    page = client.get(admin_url(model, "import"))
    formats = page.context["form"].fields["format"].choices
    csv_format = next(value for value, label in formats if label == "csv")
    upload = SimpleUploadedFile("stock.csv", text.encode(), content_type="text/csv")
    dry_run = client.post(
        admin_url(model, "import"), {"import_file": upload, "format": csv_format, "resource": "0", **extra}
    )
    confirm_form = dry_run.context.get("confirm_form") if dry_run.context else None
    if confirm_form is None:
        return dry_run, None
    data = {name: confirm_form.initial.get(name, "") for name in confirm_form.fields}
    data.update(confirm_overrides or {})
    return dry_run, client.post(admin_url(model, "process_import"), data)


def test_a_merchant_imports_products_into_their_company(merchant_client, alpha):
    text = PRODUCT_HEADER + (
        "ALPHA-100,Alpha Anvil Mk2,ALPHAUPC1,,,24.50,11.2500,1\nALPHA-200,Alpha Hammer,0123,,M-1,9.99,4.00,1\n"
    )
    dry_run, done = import_via_admin(merchant_client, "product", text)
    assert dry_run.status_code == 200
    assert done.status_code == 302
    alpha.product.refresh_from_db()
    assert alpha.product.title == "Alpha Anvil Mk2"
    assert alpha.product.site_price == Decimal("24.50")
    hammer = Product.objects.get(sku="ALPHA-200")
    assert (hammer.company, hammer.site_cost) == (alpha.company, Decimal("4.0000"))


def test_a_product_import_with_a_bad_row_reports_its_row_number_and_imports_nothing(merchant_client, alpha):
    text = PRODUCT_HEADER + (
        "ALPHA-201,Good One,,,,1.00,0.50,1\n"
        "ALPHA-202,Good Two,,,,2.00,1.00,1\n"
        "ALPHA-203,Bad Price,,,,twelve,1.00,1\n"
        "ALPHA-204,Good Four,,,,4.00,2.00,1\n"
    )
    dry_run, done = import_via_admin(merchant_client, "product", text)
    assert done is None  # no confirm step is offered
    result = dry_run.context["result"]
    assert [(row.number, list(row.field_specific_errors)) for row in result.invalid_rows] == [
        (3, ["site_price"])
    ]
    content = dry_run.content.decode()
    assert "<td>3 </td>" in content  # the "Row" column of the errors table
    assert "&#x27;twelve&#x27; is not a number" in content
    assert not Product.objects.filter(sku__in=["ALPHA-201", "ALPHA-202", "ALPHA-204"]).exists()


def test_an_import_with_a_bad_row_writes_nothing_even_without_a_dry_run(alpha):
    dataset = tablib.Dataset(headers=["sku", "title", "site_price", "site_cost"])
    dataset.append(["ALPHA-301", "Fine", "1.00", "0.50"])
    dataset.append(["ALPHA-302", "", "1.00", "0.50"])  # a title is required
    result = ProductResource(company=alpha.company).import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [2]
    assert not Product.objects.filter(sku="ALPHA-301").exists()


def test_negative_prices_are_refused_by_row(alpha):
    dataset = tablib.Dataset(headers=["sku", "title", "site_price", "site_cost"])
    dataset.append(["ALPHA-303", "Odd", "-1.00", "0.50"])
    result = ProductResource(company=alpha.company).import_data(dataset, dry_run=False)
    assert [row.number for row in result.invalid_rows] == [1]
    assert "site_price" in result.invalid_rows[0].error_dict


def test_a_merchants_product_import_never_writes_into_another_company(merchant_client, alpha, bravo):
    text = "sku,title,site_price,site_cost,company\nBRAVO-100,Taken Over,1.00,0.50,Bravo Traders\n"
    _, done = import_via_admin(merchant_client, "product", text, company=str(bravo.company.pk))
    assert done.status_code == 302
    bravo.product.refresh_from_db()
    assert bravo.product.title == "Bravo Anvil"
    # The SKU is free in Alpha, so the row made Alpha's own product.
    assert Product.objects.get(sku="BRAVO-100", company=alpha.company).title == "Taken Over"


def test_a_stock_import_sets_counts_through_the_ledger(merchant_client, alpha):
    text = "sku,warehouse,on_hand\nALPHA-100,MAIN,25\nALPHA-100,RETURNS,3\n"
    _, done = import_via_admin(merchant_client, "stocklevel", text)
    assert done.status_code == 302
    main = StockLevel.objects.get(product=alpha.product, warehouse=alpha.warehouse)
    returns = StockLevel.objects.get(product=alpha.product, warehouse=alpha.returns_warehouse)
    assert (main.on_hand, returns.on_hand) == (25, 3)
    entries = StockLedgerEntry.objects.filter(product=alpha.product, reason="import").order_by("id")
    assert [(e.warehouse, e.quantity_change) for e in entries][-2:] == [
        (alpha.warehouse, 15),
        (alpha.returns_warehouse, 3),
    ]
    assert entries.last().created_by.username == "alpha-merchant"
    for level in (main, returns):
        ledger = StockLedgerEntry.objects.filter(product=level.product, warehouse=level.warehouse)
        assert ledger.aggregate(total=Sum("quantity_change"))["total"] == level.on_hand


def test_a_stock_import_with_an_unknown_sku_reports_the_row_and_changes_nothing(
    merchant_client, alpha, bravo
):
    text = (
        "sku,warehouse,on_hand\nALPHA-100,MAIN,40\nBRAVO-100,MAIN,99\nALPHA-100,NOPE,1\nALPHA-100,MAIN,-4\n"
    )
    dry_run, done = import_via_admin(merchant_client, "stocklevel", text)
    assert done is None
    assert [row.number for row in dry_run.context["result"].invalid_rows] == [2, 3, 4]
    content = dry_run.content.decode()
    assert "no product with SKU &#x27;BRAVO-100&#x27; in Alpha Traders" in content
    assert StockLevel.objects.get(product=alpha.product, warehouse=alpha.warehouse).on_hand == 10
    assert StockLevel.objects.get(product=bravo.product, warehouse=bravo.warehouse).on_hand == 10
    assert StockLedgerEntry.objects.count() == 2


def test_a_stock_import_resolves_warehouse_codes_within_the_company(alpha, bravo):
    dataset = tablib.Dataset(headers=["sku", "warehouse", "on_hand"])
    dataset.append(["ALPHA-100", "MAIN", "7"])  # Bravo has a MAIN warehouse too
    result = StockLevelResource(company=alpha.company).import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert StockLevel.objects.get(product=alpha.product, warehouse=alpha.warehouse).on_hand == 7
    assert StockLevel.objects.get(product=bravo.product, warehouse=bravo.warehouse).on_hand == 10


def test_an_import_without_a_company_is_refused(alpha):
    dataset = tablib.Dataset(headers=["sku", "title"])
    dataset.append(["X-1", "Orphan"])
    result = ProductResource(company=None).import_data(dataset, dry_run=False)
    assert result.has_errors()
    assert not Product.objects.filter(sku="X-1").exists()


def test_ops_staff_import_into_the_company_they_choose(ops_client, alpha, bravo):
    text = PRODUCT_HEADER + "OPS-1,Chosen,,,,3.00,1.00,1\n"
    page = ops_client.get(admin_url("product", "import"))
    assert "company" in page.context["form"].fields
    _, done = import_via_admin(ops_client, "product", text, company=str(bravo.company.pk))
    assert done.status_code == 302
    assert Product.objects.get(sku="OPS-1").company == bravo.company


def test_ops_staff_must_choose_a_company_to_import_into(ops_client, alpha):
    dry_run, done = import_via_admin(ops_client, "product", PRODUCT_HEADER + "OPS-2,None,,,,3.00,1.00,1\n")
    assert done is None
    assert "company" in dry_run.context["form"].errors
    assert not Product.objects.filter(sku="OPS-2").exists()


def test_merchants_cannot_import_stock_without_the_adjust_permission(client, alpha):
    from integrations.commerce.tests.factories import PASSWORD, UserFactory

    viewer = UserFactory(username="viewer", company=alpha.company, is_staff=True)
    viewer.user_permissions.add(*_perms("view_stocklevel", "view_product"))
    client.login(username=viewer.username, password=PASSWORD)
    assert client.get(admin_url("stocklevel", "import")).status_code == 403


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="commerce", codename__in=codenames)


def test_an_absurd_count_is_refused_by_row_not_by_the_database(alpha):
    dataset = tablib.Dataset(headers=["sku", "warehouse", "on_hand"])
    dataset.append(["ALPHA-100", "MAIN", "4006381333931"])  # a barcode pasted into the count
    result = StockLevelResource(company=alpha.company).import_data(dataset, dry_run=False)
    assert [row.number for row in result.invalid_rows] == [1]
    assert StockLevel.objects.get(product=alpha.product, warehouse=alpha.warehouse).on_hand == 10


def test_a_merchant_cannot_redirect_a_confirmed_import_to_another_company(merchant_client, alpha, bravo):
    text = PRODUCT_HEADER + "ALPHA-900,Mine,,,,3.00,1.00,1\n"
    _, done = import_via_admin(
        merchant_client, "product", text, confirm_overrides={"company": str(bravo.company.pk)}
    )
    assert done.status_code == 302
    assert Product.objects.get(sku="ALPHA-900").company == alpha.company
    assert not bravo.company.products.filter(sku="ALPHA-900").exists()


def test_a_stock_row_without_a_sku_or_warehouse_is_reported_by_row_not_as_a_crash(alpha):
    dataset = tablib.Dataset(headers=["sku", "warehouse", "on_hand"])
    dataset.append(["", "MAIN", "7"])
    dataset.append(["ALPHA-100", "", "7"])
    result = StockLevelResource(company=alpha.company).import_data(dataset, dry_run=False)
    assert not result.has_errors()
    assert [row.number for row in result.invalid_rows] == [1, 2]
    assert StockLevel.objects.get(product=alpha.product, warehouse=alpha.warehouse).on_hand == 10
