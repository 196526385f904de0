"""Disconnect: revoke LightSync's authorization at Lightspeed, then forget the tokens here.

The tokens are cleared even when Lightspeed cannot be reached or refuses, because the person
asked LightSync to stop using them; the result says whether the revoke went through, so the
page can tell them to remove the app at Lightspeed by hand when it did not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from integrations.commerce.models import User
from integrations.core.changelog import changelog_record, field_values
from integrations.core.errors import RefusalError
from integrations.core.locks import named_lock
from integrations.lightspeed.api import errors, oauth
from integrations.lightspeed.connection.services.token_refresh import LOCK_WAIT, token_lock_name
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings

logger = logging.getLogger(__name__)

CLEARED_FIELDS = [
    "enabled",
    "auth_token",
    "refresh_token",
    "token_received_at",
    "token_expires_at",
    "token_refreshed_at",
    "token_scope",
    "connection_status",
    "connection_error",
    "reauthorization_notified_at",
]


@dataclass(frozen=True)
class DisconnectResult:
    was_connected: bool
    revoked: bool
    revoke_error: str = ""


class DisconnectError(RefusalError):
    """Disconnect was refused; the connection is as it was."""


def _revoke(settings_obj: LightspeedSettings) -> tuple[bool, str]:
    try:
        oauth.revoke_token(
            refresh_token=settings_obj.refresh_token,
            client_id=settings_obj.effective_client_id(),
            client_secret=settings_obj.effective_client_secret(),
        )
    except errors.LightspeedError as exc:
        logger.warning(
            "Revoking the Lightspeed token of company %s failed: %s", settings_obj.company_id, exc.message
        )
        return False, exc.message
    return True, ""


def lightspeed_disconnect(*, company_id: int, actor: User | None) -> DisconnectResult:
    """Revokes the token at Lightspeed and clears it here; turns Lightspeed POS Enabled off.

    AccountID is kept, so the next Fetch Token is checked against the same account.
    """
    # Under the token lock: a refresh in flight would otherwise store a new pair after the clear.
    with named_lock(token_lock_name(company_id), wait=LOCK_WAIT) as lock:
        if lock is None:
            raise DisconnectError("The token is being renewed right now; try Disconnect again in a minute.")
        settings_obj = LightspeedSettings.objects.get(company_id=company_id)
        was_connected = bool(settings_obj.refresh_token)
        revoked, revoke_error = _revoke(settings_obj) if was_connected else (False, "")
        with transaction.atomic():
            stored = LightspeedSettings.objects.select_for_update().get(pk=settings_obj.pk)
            before = field_values(stored, CLEARED_FIELDS)
            stored.enabled = False
            stored.auth_token = ""
            stored.refresh_token = ""
            stored.token_received_at = None
            stored.token_expires_at = None
            stored.token_refreshed_at = None
            stored.token_scope = ""
            stored.connection_status = ConnectionStatus.NOT_CONNECTED
            stored.connection_error = ""
            stored.reauthorization_notified_at = None
            stored.save()
            changelog_record(
                instance=stored, before=before, company=stored.company, actor=actor, actor_label="Disconnect"
            )
    return DisconnectResult(was_connected=was_connected, revoked=revoked, revoke_error=revoke_error)
