"""Lightspeed's OAuth 2 endpoints, through requests-oauthlib: authorize URL, code exchange, refresh.

Only the token service and the Fetch Token service call this module. It never stores anything:
callers persist the returned pair (refresh serialization lives in services/token_refresh.py).
requests-oauthlib's automatic refresh is deliberately not used, because it would spend the
single-use refresh token outside the per-company lock.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import requests
from django.conf import settings
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError, MissingTokenError
from requests_oauthlib import OAuth2Session

from integrations.core.http import DEFAULT_TIMEOUT, parse_retry_after
from integrations.lightspeed.api import errors
from integrations.lightspeed.api.normalise import error_message

# Both libraries log request bodies and tokens at DEBUG; tokens must never reach a log.
for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)

SCOPES = ("employee:register", "employee:inventory", "employee:product_cost", "employee:admin_void_sale")
AUTHORIZE_PATH = "/auth/oauth/authorize"
TOKEN_PATH = "/auth/oauth/token"  # noqa: S105 - a URL path, not a secret
DEFAULT_EXPIRES_IN = 3600

# Refused for good: a person has to run Fetch Token again (or fix the client credentials).
PERMANENT_OAUTH_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client"}


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime
    received_at: datetime
    scope: str = ""

    @property
    def account_id(self) -> str | None:
        return account_id_from_token(self.access_token)

    def __repr__(self) -> str:  # keep tokens out of tracebacks and logs
        return f"TokenPair(expires_at={self.expires_at.isoformat()}, scope={self.scope!r})"


def authorize_url_base() -> str:
    return f"{settings.LIGHTSPEED_OAUTH_URL}{AUTHORIZE_PATH}"


def token_url() -> str:
    return f"{settings.LIGHTSPEED_OAUTH_URL}{TOKEN_PATH}"


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    return WebApplicationClient("").create_code_verifier(64)


def _claims(access_token: str) -> dict:
    try:
        claims = jwt.decode(access_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def account_id_from_token(access_token: str) -> str | None:
    """The `acct` claim of Lightspeed's JWT access tokens (None for opaque legacy tokens).

    The signature is not checked: the token came straight from Lightspeed over TLS, and the
    claim only pre-fills or cross-checks the AccountID, which Account.json confirms.
    """
    acct = _claims(access_token).get("acct")
    return str(acct) if acct not in (None, "") else None


def authorization_url(*, client_id: str, redirect_uri: str, state: str, code_verifier: str) -> str:
    """The Lightspeed authorize URL: our scopes, the state, and a PKCE S256 challenge."""
    oauth_client = WebApplicationClient(client_id)
    session = OAuth2Session(client=oauth_client, redirect_uri=redirect_uri, scope=list(SCOPES))
    challenge = oauth_client.create_code_challenge(code_verifier, "S256")
    url, _ = session.authorization_url(
        authorize_url_base(), state=state, code_challenge=challenge, code_challenge_method="S256"
    )
    return url


def _raise_for_unavailable(response: requests.Response) -> requests.Response:
    if response.status_code == 429:
        raise errors.LightspeedRateLimitedError(
            "Lightspeed is rate limiting token requests.",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            status=429,
            url=response.url,
        )
    if response.status_code >= 500:
        raise errors.LightspeedServerError(
            f"Lightspeed's token endpoint failed (HTTP {response.status_code}).",
            status=response.status_code,
            url=response.url,
        )
    return response


def _session(client_id: str, redirect_uri: str | None = None) -> OAuth2Session:
    # No scope on the token session: Lightspeed's token answers carry none (legacy ones carry
    # "employee:all"), and oauthlib would raise on a scope it did not expect.
    session = OAuth2Session(client=WebApplicationClient(client_id), redirect_uri=redirect_uri)
    session.register_compliance_hook("access_token_response", _raise_for_unavailable)
    session.register_compliance_hook("refresh_token_response", _raise_for_unavailable)
    return session


def _pair(token: dict) -> TokenPair:
    now = timezone.now()
    access, refresh = token.get("access_token"), token.get("refresh_token")
    if not access or not refresh:
        raise errors.LightspeedMalformedResponseError("Lightspeed's token answer lacks a token.")
    try:
        expires_in = int(token.get("expires_in") or DEFAULT_EXPIRES_IN)
    except (TypeError, ValueError):
        expires_in = DEFAULT_EXPIRES_IN
    scope = token.get("scope") or _claims(access).get("scope") or ""
    if isinstance(scope, list | tuple):
        scope = " ".join(scope)
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_at=now + timedelta(seconds=expires_in),
        received_at=now,
        scope=scope,
    )


def _call(fn, *args, **kwargs) -> TokenPair:
    try:
        return _pair(fn(*args, **kwargs))
    except errors.LightspeedError:
        raise
    except InsecureTransportError as exc:
        raise errors.LightspeedConnectionError(
            "LIGHTSPEED_OAUTH_URL must use https:// (OAUTHLIB_INSECURE_TRANSPORT=1 is for tests and the demo)."
        ) from exc
    except MissingTokenError as exc:
        raise errors.LightspeedMalformedResponseError("Lightspeed's token answer lacks a token.") from exc
    except OAuth2Error as exc:
        description = exc.description or error_message({"error": exc.error}) or exc.error
        raise errors.LightspeedOAuthError(
            f"Lightspeed refused: {description}", error=exc.error or "", status=exc.status_code
        ) from None  # the oauthlib error carries the request body, with the secret
    except requests.Timeout as exc:
        raise errors.LightspeedTimeoutError("Lightspeed's token endpoint did not answer in time.") from exc
    except requests.ConnectionError as exc:
        raise errors.LightspeedConnectionError("Lightspeed's token endpoint cannot be reached.") from exc


def exchange_code(
    *, code: str, code_verifier: str, client_id: str, client_secret: str, redirect_uri: str
) -> TokenPair:
    session = _session(client_id, redirect_uri)
    return _call(
        session.fetch_token,
        token_url(),
        code=code,
        code_verifier=code_verifier,
        client_secret=client_secret,
        include_client_id=True,
        timeout=DEFAULT_TIMEOUT,
    )


def refresh_tokens(*, refresh_token: str, client_id: str, client_secret: str) -> TokenPair:
    """Spends `refresh_token` once. The caller must hold the company's token lock."""
    session = _session(client_id)
    return _call(
        session.refresh_token,
        token_url(),
        refresh_token=refresh_token,
        client_id=client_id,
        client_secret=client_secret,
        timeout=DEFAULT_TIMEOUT,
    )


REVOKE_PATH = "/auth/oauth/revoke"


def revoke_url() -> str:
    return f"{settings.LIGHTSPEED_OAUTH_URL}{REVOKE_PATH}"


def revoke_token(*, refresh_token: str, client_id: str, client_secret: str) -> None:
    """Revokes the authorization at Lightspeed (the refresh token and the tokens issued from it).

    An `invalid_grant` answer means the token is already dead, which is what the caller wants,
    so it counts as done.
    """
    try:
        response = requests.post(
            revoke_url(),
            data={"client_id": client_id, "client_secret": client_secret, "refresh_token": refresh_token},
            timeout=DEFAULT_TIMEOUT,
        )
    except requests.Timeout as exc:
        raise errors.LightspeedTimeoutError("Lightspeed's revoke endpoint did not answer in time.") from exc
    except requests.ConnectionError as exc:
        raise errors.LightspeedConnectionError("Lightspeed's revoke endpoint cannot be reached.") from exc
    _raise_for_unavailable(response)
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = str(body.get("error") or "") if isinstance(body, dict) else ""
    if error == "invalid_grant":
        return
    raise errors.LightspeedOAuthError(
        f"Lightspeed refused to revoke the token: {error_message(body) or f'HTTP {response.status_code}'}",
        error=error,
        status=response.status_code,
    )
