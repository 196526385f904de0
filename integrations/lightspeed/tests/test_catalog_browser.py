"""The catalog's admin pages in a real browser (Debian's Chromium through Playwright), as a merchant.

Filter the products enabled for Lightspeed, enable some with the bulk action, open Preview upload
and read what would be sent, open the drift report. Screenshots land in test-artifacts/
(git-ignored): catalog-*.png.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.commerce import roles
from integrations.commerce.tests.factories import MerchantFactory
from integrations.lightspeed.models import ProductLink, StockDrift

from .catalog_support import link, product, shop, stock, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture
from .test_browser_pages import (  # noqa: F401 - fixtures
    PASSWORD,
    admin_entry,
    chromium,
    fits_the_window,
    go,
    lightsync,
    log_in,
    shot,
)

pytestmark = [pytest.mark.browser]


def table_fits(page) -> bool:
    """The list's table is not wider than its box (the admin would scroll it sideways)."""
    return page.evaluate(
        "() => { const box = document.querySelector('#changelist .results'); return box.scrollWidth <= box.clientWidth; }"
    )


@pytest.fixture
def catalog(lightsync, connected):  # noqa: F811 - the imported fixture
    """Demo Outfitters with two shops and four products linked to Lightspeed items, none enabled."""
    roles.roles_apply()
    company = connected.company
    main, uptown = warehouse(company, "Main"), warehouse(company, "Uptown")
    downtown_shop, uptown_shop = shop(company, 1, "Downtown", main), shop(company, 2, "Uptown", uptown)
    uploads_on(connected)
    made = {}
    for n, (sku, title, on_hand) in enumerate(
        [
            ("JACKET", "Trail Jacket", 7),
            ("SCARF", "Wool Scarf", 3),
            ("BELT", "Leather Belt", 5),
            ("MUG", "Camp Mug", 2),
        ]
    ):
        item = product(company, sku, title=title, site_price=Decimal("24.50"))
        stock(item, main, on_hand)
        made[sku] = link(
            item, 500 + n, seen={downtown_shop: 1, uptown_shop: 0}, price=Decimal("19.99"), enabled=False
        )
    belt = made["BELT"]
    belt.enabled = True
    belt.save(update_fields=["enabled"])
    StockDrift.objects.create(
        company=company,
        link=belt,
        shop=downtown_shop,
        lightsync_qoh=5,
        lightspeed_qoh=9,
        moved_at=timezone.now() - timedelta(minutes=20),
    )
    merchant = MerchantFactory(username="merchant", company=company)
    merchant.set_password(PASSWORD)
    merchant.save()
    return company


def test_a_merchant_enables_products_previews_the_upload_and_reads_the_drift_report(
    chromium,  # noqa: F811 - the imported fixture
    lightsync,  # noqa: F811
    catalog,
):
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    log_in(page, lightsync.url)

    # Products → filter "enabled for Lightspeed: Not enabled".
    page.goto(f"{lightsync.url}/admin/commerce/product/")
    assert page.locator("#changelist-filter").get_by_text("enabled for Lightspeed").count() >= 1
    go(page, "#changelist-filter a:has-text('Not enabled')")
    listed = page.locator("#result_list tbody tr").all_inner_texts()
    assert len(listed) == 3 and not any("BELT" in row for row in listed)
    shot(page, "catalog-1-products-not-enabled")

    # Select two and enable them with the bulk action.
    for sku in ("JACKET", "SCARF"):
        page.locator("#result_list tbody tr", has_text=sku).locator("input.action-select").check()
    page.select_option("select[name=action]", "enable_for_lightspeed")
    go(page, "button[name=index]")
    assert "2 product(s) enabled for Lightspeed." in page.inner_text(".messagelist")
    enabled = set(ProductLink.objects.filter(enabled=True).values_list("product__sku", flat=True))
    assert enabled == {"JACKET", "SCARF", "BELT"}
    page.goto(f"{lightsync.url}/admin/commerce/product/?lightspeed=enabled")
    listed = page.locator("#result_list tbody tr").all_inner_texts()
    assert [row.split()[0] for row in listed] == ["BELT", "JACKET", "SCARF"]
    shot(page, "catalog-2-products-enabled")

    # Preview upload: what would be sent, Lightspeed now → new, nothing sent.
    page.goto(f"{lightsync.url}/admin/")
    go(page, admin_entry(page, "Lightspeed POS operations", "Preview upload"))
    shot(page, "catalog-3-preview-upload")
    rows = {row.split()[0]: row for row in page.locator("#result_list tbody tr").all_inner_texts()}
    assert sorted(rows) == ["BELT", "JACKET", "SCARF"]  # MUG is not enabled: nothing goes up for it
    assert "@ Downtown: qoh 1 → 7" in rows["JACKET"] and "price 19.99 → 24.5" in rows["JACKET"]
    assert "@ Downtown: qoh 1 → 3" in rows["SCARF"] and "Uptown" not in rows["SCARF"]  # 0 there already
    assert page.inner_text("h1") == "Preview upload"
    assert "3 products would change in Lightspeed" in page.inner_text(".paginator")
    assert table_fits(page)

    # The drift report.
    page.goto(f"{lightsync.url}/admin/")
    go(page, admin_entry(page, "Lightspeed POS operations", "Stock drifts"))
    shot(page, "catalog-4-drift-report")
    row = page.inner_text("#result_list tbody tr")
    assert "BELT" in row and "Downtown" in row and "9 (+4)" in row and "Open" in row
    assert page.inner_text("h1") == "Stock drift report"
    assert fits_the_window(page) and table_fits(page)  # every column in view, none cut off
    assert script_errors == []
