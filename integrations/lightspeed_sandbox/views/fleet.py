"""The control API for fleets of accounts: `/_sandbox/accounts…` (JSON in, JSON out).

Every answer that writes carries `queries`: the SQL statements it ran, `INSERT`s apart, so a
test or a benchmark can see that seeding 500 accounts costs what seeding 5 does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.http import HttpRequest

from integrations.lightspeed_sandbox.services import backfill, fleet, oauth, ratelimit
from integrations.lightspeed_sandbox.views.control import _json, control


@contextmanager
def _counting() -> Iterator[dict[str, int]]:
    counts = {"inserts": 0, "other": 0}

    def count(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        counts["inserts" if sql.lstrip().upper().startswith("INSERT") else "other"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counts


@control("POST", "GET")
def accounts(request: HttpRequest) -> dict:
    if request.method == "GET":
        return fleet.accounts_page(
            offset=int(request.GET.get("offset", 0)), limit=int(request.GET.get("limit", 100))
        )
    spec = fleet.FleetSpec.from_json(_json(request))
    with _counting() as queries:
        made = fleet.accounts_create(spec)
    # New registers and employees: the per-request caches start again.
    ratelimit.limits_forget()
    oauth.employees_forget()
    return {"created": len(made), "accounts": made, "queries": queries}


@control("POST")
def account_tokens(request: HttpRequest) -> dict:
    data = _json(request)
    with _counting() as queries:
        pairs = fleet.tokens_remint(
            which=data.get("accounts", "fleet"),
            scope=str(data.get("scope", "employee:all")),
            client_id=str(data.get("client_id") or ""),
        )
    return {"accounts": pairs, "queries": queries}


@control("POST")
def account_sales(request: HttpRequest, account_id: int) -> dict:
    with _counting() as queries:
        result = backfill.sales_backfill(account_id=account_id, data=_json(request))
    return {**result, "queries": queries}


@control("POST")
def account_items(request: HttpRequest, account_id: int) -> dict:
    with _counting() as queries:
        result = backfill.items_add(account_id=account_id, data=_json(request))
    return {**result, "queries": queries}
