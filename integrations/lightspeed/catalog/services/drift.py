"""The reconcile job and the drift report: quantities Lightspeed moved on its own.

A drift is a shop quantity that Lightspeed changed without LightSync (a count, a receiving done in
Lightspeed) and that still differs from LightSync's once every sale before the move has been
downloaded — so no sale explains it. With order download off nothing can explain a move, so every
move that differs is drift. The upload overwrites drift (LightSync is the source of truth) once
the order download has caught up; `drift_push` lets a person overwrite it now.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.catalog.selectors import (
    move_unexplained,
    orders_caught_up_to,
    orders_past,
    stock_available_by_shop,
)
from integrations.lightspeed.catalog.services.state import MOVE_SETTLED, catalog_stock_lock, item_shops_poll
from integrations.lightspeed.jobs.enqueue import upload_soon
from integrations.lightspeed.models import (
    ItemShopState,
    LightspeedSettings,
    LightspeedShop,
    ProductLink,
    StockDrift,
)


def stock_reconcile(
    *, settings_obj: LightspeedSettings, client: LightspeedClient, dry_run: bool = False
) -> dict[str, Any]:
    """Polls Lightspeed's stock changes, then opens a drift record per unexplained difference and
    resolves the records whose quantities agree again.

    Under the catalog stock lock (waiting for a running upload to finish writing): a poll between
    the upload's `PUT Item` and its record of it would take LightSync's own write for a move.
    """
    if dry_run:
        return _reconcile(settings_obj=settings_obj, client=client, dry_run=True)
    with catalog_stock_lock(settings_obj.company_id) as lock:
        if lock is None:
            return {"stock_lock_busy": 1}  # an upload kept writing for longer than we wait
        return _reconcile(settings_obj=settings_obj, client=client, dry_run=False)


def _reconcile(
    *, settings_obj: LightspeedSettings, client: LightspeedClient, dry_run: bool
) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    if not dry_run:
        result = item_shops_poll(settings_obj=settings_obj, client=client)
        counts["item_shops_read"] = result.rows
        counts["moved_in_lightspeed"] = len(result.moved)
    caught_up = orders_caught_up_to(settings_obj.company_id) if settings_obj.order_download_enabled else None
    rows = stock_available_by_shop(settings_obj=settings_obj)
    shop_ids = dict(
        LightspeedShop.objects.filter(company_id=settings_obj.company_id).values_list("pk", "shop_id")
    )
    item_ids = dict(
        ProductLink.objects.filter(pk__in={row.link_id for row in rows if row.moved_at}).values_list(
            "pk", "item_id"
        )
    )
    drifting = {
        (row.link_id, row.shop_pk): row
        for row in rows
        if row.moved_at is not None
        and row.differs
        and row.qoh_seen is not None
        and (not settings_obj.order_download_enabled or orders_past(caught_up, row.moved_at))
        # one query per moved pair: moves are few, and a move the sales explain is no drift
        and move_unexplained(
            company_id=settings_obj.company_id,
            state_id=row.state_id,
            item_id=item_ids[row.link_id],
            shop_id=shop_ids[row.shop_pk],
        )
        != 0
    }
    open_drifts = {
        (d.link_id, d.shop_id): d
        for d in StockDrift.objects.filter(company_id=settings_obj.company_id, status=StockDrift.Status.OPEN)
    }
    counts["drift"] = len(drifting)
    if dry_run:
        return counts
    now = timezone.now()
    new = [
        StockDrift(
            company_id=settings_obj.company_id,
            link_id=link_id,
            shop_id=shop_pk,
            lightsync_qoh=row.quantity,
            lightspeed_qoh=row.qoh_seen,
            moved_at=row.moved_at,
        )
        for (link_id, shop_pk), row in drifting.items()
        if (link_id, shop_pk) not in open_drifts
    ]
    StockDrift.objects.bulk_create(new)
    for key, drift in open_drifts.items():
        row = drifting.get(key)
        if row is None:
            drift.status, drift.settled_at = StockDrift.Status.RESOLVED, now
        else:
            drift.lightsync_qoh, drift.lightspeed_qoh = row.quantity, row.qoh_seen
    StockDrift.objects.bulk_update(
        list(open_drifts.values()), ["status", "settled_at", "lightsync_qoh", "lightspeed_qoh"]
    )
    counts["drift_opened"] = len(new)
    counts["drift_resolved"] = sum(1 for k in open_drifts if k not in drifting)
    return counts


@transaction.atomic
def drift_push(*, company_id: int, drift_ids: Iterable[int]) -> int:
    """A person chose LightSync's quantity: the next upload overwrites these shops' quantities
    without waiting for the order download. Queues that upload; returns the drifts pushed."""
    drifts = list(
        StockDrift.objects.select_for_update().filter(
            company_id=company_id, pk__in=list(drift_ids), status=StockDrift.Status.OPEN
        )
    )
    if not drifts:
        return 0
    now = timezone.now()
    for drift in drifts:
        ItemShopState.objects.filter(link_id=drift.link_id, shop_id=drift.shop_id).update(**MOVE_SETTLED)
    ProductLink.objects.filter(pk__in={d.link_id for d in drifts}).update(
        upload_due_at=Coalesce("upload_due_at", now)
    )
    StockDrift.objects.filter(pk__in=[d.pk for d in drifts]).update(
        status=StockDrift.Status.PUSHED, settled_at=now
    )
    transaction.on_commit(lambda: upload_soon(company_id=company_id, countdown=0))
    return len(drifts)
