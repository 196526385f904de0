"""Helpers for tests and benchmarks that run LightSync against the sandbox over real HTTP."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.urls import reverse
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings

SCOPES = "employee:register employee:inventory employee:product_cost"
LIGHTSYNC = "http://127.0.0.1:8000"  # the redirect URI registered for the sandbox's demo client


def connect_with_minted_tokens(server, company: Company, **fields) -> LightspeedSettings:
    """The company connected to the sandbox's account and enabled, as after Fetch Token.

    Tokens are minted through the sandbox's control API (tests of the login pages drive those
    pages instead); `fields` sets further LightspeedSettings fields in the same update.
    """
    pair = server.mint_tokens(scope=SCOPES)
    now = timezone.now()
    LightspeedSettings.objects.filter(company=company).update(
        enabled=True,
        account_id=str(server.account_id),
        auth_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        token_received_at=now,
        token_expires_at=now + timedelta(seconds=int(pair.get("expires_in", 3600))),
        connection_status=ConnectionStatus.CONNECTED,
        **fields,
    )
    return LightspeedSettings.objects.get(company=company)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def browse_fetch_token(django_client, company, *, approve: bool = True):
    """Fetch Token as a person does it: start, log in at Lightspeed, approve, come back."""
    start = django_client.post(reverse("lightspeed:fetch_token_start", args=[company.pk]))
    assert start.status_code == 302
    browser = requests.Session()
    page = browser.get(start["Location"], timeout=30)  # follows redirects inside the sandbox
    assert "Log in" in page.text
    page = browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": _csrf(page.text),
            "action": "login",
            "username": "demo",
            "password": "demo",
        },
        headers={"Referer": page.url},
        timeout=30,
    )
    assert "Authorize" in page.text, page.text[:500]
    back = browser.post(
        page.url,
        data={"csrfmiddlewaretoken": _csrf(page.text), "action": "approve" if approve else "deny"},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=30,
    )
    assert back.status_code == 302 and back.headers["Location"].startswith(
        f"{LIGHTSYNC}/lightspeed/oauth/callback/"
    )
    callback = urlsplit(back.headers["Location"])
    return django_client.get(f"{callback.path}?{callback.query}")
