"""OAuth as Lightspeed runs it: login and approve pages, PKCE, single-use codes, rotation, scopes."""

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests

from integrations.lightspeed_sandbox.tests.conftest import Api

pytestmark = pytest.mark.e2e

VERIFIER = "a-long-enough-pkce-verifier-0123456789-abcdefghijklmnop"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
SCOPE = "employee:register employee:inventory employee:product_cost"


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def authorize(server, *, path="/auth/oauth/authorize", password="demo", action="approve", **params):
    """Drive the pages as a browser would; returns the final redirect's URL (or the last response)."""
    browser = requests.Session()
    query = {
        "response_type": "code",
        "client_id": server.client_id,
        "scope": SCOPE,
        "state": "st-123",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **params,
    }
    url = server.oauth_url + path
    page = browser.get(url, params=query, timeout=10)
    if page.status_code != 200 or "csrfmiddlewaretoken" not in page.text:
        return page
    login = browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": _csrf(page.text),
            "action": "login",
            "username": "demo",
            "password": password,
        },
        timeout=10,
    )
    if "Invalid username or password" in login.text:
        return login
    approve = browser.post(
        login.url,
        data={"csrfmiddlewaretoken": _csrf(login.text), "action": action},
        allow_redirects=False,
        timeout=10,
    )
    assert approve.status_code == 302, approve.text
    return approve.headers["Location"]


def _code(location):
    query = parse_qs(urlparse(location).query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def token_request(server, path="/auth/oauth/token", **form):
    body = {"client_id": server.client_id, "client_secret": server.client_secret, **form}
    return requests.post(server.oauth_url + path, data=body, timeout=10)


def _refresh(server, refresh_token, **extra):
    return token_request(server, grant_type="refresh_token", refresh_token=refresh_token, **extra)


def test_login_approve_and_code_exchange_with_pkce(sandbox):
    location = authorize(sandbox)
    assert location.startswith(sandbox.redirect_uri + "?")
    response = token_request(
        sandbox, grant_type="authorization_code", code=_code(location), code_verifier=VERIFIER
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "refresh_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["acct"] == str(sandbox.account_id) and claims["scope"] == SCOPE and "exp" in claims
    # As Lightspeed's: fractional unix times, and a key id in the header.
    assert all(isinstance(claims[name], float) for name in ("iat", "nbf", "exp"))
    assert jwt.get_unverified_header(body["access_token"])["kid"]
    assert Api(sandbox, body["access_token"]).call("GET", "Shop").status_code == 200


def test_the_session_and_csrf_cookies_have_the_sandboxs_own_names(sandbox):
    browser = requests.Session()
    browser.get(
        sandbox.oauth_url + "/auth/oauth/authorize",
        timeout=10,
        params={"response_type": "code", "client_id": sandbox.client_id, "scope": SCOPE},
    )
    assert "lightspeed_sandbox_csrftoken" in browser.cookies
    assert "csrftoken" not in browser.cookies and "sessionid" not in browser.cookies


def test_a_wrong_password_shows_the_login_again(sandbox):
    page = authorize(sandbox, password="nope")
    assert "Invalid username or password" in page.text


def test_denying_redirects_with_access_denied(sandbox):
    location = authorize(sandbox, action="deny")
    assert parse_qs(urlparse(location).query)["error"] == ["access_denied"]


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(sandbox):
    page = authorize(sandbox, redirect_uri="https://evil.example/cb")
    assert page.status_code == 400 and "redirect_uri" in page.text


def test_an_unknown_scope_is_a_400_at_the_authorize_page(sandbox):
    page = requests.get(
        sandbox.oauth_url + "/auth/oauth/authorize",
        allow_redirects=False,
        timeout=10,
        params={
            "response_type": "code",
            "client_id": sandbox.client_id,
            "scope": "employee:nope",
            "state": "s",
        },
    )
    assert page.status_code == 400 and "invalid_scope" in page.text


def test_codes_are_single_use_and_a_replay_revokes_what_they_gave(sandbox):
    code = _code(authorize(sandbox))
    first = token_request(sandbox, grant_type="authorization_code", code=code, code_verifier=VERIFIER).json()
    again = token_request(sandbox, grant_type="authorization_code", code=code, code_verifier=VERIFIER)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert Api(sandbox, first["access_token"]).call("GET", "Shop").status_code == 401


def test_codes_expire_after_60_seconds_on_the_sandbox_clock(sandbox):
    code = _code(authorize(sandbox))
    sandbox.advance_clock(61)
    response = token_request(sandbox, grant_type="authorization_code", code=code, code_verifier=VERIFIER)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant" and "expired" in response.json()["hint"]


def test_pkce_verifier_must_match_and_must_be_sent(sandbox):
    wrong = token_request(
        sandbox, grant_type="authorization_code", code=_code(authorize(sandbox)), code_verifier="x" * 50
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    short = token_request(
        sandbox, grant_type="authorization_code", code=_code(authorize(sandbox)), code_verifier="too-short"
    )
    assert short.status_code == 400 and short.json()["error"] == "invalid_request"
    missing = token_request(sandbox, grant_type="authorization_code", code=_code(authorize(sandbox)))
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_a_bad_client_secret_is_invalid_client_401(sandbox):
    response = token_request(sandbox, grant_type="refresh_token", refresh_token="x", client_secret="wrong")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_an_unknown_grant_type_or_a_missing_code_is_refused_with_the_oauth_error(sandbox):
    password = token_request(sandbox, grant_type="password", username="demo", password="demo")
    assert password.status_code == 400 and password.json()["error"] == "unsupported_grant_type"
    no_code = token_request(sandbox, grant_type="authorization_code")
    assert no_code.status_code == 400 and no_code.json()["error"] == "invalid_request"
    assert set(no_code.json()) >= {"error", "error_description", "hint"}


def test_the_token_endpoint_accepts_json_bodies(sandbox):
    code = _code(authorize(sandbox))
    response = requests.post(
        sandbox.oauth_url + "/auth/oauth/token",
        timeout=10,
        json={
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": VERIFIER,
        },
    )
    assert response.status_code == 200, response.text


def test_refresh_rotates_and_the_old_refresh_token_dies_once_the_new_access_token_is_used(sandbox):
    pair = sandbox.mint_tokens(scope=SCOPE)
    second = _refresh(sandbox, pair["refresh_token"]).json()
    assert second["refresh_token"] != pair["refresh_token"] and second["access_token"] != pair["access_token"]
    # Not used yet: a retry with the old refresh token still works and retires the unused pair.
    third = _refresh(sandbox, pair["refresh_token"]).json()
    assert Api(sandbox, second["access_token"]).call("GET", "Shop").status_code == 401
    assert _refresh(sandbox, second["refresh_token"]).status_code == 400
    # Using the newest access token retires the old refresh token for good.
    assert Api(sandbox, third["access_token"]).call("GET", "Shop").status_code == 200
    reused = _refresh(sandbox, pair["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert _refresh(sandbox, third["refresh_token"]).status_code == 200


def test_the_token_lifetime_is_configurable(sandbox_server_factory):
    server = sandbox_server_factory(seed="empty", token_ttl=120)
    pair = server.mint_tokens(scope=SCOPE)
    assert pair["expires_in"] == 120
    assert jwt.decode(pair["access_token"], options={"verify_signature": False})["exp"] <= (
        server.control("GET", "clock")["epoch"] + 120
    )
    server.advance_clock(121)
    assert Api(server, pair["access_token"]).call("GET", "Shop").status_code == 401


def test_strict_mode_revokes_the_spent_refresh_token_at_once(sandbox_server_factory):
    server = sandbox_server_factory(seed="empty", strict_refresh=True)
    pair = server.mint_tokens(scope=SCOPE)
    assert _refresh(server, pair["refresh_token"]).status_code == 200
    assert _refresh(server, pair["refresh_token"]).json()["error"] == "invalid_grant"


def test_refreshing_too_often_is_rate_limited(sandbox):
    token = sandbox.mint_tokens(scope=SCOPE)["refresh_token"]
    statuses = []
    for _ in range(6):
        response = _refresh(sandbox, token)
        statuses.append(response.status_code)
        if response.status_code == 200:
            token = response.json()["refresh_token"]
    assert statuses == [200] * 5 + [429]


def test_unused_refresh_tokens_expire_after_30_days(sandbox):
    pair = sandbox.mint_tokens(scope=SCOPE)
    sandbox.advance_clock(31 * 86400)
    assert _refresh(sandbox, pair["refresh_token"]).json()["error"] == "invalid_grant"


def test_expired_or_unknown_access_tokens_get_the_oauth_401(sandbox):
    pair = sandbox.mint_tokens(scope=SCOPE)
    sandbox.advance_clock(3601)
    response = Api(sandbox, pair["access_token"]).call("GET", "Shop")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "access_denied" and body["hint"] == "Access token could not be verified"
    assert Api(sandbox, "garbage").call("GET", "Shop").status_code == 401
    # Lightspeed deletes expired tokens now and then: an old one reads as revoked instead.
    sandbox.advance_clock(2 * 86400)
    old = Api(sandbox, pair["access_token"]).call("GET", "Shop")
    assert old.status_code == 401 and old.json()["hint"] == "Access token has been revoked"


def test_revoke_kills_the_refresh_token_and_its_access_token(sandbox):
    pair = sandbox.mint_tokens(scope=SCOPE)
    response = requests.post(
        sandbox.oauth_url + "/auth/oauth/revoke",
        timeout=10,
        data={
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "refresh_token": pair["refresh_token"],
        },
    )
    assert response.status_code == 200
    assert _refresh(sandbox, pair["refresh_token"]).status_code == 400
    revoked = Api(sandbox, pair["access_token"]).call("GET", "Shop")
    assert revoked.status_code == 401 and revoked.json()["hint"] == "Access token has been revoked"


def test_legacy_endpoints_give_opaque_tokens_with_scope_and_keep_the_refresh_token(sandbox):
    code = _code(authorize(sandbox, path="/oauth/authorize.php"))
    response = token_request(
        sandbox, "/oauth/access_token.php", grant_type="authorization_code", code=code, code_verifier=VERIFIER
    )
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{40}", body["access_token"]) and body["scope"] == SCOPE
    again = _refresh(sandbox, body["refresh_token"], **{}).json()
    assert again["refresh_token"] == body["refresh_token"]
    sandbox.advance_clock(3601)
    expired = Api(sandbox, again["access_token"], legacy=True).call("GET", "Shop")
    assert expired.status_code == 401
    assert expired.json() == {
        "httpCode": "401",
        "httpMessage": "Unauthorized",
        "message": "Token has expired",
        "errorClass": "BadAuthenticationRequestException",
    }


@pytest.mark.parametrize(
    ("scope", "method", "resource", "status"),
    [
        ("employee:inventory", "GET", "Item", 403),
        ("employee:inventory", "GET", "Shop", 403),
        ("employee:inventory", "GET", "Customer", 403),
        ("employee:inventory_base", "GET", "Shop", 200),
        ("employee:register", "GET", "ItemShop", 403),
        ("employee:product_cost", "GET", "ItemShop", 200),
        ("employee:reports", "GET", "Sale", 403),
        ("employee:reports", "GET", "Register", 200),
        ("employee:inventory", "GET", "ItemShop", 200),
        ("employee:inventory_read", "PUT", "ItemShop/1", 403),
        ("employee:product_cost", "GET", "Item", 200),
        ("employee:register", "GET", "Sale", 200),
        ("employee:register", "GET", "SaleVoid", 403),
        ("employee:admin_void_sale", "GET", "SaleVoid", 200),
        ("employee:inventory", "GET", "Employee", 200),
        ("employee:customers", "GET", "Customer", 200),
        ("employee:cfd", "GET", "Sale", 200),
        ("employee:all", "GET", "SaleVoid", 200),
    ],
)
def test_scopes_are_enforced_per_endpoint(sandbox, scope, method, resource, status):
    api = Api(sandbox, sandbox.mint_tokens(scope=scope)["access_token"])
    response = api.call(method, resource, json={"reorderPoint": 1} if method == "PUT" else None)
    assert response.status_code in ((status,) if status == 403 else (200, 404)), response.text
    if status == 403:
        assert response.json()["httpCode"] == "403"


def test_refund_needs_the_register_scope(sandbox):
    api = Api(sandbox, sandbox.mint_tokens(scope="employee:cfd")["access_token"])
    assert api.call("POST", "Sale/1/refund").status_code == 403


def test_a_locked_out_employees_tokens_stop_working(sandbox):
    sandbox.seed(
        records={"Employee": [{"employeeID": 9, "firstName": "Ex", "lastName": "Staff", "lockOut": True}]}
    )
    pair = sandbox.mint_tokens(scope=SCOPE, employee_id=9)
    assert Api(sandbox, pair["access_token"]).call("GET", "Shop").status_code == 401
    assert _refresh(sandbox, pair["refresh_token"]).status_code == 400


def test_an_archived_employees_tokens_stop_working(sandbox):
    sandbox.seed(
        records={"Employee": [{"employeeID": 8, "firstName": "Gone", "lastName": "Away", "archived": True}]}
    )
    pair = sandbox.mint_tokens(scope=SCOPE, employee_id=8)
    assert Api(sandbox, pair["access_token"]).call("GET", "Shop").status_code == 401
    assert _refresh(sandbox, pair["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_refresh_token_only_works_for_its_own_client_and_revoke_needs_the_secret(sandbox):
    sandbox.seed(
        records={
            "ApiClient": [{"clientID": "other", "secret": "other-secret", "redirectUri": "https://x.test/cb"}]
        }
    )
    pair = sandbox.mint_tokens(scope=SCOPE)
    stolen = _refresh(sandbox, pair["refresh_token"], client_id="other", client_secret="other-secret")
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    revoke = requests.post(
        sandbox.oauth_url + "/auth/oauth/revoke",
        timeout=10,
        data={
            "client_id": sandbox.client_id,
            "client_secret": "wrong",
            "refresh_token": pair["refresh_token"],
        },
    )
    assert revoke.status_code == 401 and revoke.json()["error"] == "invalid_client"
    assert _refresh(sandbox, pair["refresh_token"]).status_code == 200


def test_a_token_only_opens_its_own_account(sandbox):
    api = Api(sandbox, sandbox.mint_tokens()["access_token"])
    response = requests.get(
        f"{sandbox.api_url}/API/V3/Account/999/Shop.json",
        timeout=10,
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 401


def test_the_login_form_is_protected_against_cross_site_posts(sandbox):
    url = sandbox.oauth_url + "/auth/oauth/authorize"
    query = {"response_type": "code", "client_id": sandbox.client_id, "scope": SCOPE}
    forged = requests.post(
        url, params=query, data={"action": "login", "username": "demo", "password": "demo"}, timeout=10
    )
    assert forged.status_code == 403


def test_a_clerks_token_cannot_do_what_the_clerk_may_not(demo_sandbox):
    # Employee 2 works in one shop only: no void rights, whatever the token's scope says.
    clerk = Api(demo_sandbox, demo_sandbox.mint_tokens(scope="employee:all", employee_id=2)["access_token"])
    owner = Api(demo_sandbox, demo_sandbox.mint_tokens(scope="employee:all", employee_id=1)["access_token"])
    assert clerk.call("GET", "SaleVoid").status_code == 403
    assert clerk.call("GET", "Sale", params={"limit": 1}).status_code == 200
    assert owner.call("GET", "SaleVoid").status_code == 200
