"""A Lightspeed API client for a company, with its tokens read from (and rotated in) the database."""

from __future__ import annotations

import time
from collections.abc import Callable

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import ClientStats, LightspeedClient
from integrations.lightspeed.connection.services.pacing import account_pacer
from integrations.lightspeed.connection.services.token_refresh import DatabaseTokenProvider
from integrations.lightspeed.models import LightspeedSettings


def lightspeed_client_for(
    settings_obj: LightspeedSettings,
    *,
    stats: ClientStats | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> LightspeedClient:
    if settings_obj.needs_reauthorization:
        raise errors.LightspeedReauthorizationRequiredError(
            f"Re-authorization required: {settings_obj.connection_error}"
        )
    if not settings_obj.refresh_token or not settings_obj.account_id:
        raise errors.LightspeedNotConnectedError("Lightspeed is not connected: run Fetch Token first.")
    return LightspeedClient(
        account_id=settings_obj.account_id,
        tokens=DatabaseTokenProvider(company_id=settings_obj.company_id),
        pacer=account_pacer(settings_obj.account_id),
        stats=stats,
        sleep=sleep,
    )
