"""OAuth pages and endpoints: authorize (login, approve), token, revoke, and the legacy `.php` ones."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

from django.contrib.auth.hashers import check_password
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from integrations.lightspeed_sandbox.errors import SandboxOAuthError
from integrations.lightspeed_sandbox.services import oauth
from integrations.lightspeed_sandbox.store.models import Account, ApiClient, Employee
from integrations.lightspeed_sandbox.views.api import Outcome, json_response, request_log

SESSION_KEY = "sandbox_employee_id"


def _redirect_with(uri: str, params: dict[str, str]) -> HttpResponseRedirect:
    separator = "&" if "?" in uri else "?"
    return HttpResponseRedirect(uri + separator + urlencode({k: v for k, v in params.items() if v}))


def _error_page(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "lightspeed_sandbox/error.html", {"message": message}, status=status)


@never_cache
def authorize(request: HttpRequest, legacy: bool = False) -> HttpResponse:
    params = request.GET
    client = ApiClient.objects.filter(clientID=params.get("client_id", "")).first()
    if client is None:
        return _error_page(request, "Unknown client_id: this API client is not registered.")
    redirect_uri = params.get("redirect_uri") or client.redirectUri
    if redirect_uri != client.redirectUri:
        # Never redirect to an unregistered URI: that is how codes get stolen.
        return _error_page(request, "The redirect_uri does not match the one registered for this client.")
    state = params.get("state", "")
    if params.get("response_type") != "code":
        return _redirect_with(redirect_uri, {"error": "unsupported_response_type", "state": state})
    try:
        scope = oauth.scope_check(params.get("scope", ""))
    except SandboxOAuthError as error:
        # Documented as a 400 at Lightspeed: the merchant sees an error, the client hears nothing.
        return _error_page(request, f"invalid_scope: {error.hint}")
    challenge = params.get("code_challenge", "")
    method = params.get("code_challenge_method", "plain" if challenge else "")
    if challenge and method not in ("S256", "plain"):
        return _redirect_with(
            redirect_uri,
            {
                "error": "invalid_request",
                "error_description": "Unsupported code_challenge_method",
                "state": state,
            },
        )

    employee = Employee.objects.filter(
        pk=request.session.get(SESSION_KEY) or 0, archived=False, lockOut=False
    ).first()
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "login":
        candidate = Employee.objects.filter(username=request.POST.get("username", ""), archived=False).first()
        if (
            candidate
            and not candidate.lockOut
            and check_password(request.POST.get("password", ""), candidate.password)
        ):
            request.session[SESSION_KEY] = candidate.pk
            return HttpResponseRedirect(request.get_full_path())
        return render(
            request,
            "lightspeed_sandbox/login.html",
            {"client": client, "error": "Invalid username or password."},
            status=200,
        )
    if employee is None:
        return render(request, "lightspeed_sandbox/login.html", {"client": client})
    if action == "deny":
        return _redirect_with(redirect_uri, {"error": "access_denied", "state": state})
    if action == "approve":
        code = oauth.code_create(
            client=client,
            employee=employee,
            scope=scope,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            code_challenge_method=method,
            legacy=legacy,
        )
        return _redirect_with(redirect_uri, {"code": code, "state": state})
    if action == "logout":
        request.session.flush()
        return HttpResponseRedirect(request.get_full_path())
    account = Account.objects.filter(accountID=employee.accountID).first()
    return render(
        request,
        "lightspeed_sandbox/approve.html",
        {"client": client, "employee": employee, "account": account, "scopes": scope.split()},
    )


def authorize_legacy(request: HttpRequest) -> HttpResponse:
    return authorize(request, legacy=True)


def _form(request: HttpRequest) -> dict[str, str]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise SandboxOAuthError("invalid_request", "The request body is not valid JSON") from None
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    values = {k: v for k, v in request.POST.items()}
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
            values.setdefault("client_id", decoded.partition(":")[0])
            values.setdefault("client_secret", decoded.partition(":")[2])
        except (ValueError, UnicodeDecodeError):
            raise SandboxOAuthError("invalid_client") from None
    return values


def _token_response(request: HttpRequest, outcome: Outcome) -> HttpResponse:
    outcome.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    request_log(request, outcome)
    return json_response(outcome)


@csrf_exempt
def token(request: HttpRequest, legacy: bool = False) -> HttpResponse:
    if request.method != "POST":
        return _token_response(request, Outcome(405, SandboxOAuthError("invalid_request", "Use POST").body()))
    try:
        form = _form(request)
        grant = form.get("grant_type", "")
        if grant not in ("authorization_code", "refresh_token"):
            raise SandboxOAuthError(
                "unsupported_grant_type", "Check that all required parameters have been provided"
            )
        client = oauth.client_check(form.get("client_id", ""), form.get("client_secret"))
        if grant == "authorization_code":
            if not form.get("code"):
                raise SandboxOAuthError("invalid_request", "Check the `code` parameter")
            body = oauth.code_exchange(
                client=client,
                code=form["code"],
                redirect_uri=form.get("redirect_uri"),
                verifier=form.get("code_verifier"),
                legacy=legacy,
            )
        else:
            if not form.get("refresh_token"):
                raise SandboxOAuthError("invalid_request", "Check the `refresh_token` parameter")
            body = oauth.token_refresh(client=client, refresh_token=form["refresh_token"], legacy=legacy)
        outcome = Outcome(200, body)
    except SandboxOAuthError as error:
        outcome = Outcome(error.status, error.body())
    return _token_response(request, outcome)


@csrf_exempt
def token_legacy(request: HttpRequest) -> HttpResponse:
    return token(request, legacy=True)


@csrf_exempt
def revoke(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _token_response(request, Outcome(405, SandboxOAuthError("invalid_request", "Use POST").body()))
    try:
        form = _form(request)
        client = oauth.client_check(form.get("client_id", ""), form.get("client_secret"))
        value = form.get("refresh_token") or form.get("token") or form.get("access_token")
        if not value:
            raise SandboxOAuthError("invalid_request", "Check the `refresh_token` parameter")
        oauth.token_revoke(client=client, token=value)
        outcome = Outcome(200, {})
    except SandboxOAuthError as error:
        outcome = Outcome(error.status, error.body())
    return _token_response(request, outcome)
