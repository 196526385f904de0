"""Onboarding in a real browser (Debian's Chromium through Playwright), as a merchant clicks it:
General Settings → Actions → Import Lightspeed items as products → Preview → Import, against the
sandbox's demo account, into a company with no products. The queued task runs in a thread, as a
worker would run it. Screenshots land in test-artifacts/ (git-ignored): catalog-import-*.png.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from integrations.commerce.models import Product, StockLevel
from integrations.lightspeed import tasks
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedShop, LightspeedShopWarehouse, SyncRun
from integrations.lightspeed.tests.sandbox_helpers import connect_with_minted_tokens

from .catalog_support import uploads_not_queued  # noqa: F401 - autouse fixture
from .test_browser_pages import (  # noqa: F401 - fixtures
    chromium,
    demo_company,
    go,
    lightspeed,
    lightsync,
    log_in,
    open_actions,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def worker(monkeypatch):
    """The catalog import's task, run in a thread when queued (as a worker would pick it up)."""
    threads: list[threading.Thread] = []

    def run(args, kwargs):
        try:
            tasks.lightspeed_catalog_import(*args, **kwargs)
        finally:
            connection.close()

    def apply_async(args=None, kwargs=None, **options):
        thread = threading.Thread(target=run, args=(args or (), kwargs or {}))
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(tasks.lightspeed_catalog_import, "apply_async", apply_async)
    yield threads
    for thread in threads:
        thread.join(60)


@pytest.fixture
def mapped(demo_company, demo_sandbox):  # noqa: F811 - the imported fixture
    connect_with_minted_tokens(demo_sandbox, demo_company, shops_mapping_enabled=True)
    assert job_run(company_id=demo_company.pk, job=JOBS["shops"]).outcome == SyncRun.Outcome.SUCCEEDED
    for shop in LightspeedShop.objects.filter(company=demo_company, archived=False):
        LightspeedShopWarehouse.objects.create(
            shop=shop, warehouse=demo_company.warehouses.get(name=shop.name)
        )
    return demo_company


def _counts(table: str) -> dict[str, int]:
    return {label: int(value) for label, value in (line.rsplit("\t", 1) for line in table.splitlines())}


def _wait_for(page, selector: str) -> None:
    """The page refreshes itself while a run goes; wait for what the finished run shows."""
    page.wait_for_selector(selector, timeout=90_000)


def test_a_merchant_previews_then_imports_the_lightspeed_catalogue_in_the_browser(
    chromium,  # noqa: F811 - the imported fixture
    lightsync,  # noqa: F811
    mapped,
    worker,
):
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    log_in(page, lightsync.url)

    page.goto(f"{lightsync.url}/admin/lightspeed/lightspeedsettings/")
    open_actions(page)
    go(page, "#catalog-import")
    assert page.inner_text("h1") == "Import Lightspeed items as products — Demo Outfitters"
    assert page.locator("#run-import").count() == 0  # a preview comes first

    go(page, "#run-preview")
    _wait_for(page, "#import-preview")
    shot(page, "catalog-import-1-preview")
    preview = _counts(page.inner_text("#import-preview"))
    assert preview["Products it would create"] > 0 and preview["SKU clashes (an issue each, no product)"] == 1
    assert not Product.objects.filter(company=mapped).exists()  # the preview changed nothing

    go(page, "#run-import")
    _wait_for(page, "#import-result")
    shot(page, "catalog-import-2-result")
    result = _counts(page.inner_text("#import-result"))
    assert result["Products created"] == preview["Products it would create"]
    assert result["Units booked as opening balances"] == preview["Units it would book"] > 0
    assert preview["Styles it would create (one per Lightspeed matrix)"] == 3
    assert result["Styles created (one per Lightspeed matrix)"] == 3
    assert (
        result["Products made variations of their style"] == preview["Products it would make variations"] > 0
    )
    assert Product.objects.filter(company=mapped, is_parent=False).count() == result["Products created"]
    assert StockLevel.objects.filter(product__company=mapped, on_hand__gt=0).exists()
    assert script_errors == []
