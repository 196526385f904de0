"""Recording how fresh the sync is: measured delays, and what the requests cost.

* `freshness_record`: one sample per sale imported (its completion in Lightspeed → its order
  committed here) or per item whose new quantity Lightspeed took (the stock change committed
  here → Lightspeed's 200). The dashboard and the alert read them; `freshness_recorded` tells
  whoever listens (operations feeds the /metrics histogram from it) without this module knowing.
* `api_usage_record`: drips and requests per company and minute, polling (the change probe)
  apart from work (job runs), for the share of the drip budget each takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from integrations.lightspeed.models import ApiUsageMinute, FreshnessSample

Direction = FreshnessSample.Direction

# Sent after samples are stored: company_id, direction, seconds (a list of delays).
freshness_recorded = Signal()


def freshness_record(
    *, company_id: int, direction: str, samples: Iterable[tuple[str, datetime, datetime]]
) -> list[FreshnessSample]:
    """Stores (key, occurred_at, done_at) samples; a delay below zero (clocks apart) counts as 0."""
    rows = [
        FreshnessSample(
            company_id=company_id,
            direction=direction,
            key=str(key)[:40],
            occurred_at=occurred_at,
            done_at=done_at,
            seconds=max((done_at - occurred_at).total_seconds(), 0.0),
        )
        for key, occurred_at, done_at in samples
    ]
    if rows:
        FreshnessSample.objects.bulk_create(rows)
        freshness_recorded.send(
            sender=FreshnessSample,
            company_id=company_id,
            direction=direction,
            seconds=[row.seconds for row in rows],
        )
    return rows


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def api_usage_record(
    *,
    company_id: int,
    drips: float,
    requests: int,
    polling: bool,
    drip_rate: float | None = None,
    at: datetime | None = None,
) -> None:
    """Adds a probe's (polling) or a run's (work) cost to the company's minute."""
    if not drips and not requests:
        return
    minute = _minute(at or timezone.now())
    prefix = "poll" if polling else "work"
    update = {
        f"{prefix}_drips": F(f"{prefix}_drips") + drips,
        f"{prefix}_requests": F(f"{prefix}_requests") + requests,
    }
    if drip_rate:
        update["drip_rate"] = drip_rate
    rows = ApiUsageMinute.objects.filter(company_id=company_id, minute=minute)
    if rows.update(**update):
        return
    try:
        with transaction.atomic():
            ApiUsageMinute.objects.create(
                company_id=company_id,
                minute=minute,
                drip_rate=drip_rate,
                **{f"{prefix}_drips": drips, f"{prefix}_requests": requests},
            )
    except IntegrityError:  # another process made the minute's row first
        rows.update(**update)
