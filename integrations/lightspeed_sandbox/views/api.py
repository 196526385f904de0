"""The API: `/API/V3/Account/{id}/{Resource}[/{id}].json` and the legacy `/API/Account/…` paths.

Every request goes through the same steps as at Lightspeed: token, bucket (an error still
costs its drips), account, resource, method, scope, then the handler; the rate-limit and
account headers go on every authenticated response and each request is logged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.accounts import account_detail_payload, account_payload, session_payload
from integrations.lightspeed_sandbox.errors import SandboxApiError, SandboxOAuthError, bad_request
from integrations.lightspeed_sandbox.listing import (
    ListRequest,
    list_payload,
    relations_requested,
    single_payload,
)
from integrations.lightspeed_sandbox.resources import RESOURCES, UNMODELLED, Resource, scope_allows
from integrations.lightspeed_sandbox.services import (
    customers,
    items,
    matrices,
    oauth,
    price_levels,
    ratelimit,
    refunds,
    sales,
)
from integrations.lightspeed_sandbox.store.models import RequestLog

logger = logging.getLogger(__name__)
WRITE_RELATIONS = {
    "Item": {"ItemShops", "Prices", "ItemAttributes"},
    "Sale": {"SaleLines", "SalePayments"},
    "Customer": {"Contact"},
}

CREATE = {
    "Item": items.item_create,
    "ItemMatrix": matrices.item_matrix_create,
    "Sale": sales.sale_create,
    "Customer": customers.customer_create,
}
UPDATE = {
    "Item": (items.item_update, "item_id"),
    "ItemMatrix": (matrices.item_matrix_update, "item_matrix_id"),
    "ItemShop": (items.item_shop_update, "item_shop_id"),
    "Sale": (sales.sale_update, "sale_id"),
    "PriceLevel": (price_levels.price_level_update, "price_level_id"),
    "Customer": (customers.customer_update, "customer_id"),
}
ARCHIVE = {
    "Item": (items.item_archive, "item_id"),
    "ItemMatrix": (matrices.item_matrix_archive, "item_matrix_id"),
    "Customer": (customers.customer_archive, "customer_id"),
    "Sale": (sales.sale_delete, "sale_id"),
}


@dataclass
class Outcome:
    status: int = 200
    payload: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    html: bool = False


def json_response(outcome: Outcome) -> HttpResponse:
    # Lightspeed escapes slashes as PHP does; clients must not care, and neither do we.
    body = json.dumps(outcome.payload, separators=(",", ":"))
    content_type = "text/html; charset=UTF-8" if outcome.html else "application/json"
    response = HttpResponse(body, status=outcome.status, content_type=content_type)
    for name, value in outcome.headers.items():
        response[name] = value
    return response


def request_log(
    request: HttpRequest,
    outcome: Outcome,
    *,
    cost: float = 0.0,
    level: float | None = None,
    account_id: int | None = None,
    client_id: str = "",
    limit_type: str = "",
) -> None:
    RequestLog.objects.create(
        time=clock.epoch(),
        method=request.method or "",
        path=request.path,
        query=request.META.get("QUERY_STRING", ""),
        status=outcome.status,
        cost=cost,
        level=level,
        accountID=account_id,
        clientID=client_id,
        rateLimitType=limit_type,
        latencyMs=getattr(request, "sandbox_latency_ms", 0.0),
        body=_logged_body(request),
    )


def _logged_body(request: HttpRequest) -> str:
    """An API write's body, so tests and benchmarks can tell what went up (the quantity a PUT Item
    sent, and when Lightspeed took it). OAuth bodies carry secrets and are never kept."""
    if request.method not in ("POST", "PUT") or "/API/" not in request.path:
        return ""
    return request.body.decode("utf-8", errors="replace")


def unauthorized(error: oauth.TokenRejectedError, *, legacy_path: bool = False, header: str = "") -> Outcome:
    opaque = header.count(".") < 2  # not a JWT: the old server's 40-hex tokens, or garbage
    if error.legacy:
        body = SandboxApiError(401, "Token has expired", "BadAuthenticationRequestException").body()
    elif legacy_path and opaque:
        # What the V2 server answered an unknown token with (recorded traffic).
        body = SandboxApiError(
            401, "Invalid username/password or API key.", "BadAuthenticationRequestError"
        ).body()
    else:
        # Expired and unknown tokens "could not be verified"; revoked ones say so.
        revoked = "revoked" in error.reason
        body = SandboxOAuthError("access_denied", error.reason).body()
        body["hint"] = "Access token has been revoked" if revoked else "Access token could not be verified"
    return Outcome(401, body, {"WWW-Authenticate": 'Bearer realm="Lightspeed", error="invalid_token"'})


def _body(request: HttpRequest) -> dict:
    if request.method not in ("POST", "PUT") or not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Request body is not valid JSON.", html=True) from None
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object.")
    return body


def _relations_for_cost(resource: Resource | None, raw: str | None) -> dict[str, bool]:
    """Loaded relation → to-many, for the cost model; a bad value costs the base and fails later."""
    if resource is None or not raw:
        return {}
    try:
        names = relations_requested(resource, raw) - set(resource.always)
    except SandboxApiError:
        return {}
    # Relations the sandbox does not model still cost what a to-one relation costs.
    if raw != "all":
        names |= {n for n in json.loads(raw) if n in UNMODELLED.get(resource.name, ())}
    return {n: n in resource.relations and resource.relations[n].many for n in names}


def _orderby_cost(resource: Resource | None, params) -> float:
    orderby = params.get("orderby")
    return 4.0 if resource is not None and orderby and orderby not in resource.sortable else 0.0


def _dispatch(
    request: HttpRequest,
    *,
    resource: Resource,
    account_id: int,
    pk: int | None,
    action: str,
    body: dict,
    legacy: bool,
) -> dict:
    method = request.method
    if method == "GET":
        relations = relations_requested(resource, request.GET.get("load_relations"))
        if pk is not None:
            return single_payload(resource, account_id, pk, relations)
        page_url = request.build_absolute_uri(request.path)
        raw_query = request.META.get("QUERY_STRING", "")
        return list_payload(
            ListRequest(resource, account_id, request.GET, legacy, page_url, raw_query), relations
        )
    name = resource.name
    if action == "refund":
        record = refunds.sale_refund(account_id=account_id, sale_id=pk, data=body)
    elif method == "POST" and pk is None and name in CREATE:
        record = CREATE[name](account_id=account_id, data=body)
    elif method == "PUT" and pk is not None and name in UPDATE:
        service, id_name = UPDATE[name]
        record = service(account_id=account_id, data=body, **{id_name: pk})
    elif method == "DELETE" and pk is not None and name in ARCHIVE:
        service, id_name = ARCHIVE[name]
        record = service(account_id=account_id, **{id_name: pk})
    else:
        raise SandboxApiError(
            405, f"Method {method} is not allowed on {name}{'' if pk is None else ' with an ID'}."
        )
    rows = resource.render([record], WRITE_RELATIONS.get(name, set()) | set(resource.always))
    return {"@attributes": {"count": "1"}, name: rows[0]}


def _handle(
    request: HttpRequest,
    *,
    legacy: bool,
    account_id: int | None,
    resource_name: str | None,
    pk: int | None,
    action: str,
    special: str,
) -> HttpResponse:
    if not request.path.endswith(".json") and "json" not in request.headers.get("Accept", ""):
        body = SandboxApiError(
            406, "The sandbox answers JSON only: add .json or Accept: application/json."
        ).body()
        return json_response(Outcome(406, body))
    header = request.headers.get("Authorization", "")
    try:
        auth = oauth.access_authenticate(header)
    except oauth.TokenRejectedError as error:
        outcome = unauthorized(error, legacy_path=legacy, header=header)
        request_log(request, outcome)
        return json_response(outcome)
    token = auth.token
    resource = RESOURCES.get(resource_name or "")
    outcome = Outcome(headers={"X-LS-Acct-Id": str(token.accountID), "X-LS-OAuth-Client-Id": token.clientID})
    body, body_error = _body_or_error(request)
    cost = _cost(
        request,
        resource=resource,
        name=resource_name or special,
        pk=pk,
        action=action,
        body=body,
        legacy=legacy,
    )
    bucket = ratelimit.bucket_take(account_id=token.accountID, client_id=token.clientID, cost=cost)
    outcome.headers.update(bucket.headers())
    try:
        if not bucket.allowed:
            raise _rate_limited(bucket)
        if body_error is not None:
            raise body_error
        if special == "Account":
            outcome.payload = _account(token.accountID, account_id, legacy=legacy)
        elif special == "Session":
            outcome.payload = session_payload(auth)
        else:
            outcome.payload = _resource(
                request, auth, resource, resource_name or "", account_id, pk, action, body, legacy
            )
    except SandboxApiError as error:
        outcome.status, outcome.payload, outcome.html = error.status, error.body(), error.html
    except SandboxOAuthError as error:
        outcome.status, outcome.payload = error.status, error.body()
    except Exception:
        # A bug here must still look like Lightspeed's 500, and still be logged.
        logger.exception("sandbox request failed: %s %s", request.method, request.get_full_path())
        outcome.status = 500
        outcome.payload = SandboxApiError(500, "An unexpected error occurred.").body()
    request_log(
        request,
        outcome,
        cost=cost if bucket.allowed else 0.0,
        level=bucket.level,
        account_id=token.accountID,
        client_id=token.clientID,
        limit_type=bucket.limit_type,
    )
    return json_response(outcome)


def _body_or_error(request: HttpRequest) -> tuple[dict, SandboxApiError | None]:
    """The JSON body, or the error for a bad one: it is answered after the request pays its drips."""
    try:
        return _body(request), None
    except SandboxApiError as error:
        return {}, error


def _cost(
    request: HttpRequest,
    *,
    resource: Resource | None,
    name: str,
    pk: int | None,
    action: str,
    body: dict,
    legacy: bool,
) -> float:
    """The drips the request costs, known before anything is loaded."""
    return ratelimit.request_cost(
        method=request.method or "GET",
        resource=name,
        is_list=pk is None,
        query=request.GET,
        relations=_relations_for_cost(resource, request.GET.get("load_relations")),
        legacy=legacy,
        extra=_orderby_cost(resource, request.GET) if legacy else 0.0,
        body=body,
        action=action,
    )


def _rate_limited(bucket: ratelimit.BucketResult) -> SandboxApiError:
    message = (
        "Burst rate limit exceeded: back off for at least 1 second."
        if bucket.limit_type == "api-burst-limiter"
        else "Rate limit exceeded: the bucket is full. Retry after the Retry-After delay."
    )
    return SandboxApiError(429, message, "RateLimitException")


def _account(token_account_id: int, account_id: int | None, *, legacy: bool) -> dict:
    """`Account` (the token's account) or `Account/{id}` (only the token's own account)."""
    if account_id is not None and account_id != token_account_id:
        raise SandboxApiError(404, f"Object of type 'Account' not found with primary ID '{account_id}'.")
    if account_id is not None and not legacy:
        return account_detail_payload(token_account_id)
    return account_payload(token_account_id, legacy=legacy)


def _resource(
    request: HttpRequest,
    auth: oauth.Authenticated,
    resource: Resource | None,
    name: str,
    account_id: int | None,
    pk: int | None,
    action: str,
    body: dict,
    legacy: bool,
) -> dict:
    token = auth.token
    if account_id != token.accountID:
        raise SandboxOAuthError("access_denied", "The access token does not grant access to this account")
    if resource is None:
        raise SandboxApiError(404, f"Resource '{name}' not found.")
    method = request.method or "GET"
    if method not in resource.methods or (
        action and (resource.name != "Sale" or method != "POST" or pk is None)
    ):
        raise SandboxApiError(405, f"Method {method} is not allowed on {name}.")
    scopes = ("register",) if action == "refund" else resource.scopes
    if not scope_allows(scopes, auth.scopes, method=method, read_only=resource.read_only_scopes):
        wanted = ", ".join(f"employee:{s}" for s in scopes or ())
        raise SandboxApiError(
            403, f"Access denied. {name} needs one of these scopes: {wanted}.", "ForbiddenException"
        )
    return _dispatch(
        request, resource=resource, account_id=token.accountID, pk=pk, action=action, body=body, legacy=legacy
    )


@csrf_exempt
def account_list(request: HttpRequest, v3: str | None = None) -> HttpResponse:
    if request.method != "GET":
        return json_response(Outcome(405, SandboxApiError(405, "Method not allowed on Account.").body()))
    return _handle(
        request, legacy=not v3, account_id=None, resource_name=None, pk=None, action="", special="Account"
    )


@csrf_exempt
def session(request: HttpRequest, v3: str | None = None) -> HttpResponse:
    return _handle(
        request, legacy=not v3, account_id=None, resource_name=None, pk=None, action="", special="Session"
    )


@csrf_exempt
def account_detail(request: HttpRequest, account_id: str, v3: str | None = None) -> HttpResponse:
    return _handle(
        request,
        legacy=not v3,
        account_id=int(account_id),
        resource_name=None,
        pk=None,
        action="",
        special="Account",
    )


@csrf_exempt
def resource(
    request: HttpRequest,
    account_id: str,
    name: str,
    pk: str | None = None,
    action: str | None = None,
    v3: str | None = None,
) -> HttpResponse:
    return _handle(
        request,
        legacy=not v3,
        account_id=int(account_id),
        resource_name=name,
        pk=int(pk) if pk else None,
        action=action or "",
        special="",
    )
