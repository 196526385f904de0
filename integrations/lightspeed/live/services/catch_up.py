"""Orders before uploads: an upload about to hold items back for the order download first lets
the download catch up.

An item the POS sold a moment ago has moved in Lightspeed; until that sale is downloaded the
upload cannot tell the sale from a count done in Lightspeed, and holds the item back for a later
cycle. Instead, once its first poll has seen such moves, the upload runs the change probe — one
drip, and the orders job at once when a sale changed. A probe that starts after the poll and finds
everything downloaded proves that every sale behind the moves the poll saw is in (a move is
visible only once the sale that made it is committed, and with it the sale's updatetime), so the
upload may send those items now, with quantities that include the sales.
"""

from __future__ import annotations

from django.conf import settings

from integrations.lightspeed.live.services.probe import live_probe
from integrations.lightspeed.models import LiveState


def live_enabled() -> bool:
    return float(getattr(settings, "LIGHTSPEED_LIVE_TICK_SECONDS", 1)) > 0


def orders_catch_up(*, company_id: int) -> bool:
    """Probes (and downloads) now; True when every sale change Lightspeed had is downloaded.
    False (nothing asked) while the live loop is off for the company."""
    if not live_enabled() or not LiveState.objects.filter(company_id=company_id).exists():
        return False
    return live_probe(company_id=company_id).caught_up
