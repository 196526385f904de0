"""Linking a page of Lightspeed items to products: the step the products download and the
create check (`create._skus_in_lightspeed`) share.

Items are matched by the shared rules of `matching.py` against candidates loaded once per linker,
and linked — unique matches only; every problem becomes an issue. A constant number of queries
per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Product
from integrations.lightspeed.api.records.items import ItemRecord, ItemShopRecord
from integrations.lightspeed.catalog.services.matching import (
    Match,
    ProductCodes,
    ProductIndex,
    match_items,
)
from integrations.lightspeed.catalog.services.state import (
    item_fields_apply,
    item_shops_apply,
    shops_by_lightspeed_id,
)
from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.models import LightspeedSettings, ProductLink, SyncIssue

LINK_FIELDS = [
    "item_id",
    "system_sku",
    "item_matrix_id",
    "matched_by",
    "linked_at",
    "item_archived",
    "item_time_stamp",
    "price_seen",
    "cost_seen",
    "updated_at",
]


def product_index(company_id: int) -> ProductIndex:
    """Every product of the company as a matching candidate (two queries)."""
    linked = dict(
        ProductLink.objects.filter(company_id=company_id, item_id__isnull=False).values_list(
            "product_id", "item_id"
        )
    )
    return ProductIndex.build(
        ProductCodes(pk, sku, upc, ean, mfr, linked.get(pk))
        for pk, sku, upc, ean, mfr in Product.objects.filter(
            company_id=company_id, is_parent=False
        ).values_list("pk", "sku", "upc", "ean", "manufacturer_sku")
    )


@dataclass
class _LinkWrites:
    """What linking a page of items writes, gathered for one bulk statement per kind."""

    to_create: list[ProductLink] = field(default_factory=list)
    to_update: list[ProductLink] = field(default_factory=list)
    shop_rows: list[ItemShopRecord] = field(default_factory=list)
    links_by_item: dict[int, int] = field(default_factory=dict)  # item id → product id


class ItemLinker:
    """Links pages of items for one company and run, counting what it did in `counts`."""

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
            kind=SyncIssue.Kind.ITEM_MATCH_AMBIGUOUS,
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
            kind=SyncIssue.Kind.ITEM_ARCHIVED,
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
