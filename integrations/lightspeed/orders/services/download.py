"""The `orders` job: Lightspeed sales become Local Store orders, exactly once.

Three reads, each with its own cursor in `OrderCursor`, each page committed in one transaction
together with the cursor position it reached (so a crash anywhere re-reads at most one page,
and the saleID keys make re-reading harmless):

1. `Sale.timeStamp` — new completed sales, with lines, items, payments and customer in the same
   request. Re-read from the cursor minus an overlap window (a sale committed late at Lightspeed
   with an earlier timeStamp is still seen); no fixed look-back, so an outage of any length
   resumes where it stopped.
2. `Sale.updatetime` — what changed later: voids (which do not move `timeStamp`) and sales
   completed with a back-dated completion time. Read without relations; the few sales that
   need importing are fetched in one batched request per page.
3. `SaleVoid` — when the token carries `employee:admin_void_sale` (or `employee:all`).

The page's transaction first locks the company's cursor row, then reads which sales are known:
two workers that somehow run at once (the per-company job lock normally prevents it) queue on
that row, and the second sees the first's orders.
"""

from __future__ import annotations

import copy
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import SALE_RELATIONS, LightspeedClient
from integrations.lightspeed.api.normalise import iso_utc, records_in, to_bool, to_datetime, to_int
from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.models import LightspeedSettings, SyncRun
from integrations.lightspeed.models.orders import LightspeedSale, OrderCursor
from integrations.lightspeed.orders.services.sale_import import sales_import
from integrations.lightspeed.orders.services.sale_parse import (
    CustomerData,
    ItemCodes,
    SaleData,
    SaleParseError,
    customer_parse,
    item_codes_parse,
    missing_relations,
    sale_parse,
)
from integrations.lightspeed.orders.services.sale_stock import ShopScope, shop_scope_load
from integrations.lightspeed.orders.services.sale_void import sales_void

logger = logging.getLogger(__name__)

VOID_SCOPES = {"employee:admin_void_sale", "employee:all"}


def overlap() -> timedelta:
    return timedelta(seconds=getattr(django_settings, "LIGHTSPEED_ORDERS_OVERLAP_SECONDS", 300))


def order_cursor_get(*, settings_obj: LightspeedSettings, create: bool = True) -> OrderCursor:
    """The company's cursor; the first run starts at the Order Download Start Date, else at the
    moment the connection was made. With `create=False` (a dry run) a first cursor is not stored."""
    start = settings_obj.order_download_start or settings_obj.token_received_at or timezone.now()
    defaults = {"start_at": start, "sales_after": start, "updates_after": start}
    if not create:
        stored = OrderCursor.objects.filter(company_id=settings_obj.company_id).first()
        return stored or OrderCursor(company_id=settings_obj.company_id, **defaults)
    cursor, _ = OrderCursor.objects.get_or_create(company_id=settings_obj.company_id, defaults=defaults)
    return cursor


def _void_scope_granted(settings_obj: LightspeedSettings) -> bool:
    return bool(VOID_SCOPES & set(settings_obj.token_scope.split()))


def orders_download(
    *,
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    dry_run: bool = False,
    since: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    run: SyncRun | None = None,
) -> dict[str, int]:
    """Downloads new and changed sales of the company. Returns counts by kind."""
    # A dry run writes nothing: every page's transaction is rolled back, and neither a first
    # cursor nor the channel's system user is created outside them.
    cursor = order_cursor_get(settings_obj=settings_obj, create=not dry_run)
    scope = shop_scope_load(settings_obj=settings_obj, dry_run=dry_run)
    backfill = settings_obj.order_download_start
    backfill = backfill if backfill is not None and backfill < cursor.start_at else None
    scope.start_at = min(d for d in (cursor.start_at, backfill, since) if d is not None)
    counts: Counter = Counter()
    # Sales read in full by the first pass: the second need not fetch them again (a dry run has
    # rolled their import back, so the database alone cannot tell).
    handled: set[int] = set()

    def commit(work: Callable[[OrderCursor], None]) -> None:
        with transaction.atomic():
            if cursor.pk is None:  # a dry run's first cursor, never stored
                locked = copy.copy(cursor)
            else:
                locked = OrderCursor.objects.select_for_update().get(pk=cursor.pk)
            work(locked)
            if dry_run:
                transaction.set_rollback(True)
            else:
                locked.save()

    # 1. New sales by timeStamp.
    read_from = since or backfill or (cursor.sales_after - overlap())
    params = {
        "timeStamp": f">,{iso_utc(read_from)}",
        "sort": "timeStamp",
        "load_relations": json.dumps(SALE_RELATIONS),
    }
    for records in _pages(client, "Sale", params):
        sales = _parsed(scope, client, records, counts, run)

        def work(locked: OrderCursor, sales=sales, records=records) -> None:
            _record_invalid(scope, sales, counts, run)
            sales_import(
                scope=scope, sales=[s for s in sales if isinstance(s, SaleData)], counts=counts, run=run
            )
            newest = _newest(records, "timeStamp")
            if newest and newest > locked.sales_after:
                locked.sales_after = newest

        commit(work)
        if dry_run:
            handled.update(s.sale_id for s in sales if isinstance(s, SaleData) and (s.completed or s.voided))
            handled.update(_unreadable_ids(sales))
        counts["sales_read"] += len(records)
        if progress:
            progress(len(records))

    # 2. Later changes by updatetime: voids, back-dated completions.
    read_from = since or backfill or (cursor.updates_after - overlap())
    params = {"updatetime": f">,{iso_utc(read_from)}", "sort": "updatetime"}
    for records in _pages(client, "Sale", params):
        needed, voided = _changes_needed(scope, records)
        needed = [sale_id for sale_id in needed if sale_id not in handled]
        full = _fetch_sales(client, needed)
        sales = _parsed(scope, client, full, counts, run)

        def work(locked: OrderCursor, sales=sales, voided=voided, records=records) -> None:
            _record_invalid(scope, sales, counts, run)
            sales_import(
                scope=scope, sales=[s for s in sales if isinstance(s, SaleData)], counts=counts, run=run
            )
            _void_known(scope, voided, counts)
            newest = _newest(records, "updatetime")
            if newest and newest > locked.updates_after:
                locked.updates_after = newest

        commit(work)
        counts["changes_read"] += len(records)

    # 3. SaleVoid, when the merchant granted it.
    if _void_scope_granted(settings_obj):
        params = {"saleVoidID": f">,{cursor.voids_after_id}", "sort": "saleVoidID"}
        try:
            for records in _pages(client, "SaleVoid", params):
                sale_ids = {to_int(r.get("saleID"), default=0) for r in records} - {0}

                def work(locked: OrderCursor, sale_ids=sale_ids, records=records) -> None:
                    _void_known(scope, sale_ids, counts)
                    newest = max((to_int(r.get("saleVoidID"), default=0) for r in records), default=0)
                    locked.voids_after_id = max(locked.voids_after_id, newest)

                commit(work)
        except errors.LightspeedForbiddenError:
            counts["void_list_not_granted"] += 1

    if not dry_run and backfill is not None:
        OrderCursor.objects.filter(pk=cursor.pk).update(start_at=backfill)
    if not dry_run:
        _warnings_record(scope, run)
    return dict(counts)


def _pages(client: LightspeedClient, resource: str, params: dict[str, Any]) -> Iterator[list[dict]]:
    for page in client.iter_pages(resource, params=params):
        records = records_in(page, resource)
        if records:
            yield records


def _newest(records: list[dict], name: str) -> datetime | None:
    moments = []
    for record in records:
        try:
            moment = to_datetime(
                record.get(name) or (record.get("updateTime") if name == "updatetime" else None)
            )
        except ValueError:
            continue
        if moment is not None:
            moments.append(moment)
    return max(moments, default=None)


def _parsed(
    scope: ShopScope, client: LightspeedClient, records: list[dict], counts: Counter, run
) -> list[SaleData | tuple[dict, str]]:
    """Parsed sales, with any relation Lightspeed left out fetched in one request per kind."""
    missing_items: set[int] = set()
    missing_customers: set[int] = set()
    for record in records:
        item_ids, customer_ids = missing_relations(record)
        missing_items |= item_ids
        missing_customers |= customer_ids
    items: dict[int, ItemCodes] = {}
    if missing_items:
        for item in client.iter_items(
            ids=sorted(missing_items), with_item_shops=False, include_archived=True
        ):
            codes = item_codes_parse(item)
            items[codes.item_id] = codes
        counts["items_fetched"] += len(missing_items)
    customers: dict[int, CustomerData] = {}
    if missing_customers:
        for customer in client.iter_customers(ids=sorted(missing_customers)):
            customers[to_int(customer.get("customerID"), default=0)] = customer_parse(customer)
    out: list[SaleData | tuple[dict, str]] = []
    for record in records:
        try:
            out.append(sale_parse(record, items=items, customers=customers))
        except SaleParseError as exc:
            out.append((record, str(exc)))
    return out


def _record_invalid(scope: ShopScope, sales: list, counts: Counter, run) -> None:
    for entry in sales:
        if isinstance(entry, SaleData):
            continue
        record, reason = entry
        sale_id = str(record.get("saleID") if isinstance(record, dict) else "?")
        counts["invalid"] += 1
        sync_issue_record(
            company_id=scope.company.pk,
            kind="sale_invalid",
            key=sale_id[:200],
            message=f"Lightspeed sale {sale_id} could not be read ({reason}); it was not imported.",
            excerpt=json.dumps(record, default=str)[:4000],
            run=run,
        )
        if sale_id.isdigit():
            try:
                update_time = to_datetime(record.get("updatetime") or record.get("updateTime"))
            except ValueError:
                update_time = None
            # An imported sale stays imported (its order exists); only what is not yet an order
            # is marked unreadable.
            rec, created = LightspeedSale.objects.get_or_create(
                company=scope.company,
                sale_id=int(sale_id),
                defaults={"state": LightspeedSale.State.INVALID, "update_time": update_time},
            )
            if not created and rec.state in (LightspeedSale.State.OPEN, LightspeedSale.State.INVALID):
                rec.state, rec.update_time = LightspeedSale.State.INVALID, update_time
                rec.save(update_fields=["state", "update_time", "updated_at"])


def _unreadable_ids(sales: list) -> set[int]:
    return {
        int(record["saleID"])
        for entry in sales
        if not isinstance(entry, SaleData)
        for record in [entry[0]]
        if isinstance(record, dict) and str(record.get("saleID")).isdigit()
    }


def _changes_needed(scope: ShopScope, records: list[dict]) -> tuple[list[int], set[int]]:
    """Of a page of changed sales: which to fetch and import, which imported ones are now void."""
    headers = {}
    for record in records:
        try:
            sale_id = to_int(record.get("saleID"), default=0)
            completed, voided = to_bool(record.get("completed")), to_bool(record.get("voided"))
            shop_id = to_int(record.get("shopID"), default=0)
        except ValueError:
            continue
        if sale_id and (completed or voided):
            headers[sale_id] = (voided, shop_id, _newest([record], "updatetime"))
    final = (LightspeedSale.State.IMPORTED, LightspeedSale.State.VOIDED)
    rows = LightspeedSale.objects.filter(company=scope.company, sale_id__in=list(headers)).values_list(
        "sale_id", "state", "update_time"
    )
    known = {sale_id: state for sale_id, state, _ in rows}
    # A sale that could not be read is fetched again only once Lightspeed has changed it.
    unreadable = {
        sale_id: update_time for sale_id, state, update_time in rows if state == LightspeedSale.State.INVALID
    }
    needed = [
        sale_id
        for sale_id, (_, shop_id, changed) in headers.items()
        if known.get(sale_id) not in final
        and scope.imports_shop(shop_id)
        and not (
            sale_id in unreadable
            and (changed is None or (unreadable[sale_id] and changed <= unreadable[sale_id]))
        )
    ]
    voided = {
        sale_id
        for sale_id, (is_void, _, _) in headers.items()
        if is_void and known.get(sale_id) == LightspeedSale.State.IMPORTED
    }
    return needed, voided


def _fetch_sales(client: LightspeedClient, sale_ids: list[int]) -> list[dict]:
    out: list[dict] = []
    for start in range(0, len(sale_ids), 100):
        chunk = sale_ids[start : start + 100]
        params = {
            "saleID": "IN," + json.dumps(chunk, separators=(",", ":")),
            "sort": "saleID",
            "load_relations": json.dumps(SALE_RELATIONS),
        }
        for records in _pages(client, "Sale", params):
            out.extend(records)
    return out


def _void_known(scope: ShopScope, sale_ids: set[int], counts: Counter) -> None:
    if not sale_ids:
        return
    records = list(
        LightspeedSale.objects.filter(
            company=scope.company, sale_id__in=sale_ids, state=LightspeedSale.State.IMPORTED
        )
    )
    sales_void(scope=scope, voids=[(rec, None) for rec in records], counts=counts)


def _warnings_record(scope: ShopScope, run) -> None:
    if "returns_warehouse_missing" in scope.warnings:
        sync_issue_record(
            company_id=scope.company.pk,
            kind="returns_warehouse_missing",
            key="settings",
            message="No Returns Warehouse is set: returned items were received into the shop's first "
            "warehouse. Set a Returns Warehouse in the Lightspeed POS settings.",
            run=run,
        )
