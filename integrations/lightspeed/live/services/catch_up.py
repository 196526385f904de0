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

import time

from django.conf import settings

from integrations.core.locks import company_job_lock_name, lock_is_held
from integrations.lightspeed.live.services.probe import live_probe
from integrations.lightspeed.models import LiveState

LOCK_POLL_SECONDS = 0.2


def live_enabled() -> bool:
    return float(getattr(settings, "LIGHTSPEED_LIVE_TICK_SECONDS", 1)) > 0


def catch_up_wait_seconds() -> float:
    return float(getattr(settings, "LIGHTSPEED_LIVE_CATCH_UP_WAIT_SECONDS", 5))


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _monotonic() -> float:
    return time.monotonic()


def orders_catch_up(*, company_id: int) -> bool:
    """Probes (and downloads) now; True when every sale change Lightspeed had is downloaded.
    False (nothing asked) while the live loop is off for the company.

    An orders run in progress (a probe's live run, which on the embedded broker may run beside
    this upload) is waited for, at most `LIGHTSPEED_LIVE_CATCH_UP_WAIT_SECONDS`: it takes a
    second or two, and probing after it finishes proves the sales in, where probing during it
    would learn nothing and hold the items back for a whole cycle."""
    if not live_enabled() or not LiveState.objects.filter(company_id=company_id).exists():
        return False
    _orders_run_wait(company_id, catch_up_wait_seconds())
    return live_probe(company_id=company_id).caught_up


def _orders_run_wait(company_id: int, seconds: float) -> None:
    name = company_job_lock_name(company_id, "orders")
    deadline = _monotonic() + seconds
    while lock_is_held(name) and _monotonic() < deadline:
        _sleep(min(LOCK_POLL_SECONDS, max(deadline - _monotonic(), 0.0)))
