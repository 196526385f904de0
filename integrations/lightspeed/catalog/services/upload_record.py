"""The upload's writes once planned: each answer recorded in the order the writes were planned
(on the job's own thread: the database is written there only), a refused one an issue.

`upload._send` plans an item's write (`Write`); the window of requests in flight
(api/inflight.py) sends it; `writes_record` takes the answers as they come back in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.inflight import Done, Window
from integrations.lightspeed.api.records.items import ItemRecord, item_parse
from integrations.lightspeed.api.transport import Call
from integrations.lightspeed.catalog.selectors import QuantityRow
from integrations.lightspeed.catalog.services.state import (
    MOVE_SETTLED,
    item_fields_apply,
    item_shops_apply,
    shops_by_lightspeed_id,
)
from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.models import ItemShopState, ProductLink, StockDrift, SyncIssue


@dataclass
class Write:
    """One item's planned `PUT Item` and what to record once Lightspeed has taken it."""

    plan: Any  # upload.ItemPlan
    call: Call
    sent_rows: list[QuantityRow]
    prices: dict[int, Decimal] | None
    cost: Decimal | None
    drifts: list[StockDrift]


def writes_record(run: Any, window: Window, done: list[Done]) -> None:
    """The answers to writes, in the order they were planned: each taken write recorded, each
    refused one an issue. Any other error ends the run, once the writes still in flight are
    answered and those taken recorded (they would otherwise be sent again next run)."""
    for n, result in enumerate(done):
        if result.error is None or isinstance(
            result.error, errors.LightspeedBadRequestError | errors.LightspeedNotFoundError
        ):
            _record_one(run, result)
            continue
        for rest in done[n + 1 :] + window.drain():
            if rest.error is None:
                _record_one(run, rest)
        raise result.error


def _record_one(run: Any, result: Done) -> None:
    write: Write = result.tag
    plan = write.plan
    if result.error is not None:
        sync_issue_record(
            company_id=run.settings_obj.company_id,
            kind=SyncIssue.Kind.UPLOAD_REJECTED,
            key=str(plan.item_id),
            message=f"Lightspeed refused the update of {plan.sku} (item {plan.item_id}): {result.error.message}",
            excerpt=result.error.body,
        )
        # Not kept due (it would fail every minute): the issue says so and the full pass retries.
        run.count("rejected")
        return
    item = item_parse(run.client.item_updated(result.body))
    _record_sent(run, plan, item, write.sent_rows, write.prices, write.cost, write.drifts)


def _record_sent(run, plan, item: ItemRecord, sent_rows, prices, cost, drifts) -> None:
    now = timezone.now()
    link = ProductLink.objects.get(pk=plan.link_id)
    update = {"updated_at"}
    if prices:
        link.price_sent, link.price_sent_at, link.price_seen = plan.price[1], now, plan.price[1]
        update |= {"price_sent", "price_sent_at", "price_seen"}
        run.count("prices_sent")
    if cost is not None:
        link.cost_sent, link.cost_sent_at, link.cost_seen = cost, now, cost
        update |= {"cost_sent", "cost_sent_at", "cost_seen"}
        run.count("costs_sent")
    update |= set(item_fields_apply(link, item, price_level=run.settings_obj.price_level))
    link.save(update_fields=sorted(update))
    for row in sent_rows:
        ItemShopState.objects.update_or_create(
            link_id=plan.link_id,
            shop_id=row.shop_pk,
            defaults={"qoh_seen": row.quantity, "qoh_sent": row.quantity, "sent_at": now, **MOVE_SETTLED},
        )
    # The answer carries every shop's row: ours as written, the others as they stand now.
    sent_shops = {run.shops[row.shop_pk].shop_id for row in sent_rows}
    others = [r for r in item.item_shops if r.shop_id not in sent_shops]
    stamps = [r for r in item.item_shops if r.shop_id in sent_shops]
    if others:
        run.newly_moved |= item_shops_apply(
            company_id=run.settings_obj.company_id,
            rows=others,
            shops=shops_by_lightspeed_id(run.settings_obj.company_id),
            links_by_item={plan.item_id: plan.link_id},
        )
    if stamps:
        item_shops_apply(
            company_id=run.settings_obj.company_id,
            rows=stamps,
            shops=shops_by_lightspeed_id(run.settings_obj.company_id),
            links_by_item={plan.item_id: plan.link_id},
        )
    if drifts:
        # A drift the reconcile already opened for this move is the one pushed, not a second record.
        opened = {
            d.shop_id: d
            for d in StockDrift.objects.filter(
                link_id=plan.link_id, shop_id__in=[d.shop_id for d in drifts], status=StockDrift.Status.OPEN
            )
        }
        for drift in drifts:
            record = opened.get(drift.shop_id)
            if record is not None:
                record.lightsync_qoh, record.lightspeed_qoh = drift.lightsync_qoh, drift.lightspeed_qoh
                record.status, record.settled_at = StockDrift.Status.PUSHED, now
                record.save(update_fields=["lightsync_qoh", "lightspeed_qoh", "status", "settled_at"])
        StockDrift.objects.bulk_create([d for d in drifts if d.shop_id not in opened])
        run.count("drift_overwritten", len(drifts))
    if sent_rows:
        run.count("quantities_sent", len(sent_rows))
        if run.scope.due_only and link.upload_due_at is not None:
            # Measured on the frequent run of what changed (a first or full upload is no change's
            # path): from the oldest change not yet sent, as marked, to Lightspeed's answer.
            run.fresh.append((str(plan.item_id), link.upload_due_at, now))
    run.count("items_sent")
    run.refusal_settle(plan.item_id)
