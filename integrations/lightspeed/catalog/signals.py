"""The catalog listens to commerce: new products, stock and price/cost changes.

Every stock change (a ledger row, a reservation, an import that saves levels one by one) and every
product save marks the product's link due for upload once the transaction commits, and schedules
one upload of what is due a few seconds later — debounced per company through the shared cache,
so a burst of changes is one run and one request per item. Bulk paths (`bulk_create`,
`bulk_update`: seed_demo, `stock_set_many`) send no signals: the periodic full pass and the
products job (which gives unlinked products their link rows) cover them.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save

_local = threading.local()


def debounce_seconds() -> float:
    return float(getattr(settings, "LIGHTSPEED_UPLOAD_DEBOUNCE_SECONDS", 5))


def product_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if created:
        from integrations.lightspeed.catalog.services.enable import product_auto_enable

        product_auto_enable(product=instance)
    _remember(instance.pk)


def stock_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        _remember(instance.product_id)


def _remember(product_id: int) -> None:
    pending = getattr(_local, "ids", None)
    if pending is None:
        pending = _local.ids = set()
    pending.add(product_id)
    # One callback per change, each a no-op once the first has flushed: a rolled-back
    # transaction drops its callbacks, and its ids then ride along with the next commit.
    transaction.on_commit(_flush)


def _flush() -> None:
    from integrations.lightspeed.catalog.services.enable import links_mark_due

    ids, _local.ids = getattr(_local, "ids", None), None
    if not ids:
        return
    for company_id in links_mark_due(product_ids=ids):
        upload_debounced(company_id)


def upload_debounced(company_id: int) -> bool:
    """Schedules one upload of what is due for the company, unless one is already scheduled."""
    from integrations.lightspeed.models import LightspeedSettings

    uploads = LightspeedSettings.objects.filter(company_id=company_id, enabled=True).filter(
        Q(inventory_upload_enabled=True) | Q(price_upload_enabled=True) | Q(cost_upload_enabled=True)
    )
    if not uploads.exists():
        return False
    delay = debounce_seconds()
    if not cache.add(f"lightspeed:upload-soon:{company_id}", 1, timeout=max(delay, 1)):
        return False
    from integrations.lightspeed.tasks import lightspeed_upload_changed

    lightspeed_upload_changed.apply_async((company_id,), countdown=delay)
    return True


def connect() -> None:
    from integrations.commerce.models import Product, StockLedgerEntry, StockLevel
    from integrations.lightspeed.catalog.services import issues as catalog_issues

    catalog_issues.register()  # Retry / map to a product for the catalog's issue kinds

    post_save.connect(product_saved, sender=Product, dispatch_uid="lightspeed_catalog_product")
    post_save.connect(stock_changed, sender=StockLevel, dispatch_uid="lightspeed_catalog_stock_level")
    post_save.connect(stock_changed, sender=StockLedgerEntry, dispatch_uid="lightspeed_catalog_ledger")
