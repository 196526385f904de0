"""The Lightspeed settings page: connection status, masked secrets, the banner, the wall."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from integrations.commerce import roles
from integrations.commerce.models import Company, User
from integrations.core.changelog import changelog_for
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings
from integrations.lightspeed.tests.conftest import GENERAL_SETTINGS_LABELS
from integrations.lightspeed.tests.test_jobs import PRICE_LEVELS_PAGE

LONG_ACCESS = "eyJhbGciOiJIUzI1NiJ9.access-token-that-must-never-be-shown-abcd"
LONG_REFRESH = "def50200refresh-token-that-must-never-be-shown-wxyz"


@pytest.fixture
def merchant_browser(client, merchant):
    roles.roles_apply()
    merchant.groups.add(Group.objects.get(name=roles.MERCHANTS))
    client.force_login(merchant)
    return client


def page(browser, settings_obj):
    response = browser.get(reverse("admin:lightspeed_lightspeedsettings_change", args=[settings_obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_settings_page_shows_the_connection_and_never_a_full_token(merchant_browser, connected):
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        auth_token=LONG_ACCESS,
        refresh_token=LONG_REFRESH,
        client_secret="per-company-secret-value",
        client_id="own-client",
        account_name="Demo Outfitters",
        token_refreshed_at=timezone.now() - timedelta(minutes=3),
        token_expires_at=timezone.now() + timedelta(minutes=57),
    )

    html = page(merchant_browser, connected)

    assert "Connected to Lightspeed account 100001 (Demo Outfitters)." in html
    assert "Token Received On" in html and "Expires in" in html and "56\xa0minutes" in html
    assert "Last refresh" in html
    assert "••••abcd" in html and "••••wxyz" in html
    for secret in (LONG_ACCESS, LONG_REFRESH, "per-company-secret-value"):
        assert secret not in html
    assert "Fetch Token" in html


def test_the_change_log_shows_token_received_on_as_the_page_shows_dates(
    merchant_browser, connected, merchant
):
    from datetime import UTC, datetime

    from django.db import transaction

    from integrations.core.changelog import changelog_record, field_values

    received = datetime(2026, 3, 5, 14, 7, 9, 123456, tzinfo=UTC)
    with transaction.atomic():
        before = field_values(connected, ["token_received_at"])
        connected.token_received_at = received
        connected.save()
        changelog_record(instance=connected, before=before, company=connected.company, actor=merchant)

    html = page(merchant_browser, connected)

    shown_at_the_top = "March 5, 2026, 2:07 p.m."
    assert f"Token Received On:</span> {shown_at_the_top}" in html
    change_log = html[html.index('id="change-log"') :]
    assert shown_at_the_top in change_log
    assert "2026-03-05" not in change_log and "14:07:09" not in change_log


def test_the_general_settings_labels_come_in_the_merchants_order(merchant_browser, connected):
    html = page(merchant_browser, connected)
    labels = GENERAL_SETTINGS_LABELS
    general = html[html.index('id="general-settings"') :]
    positions = [general.index(f"{label}") for label in labels]
    assert positions == sorted(positions)


def test_reauthorization_required_shows_the_reason_and_a_banner_on_every_admin_page(
    merchant_browser, connected
):
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED,
        connection_error="Lightspeed refused to renew the token: the authorization was revoked.",
    )
    html = page(merchant_browser, connected)
    assert "Re-authorization required — Lightspeed refused to renew the token" in html

    index = merchant_browser.get(reverse("admin:index")).content.decode()
    assert "Lightspeed needs re-authorization for Demo Outfitters" in index


def test_the_reauthorization_banner_shows_once_and_the_companys_settings_page_says_it_once(
    merchant_browser, connected
):
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED, connection_error="The token was revoked."
    )
    banner = "Lightspeed needs re-authorization for Demo Outfitters"

    # A merchant's Lightspeed POS list redirects to their General Settings page.
    response = merchant_browser.get(reverse("admin:lightspeed_lightspeedsettings_changelist"), follow=True)
    assert len(response.redirect_chain) == 1
    assert response.content.decode().count(banner) == 0

    # Its General Settings page states the reason at the top: the banner would say it twice.
    html = response.content.decode()
    assert '<ul class="messagelist">' not in html
    assert "Re-authorization required — The token was revoked." in html[html.index('id="connection"') :]

    # The dashboard polls its live progress (JSON) while the page is open.
    for _ in range(3):
        assert merchant_browser.get(reverse("admin:lightspeed_dashboard_live")).status_code == 200
    assert merchant_browser.get(reverse("admin:index")).content.decode().count(banner) == 1


def test_another_companys_merchant_sees_no_banner_and_cannot_open_the_page(client, connected):
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED, connection_error="refused"
    )
    roles.roles_apply()
    other = User.objects.create_user(
        "harbor", password="pw", company=Company.objects.create(name="Harbor Goods"), is_staff=True
    )
    other.groups.add(Group.objects.get(name=roles.MERCHANTS))
    client.force_login(other)

    assert "re-authorization" not in client.get(reverse("admin:index")).content.decode()
    response = client.get(reverse("admin:lightspeed_lightspeedsettings_change", args=[connected.pk]))
    assert response.status_code in (302, 404)


def test_turning_on_lightspeed_pos_without_a_token_is_refused_with_a_clear_message(merchant_browser, company):
    settings_obj = LightspeedSettings.objects.get(company=company)
    url = reverse("admin:lightspeed_lightspeedsettings_change", args=[settings_obj.pk])
    response = merchant_browser.post(
        url,
        {
            "enabled": "on",
            "redirect_uri": "https://lightsync.example.com/lightspeed/oauth/callback/",
            "account_id": "",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["__all__"]
    assert "cannot be turned on without a working token and AccountID" in response.content.decode()
    assert LightspeedSettings.objects.get(pk=settings_obj.pk).enabled is False


def test_a_saved_change_is_logged_and_an_empty_secret_box_keeps_the_secret(
    merchant_browser, connected, merchant
):
    LightspeedSettings.objects.filter(pk=connected.pk).update(client_id="own", client_secret="keep-me")
    url = reverse("admin:lightspeed_lightspeedsettings_change", args=[connected.pk])
    response = merchant_browser.post(
        url,
        {
            "enabled": "on",
            "account_id": "100001",
            "redirect_uri": "https://lightsync.example.com/lightspeed/oauth/callback/",
            "order_download_enabled": "on",
            "shops_mapping_enabled": "on",  # order download needs mapping on or a Shop Name
            "client_id": "own",
            "client_secret": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = LightspeedSettings.objects.get(pk=connected.pk)
    assert stored.order_download_enabled and stored.client_secret == "keep-me"
    entry = changelog_for(stored).get(field="order_download_enabled")
    assert (entry.old_value, entry.new_value, entry.actor) == ("No", "Yes", merchant)
    assert not changelog_for(stored).filter(field="client_secret").exists()


def test_the_fetch_token_button_is_a_csrf_protected_form_that_starts_the_flow(merchant, company):
    import re

    from django.test import Client

    roles.roles_apply()
    merchant.groups.add(Group.objects.get(name=roles.MERCHANTS))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(merchant)
    settings_obj = LightspeedSettings.objects.get(company=company)
    html = page(browser, settings_obj)
    start_url = reverse("lightspeed:fetch_token_start", args=[company.pk])
    form = re.search(rf'<form method="post" action="{start_url}".*?</form>', html, re.S)
    assert form and "Fetch Token" in form.group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)

    assert browser.post(start_url).status_code == 403  # without the token
    response = browser.post(start_url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"].startswith(
        "https://cloud.lightspeedapp.com/auth/oauth/authorize?"
    )


def test_re_download_lightspeed_pos_shops_from_the_settings_list(
    merchant_browser, connected, mocked_lightspeed
):
    from .conftest import resource_url

    mocked_lightspeed.get(
        resource_url("Shop"),
        json={
            "@attributes": {"next": ""},
            "Shop": {
                "shopID": "1",
                "name": "Downtown",
                "Registers": {"Register": {"registerID": "1", "name": "Front"}},
            },
        },
    )
    mocked_lightspeed.get(
        resource_url("Employee"),
        json={"@attributes": {"next": ""}, "Employee": {"employeeID": "1", "firstName": "Ada"}},
    )
    mocked_lightspeed.get(resource_url("PriceLevel"), json=PRICE_LEVELS_PAGE)

    response = merchant_browser.post(
        reverse("admin:lightspeed_lightspeedsettings_changelist"),
        {"action": "redownload_shops", "_selected_action": [connected.pk]},
        follow=True,
    )

    assert "Demo Outfitters: Downloaded 1 shops, 1 registers and 1 employees: added Downtown" in (
        response.content.decode()
    )
    from integrations.lightspeed.models import LightspeedShop, SyncRun

    assert LightspeedShop.objects.get(company=connected.company).name == "Downtown"
    assert SyncRun.objects.get(job="shops").trigger == SyncRun.Trigger.ADMIN


def test_the_admin_pages_pass_djangos_system_checks():
    from django.core import checks

    problems = [m for m in checks.run_checks() if m.obj is not None and "lightspeed" in str(m.obj).lower()]
    assert problems == []
