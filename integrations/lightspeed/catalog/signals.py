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

from django.db import transaction
from django.db.models.signals import post_save

from integrations.commerce.models import Product, StockLedgerEntry, StockLevel
from integrations.lightspeed.catalog.services.enable import links_mark_due, product_auto_enable
from integrations.lightspeed.catalog.services.schedule import upload_debounced

_local = threading.local()


def product_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if created:
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
    ids, _local.ids = getattr(_local, "ids", None), None
    if not ids:
        return
    for company_id in links_mark_due(product_ids=ids):
        upload_debounced(company_id)


def connect() -> None:
    post_save.connect(product_saved, sender=Product, dispatch_uid="lightspeed_catalog_product")
    post_save.connect(stock_changed, sender=StockLevel, dispatch_uid="lightspeed_catalog_stock_level")
    post_save.connect(stock_changed, sender=StockLedgerEntry, dispatch_uid="lightspeed_catalog_ledger")
