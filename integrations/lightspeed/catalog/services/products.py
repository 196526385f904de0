"""The products job: download Lightspeed items incrementally and link them to products.

Items are read by `timeStamp` from where the last run stopped (100 a page, with their ItemShops,
archived ones included so an archived item is seen and reported) and linked by `linking.py` —
the shared rules of `matching.py`, unique matches only; every problem becomes an issue. Products
that have no link row yet (created by bulk paths such as the CSV import or seed_demo, which send
no signals) get one here, enabled when Auto Enable New Products For Lightspeed is on. Then, with
Enable Auto Create Enabled Products On Lightspeed on, the enabled products still missing in
Lightspeed are created there (`create.py`).

Styles (parent products) link to item matrices once their variations are linked
(`matrix_linking.py`), and with auto-create an enabled style is made a matrix first
(`matrix_create.py`), its variations then items in it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from integrations.commerce.models import Product
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.items import ItemRecord, item_parse
from integrations.lightspeed.catalog.services.create import items_create
from integrations.lightspeed.catalog.services.linking import ItemLinker
from integrations.lightspeed.catalog.services.matrix_create import matrices_create
from integrations.lightspeed.catalog.services.matrix_linking import matrices_link, matrix_ids_backfill
from integrations.lightspeed.catalog.services.state import FIRST_POLL_OVERLAP
from integrations.lightspeed.models import CatalogCursor, LightspeedSettings, ProductLink, SyncIssue

PAGE = 100
# Lightspeed's timeStamps are whole seconds: re-read the last second so nothing written in it is missed.
CURSOR_OVERLAP = timedelta(seconds=1)


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


def products_download(
    *,
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    dry_run: bool = False,
    since=None,
    progress: Callable[[int], None] | None = None,
    run=None,
) -> dict[str, Any]:
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
    linker = ItemLinker(settings_obj, dry_run=dry_run, run=run)
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
    if not dry_run:
        matrix_ids_backfill(company_id=company_id, client=client)
    counts.update(matrices_link(settings_obj=settings_obj, dry_run=dry_run, run=run))
    if settings_obj.auto_create_enabled_products:
        counts.update(matrices_create(settings_obj=settings_obj, client=client, dry_run=dry_run))
        counts.update(items_create(settings_obj=settings_obj, client=client, dry_run=dry_run))
    counts["open_match_issues"] = SyncIssue.objects.filter(
        company_id=company_id, kind=SyncIssue.Kind.ITEM_MATCH_AMBIGUOUS, status=SyncIssue.Status.OPEN
    ).count()
    return counts
