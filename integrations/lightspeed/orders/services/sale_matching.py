"""Sale lines to products: the shared matching rules (`matching.py`) over a page's candidates.

Only the products that could match the page's items are loaded — by link, SKU, UPC/EAN (with
and without leading zeros) or manufacturer SKU — in two queries, however large the catalogue.
New links found by code are written with `item_links_save`, never twice for an item or product.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.commerce.models import Company, Product
from integrations.lightspeed.api.records.items import ItemCodes
from integrations.lightspeed.catalog.services import matching
from integrations.lightspeed.models.catalog import ProductLink


@dataclass
class ItemMatch:
    item: ItemCodes
    product: Product | None = None
    matched_by: str = ""
    reason: str = ""  # why there is no product, in words
    link: ProductLink | None = None
    is_new: bool = False  # a link to write


def _gtin_variants(codes: set[str]) -> set[str]:
    out = set()
    for code in codes:
        key = matching.gtin_key(code)
        if key:
            out |= {key, *(key.zfill(n) for n in (12, 13, 14))}
    return out


def items_match(*, company: Company, items: Iterable[ItemCodes]) -> dict[int, ItemMatch]:
    """The product of each item (by itemID), or why there is none. Reads only."""
    by_id: dict[int, ItemCodes] = {}
    for item in items:
        if item.item_id and item.item_id not in by_id:
            by_id[item.item_id] = item
    if not by_id:
        return {}
    skus = {matching.sku_key(i.custom_sku) for i in by_id.values()} - {""}
    gtins = _gtin_variants({i.upc for i in by_id.values()} | {i.ean for i in by_id.values()})
    mskus = {matching.sku_key(i.manufacturer_sku) for i in by_id.values()} - {""}
    query = Q(lightspeed_link__item_id__in=list(by_id))
    if skus:
        query |= Q(sku_key__in=skus)
    if gtins:
        query |= Q(upc__in=gtins) | Q(ean__in=gtins)
    if mskus:
        query |= Q(msku_key__in=mskus)
    products = {
        p.pk: p
        for p in Product.objects.filter(company=company, is_parent=False)  # a style is never sold
        .annotate(sku_key=Lower("sku"), msku_key=Lower("manufacturer_sku"))
        .filter(query)
    }
    links = {link.product_id: link for link in ProductLink.objects.filter(product_id__in=list(products))}
    index = matching.ProductIndex.build(
        matching.ProductCodes(
            product_id=p.pk,
            sku=p.sku,
            upc=p.upc,
            ean=p.ean,
            manufacturer_sku=p.manufacturer_sku,
            item_id=links[p.pk].item_id if p.pk in links else None,
        )
        for p in products.values()
    )
    result: dict[int, ItemMatch] = {}
    for item_id, found in matching.match_items(list(by_id.values()), index).items():
        item = by_id[item_id]
        if not found.matched:
            reason = found.problem or "no product has its custom SKU, UPC, EAN or manufacturer SKU"
            result[item_id] = ItemMatch(item=item, reason=reason)
            continue
        product = products[found.product_id]
        link = links.get(product.pk)
        result[item_id] = ItemMatch(
            item=item,
            product=product,
            matched_by=found.matched_by,
            link=link,
            is_new=found.matched_by != matching.ITEM_ID,
        )
    return result


def item_links_save(*, company: Company, matches: Iterable[ItemMatch]) -> int:
    """Stores the links found by code (in the caller's transaction). Returns how many."""
    now = timezone.now()
    to_update, to_create = [], []
    for match in matches:
        if not match.is_new or match.product is None:
            continue
        link = match.link or ProductLink(company=company, product=match.product)
        link.item_id = match.item.item_id
        link.system_sku = match.item.system_sku
        link.matched_by = match.matched_by
        link.linked_at = now
        link.item_archived = match.item.archived
        link.updated_at = now
        (to_update if link.pk else to_create).append(link)
        match.link, match.is_new = link, False
    if to_update:
        ProductLink.objects.bulk_update(
            to_update, ["item_id", "system_sku", "matched_by", "linked_at", "item_archived", "updated_at"]
        )
    if to_create:
        ProductLink.objects.bulk_create(to_create)
    return len(to_update) + len(to_create)
