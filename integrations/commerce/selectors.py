"""Reads of the commerce domain that other code asks as questions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from integrations.commerce.models import Company, Product, StockLedgerEntry, StockLevel


@dataclass(frozen=True)
class LedgerMismatch:
    product_id: int
    warehouse_id: int
    on_hand: int
    ledger_total: int


def stock_ledger_mismatches(*, company: Company | None = None) -> list[LedgerMismatch]:
    """Stock levels whose ledger does not sum to them (there should be none), in one query.

    Stock only changes through the stock service, so a mismatch means someone wrote a level
    directly (a raw query, a hand-made migration) and the history no longer explains the count.
    """
    ledger_total = (
        StockLedgerEntry.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
        .order_by()
        .values("product", "warehouse")
        .annotate(total=Sum("quantity_change"))
        .values("total")
    )
    levels = StockLevel.objects.annotate(ledger_total=Coalesce(Subquery(ledger_total), Value(0)))
    if company is not None:
        levels = levels.filter(product__company=company)
    return [
        LedgerMismatch(level.product_id, level.warehouse_id, level.on_hand, level.ledger_total)
        for level in levels.exclude(on_hand=Coalesce(Subquery(ledger_total), Value(0))).only(
            "product_id", "warehouse_id", "on_hand"
        )
    ]


def product_variations(*, parent: Product) -> QuerySet[Product]:
    """A style's variations, in the order they were made (sizes stay S, M, L, not alphabetical)."""
    return Product.objects.filter(parent=parent).order_by("id")
