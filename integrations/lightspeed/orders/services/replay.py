"""Replay one Lightspeed sale by its saleID: what ops staff do after fixing what blocked it.

The sale is fetched again (with its lines, items, payments and customer) and goes through the
same import as the `orders` job, under the same per-company job lock, so a replay can never race
a scheduled run. Importing is keyed on the saleID like everything else: replaying a sale that is
already an order changes nothing, and a void seen on replay is applied once. A sale from before
the order download start date is imported too: a person asked for this one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from integrations.core.errors import RefusalError
from integrations.core.locks import company_job_lock
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.jobs.registry import JOBS, job_refusal
from integrations.lightspeed.models import LightspeedSettings, SyncIssue
from integrations.lightspeed.models.orders import LightspeedSale
from integrations.lightspeed.orders.services.download import sales_page_import, sales_read
from integrations.lightspeed.orders.services.sale_stock import shop_scope_load


class SaleReplayError(RefusalError):
    """The sale cannot be fetched again now (e.g. the orders job may not run); nothing changed."""


@dataclass(frozen=True)
class SaleReplayResult:
    sale_id: int
    imported: bool
    state: str
    counts: dict[str, int]

    def __str__(self) -> str:
        return f"sale {self.sale_id} is {self.state}" + (
            f" ({', '.join(f'{k}: {v}' for k, v in sorted(self.counts.items()))})" if self.counts else ""
        )


def sale_replay(*, company_id: int, sale_id: int) -> SaleReplayResult:
    """Fetches one sale again and imports it as the order download would."""
    settings_obj = LightspeedSettings.objects.select_related("company").get(company_id=company_id)
    refusal = job_refusal(settings_obj, JOBS["orders"])
    if refusal:
        raise SaleReplayError(refusal)
    with company_job_lock(company_id, "orders", wait=30.0) as acquired:
        if not acquired:
            raise SaleReplayError("The order download is running for this company; try again in a minute.")
        client = lightspeed_client_for(settings_obj)
        records = list(client.iter_sales(ids=[sale_id]))
        if not records:
            raise SaleReplayError(f"Lightspeed has no sale {sale_id} in this account.")
        scope = shop_scope_load(settings_obj=settings_obj)
        scope.start_at = None  # asked for by a person: no start-date cut-off
        counts: Counter = Counter()
        sales = sales_read(client=client, records=records, counts=counts)
        with transaction.atomic():
            sales_page_import(scope=scope, sales=sales, counts=counts, run=None)
    state = (
        LightspeedSale.objects.filter(company_id=company_id, sale_id=sale_id)
        .values_list("state", flat=True)
        .first()
    )
    imported = state in (LightspeedSale.State.IMPORTED, LightspeedSale.State.VOIDED)
    if imported:
        SyncIssue.objects.filter(
            company_id=company_id,
            kind=SyncIssue.Kind.SALE_INVALID,
            key=str(sale_id),
            status=SyncIssue.Status.OPEN,
        ).update(
            status=SyncIssue.Status.RESOLVED,
            resolved_at=timezone.now(),
            resolution=f"Replayed: the sale is {state}.",
        )
    return SaleReplayResult(
        sale_id=sale_id, imported=imported, state=state or "not imported", counts=dict(counts)
    )
