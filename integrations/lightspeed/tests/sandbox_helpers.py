"""Helpers for tests and benchmarks that run LightSync against the sandbox over real HTTP."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from integrations.commerce.models import Company
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings

SCOPES = "employee:register employee:inventory employee:product_cost"


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
