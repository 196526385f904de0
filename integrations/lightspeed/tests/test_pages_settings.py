"""General Settings: read-only until Edit, validation, masking, the checklist, the change log."""
# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests

from __future__ import annotations

import re

import jwt
import pytest
from django.test import Client

from integrations.commerce.models import Order
from integrations.commerce.tests.factories import OrderFactory
from integrations.core.changelog import changelog_for
from integrations.lightspeed.models import LightspeedSettings, SyncRun
from integrations.lightspeed.tests.conftest import GENERAL_SETTINGS_LABELS

from .pages_support import (  # noqa: F401 - fixtures
    browser,
    connect,
    merchant_user,
    ops_browser,
    other_store,
    post,
    settings_form_data,
    settings_url,
    shops_url,
    store,
)

LONG_ACCESS = "eyJhbGciOiJIUzI1NiJ9.access-token-that-must-never-be-shown-abcd"
LONG_REFRESH = "def50200refresh-token-that-must-never-be-shown-wxyz"


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def save(browser, store, **changes):
    url = settings_url(store.settings)
    return post(browser, url, settings_form_data(store.refresh(), **changes), token_from=url + "?edit=1")


def test_the_page_opens_read_only_and_edit_turns_it_into_a_form(browser, store):
    read = html_of(browser.get(settings_url(store.settings)))
    assert 'name="enabled"' not in read and 'name="redirect_uri"' not in read
    assert 'href="?edit=1"' in read and ">Edit<" in read

    edit = html_of(browser.get(settings_url(store.settings, "?edit=1")))
    for name in (
        "enabled",
        "shops_mapping_enabled",
        "account_id",
        "shop",
        "register",
        "employee",
        "redirect_uri",
    ):
        assert f'name="{name}"' in edit
    assert 'value="Save"' in edit and ">Cancel<" in edit
    assert 'name="auth_token"' not in edit and 'name="refresh_token"' not in edit


def test_labels_come_in_the_merchants_order_each_with_help_and_advanced_collapsed_below(browser, store):
    html = html_of(browser.get(settings_url(store.settings)))
    general = html[html.index('id="general-settings"') : html.index('id="advanced"')]
    labels = re.findall(r"<label[^>]*>([^<]+):</label>", general)
    assert labels == GENERAL_SETTINGS_LABELS
    assert general.count('class="help"') == len(labels)
    advanced = html[html.index('id="advanced"') :]
    assert re.match(r'id="advanced">', advanced), "Advanced starts collapsed (no `open`)"
    assert re.findall(r"<label[^>]*>([^<]+):</label>", advanced) == [
        "Client ID",
        "Client Secret",
        "Order Download Start Date",
        "Lightspeed Price Level For Site Price",
    ]


def test_tokens_and_client_secret_are_masked_in_view_and_edit_and_never_in_the_source(browser, store):
    connect(store, auth_token=LONG_ACCESS, refresh_token=LONG_REFRESH)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(
        client_id="own", client_secret="secret-value-1234"
    )
    for suffix in ("", "?edit=1"):
        html = html_of(browser.get(settings_url(store.settings, suffix)))
        assert "••••abcd" in html and "••••wxyz" in html
        for secret in (LONG_ACCESS, LONG_REFRESH, "secret-value-1234", "access-token", "refresh-token"):
            assert secret not in html


def test_connection_status_and_token_received_on_are_at_the_top(browser, store):
    connect(store)
    html = html_of(browser.get(settings_url(store.settings)))
    top = html[: html.index('id="general-settings"')]
    assert "Connected to Lightspeed account 100001." in top
    assert "Token Received On" in top and "Expires in" in top


def test_redirect_uri_is_prefilled_with_this_servers_callback_and_has_a_copy_button(browser, store):
    html = html_of(browser.get(settings_url(store.settings, "?edit=1")))
    assert 'value="http://testserver/lightspeed/oauth/callback/"' in html
    assert 'class="button ls-copy" data-copy="id_redirect_uri"' in html
    assert "must match exactly" in html
    read = html_of(browser.get(settings_url(store.settings)))
    assert 'data-copy="value-redirect_uri"' in read and "http://testserver/lightspeed/oauth/callback/" in read


def test_save_stores_the_change_logs_it_and_returns_to_the_read_only_page(browser, store, merchant_user):
    response = save(browser, store, shop=store.downtown.pk, register=store.front.pk, employee=store.ada.pk)
    assert response.status_code == 302 and response["Location"] == settings_url(store.settings)
    stored = store.refresh()
    assert (stored.shop, stored.register, stored.employee) == (store.downtown, store.front, store.ada)

    page = html_of(browser.get(settings_url(store.settings)))
    assert "General Settings saved (3 changed)." in page
    log = page[page.index('id="change-log"') :]
    assert "merchant" in log and "Shop Name" in log and "Downtown" in log and "Front (11)" in log
    entry = changelog_for(stored).get(field="register")
    assert (entry.old_value, entry.new_value, entry.actor) == ("", "Front (11)", merchant_user)


def test_a_save_without_the_csrf_token_is_refused(browser, store):
    data = settings_form_data(store.settings, use_company_address=True)
    assert browser.post(settings_url(store.settings), data).status_code == 403
    assert store.refresh().use_company_address is False


def test_cancel_leaves_the_settings_unchanged(browser, store):
    html = html_of(browser.get(settings_url(store.settings, "?edit=1")))
    cancel = re.search(r'<a href="([^"]+)" class="closelink">Cancel</a>', html).group(1)
    assert cancel == settings_url(store.settings)
    before = LightspeedSettings.objects.filter(pk=store.settings.pk).values().get()
    browser.get(cancel)
    assert LightspeedSettings.objects.filter(pk=store.settings.pk).values().get() == before


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"enabled": True}, "cannot be turned on without a working token and AccountID"),
        ({"register": "FRONT"}, "must be a register of the chosen shop"),
        (
            {"register": "FRONT", "shop": ""},
            "Choose the Shop Name that the Lightspeed Register ID belongs to",
        ),
        ({"employee": "BOB", "shop": "DOWNTOWN"}, "may only work in another shop"),
        ({"account_id": "abc"}, "AccountID is a number"),
    ],
)
def test_inconsistent_settings_are_refused_with_a_clear_message(browser, store, changes, message):
    refs = {"FRONT": store.front.pk, "BOB": store.bob.pk, "DOWNTOWN": store.downtown.pk}
    changes = {k: refs.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    changes.setdefault("shop", store.uptown.pk)
    response = save(browser, store, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Please correct the error below." in response.content.decode()
    stored = store.refresh()
    assert (stored.enabled, stored.shop, stored.register, stored.employee, stored.account_id) == (
        False,
        None,
        None,
        None,
        "",
    )


def test_enabling_needs_the_token_and_works_once_connected(browser, store):
    connect(store)
    response = save(browser, store, enabled=True)
    assert response.status_code == 302, response.context["form"].errors
    assert store.refresh().enabled is True


def test_a_company_whose_connection_was_lost_can_still_change_its_other_settings(browser, store):
    from integrations.lightspeed.models import ConnectionStatus

    connect(store)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(
        enabled=True, connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED, connection_error="revoked"
    )

    response = save(browser, store, returns_warehouse=store.returns.pk)

    assert response.status_code == 302, response.context["form"].errors
    stored = store.refresh()
    assert (stored.enabled, stored.returns_warehouse) == (True, store.returns)
    # Turning it on is still refused while the token does not work.
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(enabled=False)
    response = save(browser, store, enabled=True)
    assert "cannot be turned on without a working token" in response.content.decode()
    assert store.refresh().enabled is False


def test_accountid_must_match_the_account_of_the_token(browser, store):
    token = jwt.encode({"acct": "100001"}, "a-test-signing-key-of-32-bytes-or-more", algorithm="HS256")
    connect(store, auth_token=token)
    response = save(browser, store, account_id="999")
    assert "AccountID must be 100001, the account of the current token" in response.content.decode()
    assert store.refresh().account_id == "100001"


def select_options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]+)</option>", select)


def test_choices_are_the_companys_own_downloaded_records(browser, store, other_store):
    LightspeedSettings.objects.filter(pk=other_store.settings.pk).update(account_id="200002")
    other_store.downtown.name = "Harbor Pier"
    other_store.downtown.save()
    html = html_of(browser.get(settings_url(store.settings, "?edit=1")))
    assert select_options(html, "shop") == ["Downtown (1)", "Uptown (2)"]
    assert select_options(html, "register") == [
        "Back (12) — Downtown",
        "Front (11) — Downtown",
        "Till (21) — Uptown",
    ]
    assert select_options(html, "employee") == ["Ada Lovelace (1)", "Bob Uptown (2)"]
    assert select_options(html, "returns_warehouse") == [
        "Downtown",
        "Main",
        "Returns (not sellable)",
        "Uptown",
    ]
    assert "Harbor Pier" not in html

    for name, foreign in (
        ("returns_warehouse", other_store.returns.pk),
        ("shop", other_store.downtown.pk),
        ("employee", other_store.ada.pk),
        ("register", other_store.front.pk),
    ):
        response = save(browser, store, **{name: foreign})
        assert response.status_code == 200, name
        assert "Select a valid choice" in response.content.decode(), name
    stored = store.refresh()
    assert (stored.returns_warehouse, stored.shop, stored.employee, stored.register) == (
        None,
        None,
        None,
        None,
    )


def test_returns_warehouse_is_one_of_the_companys_warehouses(browser, store):
    assert save(browser, store, returns_warehouse=store.returns.pk).status_code == 302
    assert store.refresh().returns_warehouse == store.returns


def test_enabling_order_download_with_local_store_orders_from_elsewhere_warns_to_use_a_separate_company(
    browser, store
):
    OrderFactory(company=store.company, channel=Order.Channel.LOCAL_STORE, channel_order_id="X-1")
    response = save(browser, store, order_download_enabled=True)
    assert response.status_code == 302
    page = html_of(browser.get(settings_url(store.settings)))
    assert "already receives Local Store orders from another source" in page
    assert "a separate company for the Lightspeed shops is recommended" in page
    assert store.refresh().order_download_enabled is True


def test_no_separate_company_warning_when_the_local_store_orders_came_from_lightspeed(browser, store):
    OrderFactory(company=store.company, channel=Order.Channel.LOCAL_STORE, channel_order_id="5001")
    SyncRun.objects.create(company=store.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    save(browser, store, order_download_enabled=True)
    assert "another source" not in html_of(browser.get(settings_url(store.settings)))


def test_the_change_log_shows_tokens_only_as_changed(browser, store):
    save(browser, store, client_id="own-client", client_secret="brand-new-secret")
    page = html_of(browser.get(settings_url(store.settings)))
    log = page[page.index('id="change-log"') :]
    assert "Client Secret" in log and ">changed<" in log
    assert "brand-new-secret" not in page
    assert store.refresh().client_secret == "brand-new-secret"


def test_an_empty_secret_box_keeps_the_stored_secret(browser, store):
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(client_id="own", client_secret="keep-me")
    assert save(browser, store, use_company_address=True).status_code == 302
    assert store.refresh().client_secret == "keep-me"


def test_the_checklist_ticks_steps_from_the_real_state_and_goes_away_when_all_are_done(browser, store):
    html = html_of(browser.get(settings_url(store.settings)))
    checklist = html[html.index('id="setup"') : html.index("</ol>", html.index('id="setup"'))]
    done = re.findall(r'<li class="ls-done">', checklist)
    assert "Setup: 2 of 6 steps done" in checklist  # this server's API client, shops downloaded
    assert len(done) == 2
    assert f'href="{settings_url(store.settings)}#actions">Fetch a token' in checklist

    connect(store)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(
        shop=store.downtown, enabled=True, order_download_enabled=True
    )
    html = html_of(browser.get(settings_url(store.settings)))
    assert "Setup: 5 of 6 steps done" in html
    assert ">Download your first orders</a>" in html

    SyncRun.objects.create(company=store.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    assert 'id="setup"' not in html_of(browser.get(settings_url(store.settings)))


def test_with_shops_mapping_on_the_mapping_step_needs_every_open_shop_mapped(browser, store):
    connect(store)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(shops_mapping_enabled=True)
    html = html_of(browser.get(settings_url(store.settings)))
    assert f'<a href="{shops_url(store.settings)}">Map your shops to warehouses</a>' in html
    store.downtown.warehouse_links.create(warehouse=store.main, position=0)
    store.uptown.warehouse_links.create(warehouse=store.uptown_wh, position=0)
    html = html_of(browser.get(settings_url(store.settings)))
    assert "Map your shops to warehouses</a>" not in html


def test_a_merchant_opening_the_list_lands_on_their_own_companys_page(browser, store, other_store):
    from django.urls import reverse

    response = browser.get(reverse("admin:lightspeed_lightspeedsettings_changelist"))
    assert response.status_code == 302 and response["Location"] == settings_url(store.settings)


def test_ops_staff_see_every_company_with_its_connection_status_and_open_any_page(
    ops_browser, store, other_store
):
    from django.urls import reverse

    connect(store)
    html = html_of(ops_browser.get(reverse("admin:lightspeed_lightspeedsettings_changelist")))
    assert "Demo Outfitters" in html and "Harbor Goods" in html
    assert "Connected to Lightspeed account 100001." in html and "Not connected — run Fetch Token." in html
    assert settings_url(other_store.settings) in html
    page = html_of(ops_browser.get(settings_url(other_store.settings, "?edit=1")))
    assert "General Settings — Harbor Goods" in page


def test_a_user_who_may_only_view_cannot_edit(store):
    from django.contrib.auth.models import Permission

    from integrations.commerce.tests.factories import UserFactory

    viewer = UserFactory(username="viewer", company=store.company, is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lightspeedsettings"))
    client = Client()
    client.force_login(viewer)
    assert client.get(settings_url(store.settings)).status_code == 200
    assert client.get(settings_url(store.settings, "?edit=1")).status_code == 403
    assert (
        client.post(
            settings_url(store.settings), settings_form_data(store.settings, enabled=True)
        ).status_code
        == 403
    )


def test_a_redirect_uri_other_than_this_servers_callback_is_pointed_out(browser, store):
    assert "differs from this server" not in html_of(browser.get(settings_url(store.settings)))
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(
        redirect_uri="https://old-host.example/lightspeed/oauth/callback/"
    )
    html = html_of(browser.get(settings_url(store.settings)))
    assert "The stored Redirect URI differs from this server's callback" in html


def test_advanced_settings_are_saved_from_the_collapsed_section(browser, store):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings as django_settings

    response = save(browser, store, client_id="own-client", order_download_start="2026-01-15T09:30")
    assert response.status_code == 302
    stored = store.refresh()
    local = ZoneInfo(django_settings.TIME_ZONE)
    assert stored.client_id == "own-client"
    assert stored.order_download_start == datetime(2026, 1, 15, 9, 30, tzinfo=local)
    html = html_of(browser.get(settings_url(store.settings, "?edit=1")))
    assert 'value="2026-01-15T09:30"' in html and 'type="datetime-local"' in html
    assert re.search(r'<details class="ls-advanced module" id="advanced">', html)
