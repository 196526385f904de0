"""Enabled for Lightspeed, per product: bulk enable/disable, auto-enable, marking uploads due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.commerce.models import Product, StockLevel
from integrations.lightspeed.models import CatalogCursor, LightspeedSettings, ProductLink


@transaction.atomic
def products_enabled_set(*, company_id: int, product_ids: Iterable[int], enabled: bool) -> int:
    """Enables (or disables) these products of one company for Lightspeed; returns how many changed.

    Newly enabled products are due for upload (and, with auto-create on, for creation).
    """
    ids = list(
        Product.objects.filter(company_id=company_id, pk__in=list(product_ids)).values_list("pk", flat=True)
    )
    existing = set(ProductLink.objects.filter(product_id__in=ids).values_list("product_id", flat=True))
    now = timezone.now()
    ProductLink.objects.bulk_create(
        [
            ProductLink(
                company_id=company_id, product_id=pk, enabled=enabled, upload_due_at=now if enabled else None
            )
            for pk in ids
            if pk not in existing
        ]
    )
    changed = ProductLink.objects.filter(product_id__in=existing).exclude(enabled=enabled)
    update = {"enabled": enabled}
    if enabled:
        update["upload_due_at"] = Coalesce("upload_due_at", now)
    return changed.update(**update) + len(ids) - len(existing)


def product_auto_enable(*, product: Product) -> ProductLink | None:
    """A new product, enabled when its company has Auto Enable New Products For Lightspeed on."""
    auto = (
        LightspeedSettings.objects.filter(company_id=product.company_id)
        .values_list("auto_enable_new_products", flat=True)
        .first()
    )
    if not auto:
        return None  # the products job gives it a disabled link row later
    link, _ = ProductLink.objects.get_or_create(
        product=product,
        defaults={"company_id": product.company_id, "enabled": True, "upload_due_at": timezone.now()},
    )
    return link


def links_mark_due(*, product_ids: Iterable[int]) -> list[int]:
    """Marks the enabled links of these products due for upload; returns their companies."""
    ids = list(set(product_ids))
    if not ids:
        return []
    links = ProductLink.objects.filter(product_id__in=ids, enabled=True)
    companies = list(links.values_list("company_id", flat=True).distinct())
    if companies:
        links.update(upload_due_at=Coalesce("upload_due_at", timezone.now()))
    return companies


# Transactions still open when the check runs commit with an earlier updated_at: look back a little.
CHANGES_OVERLAP = timedelta(seconds=30)


def links_mark_changed(*, company_id: int, now: datetime | None = None) -> int:
    """Marks due the enabled links whose product or stock changed since the last check — whatever
    path changed them (bulk imports and the order download's batched stock moves send no
    signals, but they stamp `updated_at`). Two queries and an update; returns the links marked."""
    now = now or timezone.now()
    cursor, _ = CatalogCursor.objects.get_or_create(company_id=company_id)
    since = cursor.changes_checked_at
    marked = 0
    if since is not None:
        since -= CHANGES_OVERLAP
        changed = StockLevel.objects.filter(product__company_id=company_id, updated_at__gte=since).values(
            "product_id"
        )
        edited = Product.objects.filter(company_id=company_id, updated_at__gte=since).values("pk")
        marked = (
            ProductLink.objects.filter(company_id=company_id, enabled=True, upload_due_at__isnull=True)
            .filter(Q(product_id__in=changed) | Q(product_id__in=edited))
            .update(upload_due_at=now)
        )
    cursor.changes_checked_at = now
    cursor.save(update_fields=["changes_checked_at"])
    return marked
