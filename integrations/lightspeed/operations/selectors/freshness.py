"""How fresh each company's sync is: read-only questions the dashboard, the overview and the
freshness alert ask, in a bounded number of queries whatever the number of companies.

`freshness_overview` answers, per company, over the last hour: p50/p95 of sale → order and of
stock change → Lightspeed (with how many samples they rest on), and the share of the drip budget
(drip rate × seconds of the window) the change probe (polling) and job runs (work) spent.
On PostgreSQL the database computes the percentiles (`percentile_cont`), so a fleet's hour of
samples never crosses the wire; elsewhere (SQLite) they are computed here from one query's values,
interpolated the same way, so both give the same figures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.db.models import (
    Aggregate,
    Count,
    FloatField,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.lightspeed.models import (
    ApiUsageMinute,
    FreshnessSample,
    FreshnessThreshold,
    LiveState,
)

Direction = FreshnessSample.Direction
FRESHNESS_WINDOW = timedelta(hours=1)


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) of sorted values, linearly interpolated (`percentile_cont`)."""
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile: `percentile_cont(0.95) WITHIN GROUP (ORDER BY x)`."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass(frozen=True)
class DirectionFreshness:
    """One direction's delays over the window: how many, and their p50 and p95 in seconds."""

    samples: int = 0
    p50: float | None = None
    p95: float | None = None

    @classmethod
    def of(cls, seconds: list[float]) -> DirectionFreshness:
        ordered = sorted(seconds)
        return cls(samples=len(ordered), p50=percentile(ordered, 0.5), p95=percentile(ordered, 0.95))


@dataclass(frozen=True)
class CompanyFreshness:
    company_id: int
    sale_to_order: DirectionFreshness
    stock_to_lightspeed: DirectionFreshness
    poll_drips: float
    work_drips: float
    drip_rate: float | None  # drips per second; None while no request has told us the account's rate
    window_seconds: float

    @property
    def budget_drips(self) -> float | None:
        return self.drip_rate * self.window_seconds if self.drip_rate else None

    @property
    def poll_share(self) -> float | None:
        """Share (0..1) of the window's drip budget the change probe spent."""
        return self.poll_drips / self.budget_drips if self.budget_drips else None

    @property
    def work_share(self) -> float | None:
        """Share (0..1) of the window's drip budget job runs spent."""
        return self.work_drips / self.budget_drips if self.budget_drips else None

    @property
    def poll_percent(self) -> float | None:
        return None if self.poll_share is None else self.poll_share * 100

    @property
    def work_percent(self) -> float | None:
        return None if self.work_share is None else self.work_share * 100

    @property
    def worst_p95(self) -> float | None:
        """The slower direction's p95, for a one-figure column."""
        values = [d.p95 for d in (self.sale_to_order, self.stock_to_lightspeed) if d.p95 is not None]
        return max(values) if values else None


def _company_ids(companies: Iterable[Company | int]) -> list[int]:
    return [c if isinstance(c, int) else c.pk for c in companies]


def _direction_figures(samples: QuerySet) -> dict[tuple[int, str], DirectionFreshness]:
    """Count, p50 and p95 per (company, direction), in one query."""
    if connections[samples.db].vendor == "postgresql":
        rows = (
            samples.values("company_id", "direction")
            .annotate(n=Count("id"), p50=PercentileCont("seconds", 0.5), p95=PercentileCont("seconds", 0.95))
            .order_by()
        )
        return {
            (r["company_id"], r["direction"]): DirectionFreshness(r["n"], r["p50"], r["p95"]) for r in rows
        }
    delays: dict[tuple[int, str], list[float]] = defaultdict(list)
    for company_id, direction, seconds in samples.values_list("company_id", "direction", "seconds"):
        delays[(company_id, direction)].append(seconds)
    return {key: DirectionFreshness.of(values) for key, values in delays.items()}


def freshness_overview(
    companies: Iterable[Company | int], *, now: datetime | None = None, window: timedelta = FRESHNESS_WINDOW
) -> dict[int, CompanyFreshness]:
    """Each company's freshness over `window` (the last hour), by company id; three queries."""
    now = now or timezone.now()
    ids = _company_ids(companies)
    since = now - window
    figures = _direction_figures(
        FreshnessSample.objects.filter(company_id__in=ids, done_at__gt=since, done_at__lte=now)
    )
    usage = {
        row["company_id"]: row
        for row in ApiUsageMinute.objects.filter(company_id__in=ids, minute__gte=since, minute__lte=now)
        .values("company_id")
        .annotate(poll=Sum("poll_drips"), work=Sum("work_drips"), rate=Max("drip_rate"))
        .order_by()
    }
    # The drip rate the last probe saw, for a company that made no request within the window.
    last_rates = dict(
        LiveState.objects.filter(company_id__in=ids, drip_rate__isnull=False).values_list(
            "company_id", "drip_rate"
        )
    )
    overview = {}
    for company_id in ids:
        used = usage.get(company_id, {})
        overview[company_id] = CompanyFreshness(
            company_id=company_id,
            sale_to_order=figures.get((company_id, Direction.SALE_TO_ORDER), DirectionFreshness()),
            stock_to_lightspeed=figures.get(
                (company_id, Direction.STOCK_TO_LIGHTSPEED), DirectionFreshness()
            ),
            poll_drips=float(used.get("poll") or 0),
            work_drips=float(used.get("work") or 0),
            drip_rate=used.get("rate") or last_rates.get(company_id),
            window_seconds=window.total_seconds(),
        )
    return overview


def freshness_delays(*, company_id: int, since: datetime, until: datetime) -> dict[str, list[tuple]]:
    """(done_at, seconds) of one company's samples in (since, until], per direction; one query."""
    found: dict[str, list[tuple]] = defaultdict(list)
    for direction, done_at, seconds in (
        FreshnessSample.objects.filter(company_id=company_id, done_at__gt=since, done_at__lte=until)
        .order_by("done_at")
        .values_list("direction", "done_at", "seconds")
    ):
        found[direction].append((done_at, seconds))
    return found


@dataclass(frozen=True)
class Threshold:
    p95_seconds: float
    min_samples: int


def freshness_threshold_for(*, company_id: int) -> Threshold:
    """The company's own alert threshold, else the one for every company, else the settings."""
    rows = {
        row.company_id: row
        for row in FreshnessThreshold.objects.filter(Q(company_id=company_id) | Q(company__isnull=True))
    }
    row = rows.get(company_id) or rows.get(None)
    if row is None:
        return Threshold(
            settings.LIGHTSPEED_ALERT_FRESHNESS_P95_SECONDS, settings.LIGHTSPEED_ALERT_FRESHNESS_MIN_SAMPLES
        )
    return Threshold(row.p95_seconds, row.min_samples)
