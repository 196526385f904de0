"""The products job (download and link items) and the listeners that enable and schedule products."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from responses import matchers

from integrations.commerce.models import Product, StockLedgerEntry
from integrations.commerce.services.stock import stock_adjust
from integrations.lightspeed.catalog.services.create import gtin_valid, item_body
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    CatalogCursor,
    ItemShopState,
    LightspeedSettings,
    ProductLink,
    SyncIssue,
)

from .catalog_support import link, product, shop, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture
from .conftest import resource_url


def item(item_id: int, stamp: str = "2026-11-20T10:00:00+00:00", **fields) -> dict:
    record = {
        "itemID": str(item_id),
        "systemSku": f"21{item_id:010d}",
        "description": f"Item {item_id}",
        "customSku": "",
        "upc": "",
        "ean": "",
        "manufacturerSku": "",
        "defaultCost": "3.5",
        "archived": "false",
        "timeStamp": stamp,
        "Prices": {"ItemPrice": {"amount": "9.99", "useTypeID": "1", "useType": "Default"}},
        "ItemShops": {
            "ItemShop": [
                {
                    "itemShopID": str(item_id * 10 + 1),
                    "itemID": str(item_id),
                    "shopID": "1",
                    "qoh": "4",
                    "timeStamp": stamp,
                },
                {
                    "itemShopID": str(item_id * 10),
                    "itemID": str(item_id),
                    "shopID": "0",
                    "qoh": "4",
                    "timeStamp": stamp,
                },
            ]
        },
    }
    record.update(fields)
    return record


@pytest.fixture
def store(connected):
    downtown = shop(connected.company, 1, "Downtown", warehouse(connected.company, "Main"))
    return uploads_on(connected), downtown


def test_items_link_by_sku_then_upc_and_duplicates_become_issues_not_guesses(store, mocked_lightspeed):
    settings_obj, downtown = store
    company = settings_obj.company
    jacket = product(company, "JACKET", upc="012345678905")
    boots = product(company, "BOOTS", upc="036000291452")
    twin_a = product(company, "TWIN-A", upc="", manufacturer_sku="MFR-9")
    twin_b = product(company, "TWIN-B", upc="", manufacturer_sku="MFR-9")
    page = {
        "@attributes": {"next": "", "previous": ""},
        "Item": [
            item(201, customSku="JACKET", upc="012345678905"),
            item(202, upc="36000291452"),  # the same code without its leading zero
            item(203, manufacturerSku="mfr-9"),  # two products have it
            item(204, customSku="NOT-HERE"),  # only Lightspeed has it
        ],
    }
    mocked_lightspeed.get(
        resource_url("Item"),
        json=page,
        match=[
            matchers.query_param_matcher(
                {"load_relations": '["ItemShops"]', "archived": "true", "sort": "timeStamp", "limit": "100"}
            )
        ],
    )

    run = job_run(company_id=settings_obj.company_id, job=JOBS["products"])

    assert (
        run.counts["linked"] == 2 and run.counts["match_problems"] == 1 and run.counts["items_unmatched"] == 1
    )
    links = {pl.product.sku: pl for pl in ProductLink.objects.select_related("product")}
    assert (links["JACKET"].item_id, links["JACKET"].matched_by) == (201, "custom_sku")
    assert (links["BOOTS"].item_id, links["BOOTS"].matched_by) == (202, "upc")
    assert links["TWIN-A"].item_id is None and links["TWIN-B"].item_id is None
    issue = SyncIssue.objects.get(kind="item_match_ambiguous")
    assert issue.key == "203" and "matches 2 products" in issue.message
    state = ItemShopState.objects.get(link=links["JACKET"], shop=downtown)
    assert (state.qoh_seen, state.item_shop_id) == (4, 2011)
    assert str(links["JACKET"].price_seen) == "9.99" and str(links["JACKET"].cost_seen) == "3.5000"
    assert CatalogCursor.objects.get().items_since.isoformat() == "2026-11-20T10:00:00+00:00"
    assert {twin_a.pk, twin_b.pk, jacket.pk, boots.pk} == set(Product.objects.values_list("pk", flat=True))


def test_the_next_run_reads_only_items_changed_since_and_reports_an_archived_item(store, mocked_lightspeed):
    settings_obj, downtown = store
    jacket = product(settings_obj.company, "JACKET")
    link(jacket, 201, seen={downtown: 4})
    CatalogCursor.objects.create(company=settings_obj.company, items_since="2026-11-20T10:00:00+00:00")
    archived = item(201, stamp="2026-11-21T08:00:00+00:00", archived="true")
    mocked_lightspeed.get(
        resource_url("Item"),
        json={"@attributes": {"next": "", "previous": ""}, "Item": archived},
        match=[
            matchers.query_param_matcher({"timeStamp": ">,2026-11-20T09:59:59+00:00"}, strict_match=False)
        ],
    )

    run = job_run(company_id=settings_obj.company_id, job=JOBS["products"])

    assert run.counts["archived_in_lightspeed"] == 1
    jacket.lightspeed_link.refresh_from_db()
    assert jacket.lightspeed_link.item_archived and jacket.lightspeed_link.item_id == 201
    assert "archived in Lightspeed" in SyncIssue.objects.get(kind="item_archived").message


def test_auto_create_sends_only_valid_codes_and_the_configured_price_level(store):
    settings_obj, _ = store
    good = product(settings_obj.company, "NEW", upc="012345678905", ean="4006381333932", title="Trail Jacket")
    pl = ProductLink.objects.create(company=settings_obj.company, product=good, enabled=True)
    assert gtin_valid("012345678905", (12,)) and not gtin_valid("012345678904", (12,))
    assert not gtin_valid("4006381333932", (13,)) and gtin_valid("4006381333931", (13,))

    body = item_body(pl, price_level=3, quantities={1: 4})

    assert body == {
        "description": "Trail Jacket",
        "customSku": "NEW",
        "defaultCost": "8.5000",
        "Prices": {"ItemPrice": [{"useTypeID": "3", "amount": "19.99"}]},
        "manufacturerSku": good.manufacturer_sku,
        "upc": "012345678905",
        "ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "4"}]},
    }


def test_a_new_product_is_enabled_only_when_auto_enable_is_on(connected):
    off = product(connected.company, "OFF")
    LightspeedSettings.objects.filter(pk=connected.pk).update(auto_enable_new_products=True)
    on = product(connected.company, "ON")

    assert not ProductLink.objects.filter(product=off).exists()
    assert ProductLink.objects.get(product=on).enabled


def test_products_made_in_bulk_get_their_links_from_the_products_job(store, mocked_lightspeed):
    settings_obj, _ = store
    LightspeedSettings.objects.filter(pk=settings_obj.pk).update(auto_enable_new_products=True)
    Product.objects.bulk_create(
        [Product(company=settings_obj.company, sku=f"BULK-{n}", title="Bulk") for n in range(3)]
    )
    mocked_lightspeed.get(resource_url("Item"), json={"@attributes": {"next": "", "previous": ""}})

    run = job_run(company_id=settings_obj.company_id, job=JOBS["products"])

    assert run.counts["links_added"] == 3
    assert ProductLink.objects.filter(enabled=True, upload_due_at__isnull=False).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_stock_changes_schedules_one_upload_after_the_commit(store, monkeypatch):
    settings_obj, _ = store
    from integrations.lightspeed import tasks

    queued = []
    monkeypatch.setattr(
        tasks.lightspeed_upload_changed, "apply_async", lambda *a, **kw: queued.append((a, kw))
    )
    cache.delete(f"lightspeed:upload-soon:{settings_obj.company_id}")
    scarf = product(settings_obj.company, "SCARF")
    link(scarf, 301)
    main = settings_obj.company.warehouses.get(name="Main")

    with transaction.atomic():
        for _ in range(5):
            stock_adjust(
                product=scarf, warehouse=main, quantity_change=1, reason=StockLedgerEntry.Reason.ADJUSTMENT
            )
        assert queued == []  # nothing leaves before the commit

    assert queued == [(((settings_obj.company_id,),), {"countdown": 5.0})]
    assert ProductLink.objects.get(product=scarf).upload_due_at is not None

    with pytest.raises(RuntimeError), transaction.atomic():
        stock_adjust(
            product=scarf, warehouse=main, quantity_change=1, reason=StockLedgerEntry.Reason.ADJUSTMENT
        )
        raise RuntimeError("rolled back")
    assert len(queued) == 1


def test_a_duplicate_code_is_settled_by_mapping_the_item_to_a_product_in_the_issues_queue(store):
    from integrations.lightspeed.jobs.issues import sync_issue_record
    from integrations.lightspeed.operations.services.issues import issue_map_to_product

    settings_obj, _ = store
    twin = product(settings_obj.company, "TWIN-A")
    issue = sync_issue_record(
        company_id=settings_obj.company_id,
        kind="item_match_ambiguous",
        key="203",
        message="matches 2 products",
    )

    outcome = issue_map_to_product(issue=issue, product=twin)

    assert outcome.resolved
    pl = ProductLink.objects.get(product=twin)
    assert (pl.item_id, pl.matched_by) == (203, ProductLink.MatchedBy.MANUAL)
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED


def test_retrying_a_refused_write_makes_the_item_due_again(
    store,
    uploads_not_queued,  # noqa: F811 - the autouse fixture's record
    django_capture_on_commit_callbacks,
):
    from integrations.lightspeed.jobs.issues import sync_issue_record
    from integrations.lightspeed.operations.services.issues import issue_retry

    settings_obj, _ = store
    belt = product(settings_obj.company, "BELT")
    link(belt, 207)
    issue = sync_issue_record(
        company_id=settings_obj.company_id,
        kind="upload_rejected",
        key="207",
        message="Item 207 is a matrix item.",
    )
    cache.delete(f"lightspeed:upload-soon:{settings_obj.company_id}")

    with django_capture_on_commit_callbacks(execute=True):
        outcome = issue_retry(issue=issue)

    assert outcome.resolved and ProductLink.objects.get(product=belt).upload_due_at is not None
    assert len(uploads_not_queued) == 1


def test_a_product_disabled_while_auto_create_runs_stays_disabled(store):
    from integrations.lightspeed.catalog.services.create import items_create

    settings_obj, _ = store
    vest = product(settings_obj.company, "VEST", title="Vest")
    pl = ProductLink.objects.create(company=settings_obj.company, product=vest, enabled=True)

    class Lightspeed:
        def iter_items(self, **query):
            return iter([])

        def create_item(self, body):
            # A person disables the product while the run waits for Lightspeed's answer.
            ProductLink.objects.filter(pk=pl.pk).update(enabled=False)
            return item(900, customSku="VEST", Prices=[{"amount": "19.99", "useTypeID": "1"}], ItemShops=[])

    counts = items_create(settings_obj=settings_obj, client=Lightspeed())

    pl.refresh_from_db()
    assert counts["items_created"] == 1 and pl.item_id == 900
    assert pl.enabled is False


def test_two_lightspeed_items_with_one_products_sku_link_neither_and_become_issues(store, mocked_lightspeed):
    settings_obj, _ = store
    product(settings_obj.company, "TWIN")
    page = {
        "@attributes": {"next": "", "previous": ""},
        "Item": [item(211, customSku="TWIN"), item(212, customSku="twin")],
    }
    mocked_lightspeed.get(resource_url("Item"), json=page)

    run = job_run(company_id=settings_obj.company_id, job=JOBS["products"])

    assert run.counts["match_problems"] == 2 and run.counts.get("linked", 0) == 0
    assert ProductLink.objects.filter(item_id__isnull=False).count() == 0
    assert set(SyncIssue.objects.filter(kind="item_match_ambiguous").values_list("key", flat=True)) == {
        "211",
        "212",
    }


def test_an_item_archived_in_lightspeed_is_reported_and_never_created_again(store, mocked_lightspeed):
    settings_obj, downtown = store
    LightspeedSettings.objects.filter(pk=settings_obj.pk).update(auto_create_enabled_products=True)
    linked = product(settings_obj.company, "LINKED")
    link(linked, 221, seen={downtown: 4})
    gone = product(settings_obj.company, "GONE")  # enabled; its only item was archived before linking
    ProductLink.objects.create(company=settings_obj.company, product=gone, enabled=True)
    page = {
        "@attributes": {"next": "", "previous": ""},
        "Item": [
            item(221, customSku="LINKED", archived="true"),
            item(222, customSku="GONE", archived="true"),
        ],
    }
    mocked_lightspeed.get(resource_url("Item"), json=page)  # the download, then the SKU lookup

    run = job_run(company_id=settings_obj.company_id, job=JOBS["products"])

    assert not [c for c in mocked_lightspeed.calls if c.request.method == "POST"]  # nothing recreated
    assert run.counts["archived_in_lightspeed"] == 1 and run.counts["archived_not_linked"] >= 1
    assert ProductLink.objects.get(product=linked).item_archived
    assert ProductLink.objects.get(product=gone).item_id is None
    assert SyncIssue.objects.filter(kind="item_archived", key="221").exists()


def test_products_imported_from_a_csv_file_are_enabled_as_they_are_created(connected):
    import tablib

    from integrations.commerce.resources import ProductResource

    LightspeedSettings.objects.filter(pk=connected.pk).update(auto_enable_new_products=True)
    dataset = tablib.Dataset(headers=["sku", "title", "site_price", "site_cost"])
    dataset.append(["CSV-1", "Imported One", "1.00", "0.50"])
    dataset.append(["CSV-2", "Imported Two", "2.00", "1.00"])

    result = ProductResource(company=connected.company).import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    links = ProductLink.objects.filter(product__sku__in=["CSV-1", "CSV-2"])
    assert links.count() == 2 and all(pl.enabled and pl.upload_due_at for pl in links)


@pytest.mark.django_db(transaction=True)
def test_a_price_or_cost_change_schedules_an_upload_of_that_product_after_the_commit(store, monkeypatch):
    from decimal import Decimal

    from integrations.lightspeed import tasks

    settings_obj, _ = store
    queued = []
    monkeypatch.setattr(
        tasks.lightspeed_upload_changed, "apply_async", lambda *a, **kw: queued.append((a, kw))
    )
    hat, cap = product(settings_obj.company, "HAT"), product(settings_obj.company, "CAP")
    link(hat, 311)
    link(cap, 312)
    cache.delete(f"lightspeed:upload-soon:{settings_obj.company_id}")

    with transaction.atomic():
        hat.site_price, hat.site_cost = Decimal("31.00"), Decimal("12.0000")
        hat.save()
        assert queued == []

    assert queued == [(((settings_obj.company_id,),), {"countdown": 5.0})]
    due = set(ProductLink.objects.filter(upload_due_at__isnull=False).values_list("product__sku", flat=True))
    assert due == {"HAT"}
