"""Fetch Token through the views: the authorize redirect, the callback, and every way it fails."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from integrations.commerce.models import Company, User
from integrations.core.changelog import changelog_for
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, OAuthState

from .conftest import ACCOUNT_ID, ACCOUNT_URL, ONE_ACCOUNT, TOKEN_URL, resource_url, token_answer
from .test_jobs import PRICE_LEVELS_PAGE

CALLBACK = "/lightspeed/oauth/callback/"
REVOKE_URL = TOKEN_URL.replace("/token", "/revoke")


def jwt_for(acct: str) -> str:
    return jwt.encode(
        {"acct": acct, "scope": "employee:register employee:inventory", "exp": 2_000_000_000}, "k" * 32
    )


@pytest.fixture
def signed_in(client, merchant):
    from integrations.commerce import roles

    roles.roles_apply()
    merchant.groups.add(
        __import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.get(name=roles.MERCHANTS)
    )
    client.force_login(merchant)
    return client


def start(client, company) -> dict[str, list[str]]:
    response = client.post(reverse("lightspeed:fetch_token_start", args=[company.pk]))
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://cloud.lightspeedapp.com/auth/oauth/authorize"
    return parse_qs(url.query)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def lightspeed_has_one_shop(mocked) -> None:
    """The shops download that follows a successful Fetch Token: one shop, one register, one employee."""
    register = {"registerID": "7", "name": "Front Counter", "shopID": "1", "archived": "false"}
    shop = {
        "shopID": "1",
        "name": "Downtown",
        "timeZone": "America/New_York",
        "archived": "false",
        "Registers": {"Register": register},
    }
    employee = {"employeeID": "3", "firstName": "Sam", "lastName": "Rivera", "archived": "false"}
    mocked.get(resource_url("Shop"), json={"@attributes": {"next": "", "previous": ""}, "Shop": shop})
    mocked.get(
        resource_url("Employee"), json={"@attributes": {"next": "", "previous": ""}, "Employee": employee}
    )
    mocked.get(resource_url("PriceLevel"), json=PRICE_LEVELS_PAGE)


def settings_page(company) -> str:
    return reverse("admin:lightspeed_lightspeedsettings_change", args=[company.lightspeed.pk])


def test_fetch_token_sends_the_merchant_to_lightspeed_with_scopes_state_and_pkce(signed_in, company):
    query = start(signed_in, company)

    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["lightsync-test"]
    assert query["scope"][0].split() == [
        "employee:register",
        "employee:inventory",
        "employee:product_cost",
        "employee:admin_void_sale",
    ]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://testserver/lightspeed/oauth/callback/"]
    record = OAuthState.objects.get(state=query["state"][0])
    expected = (
        base64.urlsafe_b64encode(hashlib.sha256(record.code_verifier.encode()).digest()).rstrip(b"=").decode()
    )
    assert query["code_challenge"] == [expected]
    assert record.company == company and record.expires_at <= timezone.now() + timedelta(minutes=10)


def test_a_successful_callback_stores_the_pair_fills_the_account_and_logs_the_change(
    signed_in, company, merchant, mocked_lightspeed
):
    state = start(signed_in, company)["state"][0]
    access = jwt_for(ACCOUNT_ID)
    mocked_lightspeed.post(TOKEN_URL, json=token_answer(access, "r-first"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    lightspeed_has_one_shop(mocked_lightspeed)

    response = signed_in.get(CALLBACK, {"code": "the-code", "state": state})

    assert response.status_code == 302 and response["Location"] == settings_page(company)
    connected, downloaded = messages_of(response)
    assert connected == f"Connected to Lightspeed account {ACCOUNT_ID} (Demo Outfitters)."
    assert downloaded.startswith("Downloaded 1 shops, 1 registers and 1 employees")
    shop = company.lightspeed_shops.get()
    assert (shop.name, [r.name for r in shop.registers.all()]) == ("Downtown", ["Front Counter"])
    form = parse_qs(mocked_lightspeed.calls[0].request.body)
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["the-code"]
    assert form["code_verifier"] == [OAuthState.objects.get(state=state).code_verifier]
    assert form["client_secret"] == ["lightsync-test-secret"]
    stored = LightspeedSettings.objects.get(company=company)
    assert (stored.auth_token, stored.refresh_token, stored.account_id) == (access, "r-first", ACCOUNT_ID)
    assert stored.connection_status == ConnectionStatus.CONNECTED and stored.token_received_at is not None
    log = {row.field: row for row in changelog_for(stored)}
    assert log["refresh_token"].new_value == "changed" and log["refresh_token"].actor == merchant
    assert log["account_id"].new_value == ACCOUNT_ID


def test_a_token_for_another_account_than_the_filled_in_accountid_is_refused_and_nothing_stored(
    signed_in, company, mocked_lightspeed
):
    LightspeedSettings.objects.filter(company=company).update(account_id="555")
    state = start(signed_in, company)["state"][0]
    mocked_lightspeed.post(TOKEN_URL, json=token_answer(jwt_for(ACCOUNT_ID), "r-first"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    mocked_lightspeed.post(REVOKE_URL, json={})

    response = signed_in.get(CALLBACK, {"code": "c", "state": state})

    assert response["Location"] == settings_page(company)
    assert (
        "is for Lightspeed account 100001" in messages_of(response)[0]
        and "AccountID is 555" in messages_of(response)[0]
    )
    stored = LightspeedSettings.objects.get(company=company)
    assert (stored.refresh_token, stored.connection_status) == ("", ConnectionStatus.NOT_CONNECTED)


def test_a_token_refused_for_being_another_accounts_is_revoked_at_lightspeed(
    signed_in, company, mocked_lightspeed
):
    LightspeedSettings.objects.filter(company=company).update(account_id="555")
    state = start(signed_in, company)["state"][0]
    mocked_lightspeed.post(TOKEN_URL, json=token_answer(jwt_for(ACCOUNT_ID), "r-foreign"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    mocked_lightspeed.post(REVOKE_URL, json={})

    response = signed_in.get(CALLBACK, {"code": "c", "state": state})

    assert [c.request.url for c in mocked_lightspeed.calls] == [TOKEN_URL, ACCOUNT_URL, REVOKE_URL]
    revoke = parse_qs(mocked_lightspeed.calls[2].request.body)
    assert revoke["refresh_token"] == ["r-foreign"] and revoke["client_id"] == ["lightsync-test"]
    assert "AccountID is 555" in messages_of(response)[0]
    assert LightspeedSettings.objects.get(company=company).refresh_token == ""


def test_a_failed_revoke_of_a_refused_token_is_logged_and_the_merchant_still_gets_the_reason(
    signed_in, company, mocked_lightspeed, caplog
):
    LightspeedSettings.objects.filter(company=company).update(account_id="555")
    state = start(signed_in, company)["state"][0]
    mocked_lightspeed.post(TOKEN_URL, json=token_answer(jwt_for(ACCOUNT_ID), "r-foreign"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    mocked_lightspeed.post(REVOKE_URL, status=400, json={"error": "invalid_client"})

    response = signed_in.get(CALLBACK, {"code": "c", "state": state})

    assert response["Location"] == settings_page(company)
    assert messages_of(response) == [
        f"The token is for Lightspeed account {ACCOUNT_ID} (Demo Outfitters), but AccountID is 555. "
        "Sign in to Lightspeed as the right account, or clear AccountID first. Nothing was stored."
    ]
    assert any("could not be revoked" in r.getMessage() for r in caplog.records)
    assert "r-foreign" not in caplog.text


def test_connected_even_when_the_shops_download_that_follows_fails(signed_in, company, mocked_lightspeed):
    state = start(signed_in, company)["state"][0]
    mocked_lightspeed.post(TOKEN_URL, json=token_answer(jwt_for(ACCOUNT_ID), "r-first"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    mocked_lightspeed.get(
        resource_url("Shop"),
        status=403,
        json={
            "httpCode": "403",
            "httpMessage": "Forbidden",
            "message": "Missing scope",
            "errorClass": "Exception",
        },
    )

    response = signed_in.get(CALLBACK, {"code": "c", "state": state})

    connected, failed = messages_of(response)
    assert connected.startswith("Connected to Lightspeed account")
    assert failed.startswith("Shops were not downloaded")
    stored = LightspeedSettings.objects.get(company=company)
    assert stored.connection_status == ConnectionStatus.CONNECTED and stored.refresh_token == "r-first"
    assert not company.lightspeed_shops.exists()


def test_a_crash_in_the_shops_download_after_connecting_still_ends_on_the_settings_page(
    signed_in, company, mocked_lightspeed, monkeypatch
):
    from integrations.lightspeed.shops.services import redownload

    def crash(**kwargs):
        raise RuntimeError("a bug in the download")

    monkeypatch.setattr(redownload, "shops_redownload", crash)
    state = start(signed_in, company)["state"][0]
    mocked_lightspeed.post(TOKEN_URL, json=token_answer(jwt_for(ACCOUNT_ID), "r-first"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)

    response = signed_in.get(CALLBACK, {"code": "c", "state": state})

    assert response.status_code == 302 and response["Location"] == settings_page(company)
    connected, failed = messages_of(response)
    assert connected.startswith("Connected to Lightspeed account")
    assert failed.startswith("Shops were not downloaded: an unexpected error")
    assert LightspeedSettings.objects.get(company=company).refresh_token == "r-first"


def test_access_denied_at_lightspeed_ends_on_the_settings_page_with_nothing_stored(signed_in, company):
    state = start(signed_in, company)["state"][0]
    response = signed_in.get(
        CALLBACK,
        {
            "error": "access_denied",
            "error_description": "The resource owner denied the request.",
            "state": state,
        },
    )
    assert response["Location"] == settings_page(company)
    assert messages_of(response) == ["Access was not granted at Lightspeed, so nothing was connected."]
    assert LightspeedSettings.objects.get(company=company).refresh_token == ""


def test_an_unknown_state_is_refused(signed_in, company):
    response = signed_in.get(CALLBACK, {"code": "c", "state": "forged"})
    assert "unknown" in messages_of(response)[0]
    assert LightspeedSettings.objects.get(company=company).refresh_token == ""


def test_a_state_can_be_used_only_once(signed_in, company, mocked_lightspeed):
    state = start(signed_in, company)["state"][0]
    mocked_lightspeed.post(TOKEN_URL, json=token_answer(jwt_for(ACCOUNT_ID), "r-first"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    lightspeed_has_one_shop(mocked_lightspeed)
    signed_in.get(CALLBACK, {"code": "c", "state": state})
    calls_before_replay = len(mocked_lightspeed.calls)

    replay = signed_in.get(CALLBACK, {"code": "c", "state": state})

    assert "already used" in messages_of(replay)[-1]
    assert len(mocked_lightspeed.calls) == calls_before_replay  # the replay never reached Lightspeed


def test_an_expired_state_is_refused(signed_in, company):
    state = start(signed_in, company)["state"][0]
    OAuthState.objects.filter(state=state).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = signed_in.get(CALLBACK, {"code": "c", "state": state})
    assert "took too long" in messages_of(response)[0]


def test_a_state_started_by_another_user_is_refused(client, signed_in, company, merchant):
    state = start(signed_in, company)["state"][0]
    other = User.objects.create_user("colleague", company=company, is_staff=True)
    client.force_login(other)  # another sign-in, another session
    response = client.get(CALLBACK, {"code": "c", "state": state})
    assert "another sign-in" in messages_of(response)[0]
    assert LightspeedSettings.objects.get(company=company).refresh_token == ""


def test_a_state_brought_back_in_another_browser_session_of_the_same_user_is_refused(
    signed_in, company, merchant
):
    from django.test import Client

    state = start(signed_in, company)["state"][0]
    other_browser = Client()
    other_browser.force_login(merchant)  # the same person, another session (e.g. a leaked link)

    response = other_browser.get(CALLBACK, {"code": "c", "state": state})

    assert "another sign-in" in messages_of(response)[0]
    assert LightspeedSettings.objects.get(company=company).refresh_token == ""


@pytest.mark.parametrize(
    ("token_reply", "expected"),
    [
        (
            {
                "status": 400,
                "json": {"error": "invalid_grant", "error_description": "The authorization code has expired"},
            },
            "expired (codes live 60 seconds)",
        ),
        (
            {
                "status": 401,
                "json": {"error": "invalid_client", "error_description": "Client authentication failed"},
            },
            "refused the Client ID / Client Secret",
        ),
        ({"body": requests.ConnectionError("connection refused")}, "could not be reached"),
        ({"status": 502, "body": "<html>Bad gateway</html>"}, "could not be reached"),
    ],
)
def test_each_token_exchange_failure_says_what_happened_and_stores_nothing(
    signed_in, company, mocked_lightspeed, token_reply, expected
):
    state = start(signed_in, company)["state"][0]
    mocked_lightspeed.post(TOKEN_URL, **token_reply)

    response = signed_in.get(CALLBACK, {"code": "c", "state": state})

    assert response["Location"] == settings_page(company)
    assert expected in messages_of(response)[0]
    stored = LightspeedSettings.objects.get(company=company)
    assert (stored.auth_token, stored.refresh_token, stored.token_received_at) == ("", "", None)


def test_a_merchant_cannot_start_fetch_token_for_another_company(signed_in):
    other = Company.objects.create(name="Harbor Goods")
    response = signed_in.post(reverse("lightspeed:fetch_token_start", args=[other.pk]))
    assert response.status_code == 404
    assert not OAuthState.objects.exists()


def test_fetch_token_cannot_be_started_by_a_get_link(signed_in, company):
    assert signed_in.get(reverse("lightspeed:fetch_token_start", args=[company.pk])).status_code == 405


def test_without_a_client_id_fetch_token_explains_what_to_configure(signed_in, company, settings):
    settings.LIGHTSPEED_CLIENT_ID = ""
    response = signed_in.post(reverse("lightspeed:fetch_token_start", args=[company.pk]))
    assert response["Location"] == settings_page(company)
    assert "No Lightspeed Client ID" in messages_of(response)[0]


def test_a_refresh_refused_while_fetch_token_completes_does_not_mark_the_new_connection_lost(
    signed_in, company, mocked_lightspeed, monkeypatch
):
    """Both write the token pair: Fetch Token stores under the company's token lock, as the
    refresh (and Disconnect) do, so a refusal of the old refresh token cannot land on the new one."""
    from integrations.lightspeed.api import errors, oauth
    from integrations.lightspeed.connection.services import fetch_token
    from integrations.lightspeed.connection.services.token_refresh import token_refresh

    LightspeedSettings.objects.filter(company=company).update(
        account_id=ACCOUNT_ID,
        auth_token="a-old",
        refresh_token="r-old",
        connection_status=ConnectionStatus.CONNECTED,
    )
    monkeypatch.setattr(fetch_token, "LOCK_WAIT", 0.2, raising=False)
    state = start(signed_in, company)["state"][0]
    access = jwt_for(ACCOUNT_ID)
    mocked_lightspeed.post(TOKEN_URL, json=token_answer(access, "r-new"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    callback = {}

    def refused_while_the_callback_arrives(**kwargs):
        callback["response"] = signed_in.get(CALLBACK, {"code": "c", "state": state})
        raise errors.LightspeedOAuthError("Lightspeed refused: revoked", error="invalid_grant", status=400)

    monkeypatch.setattr(oauth, "refresh_tokens", refused_while_the_callback_arrives)
    with pytest.raises(errors.LightspeedReauthorizationRequiredError):
        token_refresh(company_id=company.pk, force=True)

    stored = LightspeedSettings.objects.get(company=company)
    if stored.refresh_token == "r-new":  # Fetch Token stored its pair: it must stay connected
        assert stored.connection_status == ConnectionStatus.CONNECTED
    else:  # Fetch Token waited for the refresh, gave up, and said so
        assert messages_of(callback["response"])[0].startswith("Lightspeed's token is being renewed")
