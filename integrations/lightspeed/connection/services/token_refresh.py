"""Token refresh that never spends a refresh token twice and never loses the new pair.

Lightspeed rotates refresh tokens: every refresh returns a new pair and retires the old refresh
token. So, per company, one refresh at a time across every process and machine:

* a named lock (Redis, or the database on the embedded default) serializes refreshers, and on
  PostgreSQL a row lock on the settings row backs it up;
* under the lock the row is read again: if another worker refreshed meanwhile (the token it
  holds is no longer the one Lightspeed rejected, or it is no longer near expiry), its token is
  used and nothing is spent;
* the new pair is committed before it is returned, so it is never used unsaved.

A refusal (`invalid_grant`, `invalid_client`) marks the connection "re-authorization required"
through `connection_lost`; nothing loops. Transient failures leave the old pair in place (an
unused old refresh token still works) and are raised for the caller to retry later.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

from django.db import connection, transaction
from django.dispatch import Signal

from integrations.core.locks import named_lock
from integrations.lightspeed.api import errors, oauth
from integrations.lightspeed.connection.services.status import connection_lost
from integrations.lightspeed.models import LightspeedSettings

REFRESH_MARGIN = timedelta(minutes=5)  # refresh this long before the access token expires
# The tokens job (every 10 minutes) renews a bit earlier, so jobs rarely have to.
TOKENS_JOB_MARGIN = timedelta(minutes=15)
LOCK_WAIT = 60.0


def token_lock_name(company_id: int) -> str:
    return f"company:{company_id}:token"


def _refusal_reason(exc: errors.LightspeedOAuthError) -> str:
    if exc.error == "invalid_client":
        return (
            "Lightspeed refused this app's Client ID / Client Secret while renewing the token "
            f"({exc.message}). Check them in the Advanced settings, then run Fetch Token."
        )
    return (
        "Lightspeed refused to renew the token: the authorization was revoked or expired "
        f"({exc.message}). Run Fetch Token to connect again."
    )


def _store_pair(settings_obj: LightspeedSettings, pair: oauth.TokenPair, *, in_own_transaction: bool) -> None:
    settings_obj.auth_token = pair.access_token
    settings_obj.refresh_token = pair.refresh_token
    settings_obj.token_expires_at = pair.expires_at
    settings_obj.token_refreshed_at = pair.received_at
    if pair.scope:
        settings_obj.token_scope = pair.scope
    # durable: the pair must be on disk before anyone uses it, never inside a caller's
    # transaction that could still roll back and lose the only valid refresh token.
    with nullcontext() if in_own_transaction else transaction.atomic(durable=True):
        settings_obj.save(
            update_fields=[
                "auth_token",
                "refresh_token",
                "token_expires_at",
                "token_refreshed_at",
                "token_scope",
                "updated_at",
            ]
        )


def token_refresh(
    *,
    company_id: int,
    rejected: str | None = None,
    force: bool = False,
    margin: timedelta = REFRESH_MARGIN,
    dry_run: bool = False,
) -> str:
    """A valid access token for the company, refreshing it when needed (at most once per token).

    `rejected`: the access token Lightspeed just answered 401 to (reactive refresh).
    Without it the token is refreshed only when it expires within `margin` (or `force`).
    Must not run inside a caller's transaction (it commits the new pair itself, durably): call
    the client first, write afterwards.
    """
    with named_lock(token_lock_name(company_id), wait=LOCK_WAIT) as lock:
        if lock is None:
            raise errors.LightspeedUnavailableError(
                "Another worker is renewing this company's Lightspeed token and has not finished yet."
            )
        refused: errors.LightspeedOAuthError | None = None
        transient: errors.LightspeedError | None = None
        # select_for_update is a no-op on SQLite; there the named lock alone serializes, and the
        # HTTP call stays outside a transaction so SQLite's single writer lock is not held.
        row_lock = connection.vendor != "sqlite"
        with transaction.atomic(durable=True) if row_lock else nullcontext():
            query = LightspeedSettings.objects.select_for_update() if row_lock else LightspeedSettings.objects
            settings_obj = query.get(company_id=company_id)
            if settings_obj.needs_reauthorization:
                raise errors.LightspeedReauthorizationRequiredError(
                    f"Re-authorization required: {settings_obj.connection_error}"
                )
            if not settings_obj.refresh_token:
                raise errors.LightspeedNotConnectedError(
                    "Lightspeed is not connected: run Fetch Token first."
                )
            if rejected is not None and settings_obj.auth_token != rejected:
                return settings_obj.auth_token  # another worker already refreshed
            if rejected is None and not force and not settings_obj.token_expires_within(margin):
                return settings_obj.auth_token
            if dry_run:
                return settings_obj.auth_token
            if not row_lock and _in_callers_transaction():
                # The pair could not be committed durably there: refuse before spending the token.
                raise RuntimeError(
                    "token_refresh must not run inside a transaction: call the client first, write afterwards."
                )
            try:
                pair = oauth.refresh_tokens(
                    refresh_token=settings_obj.refresh_token,
                    client_id=settings_obj.effective_client_id(),
                    client_secret=settings_obj.effective_client_secret(),
                )
            except errors.LightspeedOAuthError as exc:
                _refresh_counted("failed")
                if exc.error not in oauth.PERMANENT_OAUTH_ERRORS:
                    transient = exc  # raised below, once the count is committed
                else:
                    refused = exc
            except errors.LightspeedError as exc:  # timeouts, 5xx: the old pair still works
                _refresh_counted("failed")
                transient = exc
            else:
                _store_pair(settings_obj, pair, in_own_transaction=row_lock)
                _refresh_counted("succeeded")
                return pair.access_token
        if transient is not None:
            raise transient
        lost = connection_lost(company_id=company_id, reason=_refusal_reason(refused))
        raise errors.LightspeedReauthorizationRequiredError(
            f"Re-authorization required: {lost.connection_error}"
        )


def _in_callers_transaction() -> bool:
    """Django's own test for `atomic(durable=True)`: an atomic block is open (a test case's own aside)."""
    blocks = connection.atomic_blocks
    return bool(blocks) and not blocks[-1]._from_testcase


# Sent after every refresh attempt with `company_id` and `result` ("succeeded" or "failed"); the
# operations layer counts them for /metrics.
token_refresh_attempted = Signal()


def _refresh_counted(result: str) -> None:
    token_refresh_attempted.send(sender=LightspeedSettings, result=result)


class DatabaseTokenProvider:
    """The client's view of a company's tokens: read from the database on every request."""

    def __init__(self, *, company_id: int, margin: timedelta = REFRESH_MARGIN) -> None:
        self.company_id = company_id
        self.margin = margin

    def access_token(self) -> str:
        settings_obj = LightspeedSettings.objects.only(
            "auth_token",
            "refresh_token",
            "token_expires_at",
            "token_received_at",
            "token_refreshed_at",
            "connection_status",
            "connection_error",
        ).get(company_id=self.company_id)
        if settings_obj.needs_reauthorization:
            raise errors.LightspeedReauthorizationRequiredError(
                f"Re-authorization required: {settings_obj.connection_error}"
            )
        if not settings_obj.auth_token:
            raise errors.LightspeedNotConnectedError("Lightspeed is not connected: run Fetch Token first.")
        if settings_obj.token_expires_within(self.margin):
            return token_refresh(company_id=self.company_id, margin=self.margin)
        return settings_obj.auth_token

    def refresh_access_token(self, *, rejected: str) -> str:
        return token_refresh(company_id=self.company_id, rejected=rejected)
