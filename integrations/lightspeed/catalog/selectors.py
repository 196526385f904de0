"""Read-only questions of the catalog upload: what each shop should show, and what differs.

The quantities are aggregated in the database, in one query whatever the number of products:
for each linked, enabled product and each uploaded shop, the sum of `on_hand − reserved` over
the shop's mapped *sellable* warehouses, never below zero (with shops mapping off: every sellable
warehouse feeds the one configured shop). Only the pairs that differ from what Lightspeed was
last seen holding come back, so 100,000 products × 10 shops cost the same number of queries as
ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.commerce.models import StockLevel, Warehouse
from integrations.lightspeed.models import (
    ConnectionStatus,
    ItemShopState,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    LiveState,
    ProductLink,
    SyncRun,
)
from integrations.lightspeed.models.orders import LightspeedSale, LightspeedSaleLine, OrderCursor

# A successful order run that started at S has read every sale completed before S, give or take
# the difference between our clock and Lightspeed's (LIGHTSPEED_CLOCK_SKEW_SECONDS).
CLOCK_SKEW = timedelta(seconds=30)


def clock_skew() -> timedelta:
    seconds = getattr(settings, "LIGHTSPEED_CLOCK_SKEW_SECONDS", None)
    return CLOCK_SKEW if seconds is None else timedelta(seconds=float(seconds))


@dataclass(frozen=True)
class QuantityRow:
    link_id: int
    shop_pk: int
    quantity: int  # what LightSync says the shop holds (never negative)
    state_id: int | None
    qoh_seen: int | None  # what Lightspeed was last seen holding (None: never seen)
    moved_at: datetime | None  # an unsettled move made in Lightspeed

    @property
    def differs(self) -> bool:
        return self.qoh_seen is None or self.qoh_seen != self.quantity


@dataclass(frozen=True)
class MoneyRow:
    link_id: int
    seen: Decimal | None
    new: Decimal


def upload_shops(settings_obj: LightspeedSettings) -> list[LightspeedShop]:
    """The shops whose quantities LightSync uploads: the mapped ones, or the one configured shop."""
    if settings_obj.shops_mapping_enabled:
        return list(
            LightspeedShop.objects.filter(
                company_id=settings_obj.company_id, archived=False, warehouse_links__isnull=False
            )
            .distinct()
            .order_by("shop_id")
        )
    if settings_obj.shop_id is None:
        return []
    return list(LightspeedShop.objects.filter(pk=settings_obj.shop_id, archived=False))


def _shop_warehouses_sql(settings_obj: LightspeedSettings, shops: list[LightspeedShop]) -> tuple[str, list]:
    if settings_obj.shops_mapping_enabled:
        sql = f"SELECT m.shop_id AS shop_pk, m.warehouse_id FROM {LightspeedShopWarehouse._meta.db_table} m WHERE m.shop_id IN ({','.join(['%s'] * len(shops))})"  # noqa: S608, E501
        return sql, [shop.pk for shop in shops]
    sql = f"SELECT %s AS shop_pk, w.id AS warehouse_id FROM {Warehouse._meta.db_table} w WHERE w.company_id = %s"  # noqa: S608
    return sql, [shops[0].pk, settings_obj.company_id]


def stock_available_by_shop(
    *,
    settings_obj: LightspeedSettings,
    link_ids: list[int] | None = None,
    due_only: bool = False,
    differing_only: bool = True,
    unlinked: bool = False,
) -> list[QuantityRow]:
    """Per linked, enabled product and uploaded shop: LightSync's quantity beside Lightspeed's.

    With `differing_only`, only the pairs to look at: a different or unknown Lightspeed value, or
    an unsettled move. With `unlinked`, the enabled products not linked yet (auto-create's
    starting quantities) instead of the linked ones. One query.
    """
    shops = upload_shops(settings_obj)
    if not shops:
        return []
    sw_sql, sw_params = _shop_warehouses_sql(settings_obj, shops)
    link_filter, link_params = "", []
    if link_ids is not None:
        if not link_ids:
            return []
        link_filter += f" AND l.id IN ({','.join(['%s'] * len(link_ids))})"
        link_params += list(link_ids)
    if due_only:
        link_filter += " AND l.upload_due_at IS NOT NULL"
    differing = (
        """WHERE st.id IS NULL OR st.qoh_seen IS NULL OR st.moved_at IS NOT NULL
           OR st.qoh_seen <> (CASE WHEN COALESCE(qty.q, 0) < 0 THEN 0 ELSE COALESCE(qty.q, 0) END)"""
        if differing_only
        else ""
    )
    shop_values = " UNION ALL ".join(["SELECT %s AS shop_pk"] * len(shops))
    sql = f"""
        WITH sw AS ({sw_sql}),
        shops AS ({shop_values}),
        links AS (
            SELECT l.id, l.product_id FROM {ProductLink._meta.db_table} l
            WHERE l.company_id = %s AND l.enabled AND l.item_id IS {"" if unlinked else "NOT "}NULL
              AND NOT l.item_archived
            {link_filter}
        ),
        qty AS (
            SELECT sl.product_id, sw.shop_pk, SUM(sl.on_hand - sl.reserved) AS q
            FROM {StockLevel._meta.db_table} sl
            JOIN sw ON sw.warehouse_id = sl.warehouse_id
            JOIN {Warehouse._meta.db_table} w ON w.id = sl.warehouse_id
            WHERE w.is_sellable AND sl.product_id IN (SELECT product_id FROM links)
            GROUP BY sl.product_id, sw.shop_pk
        )
        SELECT links.id, shops.shop_pk, COALESCE(qty.q, 0), st.id, st.qoh_seen, st.moved_at
        FROM links CROSS JOIN shops
        LEFT JOIN qty ON qty.product_id = links.product_id AND qty.shop_pk = shops.shop_pk
        LEFT JOIN {ItemShopState._meta.db_table} st ON st.link_id = links.id AND st.shop_id = shops.shop_pk
        {differing}
        ORDER BY links.id, shops.shop_pk
    """  # noqa: S608 - table names from the models, values as parameters
    params = [*sw_params, *[shop.pk for shop in shops], settings_obj.company_id, *link_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        QuantityRow(
            link_id=link_id,
            shop_pk=shop_pk,
            quantity=max(int(quantity), 0),
            state_id=state_id,
            qoh_seen=qoh_seen,
            moved_at=_aware(moved_at),
        )
        for link_id, shop_pk, quantity, state_id, qoh_seen, moved_at in rows
    ]


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = parse_datetime(str(value))  # SQLite's raw cursor hands back text
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


def _uploadable_links(settings_obj: LightspeedSettings, link_ids, due_only: bool) -> QuerySet[ProductLink]:
    links = ProductLink.objects.filter(
        company_id=settings_obj.company_id,
        enabled=True,
        item_id__isnull=False,
        item_archived=False,
        product__is_parent=False,  # a style holds no stock: its variations are the items
    )
    if link_ids is not None:
        links = links.filter(pk__in=link_ids)
    if due_only:
        links = links.filter(upload_due_at__isnull=False)
    return links


def prices_differing(
    *, settings_obj: LightspeedSettings, link_ids: list[int] | None = None, due_only: bool = False
) -> list[MoneyRow]:
    links = _uploadable_links(settings_obj, link_ids, due_only).filter(
        Q(price_seen__isnull=True) | ~Q(price_seen=F("product__site_price"))
    )
    return [
        MoneyRow(pk, seen, new)
        for pk, seen, new in links.values_list("pk", "price_seen", "product__site_price")
    ]


def costs_differing(
    *, settings_obj: LightspeedSettings, link_ids: list[int] | None = None, due_only: bool = False
) -> list[MoneyRow]:
    links = _uploadable_links(settings_obj, link_ids, due_only).filter(
        Q(cost_seen__isnull=True) | ~Q(cost_seen=F("product__site_cost"))
    )
    return [
        MoneyRow(pk, seen, new)
        for pk, seen, new in links.values_list("pk", "cost_seen", "product__site_cost")
    ]


def orders_caught_up_to(company_id: int) -> datetime | None:
    """Up to when (Lightspeed's clock) every completed sale has been downloaded, or None.

    The latest of: the order download's cursors (`OrderCursor.sales_after` and `updates_after`, the
    Sale.timeStamp and Sale.updatetime it has read up to: a sale completes by moving both), the
    start of its latest successful run, and the start of the latest change probe that found nothing
    new (live loop), each of the last two minus the clock skew allowance (they are our clock; a run
    or probe that found no new sales moves no cursor, but everything before it has been read).
    """
    moments: list[datetime] = []
    cursor = (
        OrderCursor.objects.filter(company_id=company_id).values_list("sales_after", "updates_after").first()
    )
    if cursor:
        moments.extend(cursor)
    probed = LiveState.objects.filter(company_id=company_id).values_list("caught_up_at", flat=True).first()
    if probed:
        moments.append(probed - clock_skew())
    started = (
        SyncRun.objects.filter(
            company_id=company_id,
            job="orders",
            dry_run=False,
            outcome__in=(SyncRun.Outcome.SUCCEEDED, SyncRun.Outcome.PARTIAL),
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if started:
        moments.append(started - clock_skew())
    return max(moments) if moments else None


def uploads_due_count(*, company_id: int, limit: int) -> int:
    """How many of the company's linked, enabled products are due for upload, counted up to
    `limit` + 1 (enough to tell a first upload from the few changes of a minute)."""
    due = ProductLink.objects.filter(
        company_id=company_id, enabled=True, item_id__isnull=False, upload_due_at__isnull=False
    )
    return due[: limit + 1].count()


def companies_for_catalog(*, uploads: bool = False, due_only: bool = False) -> list[int]:
    """Companies a catalog beat tick should queue: enabled, connected, with an upload on when asked,
    and with something due when `due_only`."""
    found = LightspeedSettings.objects.filter(enabled=True, connection_status=ConnectionStatus.CONNECTED)
    if uploads or due_only:
        found = found.filter(
            Q(inventory_upload_enabled=True) | Q(price_upload_enabled=True) | Q(cost_upload_enabled=True)
        )
    if due_only:
        found = found.filter(
            company__lightspeed_links__upload_due_at__isnull=False, company__lightspeed_links__enabled=True
        )
    return sorted(set(found.values_list("company_id", flat=True)))


# Lightspeed's timeStamps are whole seconds, and a sale's timeStamp and the ItemShop change it made
# need not fall in the same second: a sale this close to either reading may be on either side of it.
TIMESTAMP_TOLERANCE = timedelta(seconds=1)
# Beyond this many sales at the edges, only "all of them" or "none of them" is tried per edge.
_EDGE_SALES_TRIED_ONE_BY_ONE = 12


def orders_past(caught_up: datetime | None, moved_at: datetime | None) -> bool:
    """Whether the order download has read every sale that can lie behind a move at `moved_at`
    (including one stamped a second after it)."""
    if moved_at is None:
        return True
    return caught_up is not None and caught_up >= moved_at + TIMESTAMP_TOLERANCE


def move_unexplained(*, company_id: int, state_id: int | None, item_id: int, shop_id: int) -> int | None:
    """How much of an unsettled Lightspeed move no downloaded sale explains (0: the sales explain it
    all), or None when the quantity before the move is not known.

    Lightspeed's quantity went from `moved_from` (at `moved_from_at`) to `qoh_seen` (at `moved_at`);
    the completed, not voided sales of that item in that shop in between, as the order download
    recorded them (sold positive, returned negative), account for `moved_from − sold`. A sale within
    a second of either reading (whole-second timeStamps) may be on either side of it: the move is
    explained when the sales surely in between, with some of those at the edges, account for it.
    """
    state = ItemShopState.objects.filter(pk=state_id).first() if state_id else None
    if state is None or state.moved_from is None or state.moved_at is None or state.qoh_seen is None:
        return None
    lines = LightspeedSaleLine.objects.filter(
        sale__company_id=company_id,
        sale__shop_id_seen=shop_id,
        sale__time_stamp__lte=state.moved_at + TIMESTAMP_TOLERANCE,
        item_id=item_id,
        kind__in=(LightspeedSaleLine.Kind.STOCK, LightspeedSaleLine.Kind.RETURN),
    ).exclude(sale__state=LightspeedSale.State.VOIDED)
    if state.moved_from_at is not None:
        lines = lines.filter(sale__time_stamp__gte=state.moved_from_at - TIMESTAMP_TOLERANCE)
    sold_by_sale: dict[int, tuple[datetime, int]] = {}
    for sale_pk, stamp, quantity in lines.values_list("sale_id", "sale__time_stamp", "quantity"):
        at, total = sold_by_sale.get(sale_pk, (stamp, 0))
        sold_by_sale[sale_pk] = (at, total + quantity)

    def at_an_edge(stamp: datetime) -> bool:
        edges = [state.moved_at] + ([state.moved_from_at] if state.moved_from_at is not None else [])
        return any(abs(stamp - edge) <= TIMESTAMP_TOLERANCE for edge in edges)

    sure = sum(q for at, q in sold_by_sale.values() if not at_an_edge(at))
    edge = [q for at, q in sold_by_sale.values() if at_an_edge(at)]
    if len(edge) > _EDGE_SALES_TRIED_ONE_BY_ONE:
        edge = [sum(edge)]
    possible = {0}
    for quantity in edge:  # every subset of the edge sales: which of them the readings include
        possible |= {total + quantity for total in possible}
    # The smallest difference any reading of the edges leaves (0 when one explains it all).
    return min((state.qoh_seen - (state.moved_from - sure - extra) for extra in possible), key=abs)


@dataclass(frozen=True)
class CatalogImportState:
    """What the import page shows: the latest preview (dry run) and the latest import."""

    preview: SyncRun | None
    result: SyncRun | None

    @property
    def running(self) -> SyncRun | None:
        runs = [r for r in (self.preview, self.result) if r is not None]
        return next((r for r in runs if r.outcome == SyncRun.Outcome.RUNNING), None)


def catalog_import_state(*, company_id: int) -> CatalogImportState:
    runs = SyncRun.objects.filter(company_id=company_id, job="catalog_import").exclude(
        outcome__in=[SyncRun.Outcome.SKIPPED]
    )
    return CatalogImportState(
        preview=runs.filter(dry_run=True).order_by("-started_at", "-id").first(),
        result=runs.filter(dry_run=False).order_by("-started_at", "-id").first(),
    )
