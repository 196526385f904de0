"""The Lightspeed POS pages in a real browser, as a merchant uses them, against the sandbox.

Chromium (Debian's, driven by Playwright) talks to LightSync on 127.0.0.1 and to the sandbox on
`localhost` — two host names, as in `make demo`, so the two never share cookies. The sandbox's
demo account gets an API client whose redirect URI is this live server's callback.
Screenshots of each page land in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from integrations.commerce import roles
from integrations.commerce.models import Company
from integrations.commerce.tests.factories import MerchantFactory, WarehouseFactory
from integrations.lightspeed.models import LightspeedSettings, LightspeedShop

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
PASSWORD = "a-merchant-password-9"  # noqa: S105 - a test login
CLIENT_ID = "lightsync-browser-test"
CLIENT_SECRET = "lightsync-browser-test-secret"  # noqa: S105 - the sandbox client of this test


@pytest.fixture
def chromium(monkeypatch):
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM
    # calls are still plain synchronous code, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
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


@pytest.fixture
def lightsync(transactional_db):
    """LightSync served on 127.0.0.1 (pytest-django's own live_server binds `localhost`)."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1:0")
    server._live_server_modified_settings.enable()
    try:
        yield server
    finally:
        server._live_server_modified_settings.disable()
        server.stop()


@pytest.fixture
def lightspeed(demo_sandbox, lightsync, settings, monkeypatch):
    """The sandbox as Lightspeed, on `localhost`, with an API client for this live server."""
    sandbox_url = demo_sandbox.base_url.replace("127.0.0.1", "localhost")
    callback = f"{lightsync.url}/lightspeed/oauth/callback/"
    demo_sandbox.seed(
        records={"ApiClient": [{"clientID": CLIENT_ID, "secret": CLIENT_SECRET, "redirectUri": callback}]}
    )
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks http://
    settings.LIGHTSPEED_OAUTH_URL = sandbox_url
    settings.LIGHTSPEED_API_URL = sandbox_url
    settings.LIGHTSPEED_CLIENT_ID = CLIENT_ID
    settings.LIGHTSPEED_CLIENT_SECRET = CLIENT_SECRET
    settings.SITE_URL = lightsync.url
    return sandbox_url


@pytest.fixture
def demo_company(lightspeed):
    roles.roles_apply()
    company = Company.objects.create(name="Demo Outfitters", email="hello@demo.example")
    for name in ("Main", "Downtown", "Uptown", "Outlet", "Returns"):
        WarehouseFactory(company=company, name=name, code=name.upper(), is_sellable=name != "Returns")
    merchant = MerchantFactory(username="merchant", company=company)
    merchant.set_password(PASSWORD)
    merchant.save()
    return company


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def choose(page, select: str, starts_with: str) -> str:
    """Selects the option whose text starts with `starts_with`; returns its text."""
    texts = page.locator(f"{select} option").all_inner_texts()
    label = next(t for t in texts if t.startswith(starts_with))
    page.select_option(select, label=label)
    return label


def go(page, target) -> None:
    """Clicks something (a selector or a locator) that loads a new page, and waits for that page
    (not the old one)."""
    with page.expect_navigation():
        (page.locator(target) if isinstance(target, str) else target).click()


def admin_group(page, name: str, *, where: str = "#content-main"):
    """The group of the admin's index, app page or sidebar (`where="#nav-sidebar"`) whose
    caption is exactly `name`."""
    caption = page.locator("caption").get_by_text(name, exact=True)
    return page.locator(f"{where} div.module").filter(has=caption)


def admin_entry(page, group: str, entry: str, *, where: str = "#content-main"):
    return admin_group(page, group, where=where).get_by_role("link", name=entry, exact=True)


def admin_captions(page, where: str = "#content-main") -> list[str]:
    # The text, not as shown: the admin's style capitalises captions.
    return [text.strip() for text in page.locator(f"{where} div.module caption").all_text_contents()]


def open_actions(page) -> None:
    page.click("details.ls-actions > summary")


def fits_the_window(page) -> bool:
    """No sideways scrolling, and no field sticking out of the content column."""
    return page.evaluate(
        """() => {
            const root = document.documentElement;
            const edge = document.querySelector("#content-main").getBoundingClientRect().right + 1;
            const fields = document.querySelectorAll("#content-main select, #content-main input, #content-main button");
            return root.scrollWidth <= root.clientWidth
                && [...fields].every((field) => field.getBoundingClientRect().right <= edge);
        }"""
    )


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/")
    page.fill("#id_username", "merchant")
    page.fill("#id_password", PASSWORD)
    go(page, "input[type=submit]")


def test_a_merchant_connects_the_demo_account_and_maps_its_shops_in_the_browser(
    chromium, lightsync, lightspeed, demo_company
):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lightsync.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    # Log in and find the page as merchants know it: Lightspeed POS → General Settings.
    log_in(page, lightsync.url)
    go(page, "#content-main caption a:text-is('Lightspeed POS')")
    assert [c for c in admin_captions(page) if "Lightspeed" in c] == [
        "Lightspeed POS",
        "Lightspeed POS operations",
    ]
    shot(page, "00-lightspeed-pos")
    go(page, admin_entry(page, "Lightspeed POS", "General Settings"))
    assert page.locator("h1").inner_text() == "General Settings — Demo Outfitters"
    assert "Not connected — run Fetch Token." in page.inner_text("#connection")
    assert "Setup: 1 of 6 steps done" in page.inner_text("#setup")
    shot(page, "01-general-settings-not-connected")
    page.click("button.ls-copy")
    assert page.evaluate("navigator.clipboard.readText()") == f"{lightsync.url}/lightspeed/oauth/callback/"

    # Actions → Fetch Token → the sandbox's login and approve pages → back.
    open_actions(page)
    go(page, "button:has-text('Fetch Token')")
    page.wait_for_url(f"{lightspeed}/**")
    shot(page, "02-lightspeed-login")
    page.fill("#username", "demo")
    page.fill("#password", "demo")
    go(page, "button:has-text('Log in')")
    page.wait_for_selector("button:has-text('Authorize application')")
    shot(page, "03-lightspeed-approve")
    page.click("button:has-text('Authorize application')")
    page.wait_for_url(f"{lightsync.url}/admin/lightspeed/lightspeedsettings/*/change/")

    stored = LightspeedSettings.objects.get(company=demo_company)
    assert stored.account_id == "100001" and stored.token_received_at and stored.refresh_token
    assert "Connected to Lightspeed account 100001" in page.inner_text(".messagelist")
    assert page.inner_text("#value-account_id") == "100001"
    assert page.inner_text("#value-auth_token").startswith("••••")
    assert page.inner_text("#value-refresh_token").startswith("••••")
    assert page.inner_text("#value-token_received_at") != "—"
    source = page.content()
    assert stored.auth_token not in source and stored.refresh_token not in source
    shot(page, "04-general-settings-connected")

    # The lists Shop Name, Register ID and EmployeeID are chosen from.
    open_actions(page)
    shot(page, "04b-actions-menu")
    go(page, "details.ls-actions button:has-text('Re-Download Lightspeed POS Shops')")
    assert "Downloaded" in page.inner_text(".messagelist")
    assert LightspeedShop.objects.filter(company=demo_company, archived=False).count() >= 3

    go(page, "a.ls-edit")
    choose(page, "select[name=shop]", "Downtown")
    register_options = page.locator("select[name=register] option").all_inner_texts()
    register = next(text for text in register_options if text.endswith("— Downtown"))
    page.select_option("select[name=register]", label=register)
    employee = next(t for t in page.locator("select[name=employee] option").all_inner_texts() if "(" in t)
    page.select_option("select[name=employee]", label=employee)
    shot(page, "05-general-settings-edit")
    go(page, "input[value=Save]")
    assert "General Settings saved (3 changed)." in page.inner_text(".messagelist")
    assert page.inner_text("#value-shop") == "Downtown"
    stored.refresh_from_db()
    assert (stored.shop.name, stored.register.shop_id) == ("Downtown", stored.shop_id)
    assert str(stored.employee) == employee and register.startswith(stored.register.name)
    assert "Lightspeed Register ID" in page.inner_text("#change-log")
    assert fits_the_window(page)
    shot(page, "06-general-settings-saved")

    # Turn on shops mapping, then map warehouses, an employee and a register to Downtown.
    go(page, "a.ls-edit")
    page.check("input[name=shops_mapping_enabled]")
    go(page, "input[value=Save]")
    # Manage Lightspeed Shops is one click away: the next entry of the Lightspeed POS group beside
    # the page (and in the Actions menu, as in the product merchants come from).
    sidebar = admin_group(page, "Lightspeed POS", where="#nav-sidebar")
    assert [text.strip() for text in sidebar.locator("th[scope=row]").all_text_contents()][:2] == [
        "General Settings",
        "Manage Lightspeed Shops",
    ]
    open_actions(page)
    assert page.locator("details.ls-actions a:text-is('Manage Lightspeed Shops')").is_visible()
    page.click("details.ls-actions > summary")  # closed again
    go(page, admin_entry(page, "Lightspeed POS", "Manage Lightspeed Shops", where="#nav-sidebar"))
    assert page.locator("h1").inner_text() == "Manage Lightspeed Shops — Demo Outfitters"
    go(page, "button.ls-icon-button")
    assert "Downloaded" in page.inner_text(".messagelist")
    downtown = LightspeedShop.objects.get(company=demo_company, name="Downtown")
    row = page.locator(f"tr[data-shop='{downtown.shop_id}']")
    row.locator("select.ls-add").select_option(label="Main")
    row.locator("select.ls-add").select_option(label="Downtown")
    row.locator("button[title='Draw from Downtown earlier']").click()  # Downtown first, then Main
    assert row.locator("ol.ls-chosen .ls-name").all_inner_texts() == ["Downtown", "Main"]
    registers = row.locator("select[name$='-register'] option").all_inner_texts()
    assert registers[0] == "---------" and len(registers) > 1
    assert all(downtown.registers.filter(name=text.rsplit(" (", 1)[0]).exists() for text in registers[1:])
    row.locator("select[name$='-register']").select_option(label=registers[1])
    employee_option = row.locator("select[name$='-employee'] option").all_inner_texts()[1]
    row.locator("select[name$='-employee']").select_option(label=employee_option)
    shot(page, "07-manage-shops-before-save")
    go(page, "input[value=SAVE]")
    assert "Shop mapping saved (1 shops changed)." in page.inner_text(".messagelist")

    page.reload()
    row = page.locator(f"tr[data-shop='{downtown.shop_id}']")
    assert row.locator("ol.ls-chosen .ls-name").all_inner_texts() == ["Downtown", "Main"]
    assert row.locator("select[name$='-register'] option:checked").inner_text() == registers[1]
    assert row.locator("select[name$='-employee'] option:checked").inner_text() == employee_option
    assert fits_the_window(page)
    shot(page, "08-manage-shops-saved")
    downtown.refresh_from_db()
    assert [link.warehouse.name for link in downtown.warehouse_links.order_by("position")] == [
        "Downtown",
        "Main",
    ]
    assert downtown.register is not None and downtown.employee is not None
    assert script_errors == []
    context.close()


@pytest.mark.parametrize("width", [1280, 1024])
def test_many_registers_and_warehouses_keep_the_pages_readable_at_laptop_width(
    chromium, lightsync, settings, transactional_db, width
):
    roles.roles_apply()
    settings.SITE_URL = lightsync.url
    company = Company.objects.create(name="Big Box Outfitters")
    for number in range(40):
        WarehouseFactory(
            company=company, name=f"Regional distribution centre {number:02d}", code=f"RDC{number}"
        )
    shop = LightspeedShop.objects.create(
        company=company, shop_id=1, name="Flagship on the Main Street Corner"
    )
    for number in range(25):
        shop.registers.create(company=company, register_id=100 + number, name=f"Checkout lane {number:02d}")
    LightspeedSettings.objects.filter(company=company).update(shops_mapping_enabled=True)
    merchant = MerchantFactory(username="merchant", company=company)
    merchant.set_password(PASSWORD)
    merchant.save()
    settings_obj = LightspeedSettings.objects.get(company=company)

    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    log_in(page, lightsync.url)
    page.goto(f"{lightsync.url}/admin/lightspeed/lightspeedsettings/{settings_obj.pk}/shops/")
    row = page.locator("tr[data-shop='1']")
    for number in range(6):
        row.locator("select.ls-add").select_option(label=f"Regional distribution centre {number:02d}")
    assert len(row.locator("select[name$='-register'] option").all_inner_texts()) == 26
    assert len(row.locator("ol.ls-chosen li").all()) == 6
    shot(page, f"09-manage-shops-many-{width}")
    assert fits_the_window(page)
    page.goto(f"{lightsync.url}/admin/lightspeed/lightspeedsettings/{settings_obj.pk}/change/?edit=1")
    shot(page, f"10-general-settings-edit-{width}")
    assert fits_the_window(page)
    assert script_errors == []
    context.close()


def test_ops_staff_see_every_company_with_its_connection_status_and_open_one(
    chromium, lightsync, settings, transactional_db
):
    from integrations.commerce.tests.factories import OpsStaffFactory
    from integrations.lightspeed.models import ConnectionStatus

    roles.roles_apply()
    settings.SITE_URL = lightsync.url
    demo = Company.objects.create(name="Demo Outfitters")
    Company.objects.create(name="Harbor Goods")
    LightspeedSettings.objects.filter(company=demo).update(
        account_id="100001", refresh_token="r", connection_status=ConnectionStatus.CONNECTED
    )
    ops = OpsStaffFactory(username="ops")
    ops.set_password(PASSWORD)
    ops.save()

    page = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{lightsync.url}/admin/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    go(page, "input[type=submit]")
    go(page, admin_entry(page, "Lightspeed POS", "General Settings"))
    assert page.locator("h1").inner_text() == "General Settings — companies"
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    assert any("Demo Outfitters" in row and "Connected to Lightspeed account 100001." in row for row in rows)
    assert any("Harbor Goods" in row and "Not connected — run Fetch Token." in row for row in rows)
    shot(page, "11-ops-companies")
    go(page, "text=Harbor Goods")
    assert page.locator("h1").inner_text() == "General Settings — Harbor Goods"
    page.context.close()
