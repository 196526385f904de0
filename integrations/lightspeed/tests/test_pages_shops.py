"""Manage Lightspeed Shops: the list, the ordered mapping, SAVE in one transaction, re-download."""
# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests

from __future__ import annotations

import re

from integrations.core.models import ChangeLog
from integrations.lightspeed.models import LightspeedSettings, LightspeedShop, SyncRun

from .conftest import resource_url
from .pages_support import (  # noqa: F401 - fixtures
    browser,
    connect,
    merchant_user,
    other_store,
    post,
    settings_url,
    shops_url,
    store,
)
from .test_jobs import PRICE_LEVELS_PAGE


def mapping_on(store) -> None:
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(shops_mapping_enabled=True)
    store.refresh()


def mapping_data(store, **rows) -> dict:
    """Form data for every shop; `rows` maps a shop attribute name to (warehouses, employee, register)."""
    data = {}
    for shop in (store.downtown, store.uptown):
        warehouses, employee, register = rows.get(
            "downtown" if shop == store.downtown else "uptown", ((), None, None)
        )
        data[f"shop_{shop.pk}-warehouses"] = ",".join(str(w.pk) for w in warehouses)
        data[f"shop_{shop.pk}-employee"] = employee.pk if employee else ""
        data[f"shop_{shop.pk}-register"] = register.pk if register else ""
    return data


def warehouses_of(shop: LightspeedShop) -> list[str]:
    return [link.warehouse.name for link in shop.warehouse_links.order_by("position")]


def test_with_mapping_off_the_page_sends_you_back_with_the_reason(browser, store):
    response = browser.get(shops_url(store.settings), follow=True)
    assert response.redirect_chain[-1][0] == settings_url(store.settings)
    assert "needs Enable Lightspeed Shops Mapping" in response.content.decode()


def test_the_actions_menu_offers_manage_shops_only_while_mapping_is_on(browser, store):
    html = browser.get(settings_url(store.settings)).content.decode()
    assert ">Manage Lightspeed Shops</a>" not in html and f'href="{shops_url(store.settings)}"' not in html
    mapping_on(store)
    html = browser.get(settings_url(store.settings)).content.decode()
    assert f'<a href="{shops_url(store.settings)}">Manage Lightspeed Shops</a>' in html


def test_the_shops_list_shows_id_name_time_zone_archived_and_only_each_shops_registers(browser, store):
    mapping_on(store)
    LightspeedShop.objects.filter(pk=store.uptown.pk).update(archived=True)
    html = browser.get(shops_url(store.settings)).content.decode()
    rows = re.findall(r'<tr class="ls-shop-row[^"]*" data-shop="(\d+)">(.*?)</tr>', html, re.S)
    assert [shop_id for shop_id, _ in rows] == ["1", "2"]  # open shops first
    downtown, uptown = rows[0][1], rows[1][1]
    assert "Downtown" in downtown and "America/New_York" in downtown and "Archived" not in downtown
    assert "Uptown" in uptown and "America/Chicago" in uptown and "Archived" in uptown
    register_select = re.search(r'<select name="shop_\d+-register".*?</select>', downtown, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", register_select) == ["---------", "Back (12)", "Front (11)"]
    assert "Re-Download Lightspeed POS Shops" in html


def test_non_sellable_warehouses_are_not_offered(browser, store):
    mapping_on(store)
    html = browser.get(shops_url(store.settings)).content.decode()
    add = re.search(r'<select class="ls-add".*?</select>', html, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", add) == ["Add warehouse…", "Downtown", "Main", "Uptown"]
    assert "Returns is not sellable" in html


def test_save_stores_ordered_warehouses_employee_and_register_and_reload_shows_them(
    browser, store, merchant_user
):
    mapping_on(store)
    url = shops_url(store.settings)
    data = mapping_data(
        store,
        downtown=((store.downtown_wh, store.main), store.ada, store.front),
        uptown=((store.uptown_wh,), store.bob, store.uptown_till),
    )
    response = post(browser, url, data)
    assert response.status_code == 302 and response["Location"] == url

    store.downtown.refresh_from_db()
    assert warehouses_of(store.downtown) == ["Downtown", "Main"]
    assert (store.downtown.employee, store.downtown.register) == (store.ada, store.front)
    assert warehouses_of(store.uptown) == ["Uptown"]

    html = browser.get(url).content.decode()
    assert "Shop mapping saved (2 shops changed)." in html
    assert f'value="{store.downtown_wh.pk},{store.main.pk}"' in html
    assert f'<option value="{store.front.pk}" selected>Front (11)</option>' in html
    entry = ChangeLog.objects.get(field="warehouses", object_id=str(store.downtown.pk))
    assert (entry.old_value, entry.new_value, entry.actor) == ("", "Downtown, Main", merchant_user)


def test_reordering_warehouses_changes_which_is_drawn_from_first(browser, store):
    mapping_on(store)
    url = shops_url(store.settings)
    post(browser, url, mapping_data(store, downtown=((store.downtown_wh, store.main), None, None)))
    post(browser, url, mapping_data(store, downtown=((store.main, store.downtown_wh), None, None)))
    assert warehouses_of(store.downtown) == ["Main", "Downtown"]


def test_a_warehouse_mapped_to_two_shops_is_saved_with_a_warning(browser, store):
    mapping_on(store)
    url = shops_url(store.settings)
    data = mapping_data(store, downtown=((store.main,), None, None), uptown=((store.main,), None, None))
    response = post(browser, url, data, follow=True)
    html = response.content.decode()
    assert "Main (Downtown, Uptown)" in html and "the same stock is then offered by each" in html.lower()
    assert warehouses_of(store.uptown) == ["Main"]


def test_a_bad_row_saves_nothing_at_all(browser, store):
    mapping_on(store)
    url = shops_url(store.settings)
    data = mapping_data(
        store,
        downtown=((store.main,), store.ada, store.front),
        uptown=((store.uptown_wh,), None, store.front),  # Front is Downtown's register
    )
    response = post(browser, url, data)
    assert response.status_code == 200
    assert "Choose one of this shop" in response.content.decode()
    assert warehouses_of(store.downtown) == [] and warehouses_of(store.uptown) == []


def test_a_non_sellable_or_foreign_warehouse_is_refused(browser, store, other_store):
    mapping_on(store)
    url = shops_url(store.settings)
    response = post(browser, url, mapping_data(store, downtown=((store.returns,), None, None)))
    assert "Returns is not sellable, so its stock cannot be offered in a shop: remove it." in (
        response.content.decode()
    )
    response = post(browser, url, mapping_data(store, downtown=((other_store.main,), None, None)))
    assert response.status_code == 200
    assert "only the company&#x27;s sellable warehouses can be mapped" in response.content.decode()
    assert warehouses_of(store.downtown) == []


def test_a_mapped_warehouse_that_stopped_being_sellable_is_shown_and_must_be_removed(browser, store):
    mapping_on(store)
    store.downtown.warehouse_links.create(warehouse=store.main, position=0)
    store.downtown.warehouse_links.create(warehouse=store.downtown_wh, position=1)
    store.main.is_sellable = False
    store.main.save()
    html = browser.get(shops_url(store.settings)).content.decode()
    assert '<span class="ls-name">Main</span> <span class="ls-warn">not sellable</span>' in html
    url = shops_url(store.settings)
    assert (
        "Main is not sellable"
        in post(browser, url, mapping_data(store, downtown=((store.main,), None, None))).content.decode()
    )
    post(browser, url, mapping_data(store, downtown=((store.downtown_wh,), None, None)))
    assert warehouses_of(store.downtown) == ["Downtown"]


def test_an_employee_limited_to_another_shop_is_refused(browser, store):
    mapping_on(store)
    response = post(browser, shops_url(store.settings), mapping_data(store, downtown=((), store.bob, None)))
    assert response.status_code == 200
    assert "may only work in another shop" in response.content.decode()


def test_the_mapping_form_needs_the_csrf_token(browser, store):
    mapping_on(store)
    data = mapping_data(store, downtown=((store.main,), None, None))
    assert browser.post(shops_url(store.settings), data).status_code == 403
    assert warehouses_of(store.downtown) == []


def test_re_download_reports_added_renamed_and_archived_shops(browser, store, mocked_lightspeed):
    connect(store)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(enabled=True)
    mapping_on(store)
    shops = {
        "@attributes": {"count": "2"},
        "Shop": [
            {
                "shopID": "1",
                "name": "Downtown Flagship",
                "timeZone": "America/New_York",
                "archived": "false",
                "Registers": {
                    "Register": [{"registerID": "11", "name": "Front"}, {"registerID": "12", "name": "Back"}]
                },
            },
            {
                "shopID": "3",
                "name": "Outlet",
                "timeZone": "America/Denver",
                "archived": "false",
                "Registers": {"Register": {"registerID": "31", "name": "Outlet 1"}},
            },
        ],
    }
    employees = {"@attributes": {"count": "1"}, "Employee": {"employeeID": "1", "firstName": "Ada"}}
    mocked_lightspeed.get(resource_url("Shop"), json=shops)
    mocked_lightspeed.get(resource_url("Employee"), json=employees)
    mocked_lightspeed.get(resource_url("PriceLevel"), json=PRICE_LEVELS_PAGE)

    url = f"{shops_url(store.settings)}redownload/"
    response = post(browser, url, token_from=shops_url(store.settings), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == shops_url(store.settings)
    assert "added Outlet" in html
    assert "renamed Downtown → Downtown Flagship" in html
    assert "archived Uptown" in html
    assert SyncRun.objects.get(job="shops").trigger == SyncRun.Trigger.ADMIN
    assert LightspeedShop.objects.get(company=store.company, shop_id=3).registers.count() == 1


def test_re_download_while_not_connected_says_why(browser, store):
    mapping_on(store)
    url = f"{shops_url(store.settings)}redownload/"
    html = post(browser, url, token_from=shops_url(store.settings), follow=True).content.decode()
    assert "Shops were not downloaded: Lightspeed is not connected: run Fetch Token first." in html
    assert SyncRun.objects.get(job="shops").outcome == SyncRun.Outcome.REFUSED


def test_shops_can_be_downloaded_from_the_actions_menu_before_lightspeed_pos_is_enabled(
    browser, store, mocked_lightspeed
):
    """Shop Name, Register ID and EmployeeID are chosen from the downloaded lists, before the
    master switch goes on: a person's download is allowed while it is off (scheduled jobs are not)."""
    connect(store)
    shop = {
        "shopID": "1",
        "name": "Downtown",
        "Registers": {"Register": {"registerID": "11", "name": "Front"}},
    }
    mocked_lightspeed.get(resource_url("Shop"), json={"@attributes": {"count": "1"}, "Shop": shop})
    mocked_lightspeed.get(resource_url("Employee"), json={"@attributes": {"count": "0"}})
    mocked_lightspeed.get(resource_url("PriceLevel"), json=PRICE_LEVELS_PAGE)
    LightspeedShop.objects.filter(company=store.company).delete()
    html = browser.get(settings_url(store.settings)).content.decode()
    url = f"{shops_url(store.settings)}redownload/"
    assert f'<form method="post" action="{url}">' in html  # the Actions menu
    assert f'<form method="post" action="{url}" class="ls-inline">' in html  # the checklist step

    response = post(browser, url, token_from=settings_url(store.settings), follow=True)

    assert response.redirect_chain[-1][0] == settings_url(store.settings)  # mapping is off
    assert "added Downtown" in response.content.decode()
    assert store.refresh().enabled is False
    run = SyncRun.objects.get(job="shops")
    assert (run.outcome, run.trigger) == (SyncRun.Outcome.SUCCEEDED, SyncRun.Trigger.ADMIN)


def test_the_shop_admin_shows_the_mapping_read_only_and_points_to_manage_shops(browser, store):
    from django.urls import reverse

    mapping_on(store)
    store.downtown.warehouse_links.create(warehouse=store.main, position=0)
    url = reverse("admin:lightspeed_lightspeedshop_change", args=[store.downtown.pk])
    html = browser.get(url).content.decode()
    assert 'name="employee"' not in html and "warehouse_links-TOTAL_FORMS" not in html
    assert f'<a href="{shops_url(store.settings)}">Manage Lightspeed Shops</a>' in html
    data = {"employee": store.ada.pk, "csrfmiddlewaretoken": "x"}
    browser.post(url, data)
    store.downtown.refresh_from_db()
    assert store.downtown.employee is None
