"""The operations dashboard in a real browser (Debian's Chromium through Playwright).

Screenshots land in test-artifacts/ (git-ignored): ops-dashboard-company.png and
ops-dashboard-overview.png.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone

from integrations.commerce import roles
from integrations.commerce.models import Company, Order, User
from integrations.lightspeed.models import (
    AlertNotice,
    ConnectionStatus,
    LightspeedSettings,
    LightspeedShop,
    SyncIssue,
    SyncRun,
)
from integrations.lightspeed.models.orders import LightspeedSale

pytestmark = [pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
PASSWORD = "an-ops-password-42"  # noqa: S105 - a test login


@pytest.fixture
def chromium(monkeypatch):
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the test's ORM calls beside Playwright's loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's database connections apart
            # (asgiref stores them per context when a loop is running), so the test database's
            # own teardown never sees the ones the test opened: close them here, or PostgreSQL
            # refuses to drop the test database at the end ("being accessed by other users").
            connections.close_all()


def _weekend_of(company: Company) -> None:
    """Two weeks of a busy company: sales in three shops, runs every few minutes, some trouble."""
    rng = random.Random(8)
    now = timezone.now()
    LightspeedSettings.objects.filter(company=company).update(
        enabled=True,
        shops_mapping_enabled=True,  # its three shops' sales are imported
        account_id="100001",
        auth_token="a",
        refresh_token="r",
        connection_status=ConnectionStatus.CONNECTED,
        account_name="Demo Outfitters",
        token_received_at=now - timedelta(days=12),
        token_refreshed_at=now - timedelta(minutes=8),
    )
    shops = [
        LightspeedShop.objects.create(company=company, shop_id=i, name=name)
        for i, name in enumerate(("Downtown", "Uptown", "Outlet"), start=1)
    ]
    sale_id = 1000
    for day in range(14):
        for shop_index, shop in enumerate(shops):
            for _ in range(rng.randint(3, 9) + (4 if shop_index == 0 else 0)):
                sale_id += 1
                completed = now - timedelta(days=day, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
                order = Order.objects.create(
                    company=company,
                    channel=Order.Channel.LOCAL_STORE,
                    channel_order_id=str(sale_id),
                    order_date=completed,
                    total=Decimal("42.50"),
                )
                sale = LightspeedSale.objects.create(
                    company=company,
                    sale_id=sale_id,
                    state="imported",
                    order=order,
                    shop=shop,
                    complete_time=completed,
                )
                LightspeedSale.objects.filter(pk=sale.pk).update(
                    created_at=completed + timedelta(seconds=rng.randint(20, 70) + (90 if day == 2 else 0))
                )
    runs = []
    for minutes_ago in range(0, 48 * 60, 10):
        started = now - timedelta(minutes=minutes_ago + 1)
        failing = 2000 < minutes_ago < 2300  # Saturday: Lightspeed answered 500 for a while
        runs.append(
            SyncRun(
                company=company,
                job="orders",
                trigger="schedule",
                started_at=started,
                finished_at=started + timedelta(seconds=4),
                outcome="failed" if failing else "succeeded",
                error="Lightspeed answered HTTP 500 (Internal Server Error) five times." if failing else "",
                counts={} if failing else {"created": rng.randint(0, 5)},
                api_requests=rng.randint(2, 6) + (30 if minutes_ago % 360 == 0 else 0),
                api_rate_limited=1 if minutes_ago % 720 == 0 else 0,
                api_bucket_peak=Decimal(rng.randint(10, 40) + (80 if minutes_ago % 720 == 0 else 0)),
                api_bucket_size=Decimal(140),
            )
        )
    SyncRun.objects.bulk_create(runs)
    SyncRun.objects.create(
        company=company,
        job="upload",
        trigger="manual",
        progress_done=120,
        progress_total=480,
        api_requests=121,
    )
    SyncIssue.objects.create(
        company=company,
        kind="unmatched_item",
        key="210000077",
        message="Lightspeed item 210000077 (“Trail socks, grey”) matches no product: 3 sale lines imported as unknown.",
        count=3,
        first_seen_at=now - timedelta(days=2),
    )
    SyncIssue.objects.create(
        company=company,
        kind="upload_rejected",
        key="TEE-RED-M",
        message="Lightspeed refused the update of item 210000012: Price must be a positive number.",
        count=5,
        first_seen_at=now - timedelta(hours=20),
    )
    AlertNotice.objects.create(
        company=company,
        kind=AlertNotice.Kind.JOB_FAILING,
        subject="orders",
        fingerprint="x",
        message="Lightspeed answered HTTP 500 (Internal Server Error) five times.",
        raised_at=now - timedelta(hours=36),
        last_sent_at=now - timedelta(hours=36),
        times_sent=1,
    )


def test_the_dashboard_shows_an_ops_person_what_went_wrong_and_the_charts(
    chromium, live_server, transactional_db
):
    roles.roles_apply()
    demo = Company.objects.create(name="Demo Outfitters")
    harbor = Company.objects.create(name="Harbor Goods")
    Company.objects.create(name="Quiet Corner Shop")
    _weekend_of(demo)
    LightspeedSettings.objects.filter(company=harbor).update(
        connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED,
        connection_error="Lightspeed refused to renew the token: the authorization was revoked (invalid_grant).",
    )
    ops = User.objects.create_user("ops", password=PASSWORD, is_staff=True)
    from django.contrib.auth.models import Group

    ops.groups.add(Group.objects.get(name=roles.OPS_STAFF))
    ARTIFACTS.mkdir(exist_ok=True)

    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/lightspeed/dashboard/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.wait_for_selector("#ls-overview")
    overview = page.inner_text("#ls-overview")
    assert (
        "Harbor Goods" in overview and "Demo Outfitters" in overview and "Quiet Corner Shop" not in overview
    )
    assert overview.index("Harbor Goods") < overview.index("Demo Outfitters")
    page.screenshot(path=str(ARTIFACTS / "ops-dashboard-overview.png"), full_page=True)

    page.click("#ls-overview tr:has-text('Demo Outfitters') a.button")
    page.wait_for_selector("#ls-company")
    assert page.locator("svg.ls-chart").count() == 4
    assert page.locator("#ls-chart-orders svg rect[fill='#2f6fb1']").count() > 5  # bars drawn
    assert page.locator("#ls-chart-latency svg polyline").count() >= 1
    assert "running: 120 of 480 done" in page.inner_text("#ls-jobs")
    assert "Trail socks" in page.inner_text("#ls-issues")
    assert "Job failing: orders" in page.inner_text("#ls-alerts")
    page.screenshot(path=str(ARTIFACTS / "ops-dashboard-company.png"), full_page=True)
    assert (ARTIFACTS / "ops-dashboard-company.png").stat().st_size > 10_000

    # The upload run moves on in its worker: the page follows without a reload...
    SyncRun.objects.filter(job="upload", outcome="running").update(progress_done=300, api_requests=301)
    page.wait_for_function(
        "document.querySelector('#ls-jobs .ls-live').textContent.includes('300 of 480 done')", timeout=15_000
    )
    # ...and reloads when it finishes, showing the finished run.
    SyncRun.objects.filter(job="upload", outcome="running").update(
        outcome="succeeded", finished_at=timezone.now(), progress_done=480
    )
    page.wait_for_function("!document.querySelector('#ls-jobs .ls-live')", timeout=15_000)
    assert "succeeded" in page.inner_text("#ls-jobs tr:has-text('upload')")

    # Fixed from there: ignore the refused write, open the unmatched item's page.
    page.click("#ls-issues tr:has-text('TEE-RED-M') button:has-text('Ignore')")
    page.wait_for_selector("#ls-company")
    assert "Ignored." in page.inner_text("ul.messagelist")
    assert "TEE-RED-M" not in page.inner_text("#ls-issues")
    page.click("#ls-issues a:has-text('210000077')")
    page.wait_for_selector("text=Map to product")
    page.screenshot(path=str(ARTIFACTS / "ops-issue.png"), full_page=True)
