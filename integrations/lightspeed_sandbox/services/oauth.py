"""Authorization codes, token pairs, refresh rotation and revocation, on the sandbox clock.

Rotation follows API-NOTES: every refresh returns a new pair; the spent refresh token is
retired when the new access token is first used (lenient, since 2026-01-15) or at once
(strict). A retry with the spent refresh token before then succeeds and retires the unused
pair; after it, `invalid_grant`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.db import transaction

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import SandboxOAuthError
from integrations.lightspeed_sandbox.resources import VALID_SCOPES
from integrations.lightspeed_sandbox.store.models import (
    AccessToken,
    Account,
    ApiClient,
    AuthCode,
    Employee,
    RefreshToken,
)

# What a shop-bound employee (a clerk, not the owner) has no right to, whatever the token asks.
OWNER_ONLY_SCOPES = {"admin", "admin_void_sale", "product_cost", "reports", "inventory_counts"}
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
EXPIRED_TOKENS_KEPT = 86400.0  # seconds an expired access token still reads as expired, not revoked


@dataclass(frozen=True)
class Authenticated:
    token: AccessToken
    owner: bool = True  # the authorizing employee works in every shop (the account's owner role)

    @property
    def scopes(self) -> set[str]:
        """The token's scopes, limited by the authorizing employee's own rights."""
        granted = {s.removeprefix("employee:") for s in self.token.scope.split()}
        if self.owner:
            return granted
        if "all" in granted:
            granted = set(VALID_SCOPES) - {"all"}
        return granted - OWNER_ONLY_SCOPES


class TokenRejectedError(Exception):
    def __init__(self, reason: str, legacy: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.legacy = legacy


def client_check(client_id: str, client_secret: str | None) -> ApiClient:
    client = ApiClient.objects.filter(clientID=client_id or "").first()
    if client is None or client_secret is None or not hmac.compare_digest(client.secret, client_secret):
        raise SandboxOAuthError("invalid_client")
    return client


def scope_check(scope: str) -> str:
    names = scope.replace("+", " ").split()
    if not names:
        raise SandboxOAuthError("invalid_scope", "Check the `scope` parameter")
    for name in names:
        if not name.startswith("employee:") or name.removeprefix("employee:") not in VALID_SCOPES:
            raise SandboxOAuthError("invalid_scope", f"Check the `{name}` scope")
    return " ".join(names)


def code_create(
    *,
    client: ApiClient,
    employee: Employee,
    scope: str,
    redirect_uri: str,
    code_challenge: str = "",
    code_challenge_method: str = "",
    legacy: bool = False,
) -> str:
    code = secrets.token_urlsafe(32)
    AuthCode.objects.create(
        code=code,
        clientID=client.clientID,
        accountID=employee.accountID,
        employeeID=employee.employeeID,
        scope=scope,
        redirectUri=redirect_uri,
        codeChallenge=code_challenge,
        codeChallengeMethod=code_challenge_method or ("plain" if code_challenge else ""),
        expiresAt=clock.epoch() + settings.SANDBOX_CODE_TTL,
        legacy=legacy,
    )
    return code


def _access_token_value(
    *, account_id: int, client_id: str, employee_id: int, scope: str, expires: float, legacy: bool
) -> str:
    if legacy:
        return secrets.token_hex(20)  # the old server's opaque 40-hex tokens
    now = clock.epoch()
    # Fractional unix times, as Lightspeed's own tokens carry ("exp": 1720465733.161645).
    claims = {
        "iss": "https://cloud.lightspeedapp.com",
        "aud": client_id,
        "jti": uuid.uuid4().hex,
        "iat": float(now),
        "nbf": float(now),
        "exp": float(expires),
        "sub": str(employee_id),
        "acct": str(account_id),
        "scope": scope,
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256", headers={"kid": "SANDBOX_HS256"})


def pair_issue(
    *,
    account_id: int,
    client_id: str,
    employee_id: int,
    scope: str,
    legacy: bool = False,
    spent: RefreshToken | None = None,
    reuse_refresh: RefreshToken | None = None,
    auth_code: str = "",
) -> dict:
    now = clock.epoch()
    ttl = settings.SANDBOX_TOKEN_TTL
    refresh = reuse_refresh or RefreshToken.objects.create(
        token=secrets.token_hex(20) if legacy else secrets.token_urlsafe(48),
        clientID=client_id,
        accountID=account_id,
        employeeID=employee_id,
        scope=scope,
        createdAt=now,
        expiresAt=now + settings.SANDBOX_REFRESH_TOKEN_TTL,
        legacy=legacy,
        authCode=auth_code,
    )
    access = AccessToken.objects.create(
        token=_access_token_value(
            account_id=account_id,
            client_id=client_id,
            employee_id=employee_id,
            scope=scope,
            expires=now + ttl,
            legacy=legacy,
        ),
        clientID=client_id,
        accountID=account_id,
        employeeID=employee_id,
        scope=scope,
        createdAt=now,
        expiresAt=now + ttl,
        legacy=legacy,
        refreshToken=refresh,
        spentRefreshToken=spent,
        authCode=auth_code,
    )
    body = {
        "token_type": "Bearer",
        "expires_in": ttl,
        "access_token": access.token,
        "refresh_token": refresh.token,
    }
    if legacy:
        body["scope"] = scope
    return body


def _pkce_verify(code: AuthCode, verifier: str | None) -> None:
    if not code.codeChallenge:
        if verifier:
            raise SandboxOAuthError(
                "invalid_request", "code_verifier received when no code_challenge is present"
            )
        return
    if not verifier:
        raise SandboxOAuthError("invalid_request", "Check the `code_verifier` parameter")
    if not PKCE_VERIFIER.fullmatch(verifier):
        raise SandboxOAuthError(
            "invalid_request", "Code verifier must follow the specifications of RFC-7636."
        )
    if code.codeChallengeMethod == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        expected = verifier
    if not hmac.compare_digest(expected, code.codeChallenge):
        raise SandboxOAuthError("invalid_grant", "Failed to verify `code_verifier`.")


def _code_replay_revoke(code: str) -> None:
    """A replayed code also revokes what it produced (RFC 6749 §4.1.2), outside the failing request's
    transaction so that the revocation stays."""
    now = clock.epoch()
    AccessToken.objects.filter(authCode=code, revokedAt__isnull=True).update(revokedAt=now)
    RefreshToken.objects.filter(authCode=code, revokedAt__isnull=True).update(revokedAt=now)


def code_exchange(
    *, client: ApiClient, code: str, redirect_uri: str | None, verifier: str | None, legacy: bool = False
) -> dict:
    replayed = (
        AuthCode.objects.filter(code=code or "", usedAt__isnull=False).values_list("code", flat=True).first()
    )
    if replayed:
        _code_replay_revoke(replayed)
        raise SandboxOAuthError("invalid_grant", "Authorization code has been revoked")
    with transaction.atomic():
        record = AuthCode.objects.filter(code=code or "").first()
        if record is None:
            raise SandboxOAuthError("invalid_grant", "Cannot decrypt the authorization code")
        if record.clientID != client.clientID:
            raise SandboxOAuthError("invalid_grant", "Authorization code was not issued to this client")
        if record.usedAt is not None:
            _code_replay_revoke(record.code)
            raise SandboxOAuthError("invalid_grant", "Authorization code has been revoked")
        if clock.epoch() > record.expiresAt:
            raise SandboxOAuthError("invalid_grant", "Authorization code has expired")
        if redirect_uri and redirect_uri != record.redirectUri:
            raise SandboxOAuthError("invalid_client", "Invalid redirect URI")
        _pkce_verify(record, verifier)
        record.usedAt = clock.epoch()
        record.save(update_fields=["usedAt"])
        return pair_issue(
            account_id=record.accountID,
            client_id=client.clientID,
            employee_id=record.employeeID,
            scope=record.scope,
            legacy=legacy or record.legacy,
            auth_code=record.code,
        )


def token_refresh(*, client: ApiClient, refresh_token: str, legacy: bool = False) -> dict:
    now = clock.epoch()
    with transaction.atomic():
        record = RefreshToken.objects.filter(token=refresh_token or "").first()
        if record is None or record.clientID != client.clientID:
            raise SandboxOAuthError("invalid_grant", "Cannot decrypt the refresh token")
        if record.revokedAt is not None:
            raise SandboxOAuthError("invalid_grant", "Token has been revoked")
        if now > record.expiresAt:
            raise SandboxOAuthError("invalid_grant", "Token has expired")
        if not _employee_active(record.employeeID, record.accountID):
            raise SandboxOAuthError("invalid_grant", "Token has been revoked")
        limit = settings.SANDBOX_REFRESHES_PER_MINUTE
        if limit and not record.legacy:
            recent = AccessToken.objects.filter(
                accountID=record.accountID,
                clientID=record.clientID,
                spentRefreshToken__isnull=False,
                createdAt__gt=now - 60,
            ).count()
            if recent >= limit:
                raise SandboxOAuthError("too_many_requests", "Refreshing too often", status=429)
        if record.legacy:
            # The old server handed back the same refresh token with every new access token.
            return pair_issue(
                account_id=record.accountID,
                client_id=client.clientID,
                employee_id=record.employeeID,
                scope=record.scope,
                legacy=True,
                reuse_refresh=record,
            )
        # A retry before the new access token was used: the unused pair is retired.
        for pending in AccessToken.objects.filter(spentRefreshToken=record, revokedAt__isnull=True):
            AccessToken.objects.filter(pk=pending.pk).update(revokedAt=now)
            RefreshToken.objects.filter(pk=pending.refreshToken_id).update(revokedAt=now)
        body = pair_issue(
            account_id=record.accountID,
            client_id=client.clientID,
            employee_id=record.employeeID,
            scope=record.scope,
            spent=record,
        )
        if settings.SANDBOX_STRICT_REFRESH:
            RefreshToken.objects.filter(pk=record.pk).update(revokedAt=now)
        return body


def token_revoke(*, client: ApiClient, token: str) -> None:
    now = clock.epoch()
    with transaction.atomic():
        refresh = RefreshToken.objects.filter(token=token, clientID=client.clientID).first()
        if refresh is not None:
            RefreshToken.objects.filter(pk=refresh.pk).update(revokedAt=now)
            AccessToken.objects.filter(refreshToken=refresh).update(revokedAt=now)
            return
        AccessToken.objects.filter(token=token, clientID=client.clientID).update(revokedAt=now)


def tokens_mint(*, account_id: int, client_id: str, scope: str, employee_id: int | None = None) -> dict:
    """A token pair without the login pages, for tests (`POST /_sandbox/tokens`)."""
    if not Account.objects.filter(accountID=account_id).exists():
        raise SandboxOAuthError("invalid_request", f"No account {account_id}")
    if not ApiClient.objects.filter(clientID=client_id).exists():
        raise SandboxOAuthError("invalid_client")
    scope = scope_check(scope)
    if employee_id is None:
        owner = Employee.objects.filter(accountID=account_id).order_by("employeeID").first()
        employee_id = owner.employeeID if owner else 0
    return pair_issue(account_id=account_id, client_id=client_id, employee_id=employee_id, scope=scope)


def tokens_mint_bulk(pairs: list[tuple[int, str, int]], *, scope: str) -> list[dict]:
    """One token pair per (account, client, employee), in two bulk INSERTs: for fleets of accounts.

    The same tokens `pair_issue` makes, numbered on from the highest ids so that the access
    tokens can point at their refresh tokens without reading them back.
    """
    now = clock.epoch()
    ttl = settings.SANDBOX_TOKEN_TTL
    next_refresh = (RefreshToken.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    refreshes, accesses, bodies = [], [], []
    for n, (account_id, client_id, employee_id) in enumerate(pairs):
        refresh = RefreshToken(
            pk=next_refresh + n,
            token=secrets.token_urlsafe(48),
            clientID=client_id,
            accountID=account_id,
            employeeID=employee_id,
            scope=scope,
            createdAt=now,
            expiresAt=now + settings.SANDBOX_REFRESH_TOKEN_TTL,
        )
        value = _access_token_value(
            account_id=account_id,
            client_id=client_id,
            employee_id=employee_id,
            scope=scope,
            expires=now + ttl,
            legacy=False,
        )
        refreshes.append(refresh)
        accesses.append(
            AccessToken(
                token=value,
                clientID=client_id,
                accountID=account_id,
                employeeID=employee_id,
                scope=scope,
                createdAt=now,
                expiresAt=now + ttl,
                refreshToken_id=refresh.pk,
            )
        )
        bodies.append(
            {"token_type": "Bearer", "expires_in": ttl, "access_token": value, "refresh_token": refresh.token}
        )
    with transaction.atomic():
        RefreshToken.objects.bulk_create(refreshes, batch_size=1000)
        AccessToken.objects.bulk_create(accesses, batch_size=1000)
    return bodies


def _employee_active(employee_id: int, account_id: int) -> bool:
    return _employee_state(employee_id, account_id)[0]


# Employees change only through the control API (seed, reset), which calls employees_forget(): so
# every request need not read the employee again.
_employee_states: dict[tuple[int, int], tuple[bool, bool]] = {}


def employees_forget() -> None:
    _employee_states.clear()


def _employee_state(employee_id: int, account_id: int) -> tuple[bool, bool]:
    """(active, owner) for the employee who authorized a token."""
    if not employee_id:
        return True, True
    key = (employee_id, account_id)
    if key not in _employee_states:
        employee = Employee.objects.filter(employeeID=employee_id, accountID=account_id).first()
        # Archiving or locking out the employee who authorized the app revokes its tokens.
        active = employee is not None and not employee.archived and not employee.lockOut
        _employee_states[key] = (active, employee is not None and employee.limitToShopID == 0)
    return _employee_states[key]


def access_authenticate(header: str) -> Authenticated:
    """The access token of an `Authorization: Bearer …` header, marking its first use."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not value.strip():
        raise TokenRejectedError("Missing or malformed Authorization header")
    value = value.strip()
    record = AccessToken.objects.filter(token=value).select_related("spentRefreshToken").first()
    if record is None:
        raise TokenRejectedError("Access token could not be verified")
    now = clock.epoch()
    if record.revokedAt is not None:
        raise TokenRejectedError("Access token has been revoked", legacy=record.legacy)
    if now >= record.expiresAt + EXPIRED_TOKENS_KEPT and not record.legacy:
        # Lightspeed deletes expired tokens periodically; an old one then reads as revoked.
        raise TokenRejectedError("Access token has been revoked")
    if now >= record.expiresAt:
        raise TokenRejectedError("Access token has expired", legacy=record.legacy)
    active, owner = _employee_state(record.employeeID, record.accountID)
    if not active:
        raise TokenRejectedError("Access token has been revoked", legacy=record.legacy)
    if record.usedAt is None:
        with transaction.atomic():
            AccessToken.objects.filter(pk=record.pk, usedAt__isnull=True).update(usedAt=now)
            if record.spentRefreshToken_id:
                RefreshToken.objects.filter(pk=record.spentRefreshToken_id, revokedAt__isnull=True).update(
                    revokedAt=now
                )
    return Authenticated(record, owner=owner)
