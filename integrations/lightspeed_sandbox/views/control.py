"""The control API for tests and the demo, under `/_sandbox/` (JSON in, JSON out)."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import IntegrityError
from django.db.models import Count, Sum
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from integrations.lightspeed_sandbox import clock, latency
from integrations.lightspeed_sandbox.errors import SandboxApiError, SandboxOAuthError
from integrations.lightspeed_sandbox.serializers import render_sales
from integrations.lightspeed_sandbox.services import backfill, datasets, faults, oauth, ratelimit, refunds
from integrations.lightspeed_sandbox.store import models as m


def _json(request: HttpRequest) -> dict:
    if not request.body:
        return {}
    data = json.loads(request.body)
    if not isinstance(data, dict):
        raise SandboxApiError(400, "Send a JSON object.")
    return data


def control(*methods: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        def wrapper(request: HttpRequest, *args, **kwargs) -> JsonResponse:
            if request.method not in methods:
                return JsonResponse({"error": f"use {' or '.join(methods)}"}, status=405)
            try:
                return JsonResponse(view(request, *args, **kwargs), safe=False)
            except (ValueError, KeyError, TypeError) as error:
                return JsonResponse({"error": f"bad request: {error}"}, status=400)
            except IntegrityError as error:
                return JsonResponse({"error": f"conflicts with existing records: {error}"}, status=409)
            except SandboxApiError as error:
                return JsonResponse(error.body(), status=error.status)
            except SandboxOAuthError as error:
                return JsonResponse(error.body(), status=error.status)

        return wrapper

    return decorator


def seed_dataset(name: str | None, account_id: int | None = None) -> dict:
    if name in (None, "", "none"):
        return {"accountID": None}
    if name == "empty":
        return {"accountID": datasets.seed_empty(account_id)}
    if name == "demo":
        from integrations.lightspeed_sandbox.services.demo import seed_demo

        return seed_demo()
    raise SandboxApiError(400, f"Unknown dataset '{name}': use demo, empty or none.")


@control("POST")
def reset(request: HttpRequest) -> dict:
    from integrations.lightspeed_sandbox.simulator import simulator_current, simulator_start

    data = _json(request)
    running = simulator_current()
    if running is not None and running.accounts is not None:
        simulator_start(per_minute=0)  # its accounts are about to go; --simulate-sales's keeps on
    datasets.sandbox_reset()
    faults.faults_refresh_flag()
    latency.reset()
    try:
        return {"reset": True, **seed_dataset(data.get("seed", "empty"))}
    finally:
        ratelimit.limits_forget()
        oauth.employees_forget()


@control("POST")
def seed(request: HttpRequest) -> dict:
    data = _json(request)
    try:
        if "dataset" in data:
            return seed_dataset(data["dataset"], data.get("accountID"))
        if "catalogue" in data:
            # A benchmark catalogue, a share of it in matrices (as POST accounts/{id}/items).
            spec = data["catalogue"]
            account_id = int(
                spec.get("accountID") or m.Account.objects.order_by("accountID").first().accountID
            )
            return backfill.items_add(account_id=account_id, data=spec)
        return datasets.seed_records(data.get("records", data))
    finally:
        # Registers and employees may have changed: the per-request caches start again.
        ratelimit.limits_forget()
        oauth.employees_forget()


@control("POST", "DELETE", "GET")
def fault_collection(request: HttpRequest) -> dict | list:
    if request.method == "DELETE":
        return {"deleted": faults.faults_clear()}
    if request.method == "GET":
        return faults.faults_list()
    data = _json(request)
    fault = faults.fault_create(data)
    return {"id": fault.pk, "kind": fault.kind}


@control("GET", "DELETE")
def requests_log(request: HttpRequest) -> dict | list:
    if request.method == "DELETE":
        deleted, _ = m.RequestLog.objects.all().delete()
        return {"deleted": deleted}
    rows = m.RequestLog.objects.order_by("pk")
    if request.GET.get("since"):
        rows = rows.filter(pk__gt=int(request.GET["since"]))
    if request.GET.get("path"):
        rows = rows.filter(path__contains=request.GET["path"])
    if request.GET.get("limit"):
        rows = rows[: int(request.GET["limit"])]
    return [
        {
            "id": r.pk,
            "time": r.time,
            "method": r.method,
            "path": r.path,
            "query": r.query,
            "status": r.status,
            "cost": r.cost,
            "level": r.level,
            "accountID": r.accountID,
            "clientID": r.clientID,
            "rateLimitType": r.rateLimitType,
            "latencyMs": round(r.latencyMs, 3),
            "body": r.body,
        }
        for r in rows
    ]


@control("GET")
def stats(request: HttpRequest) -> dict:
    by_status = dict(
        m.RequestLog.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    totals = m.RequestLog.objects.aggregate(requests=Count("pk"), drips=Sum("cost"))
    return {
        "clock": clock.now().isoformat(),
        "clockOffset": clock.offset(),
        "requests": totals["requests"] or 0,
        "drips": round(totals["drips"] or 0.0, 3),
        "byStatus": {str(k): v for k, v in by_status.items()},
        "rateLimited": m.RequestLog.objects.filter(status=429).count(),
        "buckets": ratelimit.bucket_levels(),
        "records": {
            "accounts": m.Account.objects.count(),
            "shops": m.Shop.objects.count(),
            "items": m.Item.objects.count(),
            "itemMatrices": m.ItemMatrix.objects.count(),
            "matrixItems": m.Item.objects.exclude(itemMatrixID=0).count(),
            "customers": m.Customer.objects.count(),
            "sales": m.Sale.objects.count(),
            "completedSales": m.Sale.objects.filter(completed=True).count(),
            "voidedSales": m.Sale.objects.filter(voided=True).count(),
        },
        "config": _config(),
    }


def _config() -> dict:
    from django.conf import settings

    return {
        "dripRate": settings.SANDBOX_DRIP_RATE,
        "bucketSize": settings.SANDBOX_BUCKET_SIZE,
        "burstLimit": settings.SANDBOX_BURST_LIMIT,  # "auto": 2/9 of the bucket size
        "tokenTtl": settings.SANDBOX_TOKEN_TTL,
        "strictRefresh": settings.SANDBOX_STRICT_REFRESH,
        "latencyMs": latency.current()["ms"],
        "latencyJitterMs": latency.current()["jitter_ms"],
    }


@control("POST")
def tokens(request: HttpRequest) -> dict:
    data = _json(request)
    from integrations.core.demo_catalogue import DEMO_ACCOUNT_ID

    return oauth.tokens_mint(
        account_id=int(data.get("account_id", DEMO_ACCOUNT_ID)),
        client_id=str(data.get("client_id", datasets.DEMO_CLIENT_ID)),
        scope=str(data.get("scope", "employee:all")),
        employee_id=data.get("employee_id"),
    )


@control("POST", "GET")
def clock_view(request: HttpRequest) -> dict:
    if request.method == "POST":
        data = _json(request)
        if "freeze" in data:
            if not isinstance(data["freeze"], bool):
                raise ValueError("freeze must be true or false")
            clock.freeze(data["freeze"])
        clock.advance(float(data.get("advance", data.get("seconds", 0))))
    return {"now": clock.now().isoformat(), "epoch": clock.epoch(), "frozen": clock.is_frozen()}


@control("GET", "POST")
def latency_view(request: HttpRequest) -> dict:
    """`{"ms": N, "jitter_ms": J}`: the delay of every answer outside /_sandbox/ from now on."""
    if request.method == "POST":
        data = _json(request)
        state = latency.current()
        ms = data.get("ms", state["ms"])
        jitter = data.get("jitter_ms", state["jitter_ms"])
        if isinstance(ms, bool) or isinstance(jitter, bool):
            raise ValueError("ms and jitter_ms are numbers")
        return latency.configure(float(ms), float(jitter))
    return latency.current()


@control("GET", "POST")
def simulator_view(request: HttpRequest) -> dict:
    from integrations.lightspeed_sandbox.simulator import simulator_current, simulator_start

    data = _json(request) if request.method == "POST" else {}
    if "accounts" in data:
        from integrations.lightspeed_sandbox.services.fleet import fleet_account_ids

        rate = data.get("sales_per_minute")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 0:
            raise ValueError("sales_per_minute is a number, 0 or more (0 stops the simulator)")
        simulator_start(per_minute=float(rate), accounts=fleet_account_ids(data["accounts"]))
    simulator = simulator_current()
    if simulator is None:
        if request.method == "POST" and "accounts" not in data:
            raise SandboxApiError(
                409,
                "No POS simulator runs here: start the sandbox with --simulate-sales N, "
                'or send {"accounts": …, "sales_per_minute": R}.',
            )
        return {"running": False, "paused": False, "rungUp": 0}
    if "paused" in data or ("accounts" not in data and request.method == "POST"):
        if not isinstance(data.get("paused"), bool):
            raise ValueError("paused must be true or false")
        simulator.pause(data["paused"])
    return simulator.state()


@control("POST")
def sale_void(request: HttpRequest, sale_id: str) -> dict:
    data = _json(request)
    sale = refunds.sale_void(
        account_id=data.get("account_id"), sale_id=int(sale_id), reason=data.get("reason", "")
    )
    return {"Sale": render_sales([sale], set())[0]}
