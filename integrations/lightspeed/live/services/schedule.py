"""The live loop's scheduler: one beat tick every second queues the probes that are due.

Beat fires one small task a second whatever the number of companies; that task reads which
companies' probes are due (one query), claims them by moving `next_probe_at` a claim's length
ahead (one update) and queues one probe task each. A probe sets its own next time when it ends;
a probe lost with its worker (the embedded broker keeps no unacked task) leaves its claim behind,
which lapses after `LIGHTSPEED_LIVE_CLAIM_SECONDS`, and the tick queues it again — well within 60 s.
Companies that qualify for order download get their row on the first tick that sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, LiveState


def claim_seconds() -> float:
    return float(getattr(settings, "LIGHTSPEED_LIVE_CLAIM_SECONDS", 45))


def _eligible() -> QuerySet[LightspeedSettings]:
    """Settings of the companies whose sales are downloaded: the probe re-checks the rest."""
    return LightspeedSettings.objects.filter(
        enabled=True, order_download_enabled=True, connection_status=ConnectionStatus.CONNECTED
    ).exclude(refresh_token="")


def live_states_ensure(*, now: datetime) -> int:
    """Gives every eligible company without one a live state, due at once. Returns how many."""
    missing = list(
        _eligible().filter(company__lightspeed_live__isnull=True).values_list("company_id", flat=True)
    )
    LiveState.objects.bulk_create(
        [LiveState(company_id=company_id, next_probe_at=now) for company_id in missing], ignore_conflicts=True
    )
    return len(missing)


def live_tick(*, enqueue: Callable[[int], None], now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Queues a probe for each company whose probe is due; returns their ids."""
    now = now or timezone.now()
    live_states_ensure(now=now)
    with transaction.atomic():
        due = list(
            LiveState.objects.select_for_update(skip_locked=True)
            .filter(next_probe_at__lte=now, company_id__in=_eligible().values("company_id"))
            .order_by("next_probe_at")
            .values_list("company_id", flat=True)[:limit]
        )
        if due:
            claim = now + timedelta(seconds=claim_seconds())
            LiveState.objects.filter(company_id__in=due).update(next_probe_at=claim)
        for company_id in due:
            transaction.on_commit(lambda company_id=company_id: enqueue(company_id))
    return due
