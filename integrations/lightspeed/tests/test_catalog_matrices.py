"""Styles and Lightspeed item matrices: linked by the products job, created by auto-create, and
a sale of a variation's matrix item imported like any other."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from integrations.commerce.models import Order, Product
from integrations.commerce.services.stock import stock_set
from integrations.commerce.services.variations import product_parent_create, product_variation_attach
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedSettings, MatrixLink, ProductLink, SyncIssue, SyncRun

from . import orders_helpers as pos
from .catalog_support import product, shop, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture
from .conftest import resource_url
from .test_catalog_products import item
from .test_orders_import import run_orders, shop_setup  # noqa: F401 - fixture

PAGE = {"@attributes": {"next": "", "previous": ""}}
ITEM_IDS = itertools.count(900)
MATRIX_URL = resource_url("ItemMatrix")
ITEM_URL = resource_url("Item")


def style(company, sku: str, names: tuple[str, ...], *variations: tuple[str, tuple[str, ...]]) -> Product:
    made = product_parent_create(
        company=company, sku=sku, title=f"Style {sku}", attribute_names=names, price=Decimal("120")
    )
    for child_sku, values in variations:
        product_variation_attach(
            parent=made, product=product(company, child_sku, title=child_sku), values=values
        )
    return made


def in_matrix(item_id: int, matrix_id: int, sku: str) -> dict:
    return item(item_id, customSku=sku, itemMatrixID=str(matrix_id))


def run_products(settings_obj) -> SyncRun:
    run = job_run(company_id=settings_obj.company_id, job=JOBS["products"], sleep=lambda s: None)
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    return run


def posts(mock, url: str) -> list[dict]:
    return [
        json.loads(c.request.body) for c in mock.calls if c.request.method == "POST" and c.request.url == url
    ]


@pytest.fixture
def linking(connected):
    shop(connected.company, 1, "Downtown", warehouse(connected.company, "Main"))
    return uploads_on(connected)


# --- linking --------------------------------------------------------------------------------
def test_a_matrix_links_to_the_style_whose_variations_its_items_link_to(linking, mocked_lightspeed):
    company = linking.company
    cascade = style(
        company, "STY-CASCADE", ("Color", "Size"), ("CAS-NVY-S", ("Navy", "S")), ("CAS-NVY-M", ("Navy", "M"))
    )
    mocked_lightspeed.get(
        ITEM_URL, json={**PAGE, "Item": [in_matrix(301, 50, "CAS-NVY-S"), in_matrix(302, 50, "CAS-NVY-M")]}
    )

    run = run_products(linking)

    matrix_link = MatrixLink.objects.get(product=cascade)
    assert (matrix_link.item_matrix_id, matrix_link.matched_by) == (50, "custom_sku")
    assert run.counts["matrices_linked"] == 1 and run.counts["linked"] == 2
    assert sorted(
        ProductLink.objects.filter(product__parent=cascade).values_list("item_matrix_id", flat=True)
    ) == [50, 50]
    assert not SyncIssue.objects.filter(kind="matrix_link_conflict").exists()


def test_one_matrix_holding_variations_of_two_styles_links_to_neither_and_says_why(
    linking, mocked_lightspeed
):
    company = linking.company
    style(company, "STY-A", ("Size",), ("A-S", ("S",)))
    style(company, "STY-B", ("Size",), ("B-S", ("S",)))
    mocked_lightspeed.get(
        ITEM_URL, json={**PAGE, "Item": [in_matrix(301, 50, "A-S"), in_matrix(302, 50, "B-S")]}
    )

    run_products(linking)

    assert not MatrixLink.objects.filter(item_matrix_id__isnull=False).exists()
    issues = SyncIssue.objects.filter(kind="matrix_link_conflict", status="open").order_by("key")
    assert [i.key for i in issues] == ["STY-A", "STY-B"]
    assert "matrix 50 are linked to variations of it and of STY-B" in issues[0].message


def test_variations_in_two_matrices_leave_the_style_unlinked_until_they_agree(linking, mocked_lightspeed):
    company = linking.company
    basalt = style(company, "STY-BASALT", ("Size",), ("BAS-S", ("S",)), ("BAS-M", ("M",)))
    mocked_lightspeed.get(
        ITEM_URL, json={**PAGE, "Item": [in_matrix(301, 50, "BAS-S"), in_matrix(302, 51, "BAS-M")]}
    )
    mocked_lightspeed.get(ITEM_URL, json={**PAGE, "Item": [in_matrix(302, 50, "BAS-M")]})

    run_products(linking)
    [issue] = SyncIssue.objects.filter(kind="matrix_link_conflict", key="STY-BASALT")
    assert "several Lightspeed matrices (50, 51)" in issue.message
    run_products(linking)  # BAS-M's item moved into matrix 50 in Lightspeed

    assert MatrixLink.objects.get(product=basalt).item_matrix_id == 50
    issue.refresh_from_db()
    assert issue.status == "resolved"


def test_links_made_before_matrices_were_tracked_learn_their_matrix_once(linking, mocked_lightspeed):
    company = linking.company
    tarn = style(company, "STY-X", ("Color",), ("X-RED", ("Red",)))
    ProductLink.objects.update_or_create(
        product__sku="X-RED",
        defaults={"company": company, "product": Product.objects.get(sku="X-RED"), "item_id": 301},
    )
    mocked_lightspeed.get(ITEM_URL, json=PAGE)  # the download: nothing changed
    mocked_lightspeed.get(ITEM_URL, json={**PAGE, "Item": [in_matrix(301, 60, "X-RED")]})  # by id

    run_products(linking)
    run_products(linking)

    assert MatrixLink.objects.get(product=tarn).item_matrix_id == 60
    by_id = [c for c in mocked_lightspeed.calls if "itemID" in c.request.url]
    assert len(by_id) == 1


@pytest.mark.usefixtures("shop_setup")
def test_a_sale_of_a_matrix_item_imports_as_its_variation_and_takes_its_stock(connected, mocked_lightspeed):
    company = connected.company
    style(company, "STY-CASCADE", ("Color", "Size"), ("CAS-NVY-S", ("Navy", "S")))
    variation = Product.objects.get(sku="CAS-NVY-S")
    downtown = company.warehouses.get(code="DOWNTOWN")
    stock_set(product=variation, warehouse=downtown, on_hand=4)
    matrix_item = {**pos.item(61, sku="CAS-NVY-S"), "itemMatrixID": "50"}
    pos.mock_sales(mocked_lightspeed, [pos.sale(811, [pos.line(matrix_item, 1)])])

    run_orders(company)

    [order_line] = Order.objects.get().lines.all()
    assert (order_line.product, order_line.quantity) == (variation, 1)
    assert variation.stock_levels.get(warehouse=downtown).on_hand == 3


# --- auto-create ---------------------------------------------------------------------------
@pytest.fixture
def creating(linking):
    LightspeedSettings.objects.filter(pk=linking.pk).update(auto_create_enabled_products=True)
    return LightspeedSettings.objects.get(pk=linking.pk)


def enable(*products: Product) -> None:
    for made in products:
        ProductLink.objects.update_or_create(
            product=made, defaults={"company": made.company, "enabled": True}
        )


def items_made(mocked_lightspeed, matrix_id: int | None = None) -> None:
    """Lightspeed's answers to `POST Item`: the item made (in the matrix the body names)."""

    def reply(request):
        body = json.loads(request.body)
        made = item(
            next(ITEM_IDS),
            customSku=body["customSku"],
            ItemShops="",
            itemMatrixID=body.get("itemMatrixID", "0"),
        )
        return 200, {}, json.dumps({"Item": made})

    mocked_lightspeed.add_callback("POST", ITEM_URL, callback=reply)


def test_an_enabled_style_is_created_as_one_matrix_then_one_item_per_variation_in_it(
    creating, mocked_lightspeed
):
    tarn = style(
        creating.company,
        "STY-TARN",
        ("Color", "Size"),
        ("TARN-NVY-S", ("Navy", "S")),
        ("TARN-NVY-M", ("Navy", "M")),
    )
    enable(tarn, *tarn.variations.all())
    mocked_lightspeed.get(ITEM_URL, json=PAGE)
    mocked_lightspeed.post(MATRIX_URL, json={"ItemMatrix": {"itemMatrixID": "70", "itemAttributeSetID": "1"}})
    items_made(mocked_lightspeed)

    first = run_products(creating)
    second = run_products(creating)

    [matrix] = posts(mocked_lightspeed, MATRIX_URL)
    assert (matrix["description"], matrix["itemAttributeSetID"]) == ("Style STY-TARN", "1")
    made = posts(mocked_lightspeed, ITEM_URL)
    assert sorted(
        (
            b["customSku"],
            b["itemMatrixID"],
            b["ItemAttributes"]["attribute1"],
            b["ItemAttributes"]["attribute2"],
        )
        for b in made
    ) == [
        ("TARN-NVY-M", "70", "Navy", "M"),
        ("TARN-NVY-S", "70", "Navy", "S"),
    ]
    assert first.counts["matrices_created"] == 1 and first.counts["items_created"] == 2
    assert "matrices_created" not in second.counts and len(posts(mocked_lightspeed, ITEM_URL)) == 2
    link = MatrixLink.objects.get(product=tarn)
    assert (link.item_matrix_id, link.item_attribute_set_id, link.matched_by) == (70, 1, "created")
    assert not ProductLink.objects.filter(product=tarn, item_id__isnull=False).exists()


def test_a_variation_added_later_becomes_an_item_in_the_existing_matrix(creating, mocked_lightspeed):
    basalt = style(creating.company, "STY-BASALT", ("Size",), ("BAS-S", ("S",)))
    MatrixLink.objects.create(
        company=creating.company, product=basalt, item_matrix_id=80
    )  # linked, set unknown
    ProductLink.objects.update_or_create(
        product=Product.objects.get(sku="BAS-S"),
        defaults={"company": creating.company, "item_id": 501, "item_matrix_id": 80},
    )
    later = product(creating.company, "BAS-L", title="Basalt L")
    product_variation_attach(parent=basalt, product=later, values=("L",))
    enable(basalt, later)
    mocked_lightspeed.get(ITEM_URL, json=PAGE)
    mocked_lightspeed.get(
        resource_url("ItemMatrix", 80), json={"ItemMatrix": {"itemMatrixID": "80", "itemAttributeSetID": "2"}}
    )
    items_made(mocked_lightspeed)

    run_products(creating)

    assert posts(mocked_lightspeed, MATRIX_URL) == []
    [body] = posts(mocked_lightspeed, ITEM_URL)
    assert body["itemMatrixID"] == "80"
    assert body["ItemAttributes"] == {
        "attribute1": "",
        "attribute2": "L",
        "attribute3": "",
        "itemAttributeSetID": "2",
    }
    assert MatrixLink.objects.get(product=basalt).item_attribute_set_id == 2


def test_a_refused_matrix_is_an_issue_and_its_variations_never_become_loose_items(
    creating, mocked_lightspeed
):
    tarn = style(creating.company, "STY-TARN", ("Color", "Size"), ("TARN-NVY-S", ("Navy", "S")))
    enable(tarn, *tarn.variations.all())
    mocked_lightspeed.get(ITEM_URL, json=PAGE)
    mocked_lightspeed.post(MATRIX_URL, status=400, json={"message": "Invalid itemAttributeSetID."})

    run_products(creating)
    run_products(creating)

    assert len(posts(mocked_lightspeed, MATRIX_URL)) == 1  # not again until Retry
    assert posts(mocked_lightspeed, ITEM_URL) == []
    [issue] = SyncIssue.objects.filter(kind="item_create_rejected", key="STY-TARN")
    assert (
        issue.message
        == "Lightspeed refused to create the matrix of style STY-TARN: Invalid itemAttributeSetID."
    )


def test_an_unanswered_matrix_create_is_not_sent_again_until_a_lookup_settles_it(
    creating, mocked_lightspeed, settings
):
    tarn = style(creating.company, "STY-TARN", ("Color",), ("TARN-RED", ("Red",)))
    enable(tarn, *tarn.variations.all())
    mocked_lightspeed.get(ITEM_URL, json=PAGE)
    mocked_lightspeed.post(MATRIX_URL, body=requests.Timeout("no answer"))
    mocked_lightspeed.get(
        MATRIX_URL, json={**PAGE, "ItemMatrix": {"itemMatrixID": "90", "description": "Style STY-TARN"}}
    )
    items_made(mocked_lightspeed)

    run_products(creating)
    sent = len(posts(mocked_lightspeed, MATRIX_URL))
    run_products(creating)  # within the settle time: nothing sent
    assert len(posts(mocked_lightspeed, MATRIX_URL)) == sent
    MatrixLink.objects.filter(product=tarn).update(create_sent_at=timezone.now() - timedelta(hours=1))
    run_products(creating)  # the lookup finds the matrix the lost create made

    assert len(posts(mocked_lightspeed, MATRIX_URL)) == sent
    assert MatrixLink.objects.get(product=tarn).item_matrix_id == 90
    [body] = posts(mocked_lightspeed, ITEM_URL)
    assert (body["customSku"], body["itemMatrixID"]) == ("TARN-RED", "90")


# --- the product page --------------------------------------------------------------------------
def test_the_product_page_shows_a_styles_matrix_and_a_variations_style_matrix_and_item(client, linking):
    from django.urls import reverse

    from integrations.commerce.tests.factories import MerchantFactory

    cascade = style(linking.company, "STY-CASCADE", ("Color", "Size"), ("CAS-NVY-S", ("Navy", "S")))
    MatrixLink.objects.create(
        company=linking.company,
        product=cascade,
        item_matrix_id=50,
        item_attribute_set_id=1,
        matched_by="custom_sku",
    )
    variation = Product.objects.get(sku="CAS-NVY-S")
    ProductLink.objects.update_or_create(
        product=variation, defaults={"company": linking.company, "enabled": True, "item_id": 301}
    )
    client.force_login(MerchantFactory(company=linking.company))

    style_page = client.get(reverse("admin:commerce_product_change", args=[cascade.pk])).content.decode()
    child_page = client.get(reverse("admin:commerce_product_change", args=[variation.pk])).content.decode()

    assert "Style: item matrix 50 (attribute set Color/Size, Custom SKU = SKU)." in style_page
    assert "Item: item 301. Style STY-CASCADE: item matrix 50" in child_page


def test_a_matrix_create_failing_for_a_moment_is_tried_by_the_next_run_and_counted(
    creating, mocked_lightspeed
):
    tarn = style(creating.company, "STY-TARN", ("Size",), ("TARN-S", ("S",)))
    enable(tarn, *tarn.variations.all())
    mocked_lightspeed.get(ITEM_URL, json=PAGE)
    mocked_lightspeed.post(MATRIX_URL, status=503, json={"message": "Try again later."})

    first = run_products(creating)
    run_products(creating)

    assert first.counts["matrix_create_failed"] == 1
    assert posts(mocked_lightspeed, ITEM_URL) == []  # no loose item while the style has no matrix
    [issue] = SyncIssue.objects.filter(kind="item_create_failed", key="STY-TARN", status="open")
    assert issue.count == 2 and "the matrix of style STY-TARN" in issue.message
    assert "attempt 2 of 5" in issue.message
    assert MatrixLink.objects.get(product=tarn).create_sent_at is None  # answered: nothing was made
