"""Orders before uploads: an upload of what is due first lets the order download catch up.

An item the POS sold a moment ago has moved in Lightspeed; until that sale is downloaded the
upload must hold the item back (it cannot tell the sale from a count done in Lightspeed). So the
upload of what changed first runs the change probe — one drip, and the orders job at once when a
sale changed — and the upload then finds the download caught up instead of holding items for the
next cycle. Nothing is asked when nothing is due or the live loop is off for the company.
"""

from __future__ import annotations

from django.conf import settings

from integrations.lightspeed.live.services.probe import ProbeOutcome, live_probe
from integrations.lightspeed.models import LiveState, ProductLink


def live_enabled() -> bool:
    return float(getattr(settings, "LIGHTSPEED_LIVE_TICK_SECONDS", 1)) > 0


def orders_catch_up(*, company_id: int) -> ProbeOutcome | None:
    """Probes (and downloads) before an upload of what is due; None when there was no need."""
    if not live_enabled() or not LiveState.objects.filter(company_id=company_id).exists():
        return None
    if not ProductLink.objects.filter(company_id=company_id, upload_due_at__isnull=False).exists():
        return None
    return live_probe(company_id=company_id)
