"""Fixtures of the Lightspeed app's tests: a connected company and a strict HTTP mock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.commerce.models import Company, User
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings

API = "https://api.lightspeedapp.com"
OAUTH = "https://cloud.lightspeedapp.com"
TOKEN_URL = f"{OAUTH}/auth/oauth/token"
ACCOUNT_ID = "100001"
ACCOUNT_URL = f"{API}/API/V3/Account.json"


# DESIGN.md §2: the General Settings labels merchants know, in their order.
GENERAL_SETTINGS_LABELS = [
    "Lightspeed POS Enabled",
    "Enable Lightspeed Shops Mapping",
    "AccountID",
    "Shop Name",
    "Lightspeed Register ID",
    "Lightspeed EmployeeID",
    "Redirect URI",
    "Auth Token",
    "Refresh Token",
    "Token Received On",
    "Returns Warehouse",
    "Enable Order Download",
    "Enable Inventory Upload",
    "Enable Price Upload",
    "Enable Cost Upload",
    "Auto Enable New Products For Lightspeed",
    "Enable Auto Create Enabled Products On Lightspeed",
    "Use Company Address As Billing/Shipping Address For Orders",
]


def resource_url(resource: str, record_id: int | None = None) -> str:
    suffix = f"/{record_id}" if record_id is not None else ""
    return f"{API}/API/V3/Account/{ACCOUNT_ID}/{resource}{suffix}.json"


def token_answer(access: str, refresh: str, expires_in: int = 3600) -> dict:
    return {
        "token_type": "Bearer",
        "expires_in": expires_in,
        "access_token": access,
        "refresh_token": refresh,
    }


ONE_ACCOUNT = {"@attributes": {"count": "1"}, "Account": {"accountID": ACCOUNT_ID, "name": "Demo Outfitters"}}
EXPIRED = {
    "error": "access_denied",
    "error_description": "The resource owner or authorization server denied the request.",
    "hint": "Access token could not be verified",
}


@pytest.fixture(autouse=True)
def lightspeed_urls(settings):
    settings.LIGHTSPEED_API_URL = API
    settings.LIGHTSPEED_OAUTH_URL = OAUTH
    settings.LIGHTSPEED_CLIENT_ID = "lightsync-test"
    settings.LIGHTSPEED_CLIENT_SECRET = "lightsync-test-secret"
    settings.SITE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def fresh_rate_buckets(settings):
    """Pacing state lives in Redis when REDIS_URL is set: start each test with empty buckets
    for the mocked host (only tests use it), so no run inherits another's level."""
    if settings.REDIS_URL:
        from integrations.core.locks import redis_client

        redis = redis_client()
        for key in redis.scan_iter("lightsync:bucket:api.lightspeedapp.com:*"):
            redis.delete(key)
    yield


@pytest.fixture
def mocked_lightspeed():
    """Every HTTP call must be expected; an unexpected one fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def company(db):
    return Company.objects.create(name="Demo Outfitters", email="shop@example.com")


@pytest.fixture
def connected(company) -> LightspeedSettings:
    return LightspeedSettings.objects.update_or_create(
        company=company,
        defaults=dict(
            enabled=True,
            account_id=ACCOUNT_ID,
            auth_token="a1",
            refresh_token="r1",
            token_received_at=timezone.now(),
            token_expires_at=timezone.now() + timedelta(hours=1),
            connection_status=ConnectionStatus.CONNECTED,
        ),
    )[0]


@pytest.fixture
def merchant(company) -> User:
    return User.objects.create_user(
        "merchant", password="pw", email="merchant@example.com", company=company, is_staff=True
    )


class Sleeps(list):
    """An injectable sleep that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def point_at(settings, monkeypatch):
    """Points LightSync at a sandbox server: its OAuth and API URLs and its demo API client."""

    def point(server):
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
        settings.LIGHTSPEED_OAUTH_URL = server.oauth_url
        settings.LIGHTSPEED_API_URL = server.api_url
        settings.LIGHTSPEED_CLIENT_ID = server.client_id
        settings.LIGHTSPEED_CLIENT_SECRET = server.client_secret
        return server

    return point
