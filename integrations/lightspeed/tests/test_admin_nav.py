"""The admin's index and sidebar in the merchant's words: Lightspeed POS → General Settings, with
Manage Lightspeed Shops beside it, and the operations lists apart from the setup pages."""
# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.test import RequestFactory
from django.urls import reverse

from integrations.commerce.models import Company, Warehouse
from integrations.commerce.tests.factories import MerchantFactory, OpsStaffFactory
from integrations.core.admin_site import AdminGroup, LightSyncAdminSite
from integrations.lightspeed.models import LightspeedSettings

from .pages_support import (  # noqa: F401 - fixtures
    browser,
    merchant_user,
    ops_browser,
    other_store,
    settings_url,
    shops_url,
    store,
)

SETUP = "Lightspeed POS"
OPERATIONS = "Lightspeed POS operations"
OPERATIONS_ENTRIES = [
    "Dashboard",
    "Sync runs",
    "Sync issues",
    "Lightspeed sales",
    "Unmatched Lightspeed items",
    "Product links",
    "Matrix links",
    "Preview upload",
    "Stock drifts",
]
OPS_ONLY_ENTRIES = ["Freshness alert thresholds"]  # when the freshness alert fires
DOWNLOADED_ENTRIES = ["Lightspeed shops", "Lightspeed registers", "Lightspeed employees"]
CHANGELIST = {
    "General Settings": "lightspeedsettings",
    "Lightspeed shops": "lightspeedshop",
    "Lightspeed registers": "lightspeedregister",
    "Lightspeed employees": "lightspeedemployee",
    "Dashboard": "dashboard",
    "Sync runs": "syncrun",
    "Sync issues": "syncissue",
    "Lightspeed sales": "lightspeedsale",
    "Unmatched Lightspeed items": "unmatcheditem",
    "Product links": "productlink",
    "Matrix links": "matrixlink",
    "Preview upload": "uploadpreview",
    "Stock drifts": "stockdrift",
    "Freshness alert thresholds": "freshnessthreshold",
}


def lightspeed_groups(response) -> dict[str, dict[str, str]]:
    """The Lightspeed groups of a page's app list: {group: {entry: url}}, both in the order shown."""
    return {
        app["name"]: {entry["name"]: entry["admin_url"] for entry in app["models"]}
        for app in response.context["app_list"]
        if app["app_label"] == "lightspeed"
    }


def changelist(model_name: str) -> str:
    return reverse(f"admin:lightspeed_{model_name}_changelist")


def mapping_on(store) -> None:
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(shops_mapping_enabled=True)


def test_a_merchant_finds_general_settings_under_lightspeed_pos_with_manage_shops_beside_it(browser, store):
    mapping_on(store)

    response = browser.get(reverse("admin:index"))

    groups = lightspeed_groups(response)
    assert list(groups) == [SETUP, OPERATIONS]
    assert list(groups[SETUP]) == ["General Settings", "Manage Lightspeed Shops", *DOWNLOADED_ENTRIES]
    assert list(groups[OPERATIONS]) == OPERATIONS_ENTRIES
    # Their own company's pages, directly: no list of one row to click through.
    assert groups[SETUP]["General Settings"] == settings_url(store.settings)
    assert groups[SETUP]["Manage Lightspeed Shops"] == shops_url(store.settings)
    urls = {**groups[SETUP], **groups[OPERATIONS]}
    for name in [*DOWNLOADED_ENTRIES, *OPERATIONS_ENTRIES]:
        assert urls[name] == changelist(CHANGELIST[name])

    html = response.content.decode()
    assert "Lightspeed POS settings" not in html
    setup_at = html.index(f'title="Models in the {SETUP} application">{SETUP}</a>')
    operations_at = html.index(f'title="Models in the {OPERATIONS} application">{OPERATIONS}</a>')
    general_at = html.index(f'<a href="{settings_url(store.settings)}">General Settings</a>')
    manage_at = html.index(f'<a href="{shops_url(store.settings)}">Manage Lightspeed Shops</a>')
    sync_runs_at = html.index(f'<a href="{changelist("syncrun")}">Sync runs</a>')
    assert setup_at < general_at < manage_at < operations_at < sync_runs_at


def test_ops_staff_see_the_same_groups_and_general_settings_lists_every_company(ops_browser, store):
    groups = lightspeed_groups(ops_browser.get(reverse("admin:index")))

    # Shops are managed per company: ops staff open a company from General Settings.
    assert list(groups) == [SETUP, OPERATIONS]
    assert list(groups[SETUP]) == ["General Settings", *DOWNLOADED_ENTRIES]
    assert list(groups[OPERATIONS]) == [*OPERATIONS_ENTRIES, *OPS_ONLY_ENTRIES]
    for entries in groups.values():
        for name, url in entries.items():
            assert url == changelist(CHANGELIST[name])


def test_with_shops_mapping_off_a_merchant_is_offered_general_settings_only(browser, store):
    """As the Actions menu: Manage Lightspeed Shops is there while Enable Lightspeed Shops Mapping is."""
    groups = lightspeed_groups(browser.get(reverse("admin:index")))

    assert list(groups[SETUP]) == ["General Settings", *DOWNLOADED_ENTRIES]
    assert groups[SETUP]["General Settings"] == settings_url(store.settings)
    assert list(groups[OPERATIONS]) == OPERATIONS_ENTRIES


@pytest.mark.parametrize("person", ["browser", "ops_browser"])
def test_every_entry_opens_its_page(request, store, person):
    client = request.getfixturevalue(person)
    mapping_on(store)
    groups = lightspeed_groups(client.get(reverse("admin:index")))

    for entries in groups.values():
        for name, url in entries.items():
            response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
            assert response.context["opts"].model_name == CHANGELIST.get(name, "lightspeedsettings"), name

    general_settings = client.get(groups[SETUP]["General Settings"]).content.decode()
    if person == "browser":
        assert "<h1>General Settings — Demo Outfitters</h1>" in general_settings
        manage = client.get(groups[SETUP]["Manage Lightspeed Shops"]).content.decode()
        assert "<h1>Manage Lightspeed Shops — Demo Outfitters</h1>" in manage
    else:
        assert "<h1>General Settings — companies</h1>" in general_settings


def test_manage_lightspeed_shops_is_one_click_from_general_settings(browser, store):
    mapping_on(store)

    html = browser.get(settings_url(store.settings)).content.decode()

    sidebar = html[html.index('id="nav-sidebar"') :]
    assert f'<a href="{settings_url(store.settings)}" aria-current="page">General Settings</a>' in sidebar
    assert f'<a href="{shops_url(store.settings)}">Manage Lightspeed Shops</a>' in sidebar
    actions = html[html.index('class="ls-actions"') : html.index("</details>")]
    assert f'<a href="{shops_url(store.settings)}">Manage Lightspeed Shops</a>' in actions


def test_ops_staff_open_a_company_from_general_settings_and_its_shops_from_its_actions(
    ops_browser, store, other_store
):
    mapping_on(store)

    html = ops_browser.get(changelist("lightspeedsettings")).content.decode()

    assert "<h1>General Settings — companies</h1>" in html
    assert f'<a href="{settings_url(store.settings)}">Demo Outfitters</a>' in html
    assert f'<a href="{settings_url(other_store.settings)}">Harbor Goods</a>' in html
    page = ops_browser.get(settings_url(store.settings)).content.decode()
    actions = page[page.index('class="ls-actions"') : page.index("</details>")]
    assert f'<a href="{shops_url(store.settings)}">Manage Lightspeed Shops</a>' in actions


def test_a_merchants_entries_never_lead_to_another_company(client, store, other_store):
    mapping_on(store)
    mapping_on(other_store)
    client.force_login(MerchantFactory(username="harbor", company=other_store.company))

    entries = lightspeed_groups(client.get(reverse("admin:index")))[SETUP]

    assert entries["General Settings"] == settings_url(other_store.settings)
    assert entries["Manage Lightspeed Shops"] == shops_url(other_store.settings)
    assert str(store.settings.pk) not in entries["General Settings"] + entries["Manage Lightspeed Shops"]


@pytest.mark.parametrize("person", ["merchant", "ops"])
def test_the_groups_show_exactly_the_pages_django_would_for_that_person(client, store, person):
    mapping_on(store)
    user = MerchantFactory(username="m", company=store.company) if person == "merchant" else OpsStaffFactory()
    request = RequestFactory().get("/admin/")
    request.user = user

    django_sees = {
        (app["app_label"], entry["object_name"], entry["view_only"], bool(entry["add_url"]))
        for app in AdminSite.get_app_list(admin.site, request)
        for entry in app["models"]
    }
    grouped = {
        (app["app_label"], entry["object_name"], entry["view_only"], bool(entry["add_url"]))
        for app in admin.site.get_app_list(request)
        for entry in app["models"]
    }

    assert grouped - django_sees == (
        {("lightspeed", "ManageLightspeedShops", False, False)} if person == "merchant" else set()
    )
    assert django_sees <= grouped


def test_the_lightspeed_app_page_lists_both_groups(browser, store):
    response = browser.get(reverse("admin:app_list", args=["lightspeed"]))

    assert response.status_code == 200
    assert list(lightspeed_groups(response)) == [SETUP, OPERATIONS]
    html = response.content.decode()
    assert "<h1>Lightspeed POS administration</h1>" in html
    breadcrumbs = html[html.index('class="breadcrumbs"') :]
    breadcrumbs = " ".join(breadcrumbs[: breadcrumbs.index("</div>")].split())
    assert breadcrumbs.endswith("Home</a> &rsaquo; Lightspeed POS")  # the app, once; not each group


def test_an_app_page_of_one_group_reads_as_before(browser, store):
    html = browser.get(reverse("admin:app_list", args=["commerce"])).content.decode()

    assert "<h1>Orders and inventory administration</h1>" in html
    breadcrumbs = html[html.index('class="breadcrumbs"') :]
    assert " ".join(breadcrumbs[: breadcrumbs.index("</div>")].split()).endswith(
        "Home</a> &rsaquo; Orders and inventory"
    )


def test_a_merchants_entries_cost_one_query_a_page_though_the_index_lists_them_twice(store, merchant_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request = RequestFactory().get("/admin/")
    request.user = merchant_user
    with CaptureQueriesContext(connection) as queries:
        admin.site.get_app_list(request)  # the index's list
        admin.site.get_app_list(request)  # the sidebar's
    assert sum("lightspeed_lightspeedsettings" in q["sql"] for q in queries.captured_queries) == 1


def test_the_reauthorization_banner_names_the_way_to_fetch_token(browser, store):
    from integrations.lightspeed.models import ConnectionStatus

    LightspeedSettings.objects.filter(pk=store.settings.pk).update(
        refresh_token="r1",
        connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED,
        connection_error="The token was revoked.",
    )

    html = browser.get(reverse("admin:index")).content.decode()

    assert "The token was revoked. (Lightspeed POS → General Settings → Actions → Fetch Token)" in html


# --- the site itself ---------------------------------------------------------------------------


def superuser_request(db):
    from integrations.commerce.models import User

    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser("root", password="pw")
    return request


def test_admin_site_is_lightsyncs_site():
    assert isinstance(admin.site, LightSyncAdminSite)
    assert admin.site.site_header == "LightSync"


def test_a_page_no_group_names_joins_the_first_group_and_an_empty_group_is_left_out(db):
    site = LightSyncAdminSite(name="probe")
    site.register([Company, Warehouse])
    site.register_groups(
        "commerce",
        AdminGroup("Warehouses first", ("warehouse",)),
        AdminGroup("Nothing here", ("order",)),
    )

    app_list = site.get_app_list(superuser_request(db))

    assert [(app["name"], [e["name"] for e in app["models"]]) for app in app_list] == [
        ("Warehouses first", ["Warehouses", "Companies"])
    ]


def test_an_app_without_groups_keeps_djangos_list(db):
    site = LightSyncAdminSite(name="probe")
    site.register([Company, Warehouse])

    app_list = site.get_app_list(superuser_request(db))

    assert [(app["name"], [e["name"] for e in app["models"]]) for app in app_list] == [
        ("Orders and inventory", ["Companies", "Warehouses"])
    ]
