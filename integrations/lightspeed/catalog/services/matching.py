"""Matching Lightspeed items to products: one pure function over preloaded candidates.

The rules (DESIGN.md §3), strongest first: the itemID already stored on a link; else the item's
customSku = the product's SKU; else its UPC or EAN = the product's UPC or EAN (compared as GTINs,
so "012345678905" and "12345678905" are the same code); else its manufacturer SKU. Only unique
matches link: two products with the code, a product already linked to another item, or two
items of one batch claiming one product at the same strength are *problems* the caller records
as issues — never a guess. A stronger rule is not overruled by a weaker one, and an ambiguous
rule stops the search (falling through to a weaker code would be a guess).

No database access here: the order download and the products job both load the candidates once
(`ProductIndex`) and match a whole page of items in memory. Both read an item's codes with the one
parser of `api/records/items.py` (`item_codes_parse`), whether the item came alone or in a sale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from integrations.lightspeed.api.records.items import ItemCodes

ITEM_ID = "item_id"
CUSTOM_SKU = "custom_sku"
UPC = "upc"
EAN = "ean"
MANUFACTURER_SKU = "manufacturer_sku"
# Lower is stronger; UPC and EAN are one rule.
STRENGTH = {ITEM_ID: 0, CUSTOM_SKU: 1, UPC: 2, EAN: 2, MANUFACTURER_SKU: 3}


def sku_key(value: str | None) -> str:
    return (value or "").strip().casefold()


def gtin_key(value: str | None) -> str:
    """A UPC/EAN as a comparable code: digits only, leading zeros dropped; "" when not a code."""
    text = (value or "").strip()
    if not text.isdigit():
        return ""
    return text.lstrip("0")


@dataclass(frozen=True)
class ProductCodes:
    product_id: int
    sku: str = ""
    upc: str = ""
    ean: str = ""
    manufacturer_sku: str = ""
    item_id: int | None = None  # the item its link already points at


@dataclass(frozen=True)
class Match:
    item_id: int
    product_id: int | None = None
    matched_by: str = ""  # one of the rule names above; "" when nothing matched
    problem: str = ""  # why a candidate was found but not linked, in words
    candidates: tuple[int, ...] = ()  # the product ids involved in the problem

    @property
    def matched(self) -> bool:
        return self.product_id is not None


@dataclass
class ProductIndex:
    """Products by each code, built once from preloaded rows."""

    by_item_id: dict[int, int] = field(default_factory=dict)
    by_sku: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_gtin: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_manufacturer_sku: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    linked_item: dict[int, int] = field(default_factory=dict)  # product id → its item id

    @classmethod
    def build(cls, products: Iterable[ProductCodes]) -> ProductIndex:
        index = cls()
        for product in products:
            if product.item_id is not None:
                index.by_item_id[product.item_id] = product.product_id
                index.linked_item[product.product_id] = product.item_id
            if key := sku_key(product.sku):
                index.by_sku[key].append(product.product_id)
            gtins = {gtin_key(product.upc), gtin_key(product.ean)} - {""}
            for key in gtins:
                index.by_gtin[key].append(product.product_id)
            if key := sku_key(product.manufacturer_sku):
                index.by_manufacturer_sku[key].append(product.product_id)
        return index


def _by_codes(item: ItemCodes, index: ProductIndex) -> Match:
    rules: list[tuple[str, list[int]]] = []
    if key := sku_key(item.custom_sku):
        rules.append((CUSTOM_SKU, index.by_sku.get(key, [])))
    upc, ean = gtin_key(item.upc), gtin_key(item.ean)
    gtin_hits = sorted(
        set(index.by_gtin.get(upc, []) if upc else []) | set(index.by_gtin.get(ean, []) if ean else [])
    )
    if upc or ean:
        via = UPC if upc and index.by_gtin.get(upc) else EAN
        rules.append((via, gtin_hits))
    if key := sku_key(item.manufacturer_sku):
        rules.append((MANUFACTURER_SKU, index.by_manufacturer_sku.get(key, [])))
    for rule, hits in rules:
        if not hits:
            continue
        label = rule.replace("_", " ")
        if len(hits) > 1:
            return Match(
                item.item_id,
                problem=f"Its {label} matches {len(hits)} products; link it by hand.",
                candidates=tuple(hits),
            )
        product_id = hits[0]
        other = index.linked_item.get(product_id)
        if other is not None and other != item.item_id:
            return Match(
                item.item_id,
                problem=f"Its {label} matches a product already linked to item {other}.",
                candidates=(product_id,),
            )
        return Match(item.item_id, product_id, rule)
    return Match(item.item_id)


def match_items(items: Sequence[ItemCodes], index: ProductIndex) -> dict[int, Match]:
    """The match of every item of a batch, by item id (pure: no queries, no side effects)."""
    results: dict[int, Match] = {}
    for item in items:
        product_id = index.by_item_id.get(item.item_id)
        if product_id is not None:
            results[item.item_id] = Match(item.item_id, product_id, ITEM_ID)
        else:
            results[item.item_id] = _by_codes(item, index)

    # Two items of the batch claiming one product: the strongest claim wins when it is alone at
    # its strength; the others (or all, on a tie) are problems.
    claims: dict[int, list[Match]] = defaultdict(list)
    for match in results.values():
        if match.matched:
            claims[match.product_id].append(match)
    for product_id, contenders in claims.items():
        if len(contenders) < 2:
            continue
        contenders.sort(key=lambda m: STRENGTH[m.matched_by])
        best = STRENGTH[contenders[0].matched_by]
        tied = [m for m in contenders if STRENGTH[m.matched_by] == best]
        losers = contenders if len(tied) > 1 else contenders[1:]
        others = ", ".join(str(m.item_id) for m in contenders)
        for match in losers:
            if len(tied) > 1:
                problem = f"Items {others} all match one product; link them by hand."
            else:
                winner = contenders[0]
                problem = (
                    f"It matches the product that item {winner.item_id} matches more strongly "
                    f"(by {winner.matched_by.replace('_', ' ')}); link it by hand."
                )
            results[match.item_id] = Match(match.item_id, problem=problem, candidates=(product_id,))
    return results
