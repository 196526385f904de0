"""Fetch Token: the OAuth 2 authorization-code flow that connects a company to Lightspeed.

`fetch_token_start` creates a single-use state (bound to the user, the company and the browser
session, expiring in minutes) with its PKCE verifier and returns Lightspeed's authorize URL.
`fetch_token_complete` checks the state, exchanges the code, checks the account and stores the
pair. Every failure raises `FetchTokenError` with a message for the person, and stores nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Company, User
from integrations.core.changelog import changelog_record, field_values
from integrations.core.errors import RefusalError
from integrations.core.locks import named_lock
from integrations.lightspeed.api import errors, oauth
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.connection.services.pacing import account_pacer
from integrations.lightspeed.connection.services.status import lightspeed_settings_get
from integrations.lightspeed.connection.services.token_refresh import LOCK_WAIT, token_lock_name
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, OAuthState

logger = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
SESSION_KEY = "lightspeed_oauth_states"
MAX_STATES_PER_SESSION = 5

STORED_FIELDS = [
    "account_id",
    "auth_token",
    "refresh_token",
    "token_received_at",
    "connection_status",
    "connection_error",
]


class FetchTokenError(RefusalError):
    def __init__(self, message: str, *, company: Company | None = None) -> None:
        super().__init__(message)
        self.company = company


class _StaticToken:
    """Tokens for the one check right after the exchange; a 401 there is an answer, not a cue."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refresh_access_token(self, *, rejected: str) -> str:
        raise errors.LightspeedUnauthorizedError("Lightspeed rejected the token it just issued.")


def fetch_token_start(*, company: Company, user: User, session: SessionBase) -> str:
    """Lightspeed's authorize URL for this company, with a fresh state remembered server-side."""
    settings_obj = lightspeed_settings_get(company=company)
    client_id = settings_obj.effective_client_id()
    if not client_id:
        raise FetchTokenError(
            "No Lightspeed Client ID is configured: fill in Client ID and Client Secret under "
            "Advanced, or ask the operator to set LIGHTSPEED_CLIENT_ID.",
            company=company,
        )
    if not settings_obj.effective_client_secret():
        raise FetchTokenError("The Client Secret for this Client ID is missing.", company=company)
    if session.session_key is None:
        session.save()
    now = timezone.now()
    OAuthState.objects.filter(expires_at__lt=now - STATE_TTL).delete()
    state = oauth.new_state()
    verifier = oauth.new_code_verifier()
    OAuthState.objects.create(
        state=state,
        company=company,
        user=user,
        session_key=session.session_key or "",
        code_verifier=verifier,
        expires_at=now + STATE_TTL,
    )
    session[SESSION_KEY] = [*session.get(SESSION_KEY, [])[-(MAX_STATES_PER_SESSION - 1) :], state]
    return oauth.authorization_url(
        client_id=client_id, redirect_uri=settings_obj.redirect_uri, state=state, code_verifier=verifier
    )


def _claim_state(*, state: str, user: User, session: SessionBase) -> OAuthState:
    """The state's record, marked used. Raises for a missing, unknown, reused, expired or foreign state."""
    if not state:
        raise FetchTokenError("Lightspeed's answer carried no state; run Fetch Token again.")
    with transaction.atomic():
        record = OAuthState.objects.select_for_update().select_related("company").filter(state=state).first()
        if record is None:
            raise FetchTokenError("This Fetch Token answer is unknown or too old; run Fetch Token again.")
        if record.used_at is not None:
            raise FetchTokenError(
                "This Fetch Token answer was already used; run Fetch Token again.", company=record.company
            )
        # Spent before any other check, so a state can never be tried twice.
        claimed = OAuthState.objects.filter(pk=record.pk, used_at__isnull=True).update(used_at=timezone.now())
    if not claimed:
        raise FetchTokenError(
            "This Fetch Token answer was already used; run Fetch Token again.", company=record.company
        )
    states = session.get(SESSION_KEY, [])
    if record.user_id != user.pk or state not in states:
        raise FetchTokenError("This Fetch Token was started by another sign-in; run Fetch Token again.")
    session[SESSION_KEY] = [s for s in states if s != state]
    if record.expires_at < timezone.now():
        raise FetchTokenError(
            "Fetch Token took too long (more than 10 minutes); run it again.", company=record.company
        )
    return record


def _exchange(
    settings_obj: LightspeedSettings, *, code: str, verifier: str, company: Company
) -> oauth.TokenPair:
    try:
        return oauth.exchange_code(
            code=code,
            code_verifier=verifier,
            client_id=settings_obj.effective_client_id(),
            client_secret=settings_obj.effective_client_secret(),
            redirect_uri=settings_obj.redirect_uri,
        )
    except errors.LightspeedOAuthError as exc:
        if exc.error == "invalid_grant":
            message = (
                "Lightspeed refused the authorization code: it expired (codes live 60 seconds) or "
                "was already used. Run Fetch Token again."
            )
        elif exc.error in {"invalid_client", "unauthorized_client"}:
            message = (
                "Lightspeed refused the Client ID / Client Secret. Check them (Advanced settings or "
                "the deployment's LIGHTSPEED_CLIENT_ID / LIGHTSPEED_CLIENT_SECRET) and run Fetch Token again."
            )
        else:
            message = f"Lightspeed refused the token request ({exc.message}). Run Fetch Token again."
        raise FetchTokenError(message, company=company) from exc
    except (errors.LightspeedTransientError, errors.LightspeedConnectionError) as exc:
        raise FetchTokenError(
            f"Lightspeed could not be reached to finish Fetch Token ({exc.message}). Nothing was changed; "
            "try again in a few minutes.",
            company=company,
        ) from exc
    except errors.LightspeedError as exc:
        raise FetchTokenError(f"Fetch Token failed: {exc.message}", company=company) from exc


def _account(pair: oauth.TokenPair, company: Company) -> dict:
    client = LightspeedClient(
        account_id=pair.account_id or "",
        tokens=_StaticToken(pair.access_token),
        pacer=account_pacer(pair.account_id or ""),
    )
    try:
        return client.get_account()
    except errors.LightspeedError as exc:
        raise FetchTokenError(
            f"The new token could not read the Lightspeed account ({exc.message}). Nothing was stored; "
            "run Fetch Token again.",
            company=company,
        ) from exc


def fetch_token_complete(
    *,
    user: User,
    session: SessionBase,
    state: str,
    code: str = "",
    error: str = "",
    error_description: str = "",
) -> LightspeedSettings:
    record = _claim_state(state=state, user=user, session=session)
    company = record.company
    if error:
        if error == "access_denied":
            message = "Access was not granted at Lightspeed, so nothing was connected."
        else:
            message = f"Lightspeed did not authorize LightSync: {error_description or error}."
        raise FetchTokenError(message, company=company)
    if not code:
        raise FetchTokenError(
            "Lightspeed's answer carried no authorization code; run Fetch Token again.", company=company
        )

    settings_obj = lightspeed_settings_get(company=company)
    pair = _exchange(settings_obj, code=code, verifier=record.code_verifier, company=company)
    try:
        return _check_and_store(settings_obj, pair=pair, user=user)
    except FetchTokenError:
        # Lightspeed issued a live authorization that LightSync will not keep (another account's,
        # unreadable, or a refresh in the way): revoke it rather than leave it valid for 30 days.
        _revoke_unstored(settings_obj, pair)
        raise


def _revoke_unstored(settings_obj: LightspeedSettings, pair: oauth.TokenPair) -> None:
    """Best effort: a failed revoke is logged; the person still gets the reason the token was refused."""
    try:
        oauth.revoke_token(
            refresh_token=pair.refresh_token,
            client_id=settings_obj.effective_client_id(),
            client_secret=settings_obj.effective_client_secret(),
        )
    except errors.LightspeedError as exc:
        logger.warning(
            "A token Fetch Token refused for company %s could not be revoked at Lightspeed: %s",
            settings_obj.company_id,
            exc.message,
        )


def _check_and_store(
    settings_obj: LightspeedSettings, *, pair: oauth.TokenPair, user: User
) -> LightspeedSettings:
    company = settings_obj.company
    account = _account(pair, company)
    account_id = str(account.get("accountID") or "")
    if not account_id or (pair.account_id and pair.account_id != account_id):
        raise FetchTokenError(
            "Lightspeed's answer did not name one account; nothing was stored.", company=company
        )

    # Under the company's token lock, as a refresh and Disconnect: a refresh in flight would
    # otherwise store its pair (or mark the connection lost) over the one stored here.
    with named_lock(token_lock_name(company.pk), wait=LOCK_WAIT) as lock:
        if lock is None:
            raise FetchTokenError(
                "Lightspeed's token is being renewed right now; run Fetch Token again in a minute. "
                "Nothing was stored.",
                company=company,
            )
        return _store(settings_obj, pair=pair, account=account, account_id=account_id, user=user)


def _store(
    settings_obj: LightspeedSettings, *, pair: oauth.TokenPair, account: dict, account_id: str, user: User
) -> LightspeedSettings:
    company = settings_obj.company
    with transaction.atomic():
        settings_obj = LightspeedSettings.objects.select_for_update().get(pk=settings_obj.pk)
        if settings_obj.account_id and settings_obj.account_id != account_id:
            raise FetchTokenError(
                f"The token is for Lightspeed account {account_id} ({account.get('name', '')}), but AccountID "
                f"is {settings_obj.account_id}. Sign in to Lightspeed as the right account, or clear AccountID "
                "first. Nothing was stored.",
                company=company,
            )
        before = field_values(settings_obj, STORED_FIELDS)
        settings_obj.account_id = account_id
        settings_obj.account_name = str(account.get("name") or "")[:200]
        settings_obj.auth_token = pair.access_token
        settings_obj.refresh_token = pair.refresh_token
        settings_obj.token_received_at = pair.received_at
        settings_obj.token_expires_at = pair.expires_at
        settings_obj.token_refreshed_at = None
        settings_obj.token_scope = pair.scope or ""
        settings_obj.connection_status = ConnectionStatus.CONNECTED
        settings_obj.connection_error = ""
        settings_obj.reauthorization_notified_at = None
        settings_obj.save()
        changelog_record(
            instance=settings_obj, before=before, company=company, actor=user, actor_label="Fetch Token"
        )
    return settings_obj
