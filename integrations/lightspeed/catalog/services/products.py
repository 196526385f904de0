"""The products job: download Lightspeed items incrementally and link them to products.

Items are read by `timeStamp` from where the last run stopped (100 a page, with their ItemShops,
archived ones included so an archived item is seen and reported), matched by the shared rules of
`matching.py` against candidates loaded once per run, and linked — unique matches only; every
problem becomes an issue. Products that have no link row yet (created by bulk paths such as the
CSV import or seed_demo, which send no signals) get one here, enabled when Auto Enable New
Products For Lightspeed is on. Then, with Enable Auto Create Enabled Products On Lightspeed on,
the enabled products still missing in Lightspeed are created there (`catalog_create`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Product
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.items import ItemRecord, ItemShopRecord, item_parse
from integrations.lightspeed.catalog.services.matching import (
    Match,
    ProductCodes,
    ProductIndex,
    match_items,
)
from integrations.lightspeed.catalog.services.state import (
    FIRST_POLL_OVERLAP,
    item_fields_apply,
    item_shops_apply,
    shops_by_lightspeed_id,
)
from integrations.lightspeed.jobs.runner import sync_issue_record
from integrations.lightspeed.models import CatalogCursor, LightspeedSettings, ProductLink, SyncIssue

PAGE = 100
# Lightspeed's timeStamps are whole seconds: re-read the last second so nothing written in it is missed.
CURSOR_OVERLAP = timedelta(seconds=1)
LINK_FIELDS = [
    "item_id",
    "system_sku",
    "matched_by",
    "linked_at",
    "item_archived",
    "item_time_stamp",
    "price_seen",
    "cost_seen",
    "updated_at",
]


def links_ensure(*, company_id: int, enabled: bool) -> int:
    """A link row for every product that has none (bulk-created products); returns how many."""
    missing = Product.objects.filter(company_id=company_id, lightspeed_link__isnull=True).values_list(
        "pk", flat=True
    )
    rows = [
        ProductLink(
            company_id=company_id,
            product_id=pk,
            enabled=enabled,
            upload_due_at=timezone.now() if enabled else None,
        )
        for pk in missing.iterator()
    ]
    ProductLink.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def product_index(company_id: int) -> ProductIndex:
    """Every product of the company as a matching candidate (two queries)."""
    linked = dict(
        ProductLink.objects.filter(company_id=company_id, item_id__isnull=False).values_list(
            "product_id", "item_id"
        )
    )
    return ProductIndex.build(
        ProductCodes(pk, sku, upc, ean, mfr, linked.get(pk))
        for pk, sku, upc, ean, mfr in Product.objects.filter(company_id=company_id).values_list(
            "pk", "sku", "upc", "ean", "manufacturer_sku"
        )
    )


@dataclass
class _LinkWrites:
    """What linking a page of items writes, gathered for one bulk statement per kind."""

    to_create: list[ProductLink] = field(default_factory=list)
    to_update: list[ProductLink] = field(default_factory=list)
    shop_rows: list[ItemShopRecord] = field(default_factory=list)
    links_by_item: dict[int, int] = field(default_factory=dict)  # item id → product id


class _Linker:
    def __init__(self, settings_obj: LightspeedSettings, *, dry_run: bool, run=None) -> None:
        self.settings_obj = settings_obj
        self.company_id = settings_obj.company_id
        self.dry_run = dry_run
        self.run = run
        self.index = product_index(self.company_id)
        self.shops = shops_by_lightspeed_id(self.company_id)
        self.counts: dict[str, int] = {}

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def page(self, items: list[ItemRecord]) -> None:
        """Links one page of items: a constant number of queries."""
        self.count("items_read", len(items))
        matches = match_items([item.codes for item in items], self.index)
        product_ids = {m.product_id for m in matches.values() if m.matched}
        links = {link.product_id: link for link in ProductLink.objects.filter(product_id__in=product_ids)}
        now = timezone.now()
        writes = _LinkWrites()
        for item in items:
            self._item(item, matches[item.item_id], links, writes, now)
        if not self.dry_run:
            self._save(writes)

    def _item(
        self, item: ItemRecord, match: Match, links: dict[int, ProductLink], writes: _LinkWrites, now
    ) -> None:
        """One item: linked by its match (unless ambiguous, unmatched or archived), fields copied."""
        if match.problem:
            self._problem_record(item, match)
            return
        if not match.matched:
            self.count("items_unmatched")
            return
        link = links.get(match.product_id)
        if match.matched_by != "item_id" and item.archived:
            self.count("archived_not_linked")
            return  # never link a product to an item that is gone
        if link is None:
            link = ProductLink(
                company_id=self.company_id,
                product_id=match.product_id,
                enabled=self.settings_obj.auto_enable_new_products,
            )
            writes.to_create.append(link)
        was_archived = link.item_archived
        if match.matched_by != "item_id":
            link.item_id, link.matched_by, link.linked_at = item.item_id, match.matched_by, now
            self.index.by_item_id[item.item_id] = match.product_id
            self.index.linked_item[match.product_id] = item.item_id
            self.count("linked")
        item_fields_apply(link, item, price_level=self.settings_obj.price_level)
        if link.item_archived and not was_archived:
            self._archived_record(item, link)
        if link.pk is not None:
            writes.to_update.append(link)
        writes.links_by_item[item.item_id] = match.product_id
        writes.shop_rows += item.item_shops

    def _problem_record(self, item: ItemRecord, match: Match) -> None:
        self.count("match_problems")
        if self.dry_run:
            return
        codes = item.codes
        sync_issue_record(
            company_id=self.company_id,
            kind="item_match_ambiguous",
            key=str(item.item_id),
            message=f"Lightspeed item {item.item_id} ({codes.description}) was not linked: {match.problem}",
            excerpt=f"customSku={codes.custom_sku} upc={codes.upc} "
            f"ean={codes.ean} manufacturerSku={codes.manufacturer_sku}",
            run=self.run,
        )

    def _archived_record(self, item: ItemRecord, link: ProductLink) -> None:
        self.count("archived_in_lightspeed")
        if self.dry_run:
            return
        sync_issue_record(
            company_id=self.company_id,
            kind="item_archived",
            key=str(item.item_id),
            message=f"Lightspeed item {item.item_id}, linked to product {self._sku(link)}, was "
            "archived in Lightspeed. LightSync stops uploading to it and does not recreate it; "
            "unarchive it in Lightspeed or unlink the product.",
            run=self.run,
        )

    def _save(self, writes: _LinkWrites) -> None:
        with transaction.atomic():
            ProductLink.objects.bulk_create(writes.to_create)
            ProductLink.objects.bulk_update(writes.to_update, LINK_FIELDS)
        if not writes.shop_rows:
            return
        pks = dict(
            ProductLink.objects.filter(product_id__in=set(writes.links_by_item.values())).values_list(
                "product_id", "pk"
            )
        )
        item_shops_apply(
            company_id=self.company_id,
            rows=writes.shop_rows,
            shops=self.shops,
            links_by_item={item_id: pks[pid] for item_id, pid in writes.links_by_item.items() if pid in pks},
            # Quantities already tracked are the ItemShop poll's to judge, under the stock lock.
            new_only=True,
        )

    @staticmethod
    def _sku(link: ProductLink) -> str:
        return Product.objects.filter(pk=link.product_id).values_list("sku", flat=True).first() or "?"


def products_download(
    *,
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    dry_run: bool = False,
    since=None,
    progress: Callable[[int], None] | None = None,
    run=None,
) -> dict[str, Any]:
    from integrations.lightspeed.catalog.services.create import items_create

    company_id = settings_obj.company_id
    started = timezone.now()
    counts: dict[str, int] = {}
    if not dry_run:
        counts["links_added"] = links_ensure(
            company_id=company_id, enabled=settings_obj.auto_enable_new_products
        )
    cursor, _ = CatalogCursor.objects.get_or_create(company_id=company_id)
    if cursor.item_shops_since is None and not dry_run:
        # Quantities come with the items now; the ItemShop poll takes over from here.
        cursor.item_shops_since = started - FIRST_POLL_OVERLAP
        cursor.save(update_fields=["item_shops_since"])
    read_from = since or (cursor.items_since - CURSOR_OVERLAP if cursor.items_since else None)
    linker = _Linker(settings_obj, dry_run=dry_run, run=run)
    latest = cursor.items_since
    batch: list[ItemRecord] = []
    for item in map(
        item_parse, client.iter_items(since=read_from, with_item_shops=True, include_archived=True)
    ):
        if not item.item_id:
            continue
        batch.append(item)
        stamp = item.time_stamp
        if stamp and (latest is None or stamp > latest):
            latest = stamp
        if len(batch) == PAGE:
            linker.page(batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        linker.page(batch)
        if progress:
            progress(len(batch))
    counts.update(linker.counts)
    if not dry_run and latest:
        cursor.items_since = latest
        cursor.save(update_fields=["items_since"])
    if settings_obj.auto_create_enabled_products:
        counts.update(items_create(settings_obj=settings_obj, client=client, dry_run=dry_run))
    counts["open_match_issues"] = SyncIssue.objects.filter(
        company_id=company_id, kind="item_match_ambiguous", status=SyncIssue.Status.OPEN
    ).count()
    return counts
