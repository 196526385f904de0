"""Onboarding: `catalog_import` imports Lightspeed items as products (HTTP stubbed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from responses import matchers

from integrations.commerce.models import Product, StockLedgerEntry, StockLevel
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    CatalogImportCursor,
    ItemShopState,
    MatrixLink,
    ProductLink,
    SyncIssue,
    SyncRun,
)

from .catalog_support import link, product, shop, uploads_not_queued, warehouse  # noqa: F401 - autouse fixture
from .conftest import resource_url
from .test_catalog_products import item

PAGE_QUERY = {"load_relations": '["ItemShops", "ItemAttributes"]', "sort": "itemID", "limit": "100"}


@pytest.fixture
def store(connected):
    company = connected.company
    main, backroom = warehouse(company, "Main"), warehouse(company, "Backroom")
    shop(company, 1, "Downtown", main, backroom)
    connected.shops_mapping_enabled = True
    connected.save(update_fields=["shops_mapping_enabled"])
    return connected, main


def _pages(mocked, *pages: list[dict], after: int = 0) -> None:
    total = sum(len(p) for p in pages)
    count_query = {"count": "1", **({"itemID": f">,{after}"} if after else {})}
    mocked.get(
        resource_url("Item"),
        json={"@attributes": {"count": str(total)}},
        match=[matchers.query_param_matcher(count_query)],
    )
    for n, records in enumerate(pages):
        nxt = f"{resource_url('Item')}?page={n + 1}" if n + 1 < len(pages) else ""
        query = {**PAGE_QUERY, **({"itemID": f">,{after}"} if after else {})}
        url = resource_url("Item") if n == 0 else f"{resource_url('Item')}?page={n}"
        mocked.get(
            url,
            json={"@attributes": {"next": nxt, "previous": ""}, "Item": records},
            match=[matchers.query_param_matcher(query if n == 0 else {"page": str(n)})],
        )


def _run(settings_obj, **kwargs) -> SyncRun:
    run = job_run(company_id=settings_obj.company_id, job=JOBS["catalog_import"], **kwargs)
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    return run


def test_unlinked_items_become_linked_products_with_codes_price_cost_and_opening_stock(
    store, mocked_lightspeed
):
    settings_obj, main = store
    _pages(
        mocked_lightspeed,
        [
            item(301, customSku="TENT-2", upc="012345678905", manufacturerSku="MF-1", description="Tent"),
            item(302, description="Stove"),  # no custom SKU: the system SKU becomes its SKU
        ],
    )

    run = _run(settings_obj)

    tent = Product.objects.get(company=settings_obj.company, sku="TENT-2")
    assert (tent.title, tent.upc, tent.manufacturer_sku) == ("Tent", "012345678905", "MF-1")
    assert (tent.site_price, tent.site_cost) == (Decimal("9.99"), Decimal("3.5"))
    stove = Product.objects.get(company=settings_obj.company, sku="210000000302")
    assert stove.lightspeed_link.item_id == 302
    assert tent.lightspeed_link.matched_by == ProductLink.MatchedBy.IMPORTED
    # Shop 1 holds 4 of each: one "import" ledger row each, into its first mapped warehouse.
    entries = StockLedgerEntry.objects.filter(product__company=settings_obj.company)
    assert sorted((e.product.sku, e.warehouse_id, e.quantity_change, e.reason) for e in entries) == [
        ("210000000302", main.pk, 4, "import"),
        ("TENT-2", main.pk, 4, "import"),
    ]
    assert ItemShopState.objects.get(link=tent.lightspeed_link).qoh_seen == 4  # nothing to upload
    assert run.counts["products_created"] == 2 and run.counts["units_booked"] == 8
    assert run.progress_total == 2 and run.progress_done == 2


def test_a_second_import_creates_nothing_new(store, mocked_lightspeed):
    settings_obj, _ = store
    records = [item(301, customSku="TENT-2"), item(302, customSku="STOVE")]
    _pages(mocked_lightspeed, records)
    _run(settings_obj)
    mocked_lightspeed.reset()
    _pages(mocked_lightspeed, records)

    again = _run(settings_obj)

    assert again.counts["products_created"] == 0 and again.counts["already_linked"] == 2
    assert Product.objects.filter(company=settings_obj.company).count() == 2
    assert StockLedgerEntry.objects.filter(product__company=settings_obj.company).count() == 2


def test_an_item_whose_sku_is_an_unlinked_products_becomes_an_issue_not_a_second_product(
    store, mocked_lightspeed
):
    settings_obj, _ = store
    product(settings_obj.company, "TENT-2")
    _pages(
        mocked_lightspeed,
        [item(301, customSku="tent-2"), item(302, customSku="STOVE"), item(303, customSku="STOVE")],
    )

    run = _run(settings_obj)

    assert run.counts["sku_clashes"] == 2 and run.counts["products_created"] == 1
    assert Product.objects.filter(company=settings_obj.company).count() == 2
    issues = SyncIssue.objects.filter(kind=SyncIssue.Kind.IMPORT_SKU_CLASH).order_by("key")
    assert [i.key for i in issues] == ["301", "303"]
    assert "'tent-2' is a LightSync product's SKU already" in issues[0].message


def test_the_dry_run_counts_what_it_would_do_and_writes_nothing(store, mocked_lightspeed):
    settings_obj, _ = store
    linked = product(settings_obj.company, "LINKED")
    link(linked, item_id=300)
    _pages(
        mocked_lightspeed,
        [item(300, customSku="LINKED"), item(301, customSku="TENT-2"), item(302, customSku="LINKED")],
    )

    run = _run(settings_obj, dry_run=True)

    assert {
        k: run.counts[k] for k in ("products_created", "already_linked", "sku_clashes", "units_booked")
    } == {
        "products_created": 1,
        "already_linked": 1,
        "sku_clashes": 1,
        "units_booked": 4,
    }
    assert Product.objects.filter(company=settings_obj.company).count() == 1
    assert not SyncIssue.objects.exists() and not StockLevel.objects.exists()
    assert not CatalogImportCursor.objects.filter(after_item_id__gt=0).exists()


def test_an_interrupted_import_resumes_after_the_last_page_it_committed(store, mocked_lightspeed):
    settings_obj, _ = store
    product(settings_obj.company, "EARLIER")
    CatalogImportCursor.objects.create(company=settings_obj.company, after_item_id=301)
    _pages(mocked_lightspeed, [item(302, customSku="STOVE")], after=301)

    run = _run(settings_obj)

    assert run.counts["resumed_after_item"] == 301 and run.counts["products_created"] == 1
    cursor = CatalogImportCursor.objects.get(company=settings_obj.company)
    assert cursor.finished_at is not None and cursor.after_item_id == 302


def test_pages_are_followed_and_each_page_moves_the_resume_point(store, mocked_lightspeed):
    settings_obj, _ = store
    _pages(mocked_lightspeed, [item(301, customSku="A")], [item(302, customSku="B")])

    run = _run(settings_obj)

    assert run.counts["items_read"] == 2 and run.api_requests == 3  # the count, then two pages
    assert CatalogImportCursor.objects.get(company=settings_obj.company).after_item_id == 302


def _in_matrix(item_id: int, matrix_id: int, sku: str, *values: str) -> dict:
    slots = dict(zip(("attribute1", "attribute2", "attribute3"), [*values, "", "", ""], strict=False))
    return item(item_id, customSku=sku, itemMatrixID=str(matrix_id), ItemAttributes=slots)


def _matrices(mocked, *records: dict) -> None:
    """The matrices read by id: one request for all of them."""
    ids = ",".join(r["itemMatrixID"] for r in records)
    mocked.get(
        resource_url("ItemMatrix"),
        json={"@attributes": {"next": "", "previous": ""}, "ItemMatrix": list(records)},
        match=[
            matchers.query_param_matcher(
                {
                    "load_relations": '["ItemAttributeSet"]',
                    "archived": "true",
                    "itemMatrixID": f"IN,[{ids}]",
                    "sort": "itemMatrixID",
                    "limit": "100",
                }
            )
        ],
    )


JACKET = {
    "itemMatrixID": "7",
    "description": "Cascade Rain Jacket",
    "itemAttributeSetID": "1",
    "defaultCost": "71.5",
    "Prices": {"ItemPrice": {"amount": "149", "useTypeID": "1", "useType": "Default"}},
}
BOOT = {"itemMatrixID": "8", "description": "Basalt Trail Runner", "itemAttributeSetID": "2"}
MATRIX_PAGE = [
    _in_matrix(301, 7, "JKT-NAVY-S", "Navy", "S"),
    _in_matrix(302, 7, "JKT-NAVY-M", "Navy", "M"),
    _in_matrix(303, 8, "BOOT-42", "", "42"),  # the Size set keeps Size in attribute2
    item(304, customSku="TENT-2"),
]


def test_items_in_a_matrix_become_variations_of_one_new_style_per_matrix(store, mocked_lightspeed):
    settings_obj, _ = store
    _pages(mocked_lightspeed, MATRIX_PAGE)
    _matrices(mocked_lightspeed, JACKET, BOOT)

    run = _run(settings_obj)

    jacket = Product.objects.get(company=settings_obj.company, is_parent=True, title="Cascade Rain Jacket")
    assert (jacket.sku, jacket.attribute_names) == ("CASCADE-RAIN-JACKET", ("Color", "Size"))
    assert (jacket.site_price, jacket.site_cost) == (Decimal("149"), Decimal("71.5"))
    assert sorted(jacket.variations.values_list("sku", "attribute_1_value", "attribute_2_value")) == [
        ("JKT-NAVY-M", "Navy", "M"),
        ("JKT-NAVY-S", "Navy", "S"),
    ]
    boot = Product.objects.get(company=settings_obj.company, title="Basalt Trail Runner")
    assert boot.attribute_names == ("Size",)
    assert list(boot.variations.values_list("sku", "attribute_1_value")) == [("BOOT-42", "42")]
    links = MatrixLink.objects.filter(company=settings_obj.company).order_by("item_matrix_id")
    assert [(m.item_matrix_id, m.product_id, m.matched_by) for m in links] == [
        (7, jacket.pk, "imported"),
        (8, boot.pk, "imported"),
    ]
    assert Product.objects.get(sku="TENT-2").parent is None
    assert (run.counts["styles_created"], run.counts["variations_attached"]) == (2, 3)
    assert run.counts["products_created"] == 4 and run.api_requests == 3  # count, page, matrices


def test_a_second_import_makes_no_second_style(store, mocked_lightspeed):
    settings_obj, _ = store
    _pages(mocked_lightspeed, MATRIX_PAGE)
    _matrices(mocked_lightspeed, JACKET, BOOT)
    _run(settings_obj)
    mocked_lightspeed.reset()
    _pages(mocked_lightspeed, MATRIX_PAGE)  # no matrix stub: asking for one would fail

    again = _run(settings_obj)

    assert (again.counts["styles_created"], again.counts["variations_attached"]) == (0, 0)
    assert Product.objects.filter(company=settings_obj.company, is_parent=True).count() == 2


def test_the_dry_run_counts_styles_and_variations_and_writes_none(store, mocked_lightspeed):
    settings_obj, _ = store
    _pages(mocked_lightspeed, MATRIX_PAGE)
    _matrices(mocked_lightspeed, JACKET, BOOT)

    run = _run(settings_obj, dry_run=True)

    assert (run.counts["styles_created"], run.counts["variations_attached"]) == (2, 3)
    assert not Product.objects.filter(company=settings_obj.company).exists()
    assert not MatrixLink.objects.exists()


def test_new_items_of_a_matrix_already_linked_become_variations_of_its_style_not_a_second_one(
    store, mocked_lightspeed
):
    settings_obj, _ = store
    from integrations.commerce.services.variations import product_parent_create

    mine = product_parent_create(
        company=settings_obj.company, sku="MINE", title="Mine", attribute_names=("Color", "Size")
    )
    MatrixLink.objects.create(company=settings_obj.company, product=mine, item_matrix_id=7)
    _pages(mocked_lightspeed, MATRIX_PAGE[:2])  # only matrix 7's items: nothing to read

    run = _run(settings_obj)

    assert run.counts["styles_created"] == 0 and run.counts["products_created"] == 2
    assert Product.objects.filter(company=settings_obj.company, is_parent=True).count() == 1
    assert sorted(mine.variations.values_list("sku", "attribute_1_value", "attribute_2_value")) == [
        ("JKT-NAVY-M", "Navy", "M"),
        ("JKT-NAVY-S", "Navy", "S"),
    ]
    assert run.counts["variations_attached"] == 2


def test_a_matrix_over_two_pages_is_read_once_and_its_items_share_one_style(store, mocked_lightspeed):
    settings_obj, _ = store
    _pages(mocked_lightspeed, MATRIX_PAGE[:1], MATRIX_PAGE[1:2])
    _matrices(mocked_lightspeed, JACKET)

    preview = _run(settings_obj, dry_run=True)
    mocked_lightspeed.reset()
    _pages(mocked_lightspeed, MATRIX_PAGE[:1], MATRIX_PAGE[1:2])
    _matrices(mocked_lightspeed, JACKET)
    run = _run(settings_obj)

    assert preview.api_requests == run.api_requests == 4  # count, two pages, one matrix read
    for counts in (preview.counts, run.counts):
        assert (counts["styles_created"], counts["variations_attached"]) == (1, 2)
    jacket = Product.objects.get(company=settings_obj.company, is_parent=True)
    assert jacket.variations.count() == 2


def test_lightspeed_sync_all_leaves_the_catalog_import_out():
    from integrations.lightspeed.management.commands.lightspeed_sync import CHOICES

    assert "catalog_import" in CHOICES
    assert JOBS["catalog_import"].on_request_only
    assert [name for name, job in JOBS.items() if job.on_request_only] == ["catalog_import"]
