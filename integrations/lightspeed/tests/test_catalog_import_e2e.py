"""Onboarding against the sandbox's demo account over real HTTP: an EMPTY company imports the demo
catalogue, and afterwards both sides hold the same items and the same stock."""

from __future__ import annotations

from collections import defaultdict

import pytest

from integrations.commerce.models import Company, Product, StockLedgerEntry, StockLevel
from integrations.core.demo_catalogue import demo_lightspeed_matrices
from integrations.lightspeed.api.records.items import item_parse
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    SyncIssue,
    SyncRun,
)
from integrations.lightspeed.tests.sandbox_helpers import connect_with_minted_tokens

from .catalog_support import uploads_not_queued, warehouse  # noqa: F401 - autouse fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

# itemMatrixID → how many items the demo account holds in it (STY-CASCADE 8, STY-BASALT 5,
# STY-KESTREL 3).
EXPECTED_VARIATIONS = {1: 8, 2: 5, 3: 3}


@pytest.fixture
def empty_company_on_the_demo_account(demo_sandbox, point_at) -> LightspeedSettings:
    point_at(demo_sandbox)
    company = Company.objects.create(name="Fresh Outfitters")
    connect_with_minted_tokens(demo_sandbox, company, shops_mapping_enabled=True)
    assert job_run(company_id=company.pk, job=JOBS["shops"]).outcome == SyncRun.Outcome.SUCCEEDED
    for shop in LightspeedShop.objects.filter(company=company, archived=False):
        LightspeedShopWarehouse.objects.create(shop=shop, warehouse=warehouse(company, shop.name))
    return LightspeedSettings.objects.get(company=company)


def _lightspeed_side(settings_obj, *, leaving_out: set[int]) -> tuple[set[str], dict[tuple[str, str], int]]:
    """Lightspeed's live items (by SKU) and their quantity per shop name, read over the API, but
    for the items `leaving_out` (the clashes, which stay issues)."""
    names = dict(LightspeedShop.objects.filter(company=settings_obj.company).values_list("shop_id", "name"))
    skus, stock = set(), {}
    for record in lightspeed_client_for(settings_obj).iter_items(with_item_shops=True):
        item = item_parse(record)
        if item.item_id in leaving_out:
            continue
        sku = item.codes.custom_sku or item.codes.system_sku
        skus.add(sku)
        for row in item.item_shops:
            if row.shop_id in names and row.qoh:
                stock[(sku, names[row.shop_id])] = row.qoh
    return skus, stock


def _lightsync_side(company) -> tuple[set[str], dict[tuple[str, str], int]]:
    stock: dict[tuple[str, str], int] = defaultdict(int)
    for sku, name, on_hand in StockLevel.objects.filter(product__company=company).values_list(
        "product__sku", "warehouse__name", "on_hand"
    ):
        if on_hand:
            stock[(sku, name)] += on_hand
    items = Product.objects.filter(company=company, is_parent=False)
    return set(items.values_list("sku", flat=True)), dict(stock)


def test_the_demo_catalogue_imports_into_an_empty_company_and_a_second_run_creates_nothing(
    empty_company_on_the_demo_account,
):
    settings_obj = empty_company_on_the_demo_account
    company = settings_obj.company

    preview = job_run(company_id=company.pk, job=JOBS["catalog_import"], dry_run=True)
    assert preview.outcome == SyncRun.Outcome.SUCCEEDED, preview.error
    assert not Product.objects.filter(company=company).exists()

    run = job_run(company_id=company.pk, job=JOBS["catalog_import"])
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error

    # The demo catalogue shares a code between two items on purpose: the second is an issue.
    clashes = SyncIssue.objects.filter(company=company, kind=SyncIssue.Kind.IMPORT_SKU_CLASH)
    assert clashes.count() == run.counts["sku_clashes"] == 1
    lightspeed_skus, lightspeed_stock = _lightspeed_side(
        settings_obj, leaving_out={int(key) for key in clashes.values_list("key", flat=True)}
    )
    lightsync_skus, lightsync_stock = _lightsync_side(company)
    assert lightsync_skus == lightspeed_skus and len(lightsync_skus) == run.counts["products_created"]
    assert lightsync_stock == lightspeed_stock
    # The demo account's matrices 1-3 became styles, each with its items as variations.
    styles = Product.objects.filter(company=company, is_parent=True)
    assert {(s.title, s.lightspeed_matrix_link.item_matrix_id, s.variations.count()) for s in styles} == {
        (m.description, m.matrix_id, EXPECTED_VARIATIONS[m.matrix_id]) for m in demo_lightspeed_matrices()
    }
    assert run.counts["styles_created"] == 3 and run.counts["variations_attached"] == 8 + 5 + 3
    for name in ("products_created", "units_booked", "sku_clashes", "styles_created", "variations_attached"):
        assert preview.counts[name] == run.counts[name], name
    assert run.counts["units_booked"] == sum(lightspeed_stock.values()) > 0
    assert set(
        StockLedgerEntry.objects.filter(product__company=company).values_list("reason", flat=True)
    ) == {"import"}

    again = job_run(company_id=company.pk, job=JOBS["catalog_import"])
    assert again.counts["products_created"] == 0
    assert again.counts["already_linked"] == len(lightspeed_skus)
    assert again.counts["sku_clashes"] == 1 and clashes.get().count == 2  # the same issue, seen again
    assert again.counts["styles_created"] == 0
    assert Product.objects.filter(company=company).count() == len(lightspeed_skus) + 3
    # Nothing to upload either: the quantities LightSync holds are Lightspeed's.
    upload = job_run(company_id=company.pk, job=JOBS["upload"], dry_run=True)
    assert not upload.counts.get("preview"), upload.counts
