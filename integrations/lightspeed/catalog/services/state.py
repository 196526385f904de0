"""What LightSync knows of Lightspeed's side of the catalog, kept current from what Lightspeed sends.

Every read of an item or an ItemShop row — the products download, the ItemShop poll, the answer
to our own `PUT Item` — goes through `item_shops_apply` / `item_fields_apply`. A quantity that
changed to a value LightSync did not send is a *move* made in Lightspeed (a sale at a register,
a count, a receiving): the row's `moved_at` keeps its timeStamp until the order download has
caught up past it, and the upload does not overwrite the quantity before then.

Polls and writes of quantities happen under the company's `catalog_stock_lock` (the upload holds
it while it talks to Lightspeed, the reconcile while it polls and judges), so no poll ever reads
our own write before the upload has recorded it; the products download, which does not take the
lock, only records shops seen for the first time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.core.locks import NamedLock, named_lock
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.items import ItemRecord, ItemShopRecord, item_parse, item_shop_parse
from integrations.lightspeed.models import (
    CatalogCursor,
    ItemShopState,
    LightspeedSettings,
    LightspeedShop,
    ProductLink,
)

# The first poll of a company starts a little before now: the products download that linked
# the items read their quantities moments ago.
FIRST_POLL_OVERLAP = timedelta(minutes=5)
# How long after its timeStamp a row written at Lightspeed may still become visible (its commit).
COMMIT_LAG = timedelta(seconds=5)
STATE_FIELDS = ["item_shop_id", "qoh_seen", "seen_time_stamp", "moved_at", "moved_from", "moved_from_at"]
# Clears an unsettled move (sent, explained, or pushed by a person).
MOVE_SETTLED = {"moved_at": None, "moved_from": None, "moved_from_at": None}


def stock_lock_wait() -> float:
    return float(getattr(settings, "LIGHTSPEED_CATALOG_LOCK_WAIT_SECONDS", 120))


def _lock_sleep(seconds: float) -> None:
    time.sleep(seconds)


@contextmanager
def catalog_stock_lock(company_id: int, *, wait: float | None = None) -> Iterator[NamedLock | None]:
    """The company's catalog stock lease (across processes), or None after `wait` seconds.

    Held by the upload while it reads and writes Lightspeed's quantities and by the reconcile while
    it polls and judges them: a poll between our PUT reaching Lightspeed and the upload recording
    it would otherwise take our own write for a move (and report it as drift)."""
    with named_lock(
        f"company:{company_id}:catalog-stock",
        wait=stock_lock_wait() if wait is None else wait,
        sleep=lambda s: _lock_sleep(s),
    ) as lock:
        yield lock


@dataclass
class PollResult:
    rows: int = 0
    moved: set[tuple[int, int]] = field(default_factory=set)  # (link id, shop pk)
    requests: int = 0


def shops_by_lightspeed_id(company_id: int) -> dict[int, int]:
    return dict(LightspeedShop.objects.filter(company_id=company_id).values_list("shop_id", "pk"))


def item_shops_apply(
    *,
    company_id: int,
    rows: Iterable[ItemShopRecord],
    shops: Mapping[int, int],
    links_by_item: Mapping[int, int] | None = None,
    now: datetime | None = None,
    new_only: bool = False,
) -> set[tuple[int, int]]:
    """Records ItemShop rows (from the poll, or nested in items); returns the pairs that moved.

    With `new_only`, only the shops LightSync has no row for yet are recorded: a reader outside the
    catalog stock lock (the products download) must not judge quantities the upload may be writing.
    A constant number of queries per call: links, states, one insert, one update, one mark.
    """
    now = now or timezone.now()
    parsed = []
    for row in rows:
        shop_pk = shops.get(row.shop_id)
        if shop_pk is None:  # shopID 0 (the account total) or a shop not downloaded yet
            continue
        parsed.append((row.item_id, shop_pk, row.qoh, row.time_stamp, row.item_shop_id))
    if not parsed:
        return set()
    if links_by_item is None:
        links_by_item = dict(
            ProductLink.objects.filter(company_id=company_id, item_id__in={p[0] for p in parsed}).values_list(
                "item_id", "pk"
            )
        )
    wanted = [(links_by_item[p[0]], *p[1:]) for p in parsed if p[0] in links_by_item]
    if not wanted:
        return set()
    states = {
        (s.link_id, s.shop_id): s for s in ItemShopState.objects.filter(link_id__in={w[0] for w in wanted})
    }
    created: dict[tuple[int, int], ItemShopState] = {}
    changed: dict[int, ItemShopState] = {}
    moved: set[tuple[int, int]] = set()
    for link_id, shop_pk, qoh, stamp, item_shop_id in sorted(wanted, key=lambda w: w[3] or now):
        key = (link_id, shop_pk)
        state = states.get(key)
        if state is None:
            state = created[key] = states[key] = ItemShopState(
                link_id=link_id,
                shop_id=shop_pk,
                item_shop_id=item_shop_id,
                qoh_seen=qoh,
                seen_time_stamp=stamp,
            )
            continue
        if new_only:
            continue
        if state.seen_time_stamp and stamp and stamp < state.seen_time_stamp:
            continue  # an older reading than the one we have
        if state.qoh_seen is not None and qoh != state.qoh_seen:
            if state.moved_at is None:  # the first unsettled move: remember where it started
                state.moved_from, state.moved_from_at = state.qoh_seen, state.seen_time_stamp
            state.moved_at = max(filter(None, [state.moved_at, stamp or now]))
            moved.add(key)
        state.qoh_seen, state.item_shop_id = qoh, item_shop_id or state.item_shop_id
        state.seen_time_stamp = stamp or state.seen_time_stamp
        if state.pk is not None:
            changed[state.pk] = state
    ItemShopState.objects.bulk_create(list(created.values()))
    ItemShopState.objects.bulk_update(list(changed.values()), STATE_FIELDS)
    if moved:
        ProductLink.objects.filter(pk__in={link_id for link_id, _ in moved}).update(
            upload_due_at=Coalesce("upload_due_at", now)
        )
    return moved


def item_fields_apply(link: ProductLink, item: ItemRecord, *, price_level: int) -> list[str]:
    """Copies what LightSync tracks of an item onto its link (unsaved); returns the changed fields."""
    values = {
        "system_sku": item.codes.system_sku or link.system_sku,
        "item_matrix_id": item.item_matrix_id or link.item_matrix_id,
        "item_time_stamp": item.time_stamp or link.item_time_stamp,
        "item_archived": item.archived,
    }
    price = item.price(price_level)
    if price is not None:
        values["price_seen"] = price
    cost = item.default_cost
    if cost is not None:
        values["cost_seen"] = cost
    changed = [name for name, value in values.items() if getattr(link, name) != value]
    for name in changed:
        setattr(link, name, values[name])
    return changed


def item_shops_settled_before(now: datetime, newest_seen: datetime | None = None) -> datetime:
    """ItemShop rows stamped at or before this are final: no row of their seconds can still appear.

    Lightspeed stamps a row to the second when it writes it, and the row becomes visible when its
    transaction commits, a moment later: a poll early in a second, or just before a slow commit,
    sees only some of the rows of that second. Its clock may also differ from ours by up to
    `LIGHTSPEED_CLOCK_SKEW_SECONDS`. The newest stamp an earlier poll read is a reading of
    Lightspeed's own clock, taken before this poll: rows older than it by the commit lag were
    committed by then, so a burst of writes is final one poll after it is seen, not only once our
    clock allows for the skew."""
    skew = float(getattr(settings, "LIGHTSPEED_CLOCK_SKEW_SECONDS", 30))
    ours = now - timedelta(seconds=skew) - COMMIT_LAG
    return max(ours, newest_seen - COMMIT_LAG) if newest_seen else ours


def item_shops_poll(
    *, settings_obj: LightspeedSettings, client: LightspeedClient, now: datetime | None = None
) -> PollResult:
    """Reads the ItemShop rows changed since the last poll (one request per 100) and records them.

    The cursor is (timeStamp, itemShopID), the order Lightspeed pages in: a poll asks only for rows
    after it, so a second holding thousands of rows (a bulk import, a seed) is read once, not on
    every poll. It moves only over settled rows (`item_shops_settled_before`): the rows of the last
    few seconds are read again until they are, so a row of the same second that commits after a
    poll — with a lower itemShopID than one already read — is still seen. A burst of writes is so
    read twice: once as it is seen, once more as the cursor takes it."""
    now = now or timezone.now()
    cursor, _ = CatalogCursor.objects.get_or_create(company_id=settings_obj.company_id)
    since = cursor.item_shops_since or (now - FIRST_POLL_OVERLAP)
    after_id = cursor.item_shops_after_id if cursor.item_shops_since else 0
    settled_before = item_shops_settled_before(now, cursor.item_shops_newest_seen)
    newest = cursor.item_shops_newest_seen
    shops = shops_by_lightspeed_id(settings_obj.company_id)
    result = PollResult()
    taken = (since, after_id)
    before = client.stats.requests
    batch: list[ItemShopRecord] = []
    for row in map(item_shop_parse, client.iter_item_shops(since=since, after_id=after_id)):
        batch.append(row)
        stamp = row.time_stamp
        if stamp and stamp <= settled_before and (stamp, row.item_shop_id or 0) > taken:
            taken = (stamp, row.item_shop_id or 0)
        if stamp and (newest is None or stamp > newest):
            newest = stamp
        if len(batch) == 100:
            result.moved |= item_shops_apply(
                company_id=settings_obj.company_id, rows=batch, shops=shops, now=now
            )
            result.rows += len(batch)
            batch = []
    if batch:
        result.moved |= item_shops_apply(company_id=settings_obj.company_id, rows=batch, shops=shops, now=now)
        result.rows += len(batch)
    result.requests = client.stats.requests - before
    cursor.item_shops_since, cursor.item_shops_after_id = taken
    cursor.item_shops_newest_seen, cursor.item_shops_polled_at = newest, now
    cursor.save(
        update_fields=[
            "item_shops_since",
            "item_shops_after_id",
            "item_shops_newest_seen",
            "item_shops_polled_at",
        ]
    )
    return result


def items_refresh(
    *, settings_obj: LightspeedSettings, client: LightspeedClient, link_ids: Iterable[int]
) -> int:
    """Reads linked items with their ItemShops (100 a request) and records what Lightspeed holds."""
    links = {
        link.item_id: link
        for link in ProductLink.objects.filter(pk__in=list(link_ids), item_id__isnull=False)
    }
    if not links:
        return 0
    shops = shops_by_lightspeed_id(settings_obj.company_id)
    seen = 0
    for item in map(
        item_parse, client.iter_items(ids=sorted(links), with_item_shops=True, include_archived=True)
    ):
        link = links.get(item.item_id)
        if link is None:
            continue
        seen += 1
        changed = item_fields_apply(link, item, price_level=settings_obj.price_level)
        if changed:
            link.save(update_fields=[*changed, "updated_at"])
        item_shops_apply(
            company_id=settings_obj.company_id,
            rows=item.item_shops,
            shops=shops,
            links_by_item={link.item_id: link.pk},
        )
    return seen
