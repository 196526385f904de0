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
   need importing are fetched in one batched request per page. Re-read from its cursor minus a
   short overlap only (`LIGHTSPEED_ORDERS_CHANGE_OVERLAP_SECONDS`): a sale already imported or
   voided is passed over by its saleID, never fetched again.
   A long read (a first run, a backfill, a catch-up after an outage: pass 1 has a second page)
   asks the change probe (1 drip) once the second page has come. Pass 1 reads every sale stamped after
   its start as it stands at that moment or later, so pass 2 then reads only the sales stamped
   before pass 1's start that changed since its cursor, and every change from the probe's
   answer less the change overlap on — not every sale of the range a second time.
3. `SaleVoid` — when the token carries `employee:admin_void_sale` (or `employee:all`).

A live run (the live loop's change probe saw a sale change: `live=True`) reads only pass 2:
every change, a new completed sale included, moves `updatetime`, so pass 2 alone sees it, and
for a handful of sales one page of headers plus one batched fetch is the cheapest read. It then
moves the timeStamp cursor up to the updatetime cursor (everything completed before it has been
read). Pass 2 costs the same as pass 1 for any number of sales (per 100: one page of headers and
one batched fetch, against one page with relations that pass 2 would then read again), so a
live run after an outage reads pass 2 alone too; a first run, a backfill and a re-read from a
chosen date read all three passes, as every scheduled run does.

The page's transaction first locks the company's cursor row, then reads which sales are known:
two workers that somehow run at once (the per-company job lock normally prevents it) queue on
that row, and the second sees the first's orders.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.fields import RecordParseError
from integrations.lightspeed.api.records.sales import (
    SaleChange,
    SaleData,
    UnreadableSale,
    customers_by_id,
    items_by_id,
    missing_relations,
    sale_change_parse,
    sale_time_stamp,
    sale_update_time,
    sale_void_parse,
    sales_parse,
)
from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.models import LightspeedSettings, SyncIssue, SyncRun
from integrations.lightspeed.models.orders import LightspeedSale, OrderCursor
from integrations.lightspeed.orders.services.sale_import import sales_import
from integrations.lightspeed.orders.services.sale_stock import ShopScope, shop_scope_load
from integrations.lightspeed.orders.services.sale_void import sales_void

logger = logging.getLogger(__name__)

VOID_SCOPES = {"employee:admin_void_sale", "employee:all"}


def overlap() -> timedelta:
    return timedelta(seconds=getattr(django_settings, "LIGHTSPEED_ORDERS_OVERLAP_SECONDS", 300))


def change_overlap() -> timedelta:
    return timedelta(seconds=getattr(django_settings, "LIGHTSPEED_ORDERS_CHANGE_OVERLAP_SECONDS", 30))


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
    live: bool = False,
) -> dict[str, int]:
    """Downloads new and changed sales of the company. Returns counts by kind."""
    # A dry run writes nothing: every page's transaction is rolled back, and neither a first
    # cursor nor the channel's system user is created outside them.
    first_run = not OrderCursor.objects.filter(company_id=settings_obj.company_id).exists()
    cursor = order_cursor_get(settings_obj=settings_obj, create=not dry_run)
    scope = shop_scope_load(settings_obj=settings_obj, dry_run=dry_run)
    backfill = settings_obj.order_download_start
    backfill = backfill if backfill is not None and backfill < cursor.start_at else None
    scope.start_at = min(d for d in (cursor.start_at, backfill, since) if d is not None)
    ongoing = not (dry_run or first_run or backfill or since)  # not a first run, a backfill or a re-read
    scope.measure_freshness = ongoing
    download = _Download(client=client, scope=scope, cursor=cursor, dry_run=dry_run, run=run)
    if live and ongoing:
        download.changed_sales(since=cursor.updates_after - change_overlap())
        download.timestamp_cursor_follow()
        return dict(download.counts)
    sales_since = since or backfill or (cursor.sales_after - overlap())
    download.new_sales(since=sales_since, progress=progress, probe=not dry_run)
    changes_since = since or backfill or (cursor.updates_after - change_overlap())
    probed = download.probed
    if probed is not None and probed - change_overlap() > changes_since:
        # A long read (module docstring): pass 1 read every sale stamped after `sales_since` as it
        # stood then, so pass 2 reads the sales stamped before it that changed since, and every
        # change from just before the probe on: not every sale a second time.
        download.changed_sales(since=changes_since, stamped_by=sales_since, advance=False)
        changes_since = probed - change_overlap()
    download.changed_sales(since=changes_since)
    if _void_scope_granted(settings_obj):
        download.voids()
    if not dry_run and backfill is not None:
        OrderCursor.objects.filter(pk=cursor.pk).update(start_at=backfill)
    if not dry_run:
        _warnings_record(scope, run)
    return dict(download.counts)


@dataclass
class _Download:
    """One run's three passes (module docstring), each page in its own transaction."""

    client: LightspeedClient
    scope: ShopScope
    cursor: OrderCursor
    dry_run: bool
    run: SyncRun | None
    counts: Counter = field(default_factory=Counter)
    # Sales read in full by the first pass: the second need not fetch them again (a dry run has
    # rolled their import back, so the database alone cannot tell).
    handled: set[int] = field(default_factory=set)
    probed: datetime | None = None  # the change probe's answer during pass 1 (`probe`)

    @contextmanager
    def page(self) -> Iterator[OrderCursor]:
        """One page's transaction, holding the company's cursor row; the cursor is saved with it."""
        with transaction.atomic():
            if self.cursor.pk is None:  # a dry run's first cursor, never stored
                locked = copy.copy(self.cursor)
            else:
                locked = OrderCursor.objects.select_for_update().get(pk=self.cursor.pk)
            yield locked
            if self.dry_run:
                transaction.set_rollback(True)
            else:
                locked.save()

    def import_sales(self, sales: list[SaleData | UnreadableSale]) -> None:
        sales_page_import(scope=self.scope, sales=sales, counts=self.counts, run=self.run)

    def new_sales(
        self, *, since: datetime, progress: Callable[[int], None] | None, probe: bool = False
    ) -> None:
        """1. New sales by timeStamp. With `probe`, a second page is followed by the change probe
        (`probed`)."""
        first_page_at = time.monotonic()
        for n, records in enumerate(self.client.iter_sale_pages(since=since)):
            if n == 0:
                first_page_at = time.monotonic()
            elif n == 1 and probe:
                self.probed = self.probe(first_page_at)
            sales = sales_read(client=self.client, records=records, counts=self.counts)
            newest = _newest(records, sale_time_stamp)
            with self.page() as cursor:
                self.import_sales(sales)
                if newest and newest > cursor.sales_after:
                    cursor.sales_after = newest
            if self.dry_run:
                self.handled.update(
                    s.sale_id for s in sales if isinstance(s, SaleData) and (s.completed or s.voided)
                )
                self.handled.update(_unreadable_ids(sales))
            self.counts["sales_read"] += len(records)
            if progress:
                progress(len(records))

    def probe(self, first_page_at: float) -> datetime | None:
        """The updatetime of the sale Lightspeed changed last, asked once a second page has come:
        every sale of the first page and after it is read as it stood then or later, so a later
        change moves its updatetime past this moment less the change overlap. None (pass 2 reads
        its whole range) when the answer came later than half that overlap after the first page,
        or there is none."""
        newest = self.client.get_newest_sale_change()
        if newest is None or time.monotonic() - first_page_at > change_overlap().total_seconds() / 2:
            return None
        return sale_update_time(newest)

    def changed_sales(
        self, *, since: datetime, stamped_by: datetime | None = None, advance: bool = True
    ) -> None:
        """2. Later changes by updatetime: voids, back-dated completions; with `stamped_by`, only of
        sales stamped at or before it, and (`advance=False`) without moving the cursor: the read
        after it covers later changes."""
        for records in self.client.iter_sale_change_pages(since=since, stamped_by=stamped_by):
            needed, voided = _changes_needed(self.scope, records)
            needed = [sale_id for sale_id in needed if sale_id not in self.handled]
            full = list(self.client.iter_sales(ids=needed))
            sales = sales_read(client=self.client, records=full, counts=self.counts)
            newest = _newest(records, sale_update_time)
            with self.page() as cursor:
                self.import_sales(sales)
                _void_known(self.scope, voided, self.counts)
                if advance and newest and newest > cursor.updates_after:
                    cursor.updates_after = newest
            self.counts["changes_read"] += len(records)

    def timestamp_cursor_follow(self) -> None:
        """After a live run's pass 2: every sale completed up to the updatetime cursor has been read
        (completing a sale moves its updatetime), so the timeStamp cursor need not re-read them."""
        with self.page() as cursor:
            if cursor.updates_after > cursor.sales_after:
                cursor.sales_after = cursor.updates_after

    def voids(self) -> None:
        """3. SaleVoid, when the merchant granted it."""
        try:
            for records in self.client.iter_sale_void_pages(after_id=self.cursor.voids_after_id):
                voids = [sale_void_parse(record) for record in records]
                with self.page() as cursor:
                    _void_known(self.scope, {v.sale_id for v in voids} - {0}, self.counts)
                    newest = max((v.sale_void_id for v in voids), default=0)
                    cursor.voids_after_id = max(cursor.voids_after_id, newest)
        except errors.LightspeedForbiddenError:
            self.counts["void_list_not_granted"] += 1


def _newest(records: list[dict], moment: Callable[[dict], datetime | None]) -> datetime | None:
    """The latest readable moment of a page (a record whose time cannot be read is passed over)."""
    return max((m for m in map(moment, records) if m is not None), default=None)


def sales_read(
    *, client: LightspeedClient, records: list[dict], counts: Counter
) -> list[SaleData | UnreadableSale]:
    """A page of sales parsed, with any relation Lightspeed left out fetched in one request per kind."""
    missing_items: set[int] = set()
    missing_customers: set[int] = set()
    for record in records:
        item_ids, customer_ids = missing_relations(record)
        missing_items |= item_ids
        missing_customers |= customer_ids
    items = {}
    if missing_items:
        items = items_by_id(
            client.iter_items(ids=sorted(missing_items), with_item_shops=False, include_archived=True)
        )
        counts["items_fetched"] += len(missing_items)
    customers = {}
    if missing_customers:
        customers = customers_by_id(client.iter_customers(ids=sorted(missing_customers)))
    return sales_parse(records, items=items, customers=customers)


def sales_page_import(
    *, scope: ShopScope, sales: list[SaleData | UnreadableSale], counts: Counter, run: SyncRun | None
) -> None:
    """A page of read sales into orders, and its unreadable ones into issues (in the caller's
    transaction)."""
    sales_unreadable_record(scope=scope, sales=sales, counts=counts, run=run)
    sales_import(scope=scope, sales=[s for s in sales if isinstance(s, SaleData)], counts=counts, run=run)


def sales_unreadable_record(
    *, scope: ShopScope, sales: list[SaleData | UnreadableSale], counts: Counter, run: SyncRun | None
) -> None:
    """Each sale that could not be read becomes an issue, and is marked unreadable unless imported."""
    for entry in sales:
        if not isinstance(entry, UnreadableSale):
            continue
        counts["invalid"] += 1
        sync_issue_record(
            company_id=scope.company.pk,
            kind=SyncIssue.Kind.SALE_INVALID,
            key=entry.key[:200],
            message=f"Lightspeed sale {entry.key} could not be read ({entry.reason}); it was not imported.",
            excerpt=json.dumps(entry.record, default=str)[:4000],
            run=run,
        )
        if entry.sale_id is not None:
            _unreadable_mark(scope, entry.sale_id, entry.update_time)


def _unreadable_mark(scope: ShopScope, sale_id: int, update_time: datetime | None) -> None:
    # An imported sale stays imported (its order exists); only what is not yet an order is
    # marked unreadable.
    rec, created = LightspeedSale.objects.get_or_create(
        company=scope.company,
        sale_id=sale_id,
        defaults={"state": LightspeedSale.State.INVALID, "update_time": update_time},
    )
    if not created and rec.state in (LightspeedSale.State.OPEN, LightspeedSale.State.INVALID):
        rec.state, rec.update_time = LightspeedSale.State.INVALID, update_time
        rec.save(update_fields=["state", "update_time", "updated_at"])


def _unreadable_ids(sales: list[SaleData | UnreadableSale]) -> set[int]:
    return {s.sale_id for s in sales if isinstance(s, UnreadableSale) and s.sale_id is not None}


def _changes_needed(scope: ShopScope, records: list[dict]) -> tuple[list[int], set[int]]:
    """Of a page of changed sales: which to fetch and import, which imported ones are now void."""
    headers: dict[int, SaleChange] = {}
    for record in records:
        try:
            change = sale_change_parse(record)
        except RecordParseError:
            continue
        if change.sale_id and (change.completed or change.voided):
            headers[change.sale_id] = change
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
        for sale_id, change in headers.items()
        if known.get(sale_id) not in final
        and scope.imports_shop(change.shop_id)
        and not (
            sale_id in unreadable
            and (
                change.update_time is None
                or (unreadable[sale_id] and change.update_time <= unreadable[sale_id])
            )
        )
    ]
    voided = {
        sale_id
        for sale_id, change in headers.items()
        if change.voided and known.get(sale_id) == LightspeedSale.State.IMPORTED
    }
    return needed, voided


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
            kind=SyncIssue.Kind.RETURNS_WAREHOUSE_MISSING,
            key="settings",
            message="No Returns Warehouse is set: returned items were received into the shop's first "
            "warehouse. Set a Returns Warehouse in the Lightspeed POS settings.",
            run=run,
        )
