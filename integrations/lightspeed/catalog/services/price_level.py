"""The price level the site price goes to, as the upload and auto-create use it.

When the configured level is one Lightspeed has archived or does not have (as the shops job last
downloaded them), Lightspeed refuses every `PUT Item` that carries a price for it, and with it the
quantities and cost in the same request. So prices are held back instead: one issue says why,
stock and costs still go up, and the held prices go up once a usable level is chosen (they still
differ from Lightspeed's, so the next pass sends them).
"""

from __future__ import annotations

from django.utils import timezone

from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.models import LightspeedSettings, SyncIssue
from integrations.lightspeed.shops.selectors import price_level_refusal, price_levels_for


def price_level_unusable(settings_obj: LightspeedSettings) -> str | None:
    """Why prices cannot go to the configured level now; None when they can. Before any
    download only the built-in levels are known, and the configured one is sent as it is."""
    _, downloaded = price_levels_for(settings_obj.company_id)
    if not downloaded:
        return None
    return price_level_refusal(settings_obj.company_id, settings_obj.price_level)


def price_level_check(*, settings_obj: LightspeedSettings, run=None) -> str | None:
    """For a run about to send prices: records (or settles) the company's price-level issue and
    returns why prices are held back, or None when they may be sent."""
    reason = price_level_unusable(settings_obj)
    if reason:
        sync_issue_record(
            company_id=settings_obj.company_id,
            kind=SyncIssue.Kind.PRICE_LEVEL_UNUSABLE,
            key=str(settings_obj.price_level),
            message=f"{reason} Until then no price is sent to Lightspeed; stock and costs still are.",
            run=run,
        )
        return reason
    SyncIssue.objects.filter(
        company_id=settings_obj.company_id,
        kind=SyncIssue.Kind.PRICE_LEVEL_UNUSABLE,
        status=SyncIssue.Status.OPEN,
    ).update(
        status=SyncIssue.Status.RESOLVED,
        resolved_at=timezone.now(),
        resolution=f"Prices go to price level {settings_obj.price_level} again.",
    )
    return None
