"""The upload job: inventory, prices and costs, only what changed, one `PUT Item` per changed item.

A run plans from the database alone (`upload_plan`: a constant number of queries), so a run with
nothing to send makes no request at all. With something to send it first polls the ItemShop
rows Lightspeed changed (and reads the items whose quantities it has never seen), plans again,
and then writes item by item, polling again every `LIGHTSPEED_UPLOAD_REPOLL_SECONDS` so that a
sale rung up at a register while the run is going holds its item back instead of being
overwritten. A quantity Lightspeed moved on its own is overwritten only once the order download
has caught up past the move (then the sales behind it are in LightSync's stock); what is still
different then no sale explains, and is recorded as drift. A write Lightspeed refuses becomes an
issue with its message and the run goes on.

Up to `LIGHTSPEED_MAX_IN_FLIGHT` writes are in flight at once (api/inflight.py: paced by the
shared bucket, one writer per item); their answers are recorded in the order the writes were
planned, on this thread (`upload_record.py`), and the writes in flight land before each re-poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.core.locks import NamedLock
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.inflight import Window
from integrations.lightspeed.catalog.selectors import (
    QuantityRow,
    costs_differing,
    move_unexplained,
    orders_caught_up_to,
    orders_past,
    prices_differing,
    stock_available_by_shop,
)
from integrations.lightspeed.catalog.services.enable import links_mark_changed
from integrations.lightspeed.catalog.services.price_level import price_level_check, price_level_unusable
from integrations.lightspeed.catalog.services.state import (
    MOVE_SETTLED,
    catalog_stock_lock,
    item_shops_poll,
    items_refresh,
)
from integrations.lightspeed.catalog.services.upload_record import Write, writes_record
from integrations.lightspeed.live.services.catch_up import orders_catch_up
from integrations.lightspeed.live.services.freshness import Direction, freshness_record
from integrations.lightspeed.models import (
    ItemShopState,
    LightspeedSettings,
    LightspeedShop,
    ProductLink,
    StockDrift,
    SyncIssue,
)

INVENTORY, PRICES, COSTS = "inventory", "prices", "costs"
ALL_FIELDS = frozenset({INVENTORY, PRICES, COSTS})


def repoll_seconds() -> float:
    return float(getattr(settings, "LIGHTSPEED_UPLOAD_REPOLL_SECONDS", 10))


@dataclass
class ItemPlan:
    link_id: int
    item_id: int = 0
    sku: str = ""
    quantities: list[QuantityRow] = field(default_factory=list)
    price: tuple[Decimal | None, Decimal] | None = None  # (Lightspeed now, new)
    cost: tuple[Decimal | None, Decimal] | None = None


@dataclass
class UploadScope:
    """Which links a run looks at: all of them, the ones marked due, or the given ones."""

    due_only: bool = False
    link_ids: list[int] | None = None
    force: bool = False  # a person chose to overwrite: no hold-back


def upload_fields(
    settings_obj: LightspeedSettings, requested: frozenset[str] = frozenset()
) -> frozenset[str]:
    """The fields this company uploads (its three Enable … Upload settings), limited to `requested`."""
    enabled = {
        INVENTORY: settings_obj.inventory_upload_enabled,
        PRICES: settings_obj.price_upload_enabled,
        COSTS: settings_obj.cost_upload_enabled,
    }
    fields = frozenset(name for name, on in enabled.items() if on)
    return fields & requested if requested else fields


def upload_plan(
    *, settings_obj: LightspeedSettings, fields: frozenset[str], scope: UploadScope
) -> dict[int, ItemPlan]:
    """What differs, per link, from the database alone (a constant number of queries)."""
    plans: dict[int, ItemPlan] = {}
    kwargs = {"settings_obj": settings_obj, "link_ids": scope.link_ids, "due_only": scope.due_only}
    if INVENTORY in fields:
        for row in stock_available_by_shop(**kwargs):
            plans.setdefault(row.link_id, ItemPlan(row.link_id)).quantities.append(row)
    if PRICES in fields:
        for row in prices_differing(**kwargs):
            plans.setdefault(row.link_id, ItemPlan(row.link_id)).price = (row.seen, row.new)
    if COSTS in fields:
        for row in costs_differing(**kwargs):
            plans.setdefault(row.link_id, ItemPlan(row.link_id)).cost = (row.seen, row.new)
    if plans:
        for pk, item_id, sku in ProductLink.objects.filter(pk__in=list(plans)).values_list(
            "pk", "item_id", "product__sku"
        ):
            plans[pk].item_id, plans[pk].sku = item_id, sku
    return plans


def plan_lines(plan: ItemPlan, shop_names: dict[int, str], *, prefix: str = "") -> list[str]:
    """One line per shop or field of an item's plan: Lightspeed now → new."""
    lines = []
    for row in plan.quantities:
        if row.differs:
            seen = "unknown" if row.qoh_seen is None else row.qoh_seen
            held = " (held: moved in Lightspeed)" if row.moved_at else ""
            lines.append(
                f"{prefix}@ {shop_names.get(row.shop_pk, row.shop_pk)}: qoh {seen} → {row.quantity}{held}"
            )
    if plan.price:
        lines.append(f"{prefix}: price {_money(plan.price[0])} → {_money(plan.price[1])}".replace(" :", ":"))
    if plan.cost:
        lines.append(f"{prefix}: cost {_money(plan.cost[0])} → {_money(plan.cost[1])}".replace(" :", ":"))
    return [line.removeprefix(": ") for line in lines]


def preview_lines(plans: dict[int, ItemPlan], shop_names: dict[int, str]) -> list[str]:
    """What a run would send, one line per product and shop or field: Lightspeed now → new."""
    lines = []
    for plan in sorted(plans.values(), key=lambda p: p.sku):
        lines += plan_lines(plan, shop_names, prefix=f"{plan.sku} ")
    return lines


def _money(value: Decimal | None) -> str:
    return "unknown" if value is None else f"{value.normalize():f}"


@dataclass
class _Run:
    settings_obj: LightspeedSettings
    client: LightspeedClient
    shops: dict[int, LightspeedShop]
    caught_up: datetime | None
    scope: UploadScope
    started: datetime
    counts: dict[str, int] = field(default_factory=dict)
    newly_moved: set[tuple[int, int]] = field(default_factory=set)
    held_links: set[int] = field(default_factory=set)
    # The order download caught up after the first poll (live/services/catch_up.py): the moves
    # that poll saw are all explained by downloaded sales or by nothing.
    orders_current: bool = False
    last_poll: float = 0.0
    lock: NamedLock | None = None
    # (item, the change that made its link due, Lightspeed's 200): stock change → Lightspeed.
    fresh: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    _refused: set[str] | None = None  # itemIDs with an open upload_rejected issue, read once

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def refusal_settle(self, item_id: int) -> None:
        """The item went up: an open issue of an earlier refused write resolves itself."""
        if self._refused is None:
            self._refused = set(
                SyncIssue.objects.filter(
                    company_id=self.settings_obj.company_id,
                    kind=SyncIssue.Kind.UPLOAD_REJECTED,
                    status=SyncIssue.Status.OPEN,
                ).values_list("key", flat=True)
            )
        if str(item_id) not in self._refused:
            return
        SyncIssue.objects.filter(
            company_id=self.settings_obj.company_id,
            kind=SyncIssue.Kind.UPLOAD_REJECTED,
            key=str(item_id),
            status=SyncIssue.Status.OPEN,
        ).update(
            status=SyncIssue.Status.RESOLVED,
            resolved_at=timezone.now(),
            resolution="Lightspeed took the item's update on a later upload.",
        )
        self._refused.discard(str(item_id))
        self.count("refusals_resolved")

    def may_overwrite(self, row: QuantityRow) -> bool:
        if (row.link_id, row.shop_pk) in self.newly_moved:
            return False  # sold (or counted) while this run was going: never overwrite it now
        if row.moved_at is None or self.scope.force:
            return True
        return self.orders_current or orders_past(self.caught_up, row.moved_at)

    def waits_for_orders(self, plans: dict[int, ItemPlan]) -> bool:
        """Whether an item would be held back until the order download reads past its move."""
        return any(
            row.differs and row.moved_at is not None and not orders_past(self.caught_up, row.moved_at)
            for plan in plans.values()
            for row in plan.quantities
        )


def catalog_upload(
    *,
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    fields: frozenset[str] = frozenset(),
    scope: UploadScope | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    scope = scope or UploadScope()
    fields = upload_fields(settings_obj, fields)
    if PRICES in fields and (
        price_level_unusable(settings_obj) if dry_run else price_level_check(settings_obj=settings_obj)
    ):
        fields -= {PRICES}  # the one issue says why; stock and costs still go up
        if not fields:
            return {"prices_held": 1}
    if not fields:
        return {"nothing_enabled": 1}
    started = timezone.now()
    if scope.due_only and not dry_run:
        links_mark_changed(company_id=settings_obj.company_id, now=started)
    plans = upload_plan(settings_obj=settings_obj, fields=fields, scope=scope)
    shops = {s.pk: s for s in LightspeedShop.objects.filter(company_id=settings_obj.company_id)}
    if dry_run:
        lines = preview_lines(plans, {pk: s.name for pk, s in shops.items()})
        return {"would_send_items": len(plans), "would_send": len(lines), "preview": lines}
    # The frequent run of what changed asks Lightspeed nothing when nothing changed here; the full
    # pass always polls, so a count done in Lightspeed is seen (and, unexplained, overwritten).
    full_pass = not scope.due_only and scope.link_ids is None
    if not plans and not (full_pass and INVENTORY in fields):
        _clear_due(settings_obj, scope, started, held=set())
        return {"items_sent": 0}

    with catalog_stock_lock(settings_obj.company_id) as lock:
        if lock is None:
            # A reconcile kept Lightspeed's quantities for longer than we wait: nothing is
            # written beside it, and everything stays due for the next run.
            return {"items_sent": 0, "stock_lock_busy": 1}
        return _upload_locked(
            settings_obj, client, fields, scope, plans, shops, started, progress, clock, lock
        )


def _upload_locked(
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    fields: frozenset[str],
    scope: UploadScope,
    plans: dict[int, ItemPlan],
    shops: dict[int, LightspeedShop],
    started: datetime,
    progress: Callable[[int], None] | None,
    clock: Callable[[], float],
    lock: NamedLock,
) -> dict[str, Any]:
    """Polls, plans again and writes, item by item, holding the catalog stock lock."""
    caught_up = orders_caught_up_to(settings_obj.company_id) if settings_obj.order_download_enabled else None
    run = _Run(settings_obj, client, shops, caught_up, scope, started, lock=lock)
    if INVENTORY in fields:
        _poll(run, clock, writing=False)
        unknown = {row.link_id for p in plans.values() for row in p.quantities if row.state_id is None}
        if unknown:
            run.count("items_read", items_refresh(settings_obj=settings_obj, client=client, link_ids=unknown))
        plans = upload_plan(settings_obj=settings_obj, fields=fields, scope=scope)
        if settings_obj.order_download_enabled and not scope.force and run.waits_for_orders(plans):
            # Orders before uploads: the sales behind those moves are downloaded now, not next cycle
            # (and the plan made again, with their stock taken).
            run.orders_current = orders_catch_up(company_id=settings_obj.company_id)
            if run.orders_current:
                run.count("orders_caught_up")
                plans = upload_plan(settings_obj=settings_obj, fields=fields, scope=scope)

    with Window(client) as window:
        for plan in sorted(plans.values(), key=lambda p: p.link_id):
            if INVENTORY in fields and plan.quantities and clock() - run.last_poll >= repoll_seconds():
                # The writes in flight land first: the poll then sees only what others changed.
                writes_record(run, window, window.drain())
                _poll(run, clock, writing=True)
            write = _send(run, plan)
            if write is not None:
                # One writer per item: a second write to an item waits for the first's answer.
                writes_record(run, window, window.submit(write.call, key=plan.item_id, tag=write))
                writes_record(run, window, window.ready())
            if progress:
                progress(1)
        writes_record(run, window, window.drain())
    freshness_record(
        company_id=settings_obj.company_id, direction=Direction.STOCK_TO_LIGHTSPEED, samples=run.fresh
    )
    # Held for the order download: stays due, so the next cycle sends it once the download has
    # caught up. Without order download nothing will explain the move: the drift report has it.
    held = run.held_links if settings_obj.order_download_enabled else set()
    _clear_due(settings_obj, scope, started, held=held)
    run.counts.setdefault("items_sent", 0)
    return run.counts


def _poll(run: _Run, clock: Callable[[], float], *, writing: bool) -> None:
    result = item_shops_poll(settings_obj=run.settings_obj, client=run.client)
    if writing:
        # Moved after the plan was made: a sale while the run goes on. The plan's moves (seen by
        # the first poll) are judged against the order download instead.
        run.newly_moved |= result.moved
    run.last_poll = clock()
    run.count("polls")
    if run.lock is not None:
        run.lock.extend()  # a long run keeps the stock lock as long as it writes
    if result.moved:
        run.count("moved_in_lightspeed", len(result.moved))


def _send(run: _Run, plan: ItemPlan) -> Write | None:
    """The item's write as planned now (held-back quantities left out), or None: nothing to send."""
    qoh_by_shop: dict[int, int] = {}
    sent_rows: list[QuantityRow] = []
    settled: list[int] = []
    drifts: list[StockDrift] = []
    for row in plan.quantities:
        if not run.may_overwrite(row):
            if row.differs:
                run.held_links.add(plan.link_id)
                run.count("held_back")
            continue
        if not row.differs:
            if row.moved_at is not None:
                settled.append(row.state_id)  # the sales behind the move are in: nothing to send
            continue
        qoh_by_shop[run.shops[row.shop_pk].shop_id] = row.quantity
        sent_rows.append(row)
        if row.moved_at is not None and row.qoh_seen is not None:
            unexplained = move_unexplained(
                company_id=run.settings_obj.company_id,
                state_id=row.state_id,
                item_id=plan.item_id,
                shop_id=run.shops[row.shop_pk].shop_id,
            )
            if unexplained == 0:
                run.count("moves_explained")  # the sales behind it are in; LightSync changed too
                continue
            drifts.append(
                StockDrift(
                    company_id=run.settings_obj.company_id,
                    link_id=plan.link_id,
                    shop_id=row.shop_pk,
                    lightsync_qoh=row.quantity,
                    lightspeed_qoh=row.qoh_seen,
                    moved_at=row.moved_at,
                    status=StockDrift.Status.PUSHED,
                    settled_at=timezone.now(),
                )
            )
    if settled:
        ItemShopState.objects.filter(pk__in=settled).update(**MOVE_SETTLED)
        run.count("moves_explained", len(settled))
    prices = {run.settings_obj.price_level: plan.price[1]} if plan.price else None
    cost = plan.cost[1] if plan.cost else None
    if not (qoh_by_shop or prices or cost is not None):
        return None
    call = run.client.item_update_call(
        plan.item_id, qoh_by_shop=qoh_by_shop, prices=prices, default_cost=cost
    )
    return Write(plan, call, sent_rows, prices, cost, drifts)


def _clear_due(
    settings_obj: LightspeedSettings, scope: UploadScope, started: datetime, *, held: set[int]
) -> None:
    """Links looked at are no longer due, unless held back or changed again since the run began."""
    links = ProductLink.objects.filter(company_id=settings_obj.company_id, upload_due_at__lte=started)
    if scope.link_ids is not None:
        links = links.filter(pk__in=scope.link_ids)
    links.filter(~Q(pk__in=held)).update(upload_due_at=None)
